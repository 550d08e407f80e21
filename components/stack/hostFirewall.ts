// The host's firewall rules for Docker. Docker's published ports bypass UFW: a packet to a published
// port is rewritten before UFW's INPUT rules see it and crosses the FORWARD chain instead, where
// Docker consults DOCKER-USER first. So the rules that matter for containers go there, kept by a
// systemd unit that reapplies them whenever Docker starts.
import { HOST_FIREWALL_FILES, NETWORKS, PORTS, STACK_FILES } from "./layout";

/** UFW rules this program owns carry this comment, so a deploy can find and replace exactly them. */
export const INGRESS_RULE_COMMENT = "openclaw-ingress";

/** Our chains in the filter table; DOCKER-USER jumps to the first. */
export const FIREWALL_CHAINS = { main: "OPENCLAW", ingress: "OPENCLAW-INGRESS" } as const;

/**
 * The firewall script. It reads the allowed ingress sources from a file (empty unless ingress
 * caddy), and:
 *  - drops every new connection forwarded out of proxy-net's bridge: the gateway sits on it, and
 *    its only sanctioned way out is the egress proxy (proxy-net has a route out only when the
 *    gateway is published on loopback, but the rule holds in every mode);
 *  - lets a published port 80 or 443 answer those sources only, and drops the rest;
 *  - keeps UFW's 80/443 rules equal to the same sources, for traffic that reaches the host itself.
 * Both chains are replaced in one iptables-restore transaction, so no rule is ever half applied.
 */
export function renderFirewallScript(): string {
    const ports = [PORTS.http, PORTS.https];
    return `#!/bin/bash
# Rendered by the OpenClaw Pulumi program: the host rules for Docker's published ports and the
# gateway's network. Run by ${HOST_FIREWALL_FILES.unitName} after Docker starts, and by the deploy.
set -euo pipefail

sources_file=${STACK_FILES.ingressSources}
comment=${INGRESS_RULE_COMMENT}
sources=()
if [ -f "$sources_file" ]; then
    mapfile -t sources < <(grep -Ev '^[[:space:]]*(#|$)' "$sources_file" || true)
fi

# chains FAMILY: iptables-restore input that replaces both chains.
chains() {
    local family=$1 source port
    echo "*filter"
    echo ":${FIREWALL_CHAINS.main} - [0:0]"
    echo ":${FIREWALL_CHAINS.ingress} - [0:0]"
    if [ "$family" = 4 ]; then
        echo "-A ${FIREWALL_CHAINS.main} -i ${NETWORKS.proxy.bridge} ! -o ${NETWORKS.proxy.bridge} -m conntrack --ctstate NEW -j DROP"
    fi
    for port in ${ports.join(" ")}; do
        # ORIGINAL: only the visitor's packets; Caddy's replies are in the same connection.
        echo "-A ${FIREWALL_CHAINS.main} -p tcp -m conntrack --ctstate DNAT --ctdir ORIGINAL --ctorigdstport $port -j ${FIREWALL_CHAINS.ingress}"
    done
    for source in "\${sources[@]}"; do
        case $source in
            *:*) [ "$family" = 6 ] || continue ;;
            *) [ "$family" = 4 ] || continue ;;
        esac
        echo "-A ${FIREWALL_CHAINS.ingress} -s $source -j RETURN"
    done
    echo "-A ${FIREWALL_CHAINS.ingress} -j DROP"
    echo "COMMIT"
}

# docker_user TOOL FAMILY: installs the chains and the jump from DOCKER-USER.
docker_user() {
    local tool=$1 family=$2
    if ! "$tool" -w -n -L DOCKER-USER >/dev/null 2>&1; then
        if [ "$family" = 4 ]; then
            echo "iptables has no DOCKER-USER chain: is Docker running?" >&2
            return 1
        fi
        echo "ip6tables has no DOCKER-USER chain (Docker does not manage IPv6 here); skipped"
        return 0
    fi
    chains "$family" | "$tool-restore" -w --noflush
    if ! "$tool" -w -C DOCKER-USER -j ${FIREWALL_CHAINS.main} 2>/dev/null; then
        "$tool" -w -I DOCKER-USER 1 -j ${FIREWALL_CHAINS.main}
    fi
    echo "$tool: DOCKER-USER jumps to ${FIREWALL_CHAINS.main}"
}

# ufw_sources: the sources of the UFW rules this script added.
ufw_sources() {
    ufw show added | { grep -F "comment '$comment'" || true; } | sed -E 's/.* from ([^ ]+) .*/\\1/' | sort -u
}

sync_ufw() {
    local present wanted source
    present=$(ufw_sources)
    wanted=$(printf '%s\\n' "\${sources[@]}" | sed '/^$/d' | sort -u)
    while read -r source; do
        [ -n "$source" ] || continue
        ufw delete allow from "$source" to any port ${ports.join(",")} proto tcp >/dev/null
        echo "ufw: removed ${ports.join(",")} from $source"
    done < <(comm -23 <(echo "$present") <(echo "$wanted"))
    while read -r source; do
        [ -n "$source" ] || continue
        ufw allow from "$source" to any port ${ports.join(",")} proto tcp comment "$comment" >/dev/null
        echo "ufw: allowed ${ports.join(",")} from $source"
    done < <(comm -13 <(echo "$present") <(echo "$wanted"))
}

docker_user iptables 4
docker_user ip6tables 6
sync_ufw
echo "ingress sources allowed on ${ports.join(" and ")}: \${#sources[@]}"
`;
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
