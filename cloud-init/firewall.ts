import { isWorldOpen, parseCidr } from "../components/cidr";

/** What UFW needs to know: the SSH port and who may reach it. */
export interface UfwPolicy {
    readonly sshPort: number;
    /** Canonical CIDR blocks (validated by the settings parser). */
    readonly adminCidrs: readonly string[];
    readonly ipv6: boolean;
}

/**
 * UFW commands, in order. Admin blocks get a plain `allow`: UFW's `limit` drops the 7th new
 * connection in 30 s, which cuts off a deploy that opens several SSH sessions in a row. Only a
 * world-open block (accepted through allowSshFromAnywhere) is rate-limited, after the allows, so
 * admin traffic matches first.
 */
export function ufwCommands(policy: UfwPolicy): string[] {
    const blocks = policy.adminCidrs.map((text) => {
        const parsed = parseCidr(text);
        if (!parsed.ok) throw new Error(`ufwCommands: ${text} is not a CIDR block (${parsed.reason})`);
        return parsed.cidr;
    });
    const ssh = (verb: string, cidr: string, comment: string) =>
        `ufw ${verb} proto tcp from ${cidr} to any port ${policy.sshPort} comment '${comment}'`;
    return [
        "ufw --force reset",
        "ufw default deny incoming",
        "ufw default allow outgoing",
        ...blocks.filter((b) => !isWorldOpen(b)).map((b) => ssh("allow", b.text, "ssh from admin")),
        ...blocks.filter((b) => isWorldOpen(b)).map((b) => ssh("limit", b.text, "ssh from anywhere, rate-limited")),
        "ufw --force enable",
    ];
}
