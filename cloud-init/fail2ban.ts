/**
 * The sshd jail. Debian 12 and 13 have no /var/log/auth.log, so the journal is the only source
 * (`backend = systemd`), and OpenSSH 9.8+ logs failures from `sshd-session`, which the stock
 * journal match may not name. Bans go through iptables, which UFW already depends on.
 */
export function renderFail2banJail(sshPort: number): string {
    return [
        "# Managed by the openclaw Pulumi program.",
        "[sshd]",
        "enabled = true",
        `port = ${sshPort}`,
        "backend = systemd",
        "journalmatch = _SYSTEMD_UNIT=ssh.service + _SYSTEMD_UNIT=sshd.service + _COMM=sshd + _COMM=sshd-session",
        "banaction = iptables-multiport",
        "maxretry = 3",
        "findtime = 600",
        "bantime = 3600",
        "",
    ].join("\n");
}
