// What a hardened sshd must report, written out independently of the renderer so a renderer
// change that weakens SSH shows up as a difference. Used by the artifact and VM tests alike.

/** The effective `sshd -T` values (lower-case keys) for a host with SSH on `port`. */
export function expectedSshd(port: number): Record<string, string> {
    return {
        port: String(port),
        permitrootlogin: "no",
        passwordauthentication: "no",
        kbdinteractiveauthentication: "no",
        pubkeyauthentication: "yes",
        maxauthtries: "3",
        allowusers: "deploy",
        x11forwarding: "no",
        allowagentforwarding: "no",
        // `ssh -L 18789:127.0.0.1:18789` and nothing else.
        allowtcpforwarding: "local",
        permitopen: "127.0.0.1:18789 localhost:18789",
        permittunnel: "no",
        clientaliveinterval: "300",
        clientalivecountmax: "2",
    };
}

/** Parses `sshd -T` output into a map, keeping only the keys `expected` names. */
export function pickSshd(output: string, expected: Record<string, string>): Record<string, string> {
    const all = Object.fromEntries(
        output
            .split("\n")
            .filter(Boolean)
            .map((line) => [line.split(" ")[0], line.slice(line.indexOf(" ") + 1)]),
    );
    return Object.fromEntries(Object.keys(expected).map((key) => [key, all[key]]));
}
