import { ufwCommands } from "./firewall";
import { HOST_PATHS } from "./paths";

/** The host settings the hardening script depends on. */
export interface HardeningPolicy {
    readonly sshPort: number;
    readonly ipv6: boolean;
}

/**
 * The script cloud-init runs once, after its packages are installed. Order matters: SSH first, so
 * an operator can always get in on the new port to look at a failure; the marker last, so its
 * presence means every step succeeded. `set -e` stops at the first failure and leaves no marker.
 */
export function renderHardenScript(policy: HardeningPolicy): string {
    const indent = (lines: string[]) => lines.map((line) => `    ${line}`).join("\n");
    return `#!/bin/bash
# Managed by the openclaw Pulumi program. Run once by cloud-init (runcmd).
set -euo pipefail

log() { echo "openclaw-harden: $*"; }

apply_sysctl() {
    log "applying kernel settings"
    sysctl --system >/dev/null
}

harden_ssh() {
    log "installing the SSH hardening drop-in"
    install -d -m 0755 /run/sshd
    install -m 0644 -o root -g root ${HOST_PATHS.sshdStaged} ${HOST_PATHS.sshdDropIn}
    if ! sshd -t; then
        rm -f ${HOST_PATHS.sshdDropIn}
        log "sshd rejected the hardening drop-in; SSH was left as it was" >&2
        return 1
    fi
    if systemctl is-active --quiet ssh.socket || systemctl is-enabled --quiet ssh.socket 2>/dev/null; then
        # Socket activation (Ubuntu 24.04): the port lives in ssh.socket, which a generator
        # rebuilds from sshd_config on daemon-reload. Without this the port does not change.
        systemctl daemon-reload
        systemctl stop ssh.service || true
        systemctl restart ssh.socket
    else
        systemctl restart ssh.service
    fi
}

configure_firewall() {
    log "configuring UFW"
    sed -i 's/^IPV6=.*/IPV6=${policy.ipv6 ? "yes" : "no"}/' /etc/default/ufw
${indent(ufwCommands(policy))}
}

start_fail2ban() {
    log "starting fail2ban"
    systemctl enable fail2ban
    systemctl restart fail2ban
    # A jail with a bad backend makes fail2ban exit quietly; check the sshd jail really runs.
    for _ in $(seq 1 30); do
        if fail2ban-client status sshd >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    log "the fail2ban sshd jail did not start" >&2
    return 1
}

start_docker() {
    log "starting Docker with the hardened daemon.json"
    systemctl enable docker
    systemctl restart docker
    docker info >/dev/null
}

enable_upgrades() {
    log "enabling unattended upgrades"
    systemctl enable --now unattended-upgrades
}

mark_hardened() {
    install -d -m 0755 "$(dirname ${HOST_PATHS.hardenedMarker})"
    date -u +%Y-%m-%dT%H:%M:%SZ > ${HOST_PATHS.hardenedMarker}
    log "host hardened"
}

apply_sysctl
harden_ssh
passwd -l root >/dev/null
configure_firewall
start_fail2ban
start_docker
enable_upgrades
mark_hardened
`;
}
