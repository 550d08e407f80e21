import { DEPLOY_USER } from "./paths";

/**
 * The SSH hardening drop-in. Seed 002's settings plus the ones an auditor asks for: only
 * `deploy`, only keys, no agent, X11, socket or remote forwarding, local forwarding only to the
 * gateway's loopback port (the SSH tunnel of `ingress: none`), idle sessions closed after 10 minutes.
 */
export function renderSshdHardening(sshPort: number, tunnelPort: number): string {
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
        ["AllowTcpForwarding", "local"],
        ["PermitOpen", `127.0.0.1:${tunnelPort} localhost:${tunnelPort}`],
        ["AllowStreamLocalForwarding", "no"],
        ["PermitTunnel", "no"],
        ["PermitUserEnvironment", "no"],
        ["ClientAliveInterval", 300],
        ["ClientAliveCountMax", 2],
    ];
    const lines = settings.map(([key, value]) => `${key} ${value}`);
    return ["# Managed by the openclaw Pulumi program; changes are lost when the server is replaced.", ...lines, ""].join("\n");
}
