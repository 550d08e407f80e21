import { DEPLOY_USER } from "./paths";

/**
 * The SSH hardening drop-in. Seed 002's settings plus the ones an auditor asks for:
 * only `deploy`, only keys, no forwarding of any kind, idle sessions closed after 10 minutes.
 */
export function renderSshdHardening(sshPort: number): string {
    const settings: [string, string | number][] = [
        ["Port", sshPort],
        ["PermitRootLogin", "no"],
        ["PasswordAuthentication", "no"],
        ["KbdInteractiveAuthentication", "no"],
        ["PubkeyAuthentication", "yes"],
        ["PermitEmptyPasswords", "no"],
        ["AuthenticationMethods", "publickey"],
        ["MaxAuthTries", 3],
        ["MaxSessions", 10],
        ["LoginGraceTime", 30],
        ["AllowUsers", DEPLOY_USER],
        ["X11Forwarding", "no"],
        ["AllowAgentForwarding", "no"],
        ["AllowTcpForwarding", "no"],
        ["AllowStreamLocalForwarding", "no"],
        ["PermitTunnel", "no"],
        ["PermitUserEnvironment", "no"],
        ["ClientAliveInterval", 300],
        ["ClientAliveCountMax", 2],
    ];
    const lines = settings.map(([key, value]) => `${key} ${value}`);
    return ["# Managed by the openclaw Pulumi program; changes are lost when the server is replaced.", ...lines, ""].join("\n");
}
