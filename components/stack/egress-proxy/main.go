// The egress proxy: Stripe's Smokescreen with one change to its entrypoint. Upstream derives a
// client's ACL role from its TLS client certificate; clients here speak plain HTTP(S)_PROXY on an
// internal network, so every request gets the ACL's "default" role instead. Without this,
// Smokescreen refuses every connection ("Client role cannot be determined").
package main

import (
	"log"
	"net/http"

	"github.com/sirupsen/logrus"
	"github.com/stripe/smokescreen/cmd"
	"github.com/stripe/smokescreen/pkg/smokescreen"
)

func main() {
	// nil arguments: parse os.Args, so the compose file's flags apply.
	conf, err := cmd.NewConfiguration(nil, nil)
	if err != nil {
		logrus.Fatalf("Could not create configuration: %v", err)
	}
	if conf == nil {
		return // --help or --version was printed
	}
	conf.RoleFromRequest = func(*http.Request) (string, error) {
		return "default", nil
	}
	// As upstream's own main.go: JSON logs, the standard logger routed through them.
	conf.Log.Formatter = &logrus.JSONFormatter{}
	log.SetOutput(&smokescreen.Log2LogrusWriter{Entry: conf.Log.WithField("stdlog", "1")})
	log.SetFlags(0)
	smokescreen.StartWithConfig(conf, nil)
}
