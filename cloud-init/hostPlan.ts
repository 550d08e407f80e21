// What hardening a host means, as data: its name, the deploy user, the packages, the files and the
// script that runs last. Two renderings read it: the `#cloud-config` a new cloud server boots with
// (userData.ts), and the root script that does the same over SSH on a server the operator already
// has (sshHardening.ts). One plan, so the two cannot drift.
import type { OsImage } from "../providers/types";
import { DOCKER_APT_KEY, DockerSource, dockerPackages, renderDaemonJson, renderDockerAptSource } from "./docker";
import { renderFail2banJail } from "./fail2ban";
import { renderHardenScript } from "./hardenScript";
import { DEPLOY_USER, HOST_PATHS } from "./paths";
import { renderSshdHardening } from "./sshd";
import { renderSysctl } from "./sysctl";
import { renderUnattendedUpgrades } from "./upgrades";

/** The host's settings the hardening depends on: on a cloud, changing one needs a new machine. */
export interface HostHardening {
    readonly osImage: OsImage;
    readonly sshPort: number;
    readonly dockerSource: DockerSource;
    /** When false, IPv6 is switched off in the kernel and UFW. */
    readonly ipv6: boolean;
}

/**
 * What the plan is made from: only what needs a new machine to change, since on a cloud a changed
 * user data replaces the server. No secret and no app setting belongs here, and no access setting
 * either: `adminCidrs` lives at the cloud firewall, `sshPublicKeys` and `autoRebootTime` are
 * applied by the `host-access` deploy step on the running host.
 */
export interface HostPlanInput {
    /** Host name of the server, e.g. `openclaw-dev`. */
    readonly hostName: string;
    readonly host: HostHardening;
    /** The loopback ports SSH may forward to: the gateways', for the SSH tunnel of ingress none. */
    readonly tunnelPorts: readonly number[];
    /** The program's own deploy key (OpenSSH public key line). */
    readonly deployPublicKey: string;
}

/** A file the plan writes, root's, before the hardening script runs. */
export interface PlannedFile {
    readonly path: string;
    readonly content: string;
    /** Octal, as cloud-init writes it (`0644`). */
    readonly permissions: string;
}

export interface HostPlan {
    readonly hostName: string;
    /** The settings it was made from (sshd answers on `sshPort` once the hardening script ran). */
    readonly hardening: HostHardening;
    /** The one user that may log in: key only, passwordless sudo (the deploy steps run docker and systemctl through it). */
    readonly deployUser: {
        readonly name: string;
        readonly gecos: string;
        readonly shell: string;
        readonly sudo: string;
        /** The program's deploy key; the operator's keys follow in the host-access step. */
        readonly authorizedKeys: readonly string[];
    };
    /** Installed after an update and an upgrade of what is there. */
    readonly packages: readonly string[];
    /** In this order: Docker's apt source comes before the package step, so its update sees it. */
    readonly files: readonly PlannedFile[];
    /** Run last, once the packages and files are in place: the hardening script. */
    readonly run: readonly string[];
}

export function hostPlan(input: HostPlanInput): HostPlan {
    const { host } = input;
    return {
        hostName: input.hostName,
        hardening: host,
        deployUser: {
            name: DEPLOY_USER,
            gecos: "OpenClaw deploy",
            shell: "/bin/bash",
            sudo: "ALL=(ALL) NOPASSWD:ALL",
            authorizedKeys: [input.deployPublicKey.trim()],
        },
        packages: ["ufw", "fail2ban", "python3-systemd", "unattended-upgrades", "ca-certificates", ...dockerPackages(host.dockerSource, host.osImage)],
        files: [
            { path: HOST_PATHS.sshdStaged, content: renderSshdHardening(host.sshPort, input.tunnelPorts), permissions: "0600" },
            { path: HOST_PATHS.fail2banJail, content: renderFail2banJail(host.sshPort), permissions: "0644" },
            { path: HOST_PATHS.sysctl, content: renderSysctl(host.ipv6), permissions: "0644" },
            { path: HOST_PATHS.dockerDaemon, content: renderDaemonJson(), permissions: "0644" },
            { path: HOST_PATHS.unattendedUpgrades, content: renderUnattendedUpgrades(), permissions: "0644" },
            ...(host.dockerSource === "docker"
                ? [
                      { path: HOST_PATHS.dockerKeyring, content: DOCKER_APT_KEY, permissions: "0644" },
                      { path: HOST_PATHS.dockerSource, content: renderDockerAptSource(host.osImage), permissions: "0644" },
                  ]
                : []),
            { path: HOST_PATHS.hardenScript, content: renderHardenScript(host), permissions: "0700" },
        ],
        run: [HOST_PATHS.hardenScript],
    };
}
