#!/bin/bash
## The script cloud-init runs once to harden a new host; hardenScript.ts puts it in the user data
## without the `##` notes. It has no header: hardenScript.ts replaces each @NAME@ where it stands,
## so that the user data stays byte for byte what it was when this script was inline in
## hardenScript.ts (a changed user data replaces the server).
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
    install -m 0644 -o root -g root @SSHD_STAGED@ @SSHD_DROP_IN@
    if ! sshd -t; then
        rm -f @SSHD_DROP_IN@
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
    sed -i 's/^IPV6=.*/IPV6=@UFW_IPV6@/' /etc/default/ufw
    ## Every inbound port is denied but SSH. Who may reach SSH (`adminCidrs`) is decided at the cloud
    ## firewall alone, the one filter the cloud's API can change while the host is out of reach:
    ## after the operator's address changes, `pulumi up` from the new one can still fix it. A source
    ## list here would lock that `pulumi up` out (docs/security.md). No `limit`: UFW's drops the 7th
    ## new connection in 30 s and so cuts off a deploy; fail2ban bans failed logins.
    ufw --force reset
    ufw default deny incoming
    ufw default allow outgoing
    ufw allow proto tcp to any port @SSH_PORT@ comment '@SSH_RULE_COMMENT@'
    ufw --force enable
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
    install -d -m 0755 "$(dirname @HARDENED_MARKER@)"
    date -u +%Y-%m-%dT%H:%M:%SZ > @HARDENED_MARKER@
    log "host hardened"
}

## Order matters: SSH first, so an operator can always get in on the new port to look at a
## failure; the marker last, so its presence means every step succeeded. `set -e` stops at the
## first failure and leaves no marker.
apply_sysctl
harden_ssh
passwd -l root >/dev/null
configure_firewall
start_fail2ban
start_docker
enable_upgrades
mark_hardened
