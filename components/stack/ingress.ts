// What each ingress mode means for the stack on the host: which container faces the internet,
// whether the gateway is published on the host's loopback, and whom the gateway trusts to set
// forwarded headers. The one place that decides it, so compose, openclaw.json, the firewall and
// the outputs always agree.
import { IngressMode, IngressSettings } from "../settings";
import { INGRESS_PROXY_ADDRESS, PORTS, PROXY_NET_HOST_ADDRESS } from "./layout";

/** The container that carries public traffic to the gateway, when the mode has one. */
export type IngressContainer = "cloudflared" | "caddy";

export function ingressContainer(mode: IngressMode): IngressContainer | undefined {
    if (mode === "tunnel") return "cloudflared";
    if (mode === "caddy") return "caddy";
    return undefined;
}

/**
 * Whether the gateway is published on the host's 127.0.0.1: for an SSH tunnel (none), and for
 * Tailscale Serve on the host (tailscale), which also keeps the SSH tunnel working as a fallback.
 */
export function publishesOnLoopback(mode: IngressMode): boolean {
    return mode === "none" || mode === "tailscale";
}

/**
 * The only sources whose X-Forwarded-For the gateway believes: the ingress container's fixed
 * address, or the host for Tailscale Serve (its loopback connection reaches the container from
 * proxy-net's host address). With none there is no proxy, so nothing is trusted.
 */
export function trustedProxies(mode: IngressMode): string[] {
    if (ingressContainer(mode)) return [INGRESS_PROXY_ADDRESS];
    if (mode === "tailscale") return [PROXY_NET_HOST_ADDRESS];
    return [];
}

/** The domain the gateway is served on publicly, when the mode serves one. */
export function publicDomain(ingress: Pick<IngressSettings, "mode" | "domain">): string | undefined {
    return ingressContainer(ingress.mode) ? ingress.domain : undefined;
}

/** The local end of `ssh -L 18789:127.0.0.1:18789`. */
export const SSH_TUNNEL_URL = `http://127.0.0.1:${PORTS.gateway}`;

/**
 * Where an operator opens the gateway, when the settings alone say it: the public domain, or the
 * SSH tunnel. With tailscale it is the host's name in the tailnet, which only the host knows.
 */
export function staticGatewayUrl(ingress: Pick<IngressSettings, "mode" | "domain">): string | undefined {
    if (ingress.mode === "tailscale") return undefined;
    const domain = publicDomain(ingress);
    return domain ? `https://${domain}` : SSH_TUNNEL_URL;
}
