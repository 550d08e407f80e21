// Every image the stack runs or builds from, pinned by version. The gateway's image is the
// operator's `openclawImage`; these are the stack's own choices and move only with this file.
import { SMOKESCREEN_VERSION } from "./egressModule";

export const IMAGES = {
    /**
     * Cosign-signed; from 1.84 the tag is the release's `vX.Y.Z` (no `-stable`). .ci/tools/litellm.sh
     * installs the same version from PyPI for the tests (a unit test checks they agree). Its one
     * known advisory, GHSA-w4c7-34wj-hqm8, needs an Enterprise license, which the stack never sets.
     */
    litellm: "ghcr.io/berriai/litellm:v1.104.2",
    /** The 7.4 line: the 8.x images load their bundled modules (search, JSON, ...) at every start. */
    redis: "docker.io/library/redis:7.4.11-alpine",
    /**
     * Builder and runtime of the egress proxy, built on the host: Go 1.26 (Smokescreen's go.mod
     * needs >= 1.25) and Alpine 3.24, as docker-library/official-images lists them.
     */
    goBuilder: "docker.io/library/golang:1.26.7-alpine3.24",
    alpine: "docker.io/library/alpine:3.24.1",
    /** The Cloudflare Tunnel connector (ingress tunnel). */
    cloudflared: "docker.io/cloudflare/cloudflared:2026.10.0",
    /**
     * The reverse proxy with automatic HTTPS (ingress caddy); .ci/tools/caddy.sh builds this version
     * for the tests. Not 2.11.5 or 2.11.6 (the same code): they reset idle HTTP/2 streams.
     */
    caddy: "docker.io/library/caddy:2.11.7-alpine",
} as const;

/**
 * The locally built egress image; its tag names the Smokescreen version, which is pinned (with
 * every module it needs) by the committed go.mod and go.sum of components/stack/egress-proxy.
 */
export const EGRESS_IMAGE = `localhost/openclaw-egress:smokescreen-${SMOKESCREEN_VERSION}`;
