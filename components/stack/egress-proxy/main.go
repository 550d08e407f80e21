// The egress proxy: Stripe's Smokescreen with one change to its entrypoint. Upstream derives a
// client's ACL role from its TLS client certificate; clients here speak plain HTTP(S)_PROXY on an
// internal network, so the role comes from the client's address instead: each
// --client-role=ROLE=NAME names a container whose address carries ROLE (LiteLLM may reach the
// model providers, a gateway its channels and the operator's hosts). Without a role Smokescreen
// refuses every connection ("Client role cannot be determined"), which is what an address no name
// resolves to gets.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stripe/smokescreen/cmd"
	"github.com/stripe/smokescreen/pkg/smokescreen"
)

const clientRoleFlag = "--client-role="

// clientRole is one --client-role=ROLE=NAME: the container name whose address carries the role.
type clientRole struct{ role, name string }

// splitArgs takes our --client-role flags out of the command line; the rest is Smokescreen's own.
func splitArgs(args []string) (rest []string, roles []clientRole, err error) {
	for _, arg := range args {
		value, ours := strings.CutPrefix(arg, clientRoleFlag)
		if !ours {
			rest = append(rest, arg)
			continue
		}
		role, name, found := strings.Cut(value, "=")
		if !found || role == "" || name == "" {
			return nil, nil, fmt.Errorf("%s wants ROLE=NAME, not %q", clientRoleFlag, value)
		}
		roles = append(roles, clientRole{role, name})
	}
	return rest, roles, nil
}

// roleFromAddress gives a request the role whose container name resolves to the client's address.
// Names are resolved at every request, never cached: a recreated container gets a new address, and
// a stale entry could hand a role to whatever takes the old one. Docker's embedded DNS (127.0.0.11)
// answers container names from memory, so a lookup costs well under a millisecond. The trailing dot
// makes the name absolute: the host's search domains, copied into the container's resolv.conf, are
// never tried, so no DNS server outside the host can answer for a container and name an address of
// the stack. (Go matches no absolute name against /etc/hosts, where Docker puts no other container.)
func roleFromAddress(roles []clientRole, resolver *net.Resolver) func(*http.Request) (string, error) {
	return func(req *http.Request) (string, error) {
		addrPort, err := netip.ParseAddrPort(req.RemoteAddr)
		if err != nil {
			return "", fmt.Errorf("client address %q: %w", req.RemoteAddr, err)
		}
		client := addrPort.Addr().Unmap()
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		var misses []string
		for _, r := range roles {
			addresses, err := resolver.LookupNetIP(ctx, "ip", r.name+".")
			if err != nil {
				// That container is not running (it has no address now), or the lookup failed: say which.
				misses = append(misses, err.Error())
				continue
			}
			for _, address := range addresses {
				if address.Unmap() == client {
					return r.role, nil
				}
			}
		}
		// Not a MissingRoleError: no setting may turn an unknown client into the default role.
		if len(misses) > 0 {
			return "", fmt.Errorf("no client container's name resolves to %s (%s)", client, strings.Join(misses, "; "))
		}
		return "", fmt.Errorf("no client container's name resolves to %s", client)
	}
}

func main() {
	args, roles, err := splitArgs(os.Args)
	if err != nil {
		logrus.Fatal(err)
	}
	conf, err := cmd.NewConfiguration(args, nil)
	if err != nil {
		logrus.Fatalf("Could not create configuration: %v", err)
	}
	if conf == nil {
		return // --help or --version was printed
	}
	conf.RoleFromRequest = roleFromAddress(roles, net.DefaultResolver)
	// As upstream's own main.go: JSON logs, the standard logger routed through them.
	conf.Log.Formatter = &logrus.JSONFormatter{}
	log.SetOutput(&smokescreen.Log2LogrusWriter{Entry: conf.Log.WithField("stdlog", "1")})
	log.SetFlags(0)
	smokescreen.StartWithConfig(conf, nil)
}
