// Every image the stack runs or builds from, pinned by version. The gateway's image is the
// operator's `openclawImage`; these are the stack's own choices and move only with this file.

export const IMAGES = {
    /** From v1.83.0 LiteLLM's images are cosign-signed. */
    litellm: "ghcr.io/berriai/litellm:v1.83.0-stable",
    redis: "docker.io/library/redis:7.4.2-alpine",
    /** Builder and runtime of the egress proxy, built on the host. */
    goBuilder: "docker.io/library/golang:1.22.12-alpine",
    alpine: "docker.io/library/alpine:3.20.6",
    /** The Cloudflare Tunnel connector (ingress tunnel). */
    cloudflared: "docker.io/cloudflare/cloudflared:2026.9.1",
    /** The reverse proxy with automatic HTTPS (ingress caddy). */
    caddy: "docker.io/library/caddy:2.11.4-alpine",
} as const;

/** Smokescreen, Stripe's egress proxy, is built from this upstream commit. */
export const SMOKESCREEN = {
    repository: "https://github.com/stripe/smokescreen.git",
    commit: "1dca4519091993661e52ab18b370b2024078f75a",
} as const;

/** The locally built egress image; its tag names the upstream commit. */
export const EGRESS_IMAGE = `localhost/openclaw-egress:${SMOKESCREEN.commit.slice(0, 12)}`;
