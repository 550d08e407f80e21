import { DEPLOY_USER } from "./paths";

/**
 * The SSH hardening drop-in: only `deploy`, only keys, no agent, X11, socket or remote forwarding,
 * local forwarding only to the gateways' loopback ports (the SSH tunnel of `ingress: none`), idle
 * sessions closed after 10 minutes.
 *
 * Each line names the public control it meets: dev-sec ssh-baseline 2.8.1 (`sshd-NN`, controls/
 * sshd_spec.rb) and the CIS Debian Linux 13 Benchmark v1.0.0 (as ComplianceAsCode's
 * controls/cis_debian13.yml numbers it). "deviation" marks a value such a scan reports, and why.
 */
export function renderSshdHardening(sshPort: number, tunnelPorts: readonly number[]): string {
    const settings: [string, string | number][] = [
        ["Port", sshPort], // sshd-07 (its input sshd_custom_port)
        ["PermitRootLogin", "no"], // sshd-06; CIS 5.1.21
        ["PasswordAuthentication", "no"], // sshd-27
        ["KbdInteractiveAuthentication", "no"], // sshd-29 (checks the old name, ChallengeResponseAuthentication)
        ["PubkeyAuthentication", "yes"], // sshd-22
        ["PermitEmptyPasswords", "no"], // sshd-28; CIS 5.1.20
        ["AuthenticationMethods", "publickey"], // no control of its own: enforces sshd-22 and sshd-27
        ["MaxAuthTries", 3], // CIS 5.1.17 (at most 4); sshd-19 with its input sshd_max_auth_tries: 3 (default 2)
        ["MaxSessions", 10], // sshd-20; CIS 5.1.18
        ["LoginGraceTime", 30], // CIS 5.1.14 (at most 60); sshd-18 compares the text with "30s"
        ["AllowUsers", DEPLOY_USER], // CIS 5.1.4
        ["X11Forwarding", "no"], // sshd-42; part of CIS 5.1.8
        ["AllowAgentForwarding", "no"], // sshd-40; part of CIS 5.1.8
        // Deviation from sshd-39 and CIS 5.1.8 (Level 2 server): the SSH tunnel needs local forwarding; PermitOpen bounds it.
        ["AllowTcpForwarding", "local"],
        ["PermitOpen", tunnelPorts.map((port) => `127.0.0.1:${port} localhost:${port}`).join(" ")],
        ["AllowStreamLocalForwarding", "no"], // part of CIS 5.1.8
        ["PermitTunnel", "no"], // sshd-38
        ["PermitUserEnvironment", "no"], // sshd-17; CIS 5.1.22
        ["ClientAliveInterval", 300], // sshd-36; CIS 5.1.7
        ["ClientAliveCountMax", 2], // CIS 5.1.7 (at most 3); deviation from sshd-37, which wants exactly 3
    ];
    const lines = settings.map(([key, value]) => `${key} ${value}`);
    return ["# Managed by the openclaw Pulumi program; changes are lost when the server is replaced.", ...lines, ""].join("\n");
}
