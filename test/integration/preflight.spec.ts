// openclaw-preflight, run by bash as the host would run it, with stand-ins for what it asks the
// host (`id`, `sudo`, `ss`, `dpkg-query` and a `docker` on PATH) and an os-release of the test's:
// each refusal is one sentence naming what was found and what to do, and every refusal is said.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GATEWAY_ID } from "../../cloud-init/paths";
import { renderPreflight } from "../../cloud-init/preflight";
import type { DockerSource } from "../../cloud-init/docker";
import type { OsImage } from "../../providers";

interface Host {
    /** `ID-VERSION_ID` of the os-release. */
    readonly os?: string;
    /** The first login: root, or a user with or without passwordless sudo. */
    readonly login?: "root" | "sudoer" | "plain";
    /** Listening ports and the process on each, e.g. { 80: "nginx" }. */
    readonly listening?: Readonly<Record<number, string>>;
    /** Where `docker` came from: a package's name, "no package" (a snap or a binary), or absent. */
    readonly docker?: string;
    /** `uname -m`, `nproc`, and MemTotal in kB (a 4 GB server's kernel reports about 3.8 GiB). */
    readonly arch?: string;
    readonly cpus?: number;
    readonly memoryKiB?: number;
    /** Lines of the passwd and group databases that `getent` finds, as the server's own accounts. */
    readonly passwd?: readonly string[];
    readonly group?: readonly string[];
}

