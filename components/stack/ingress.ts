// What each ingress mode means, described once: which container faces the internet, how
// Cloudflare reaches the origin, whether the gateway is published on the host's loopback, whom the
// gateway trusts to set forwarded headers, and where the operator opens it. Compose, openclaw.json,
// the cloud and host firewalls, the Cloudflare resources, the settings reader and the outputs all
// read this table, so they always agree; a new mode is a new row (and a new settings variant).
import { IngressMode } from "../settings";
import { PRIMARY_GATEWAY } from "./gateways";
import { INGRESS_PROXY_ADDRESS, PROXY_NET_HOST_ADDRESS } from "./layout";

/** The container that carries public traffic to the gateway, when the mode has one. */
export type IngressContainer = "cloudflared" | "caddy";

export interface IngressModeDescription {
    /** The container that carries public traffic to the gateway; none when nothing public reaches it. */
    readonly container?: IngressContainer;
    /**
     * How Cloudflare reaches the gateway, when it fronts it: through a tunnel cloudflared dials out
     * to (no inbound port), or by proxying to the server's address, whose ports 80 and 443 then
     * open to Cloudflare's published ranges alone, at the cloud firewall and in the host firewall.
     */
    readonly cloudflare?: "tunnel" | "proxy";
    /**
     * Whether the gateway is published on the host's 127.0.0.1: for an SSH tunnel (none), and for
     * Tailscale Serve on the host (tailscale), which also keeps the SSH tunnel working as a fallback.
     */
    readonly publishesOnLoopback: boolean;
    /**
     * The only sources whose X-Forwarded-For the gateway believes: the ingress container's fixed
     * address, or the host for Tailscale Serve (its loopback connection reaches the container from
     * proxy-net's host address). With none there is no proxy, so nothing is trusted.
     */
    readonly trustedProxies: readonly string[];
    /**
     * Where the operator opens the gateway: the public domain, the host's name in the tailnet
     * (which only the host knows, once Tailscale Serve runs), or the local end of an SSH tunnel.
     */
    readonly opensAt: "public-domain" | "tailnet" | "ssh-tunnel";
}

export const INGRESS: { readonly [M in IngressMode]: IngressModeDescription } = {
    tunnel: { container: "cloudflared", cloudflare: "tunnel", publishesOnLoopback: false, trustedProxies: [INGRESS_PROXY_ADDRESS], opensAt: "public-domain" },
    caddy: { container: "caddy", cloudflare: "proxy", publishesOnLoopback: false, trustedProxies: [INGRESS_PROXY_ADDRESS], opensAt: "public-domain" },
    tailscale: { publishesOnLoopback: true, trustedProxies: [PROXY_NET_HOST_ADDRESS], opensAt: "tailnet" },
    none: { publishesOnLoopback: true, trustedProxies: [], opensAt: "ssh-tunnel" },
};

/**
 * What the host's stack needs of the ingress settings: the mode and, where Cloudflare fronts the
 * gateway, its public host name. Every `IngressSettings` variant is one; tests write the short form.
 */
export type StackIngress = { readonly mode: "tunnel" | "caddy"; readonly domain: string } | { readonly mode: "tailscale" | "none" };

/** The domain the gateway is served on publicly, when the mode serves one. */
export function publicDomain(ingress: StackIngress): string | undefined {
    return INGRESS[ingress.mode].cloudflare && "domain" in ingress ? ingress.domain : undefined;
}

/** The local end of `ssh -L 18789:127.0.0.1:18789`. */
export const SSH_TUNNEL_URL = `http://127.0.0.1:${PRIMARY_GATEWAY.port}`;

/**
 * Where an operator opens the gateway: the public domain, the SSH tunnel's local end, or (in the
 * tailnet, whose name for the host only the host knows) what `inTailnet` gives.
 */
export function gatewayUrl<T>(ingress: StackIngress, inTailnet: () => T): string | T {
    switch (INGRESS[ingress.mode].opensAt) {
        case "public-domain":
            return `https://${publicDomain(ingress)}`;
        case "ssh-tunnel":
            return SSH_TUNNEL_URL;
        case "tailnet":
            return inTailnet();
    }
}
