// The Smokescreen egress proxy: its ACL, its command line and its build context. It is built on
// the host from our Go module (components/stack/egress-proxy), whose entrypoint gives a client the
// role of the container whose name resolves to its address (`--client-role=ROLE=NAME`): clients
// speak plain HTTP(S)_PROXY, not the mutual TLS upstream keys roles on.
import * as YAML from "yaml";
import { COMPOSE_PROJECT, PORTS } from "./layout";
import { EGRESS_DENIED_RANGES, egressClients, EgressRole } from "./egress";
import { SMOKESCREEN_VERSION } from "./egressModule";
import { IMAGES } from "./images";

/** Where the ACL is mounted inside the proxy's container. */
export const EGRESS_ACL_PATH = "/etc/smokescreen/acl.yaml";

/**
 * The ACL: one enforcing rule per client role with that client's hosts, and a default rule that
 * enforces with no host at all (a role without a rule gets nothing; an address without a role is
 * refused before the ACL is read).
 */
export function renderEgressAcl(roles: readonly EgressRole[]): string {
    const rule = (name: string, allowedDomains: readonly string[]) => ({
        name,
        project: COMPOSE_PROJECT,
        action: "enforce",
        allowed_domains: [...allowedDomains],
    });
    const acl = {
        version: "v1",
        services: roles.map((r) => rule(r.role, r.allowedDomains)),
        default: rule("default", []),
    };
    // Smokescreen reads YAML 1.1 (Go's yaml.v2).
    return YAML.stringify(acl, { version: "1.1", aliasDuplicateObjects: false });
}

/** The flag main.go reads: `--client-role=ROLE=CONTAINER`, one per client. */
export const CLIENT_ROLE_FLAG = "--client-role";

/**
 * Smokescreen's arguments: the ACL, every interface of its container, the denied ranges, and which
 * container's address carries which role. The same for every config: only the ACL names hosts.
 */
export function egressProxyCommand(clients: readonly { role: string; container: string }[] = egressClients()): string[] {
    return [
        `--egress-acl-file=${EGRESS_ACL_PATH}`,
        "--listen-ip=0.0.0.0",
        `--listen-port=${PORTS.egress}`,
        ...EGRESS_DENIED_RANGES.map((range) => `--deny-range=${range}`),
        ...clients.map((c) => `${CLIENT_ROLE_FLAG}=${c.role}=${c.container}`),
    ];
}

/** The uid the proxy runs as (no login, no home). */
export const EGRESS_UID = 10001;

/**
 * The image: our module (main.go, go.mod, go.sum from egress-proxy/, which the deploy writes beside
 * this Dockerfile) built through the Go module proxy, every download checked against go.sum, no git
 * and no GitHub: the same build as .ci/tools/smokescreen.sh. The runtime is Alpine, with `nc` for
 * the compose healthcheck.
 */
export function renderEgressDockerfile(): string {
    return `# Smokescreen ${SMOKESCREEN_VERSION} with the entrypoint in main.go (roles by client address), pinned by go.mod and go.sum.
FROM ${IMAGES.goBuilder} AS builder
# The image's own Go (no toolchain download), the module proxy alone (no VCS fallback), go.sum as committed.
ENV GOTOOLCHAIN=local GOPROXY=https://proxy.golang.org GOSUMDB=sum.golang.org GOFLAGS=-mod=readonly CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
# Everything was downloaded and checked above: the build itself needs no network.
RUN GOPROXY=off go build -trimpath -ldflags="-s -w" -o /smokescreen .

FROM ${IMAGES.alpine}
RUN apk add --no-cache ca-certificates netcat-openbsd \\
 && adduser -D -H -u ${EGRESS_UID} smokescreen
COPY --from=builder /smokescreen /usr/local/bin/smokescreen
USER ${EGRESS_UID}:${EGRESS_UID}
ENTRYPOINT ["/usr/local/bin/smokescreen"]
`;
}
