// The Smokescreen egress proxy: its ACL, its command line and its build context. It is built on
// the host from a pinned upstream commit, with an entrypoint that gives every client the one
// "default" role: clients speak plain HTTP(S)_PROXY, not the mutual TLS upstream keys roles on.
import * as YAML from "yaml";
import { COMPOSE_PROJECT, PORTS } from "./layout";
import { EGRESS_DENIED_RANGES } from "./egress";
import { IMAGES, SMOKESCREEN } from "./images";

/** Where the ACL is mounted inside the proxy's container. */
export const EGRESS_ACL_PATH = "/etc/smokescreen/acl.yaml";

/** The ACL: enforce mode, the allowlist for the default role, no per-service rules. */
export function renderEgressAcl(allowedDomains: readonly string[]): string {
    const acl = {
        version: "v1",
        services: [],
        default: {
            name: "default",
            project: COMPOSE_PROJECT,
            action: "enforce",
            allowed_domains: [...allowedDomains],
        },
    };
    // Smokescreen reads YAML 1.1 (Go's yaml.v2).
    return YAML.stringify(acl, { version: "1.1", aliasDuplicateObjects: false });
}

/** Smokescreen's arguments: the ACL, every interface of its container, and the denied ranges. */
export function egressProxyCommand(): string[] {
    return [
        `--egress-acl-file=${EGRESS_ACL_PATH}`,
        "--listen-ip=0.0.0.0",
        `--listen-port=${PORTS.egress}`,
        ...EGRESS_DENIED_RANGES.map((range) => `--deny-range=${range}`),
    ];
}

/** The uid the proxy runs as (no login, no home). */
export const EGRESS_UID = 10001;

export function renderEgressDockerfile(): string {
    return `# Smokescreen from a pinned upstream commit, with the static-role entrypoint in main.go.
FROM ${IMAGES.goBuilder} AS builder
RUN apk add --no-cache git
WORKDIR /src
RUN git init -q . \\
 && git remote add origin ${SMOKESCREEN.repository} \\
 && git fetch -q --depth 1 origin ${SMOKESCREEN.commit} \\
 && git checkout -q FETCH_HEAD
COPY main.go ./main.go
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /smokescreen .

FROM ${IMAGES.alpine}
RUN apk add --no-cache ca-certificates netcat-openbsd \\
 && adduser -D -H -u ${EGRESS_UID} smokescreen
COPY --from=builder /smokescreen /usr/local/bin/smokescreen
USER ${EGRESS_UID}:${EGRESS_UID}
ENTRYPOINT ["/usr/local/bin/smokescreen"]
`;
}

export function renderEgressMainGo(): string {
    return `// Smokescreen's upstream entrypoint derives a client's ACL role from its TLS client
// certificate. Clients here use plain HTTP(S)_PROXY on an internal network, so every request gets
// the ACL's "default" role instead; without this, Smokescreen refuses every connection.
package main

import (
	"net/http"

	"github.com/stripe/smokescreen/cmd"
	"github.com/stripe/smokescreen/pkg/smokescreen"
)

func main() {
	// nil arguments: parse os.Args, so the compose file's flags apply.
	conf, err := cmd.NewConfiguration(nil, nil)
	if err != nil {
		panic(err)
	}
	if conf == nil {
		return // --help or --version was printed
	}
	conf.RoleFromRequest = func(req *http.Request) (string, error) {
		return "default", nil
	}
	smokescreen.StartWithConfig(conf, nil)
}
`;
}
