import * as YAML from "yaml";
import type { OsImage } from "../providers/types";
import { DOCKER_APT_KEY, DockerSource, dockerPackages, renderDaemonJson, renderDockerAptSource } from "./docker";
import { renderFail2banJail } from "./fail2ban";
import { renderHardenScript } from "./hardenScript";
import { DEPLOY_USER, HOST_PATHS } from "./paths";
import { renderSshdHardening } from "./sshd";
import { renderSysctl } from "./sysctl";
import { renderUnattendedUpgrades } from "./upgrades";

/** The host's settings the user data hardens it with: changing one needs a new machine. */
export interface HostHardening {
    readonly osImage: OsImage;
    readonly sshPort: number;
    readonly dockerSource: DockerSource;
    /** When false, IPv6 is switched off in the kernel and UFW. */
    readonly ipv6: boolean;
}

/**
 * What the user data is rendered from: only what needs a new machine to change, since a changed
 * user data replaces the server. No secret and no app setting belongs here, and no access setting
 * either: `adminCidrs` lives at the cloud firewall, `sshPublicKeys` and `autoRebootTime` are
 * applied by the `host-access` deploy step on the running host.
 */
export interface UserDataInput {
    /** Host name of the server, e.g. `openclaw-dev`. */
    readonly hostName: string;
    readonly host: HostHardening;
    /** The loopback ports SSH may forward to: the gateways', for the SSH tunnel of ingress none. */
    readonly tunnelPorts: readonly number[];
    /** The program's own deploy key (OpenSSH public key line). */
    readonly deployPublicKey: string;
}

interface WriteFile {
    path: string;
    content: string;
    permissions: string;
    owner?: string;
}

/**
 * Renders the `#cloud-config` user data. Pure: the same input gives the same bytes, so a second
 * `pulumi up` does not replace the server. User data is readable in the cloud's metadata and in
 * state, so it carries only the host's hardening, never a secret or the app's configuration.
 */
export function renderUserData(input: UserDataInput): string {
    const { host } = input;
    const files: WriteFile[] = [
        { path: HOST_PATHS.sshdStaged, content: renderSshdHardening(host.sshPort, input.tunnelPorts), permissions: "0600" },
        { path: HOST_PATHS.fail2banJail, content: renderFail2banJail(host.sshPort), permissions: "0644" },
        { path: HOST_PATHS.sysctl, content: renderSysctl(host.ipv6), permissions: "0644" },
        { path: HOST_PATHS.dockerDaemon, content: renderDaemonJson(), permissions: "0644" },
        { path: HOST_PATHS.unattendedUpgrades, content: renderUnattendedUpgrades(), permissions: "0644" },
        ...(host.dockerSource === "docker"
            ? [
                  // Written before the package step, so its `apt-get update` already sees Docker's repository.
                  { path: HOST_PATHS.dockerKeyring, content: DOCKER_APT_KEY, permissions: "0644" },
                  { path: HOST_PATHS.dockerSource, content: renderDockerAptSource(host.osImage), permissions: "0644" },
              ]
            : []),
        { path: HOST_PATHS.hardenScript, content: renderHardenScript(host), permissions: "0700" },
    ];

    const config = {
        hostname: input.hostName,
        manage_etc_hosts: true,
        disable_root: true,
        ssh_pwauth: false,
        users: [
            {
                name: DEPLOY_USER,
                gecos: "OpenClaw deploy",
                shell: "/bin/bash",
                lock_passwd: true,
                // The remote deploy commands run docker and systemctl through sudo.
                sudo: "ALL=(ALL) NOPASSWD:ALL",
                // The operator's keys follow in the host-access step, the first after host-ready.
                ssh_authorized_keys: [input.deployPublicKey.trim()],
            },
        ],
        package_update: true,
        package_upgrade: true,
        packages: [
            "ufw",
            "fail2ban",
            "python3-systemd",
            "unattended-upgrades",
            "ca-certificates",
            ...dockerPackages(host.dockerSource, host.osImage),
        ],
        write_files: files.map((file) => ({ ...file, owner: "root:root" })),
        runcmd: [[HOST_PATHS.hardenScript]],
    };

    return `#cloud-config\n${YAML.stringify(config, { lineWidth: 0 })}`;
}
