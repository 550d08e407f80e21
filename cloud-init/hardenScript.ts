import { SSH_RULE_COMMENT } from "./firewall";
import { HOST_PATHS } from "./paths";
import { readScriptFile } from "./scriptFile";

/** The host settings the hardening script depends on. */
export interface HardeningPolicy {
    readonly sshPort: number;
    readonly ipv6: boolean;
}

/** The script, committed as openclaw-harden-host.sh beside this file. */
const HARDEN_SCRIPT = readScriptFile(__dirname, "openclaw-harden-host.sh");

/**
 * The script cloud-init runs once, after its packages are installed: SSH, UFW, fail2ban, Docker and
 * unattended upgrades, then the marker that says all of it succeeded. Its values are put where its
 * @NAME@ placeholders stand, not in a header, so the user data keeps the bytes it had when the
 * script was written inline here: a changed user data replaces the server.
 */
export function renderHardenScript(policy: HardeningPolicy): string {
    return fillPlaceholders(HARDEN_SCRIPT.render(), {
        SSHD_STAGED: HOST_PATHS.sshdStaged,
        SSHD_DROP_IN: HOST_PATHS.sshdDropIn,
        UFW_IPV6: policy.ipv6 ? "yes" : "no",
        SSH_PORT: String(policy.sshPort),
        SSH_RULE_COMMENT,
        HARDENED_MARKER: HOST_PATHS.hardenedMarker,
    });
}

/** `script` with each `@NAME@` replaced by its value as it is; every placeholder needs one, and every value a placeholder. */
function fillPlaceholders(script: string, values: Readonly<Record<string, string>>): string {
    const placeholders = new Set([...script.matchAll(/@([A-Z][A-Z0-9_]*)@/g)].map((m) => m[1]));
    const given = Object.keys(values);
    const missing = [...placeholders].filter((name) => !given.includes(name));
    const unused = given.filter((name) => !placeholders.has(name));
    if (missing.length > 0 || unused.length > 0) {
        throw new Error(`openclaw-harden-host.sh: no value for ${missing.join(" ") || "-"}; no placeholder for ${unused.join(" ") || "-"}`);
    }
    return script.replace(/@([A-Z][A-Z0-9_]*)@/g, (_, name: string) => values[name]);
}
