// The Smokescreen egress proxy: its ACL, its command line and its build context. It is built on
// the host from our Go module (components/stack/egress-proxy), whose entrypoint gives every client
// the one "default" role: clients speak plain HTTP(S)_PROXY, not the mutual TLS upstream keys roles on.
import * as YAML from "yaml";
import { COMPOSE_PROJECT, PORTS } from "./layout";
import { EGRESS_DENIED_RANGES } from "./egress";
import { SMOKESCREEN_VERSION } from "./egressModule";
import { IMAGES } from "./images";

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

/**
 * The image: our module (main.go, go.mod, go.sum from egress-proxy/, which the deploy writes beside
 * this Dockerfile) built through the Go module proxy, every download checked against go.sum, no git
 * and no GitHub: the same build as .ci/tools/smokescreen.sh. The runtime is Alpine, with `nc` for
 * the compose healthcheck.
 */
export function renderEgressDockerfile(): string {
    return `# Smokescreen ${SMOKESCREEN_VERSION} with the static-role entrypoint in main.go, pinned by go.mod and go.sum.
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
