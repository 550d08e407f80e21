import * as fs from "fs";
import * as path from "path";
import type { OsImage } from "../providers/types";
import { HOST_PATHS } from "./paths";

/** Where Docker comes from: Docker's signed apt repository, or the distribution's own packages. */
export type DockerSource = "docker" | "distro";
export const DOCKER_SOURCES: readonly DockerSource[] = ["docker", "distro"];

/**
 * Docker's release signing key, as published at https://download.docker.com/linux/debian/gpg.
 * Shipped in user data, so apt trusts exactly this key and nothing is fetched to decide trust.
 * A test checks that its fingerprint is DOCKER_KEY_FINGERPRINT.
 */
export const DOCKER_APT_KEY = fs.readFileSync(path.join(__dirname, "keys", "docker.asc"), "utf8");

/** The fingerprint Docker documents for that key. */
export const DOCKER_KEY_FINGERPRINT = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88";

const repositories: Record<OsImage, { readonly uri: string; readonly suite: string }> = {
    "debian-13": { uri: "https://download.docker.com/linux/debian", suite: "trixie" },
    "debian-12": { uri: "https://download.docker.com/linux/debian", suite: "bookworm" },
    "ubuntu-24.04": { uri: "https://download.docker.com/linux/ubuntu", suite: "noble" },
};

/** The deb822 source for Docker's repository, signed by the shipped key only. */
export function renderDockerAptSource(osImage: OsImage): string {
    const repo = repositories[osImage];
    return [
        "Types: deb",
        `URIs: ${repo.uri}`,
        `Suites: ${repo.suite}`,
        "Components: stable",
        "Architectures: amd64",
        `Signed-By: ${HOST_PATHS.dockerKeyring}`,
        "",
    ].join("\n");
}

/** Packages that give a Docker engine with the `docker compose` v2 plugin. */
export function dockerPackages(source: DockerSource, osImage: OsImage): string[] {
    if (source === "docker") {
        return ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"];
    }
    // The distributions name the Compose v2 plugin differently (Debian 12 has none; settings refuse it).
    return osImage === "ubuntu-24.04" ? ["docker.io", "docker-compose-v2"] : ["docker.io", "docker-compose"];
}

/**
 * The daemon configuration: bounded logs, containers that survive a daemon restart, and
 * no privilege escalation or userland proxy unless a container asks for it explicitly.
 */
export function renderDaemonJson(): string {
    const daemon = {
        "log-driver": "json-file",
        "log-opts": { "max-size": "10m", "max-file": "3" },
        "live-restore": true, // CIS Docker Benchmark 1.6.0, 2.15
        "no-new-privileges": true, // CIS Docker 2.14
        "userland-proxy": false, // CIS Docker 2.16
        icc: false, // CIS Docker 2.2
        // CIS Docker 2.8
        "default-ulimits": { nofile: { Name: "nofile", Soft: 65536, Hard: 65536 } },
        "max-concurrent-downloads": 4,
    };
    return `${JSON.stringify(daemon, null, 2)}\n`;
}
