// The Caddyfile for ingress caddy: automatic HTTPS for the domain, security headers, and the
// gateway behind it. Cloudflare proxies the domain, and only Cloudflare's ranges reach ports 80 and
// 443 (cloud firewall, UFW and DOCKER-USER), so Cloudflare's CF-Connecting-IP names the visitor.
import { PRIMARY_GATEWAY } from "./gateways";

/** Caddy answers its container healthcheck here, on the container's loopback only. */
export const CADDY_HEALTH_URL = "http://127.0.0.1:8081/healthz";

/** Headers every response carries. The Control UI sets its own content policy, so none is added here. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
};

/** A Caddyfile block: `head {` (or `{` for the global options), its lines indented by one tab, `}`. */
function block(head: string, lines: readonly string[]): string[] {
    return [head ? `${head} {` : "{", ...lines.map((line) => `\t${line}`), "}"];
}

/** A Caddyfile token in double quotes; the values here never contain quotes or backslashes. */
const quoted = (value: string) => {
    if (/["\\\n]/.test(value)) throw new Error(`renderCaddyfile: ${JSON.stringify(value)} cannot be quoted`);
    return `"${value}"`;
};

export function renderCaddyfile(domain: string): string {
    // The settings parser accepts only host names; anything else here is a programming error.
    if (!/^[a-z0-9.-]+$/.test(domain)) throw new Error(`renderCaddyfile: ${JSON.stringify(domain)} is not a host name`);
    const health = new URL(CADDY_HEALTH_URL);
    const lines = [
        "# Rendered by the OpenClaw Pulumi program; the next deploy overwrites local changes.",
        // No admin API: the deploy restarts the container when this file changes.
        ...block("", ["admin off"]),
        "",
        ...block(domain, [
            ...block(
                "header",
                [...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name} ${quoted(value)}`), "-Server"],
            ),
            ...block(`reverse_proxy ${PRIMARY_GATEWAY.container}:${PRIMARY_GATEWAY.port}`, [
                "header_up X-Forwarded-For {header.CF-Connecting-IP}",
            ]),
        ]),
        "",
        ...block(`http://${health.host}`, [`bind ${health.hostname}`, `respond ${health.pathname} 200`]),
    ];
    return `${lines.join("\n")}\n`;
}
