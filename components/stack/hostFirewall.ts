// The host's firewall rules for Docker. Docker's published ports bypass UFW: a packet to a published
// port is rewritten before UFW's INPUT rules see it and crosses the FORWARD chain instead, where
// Docker consults DOCKER-USER first. So the rules that matter for containers go there, kept by a
// systemd unit that reapplies them whenever Docker starts. The script is openclaw-firewall.sh.
import { readScriptFile } from "../../cloud-init/scriptFile";
import { HOST_FIREWALL_FILES, NETWORKS, PORTS, STACK_FILES } from "./layout";

/** UFW rules this program owns carry this comment, so a deploy can find and replace exactly them. */
export const INGRESS_RULE_COMMENT = "openclaw-ingress";

/** Our chains in the filter table; DOCKER-USER jumps to the first. */
export const FIREWALL_CHAINS = { main: "OPENCLAW", ingress: "OPENCLAW-INGRESS" } as const;

/** The script, committed as openclaw-firewall.sh beside this file. */
const FIREWALL_SCRIPT = readScriptFile(__dirname, "openclaw-firewall.sh");

/**
 * The firewall script. It reads the allowed ingress sources from a file (empty unless ingress
 * caddy; tests point it at a scratch file), and:
 *  - drops every new connection forwarded out of proxy-net's bridge: the gateway sits on it, and
 *    its only sanctioned way out is the egress proxy (proxy-net has a route out only when the
 *    gateway is published on loopback, but the rule holds in every mode);
 *  - lets a published port 80 or 443 answer those sources only, and drops the rest;
 *  - keeps UFW's 80/443 rules equal to the same sources, for traffic that reaches the host itself.
 * Both chains are replaced in one iptables-restore transaction, so no rule is ever half applied.
 */
export function renderFirewallScript(sourcesFile: string = STACK_FILES.ingressSources): string {
    return FIREWALL_SCRIPT.render({
        SOURCES_FILE: sourcesFile,
        RULE_COMMENT: INGRESS_RULE_COMMENT,
        MAIN_CHAIN: FIREWALL_CHAINS.main,
        INGRESS_CHAIN: FIREWALL_CHAINS.ingress,
        PROXY_BRIDGE: NETWORKS.proxy.bridge,
        HTTP_PORT: PORTS.http,
        HTTPS_PORT: PORTS.https,
    });
}

/** Reapplies the rules whenever Docker starts: Docker rebuilds its chains, and a reboot clears all. */
export function renderFirewallUnit(): string {
    return `# Rendered by the OpenClaw Pulumi program.
[Unit]
Description=OpenClaw firewall rules for Docker's published ports and the gateway's network
After=docker.service ufw.service
PartOf=docker.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${HOST_FIREWALL_FILES.script}

[Install]
WantedBy=docker.service
`;
}

/** The sources file: one canonical CIDR block per line, sorted, so the same ranges give the same bytes. */
export function renderIngressSources(cidrs: readonly string[]): string {
    const sorted = [...new Set(cidrs)].sort();
    return `# Sources allowed to reach ports ${PORTS.http} and ${PORTS.https}; empty unless ingress caddy.\n${sorted.map((c) => `${c}\n`).join("")}`;
}
