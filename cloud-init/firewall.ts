/** What UFW needs to know: the SSH port, and whether the host has IPv6. */
export interface UfwPolicy {
    readonly sshPort: number;
    readonly ipv6: boolean;
}

/** The comment UFW shows next to the SSH rule. */
export const SSH_RULE_COMMENT = "ssh; sources are filtered at the cloud firewall";

/**
 * UFW commands, in order: deny every inbound port but SSH. Who may reach SSH (`adminCidrs`) is
 * decided at the cloud firewall alone, the one filter the cloud's API can change while the host is
 * out of reach: after the operator's address changes, `pulumi up` from the new one can still fix
 * it. A source list here would lock that `pulumi up` out (docs/security.md). No `limit`: UFW's
 * drops the 7th new connection in 30 s and so cuts off a deploy; fail2ban bans failed logins.
 */
export function ufwCommands(policy: UfwPolicy): string[] {
    return [
        "ufw --force reset",
        "ufw default deny incoming",
        "ufw default allow outgoing",
        `ufw allow proto tcp to any port ${policy.sshPort} comment '${SSH_RULE_COMMENT}'`,
        "ufw --force enable",
    ];
}