function run(host: Host, dockerSource: DockerSource = "docker", osImage: OsImage = (host.os as OsImage | undefined) ?? "debian-13") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-preflight-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    const [id, version] = (host.os ?? "debian-13").split("-");
    fs.writeFileSync(path.join(dir, "os-release"), `ID=${id}\nVERSION_ID="${version}"\n`);
    fs.writeFileSync(path.join(dir, "meminfo"), `MemTotal:        ${host.memoryKiB ?? 3995012} kB\nMemFree:         3001234 kB\n`);
    stub("uname", `[ "$1" = -m ] && echo ${host.arch ?? "x86_64"}`);
    stub("nproc", `echo ${host.cpus ?? 2}`);
    const login = host.login ?? "root";
    stub("id", `case "$1" in -u) echo ${login === "root" ? 0 : 1000} ;; -un) echo ${login === "root" ? "root" : "debian"} ;; *) exit 2 ;; esac`);
    stub("sudo", login === "sudoer" ? 'exec "${@:2}"' : "exit 1");
    // getent DATABASE KEY: the entry whose name or id is KEY, or exit 2 (none), as glibc's does.
    const database = (lines: readonly string[]) => lines.map((line) => `        ${line.split(":")[0]} | ${line.split(":")[2]}) echo '${line}'; exit 0 ;;`).join("\n");
    stub("getent", `case $1 in
    passwd) case $2 in
${database(host.passwd ?? ["root:x:0:0:root:/root:/bin/bash", "debian:x:1000:1000::/home/debian:/bin/bash"])}
    esac ;;
    group) case $2 in
${database(host.group ?? ["root:x:0:", "debian:x:1000:"])}
    esac ;;
esac
exit 2`);
    const listening = Object.entries(host.listening ?? {});
    stub(
        "ss",
        `port=\${*: -1}; port=\${port##*:}
case $port in
${listening.map(([port, process]) => `    ${port}) printf 'LISTEN 0 128 0.0.0.0:${port} 0.0.0.0:*%s\\n' "$([[ $1 == *p* ]] && echo ' users:(("${process}",pid=42,fd=3))')" ;;`).join("\n")}
    *) ;;
esac`,
    );
    if (host.docker !== undefined) {
        stub("docker", "exit 0");
        stub("dpkg-query", host.docker === "no package" ? "exit 1" : `echo "${host.docker}: $2"`);
    } else {
        stub("dpkg-query", "exit 1");
    }
    const script = path.join(dir, "openclaw-preflight");
    fs.writeFileSync(script, renderPreflight({
            ports: [9922, 18789, 80, 443],
            dockerSource,
            osImage,
            serverType: "2vcpu-4gb",
            serverSize: { vcpus: 2, memoryMiB: 4096 },
            osRelease: path.join(dir, "os-release"),
            meminfo: path.join(dir, "meminfo"),
        }), { mode: 0o755 });
    const result = spawnSync("/bin/bash", [script], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin` } });
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: result.status, stdout: result.stdout, sentences: result.stderr.split("\n").filter(Boolean) };
}

describe("openclaw-preflight: what it refuses on a server the program did not create, before changing anything", () => {
    it("passes a Debian 13 server, logged in as root, with sshd alone on the SSH port and no Docker yet", () => {
        const result = run({ listening: { 9922: "sshd" } });
        assert.strictEqual(result.status, 0, result.sentences.join("\n"));
        assert.strictEqual(result.stdout.trim(), `openclaw-preflight: debian-13 on x86_64, 2 CPUs, 3901 MiB; logged in as root; ports 9922 18789 80 443 free; uid and gid ${GATEWAY_ID} unused; Docker not installed yet`);
    });

    it("passes Debian 12 and Ubuntu 24.04, and a first login with passwordless sudo", () => {
        for (const os of ["debian-12", "ubuntu-24.04"]) {
            const result = run({ os, login: "sudoer" });
            assert.strictEqual(result.status, 0, os);
            assert.match(result.stdout, new RegExp(`^openclaw-preflight: ${os} on x86_64, 2 CPUs, 3901 MiB; logged in as debian, with passwordless sudo;`));
        }
    });

    it("refuses another OS, naming it and the ones it supports", () => {
        const result = run({ os: "centos-9" });
        assert.strictEqual(result.status, 1);
        assert.deepStrictEqual(result.sentences, ["openclaw-preflight: this server runs centos-9; the hardening supports only debian-13 debian-12 ubuntu-24.04: use a server with one of them."]);
    });

    it("refuses a supported OS other than osImage, which the hardening is rendered for", () => {
        assert.deepStrictEqual(run({ os: "ubuntu-24.04" }, "docker", "debian-13").sentences, [
            "openclaw-preflight: this server runs ubuntu-24.04, but osImage is debian-13, which the hardening (Docker's packages among it) is rendered for: set osImage to ubuntu-24.04.",
        ]);
    });

    it("refuses a server smaller than serverType, or not x86-64, saying what it has", () => {
        assert.deepStrictEqual(run({ cpus: 1 }).sentences, [
            "openclaw-preflight: this server has 1 CPUs and 3901 MiB of memory, less than serverType 2vcpu-4gb (2 CPUs, 4096 MiB) that the containers' limits are sized for: set serverType to a size this server has.",
        ]);
        assert.match(run({ memoryKiB: 2 * 1024 * 1024 }).sentences[0], /^openclaw-preflight: this server has 2 CPUs and 2048 MiB of memory, less than serverType 2vcpu-4gb/);
        assert.deepStrictEqual(run({ arch: "aarch64" }).sentences, [
            "openclaw-preflight: this server is aarch64; the stack is built and tested for x86_64 only: use an x86-64 server.",
        ]);
    });

    it("refuses a first login that is not root and has no passwordless sudo", () => {
        assert.deepStrictEqual(run({ login: "plain" }).sentences, [
            "openclaw-preflight: the first login, debian, is not root and has no passwordless sudo: log in as root, or give debian passwordless sudo.",
        ]);
    });

    it("refuses a port the stack needs that something else holds, naming the process", () => {
        assert.deepStrictEqual(run({ listening: { 80: "nginx" } }).sentences, [
            "openclaw-preflight: port 80 is already in use by nginx; the stack needs it: stop that service, or use a server without it.",
        ]);
    });

    it("refuses a Docker that no package installed, or one from the other source, saying what to do", () => {
        assert.match(run({ docker: "no package" }).sentences[0], /^openclaw-preflight: Docker at \S+\/docker was not installed from a Debian package \(a snap or a static binary\); remove it/);
        assert.deepStrictEqual(run({ docker: "docker.io" }).sentences, [
            "openclaw-preflight: Docker here comes from the distribution's docker.io (docker.io), but dockerSource is docker: set dockerSource to distro, or remove it (apt-get purge docker.io docker-cli) and run pulumi up again.",
        ]);
        // Debian 13: the docker command is in docker-cli, a part of the distribution's docker.io.
        assert.deepStrictEqual(run({ docker: "docker-cli" }, "distro").status, 0);
        assert.deepStrictEqual(run({ docker: "docker-ce-cli" }, "distro").sentences, [
            "openclaw-preflight: Docker here comes from Docker's repository (docker-ce-cli), but dockerSource is distro: set dockerSource to docker, or remove it (apt-get purge docker-ce docker-ce-cli containerd.io) and run pulumi up again.",
        ]);
        assert.deepStrictEqual(run({ docker: "podman-docker" }).sentences, [
            "openclaw-preflight: Docker here comes from the podman-docker package, which the stack does not use: remove it (apt-get purge podman-docker) and run pulumi up again.",
        ]);
        assert.deepStrictEqual(run({ docker: "docker.io" }, "distro").status, 0);
        assert.strictEqual(run({ docker: "docker-ce-cli" }).status, 0);
    });

    it("refuses a server where an account or a group has the gateway's uid or gid, naming it and what to do", () => {
        const account = `gitlab-runner:x:${GATEWAY_ID}:${GATEWAY_ID}::/home/gitlab-runner:/bin/bash`;
        assert.deepStrictEqual(run({ passwd: [account], group: [`gitlab-runner:x:${GATEWAY_ID}:`] }).sentences, [
            `openclaw-preflight: the account gitlab-runner has uid ${GATEWAY_ID}, which the stack keeps for the gateway so that no account of this server owns its files or shares its processes: give gitlab-runner another uid (usermod -u), or use a server without it.`,
            `openclaw-preflight: the group gitlab-runner has gid ${GATEWAY_ID}, which the stack keeps for the gateway so that no group of this server shares its files: give gitlab-runner another gid (groupmod -g), or use a server without it.`,
        ]);
        assert.deepStrictEqual(run({ group: [`media:x:${GATEWAY_ID}:debian`] }).sentences, [
            `openclaw-preflight: the group media has gid ${GATEWAY_ID}, which the stack keeps for the gateway so that no group of this server shares its files: give media another gid (groupmod -g), or use a server without it.`,
        ]);
        // The image's node (1000) is a login here, as on most servers: that is why the gateway has an id of its own.
        assert.strictEqual(run({}).status, 0);
    });

    it("says every problem at once", () => {
        const result = run({ os: "debian-11", cpus: 1, login: "plain", listening: { 443: "apache2" }, docker: "no package", passwd: [`runner:x:${GATEWAY_ID}:100::/:/bin/sh`] });
        assert.strictEqual(result.status, 1);
        assert.strictEqual(result.sentences.length, 6, result.sentences.join("\n"));
    });
});
