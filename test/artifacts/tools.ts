// Runs the real tools that consume our rendered files. They are installed by `.ci/install-tools`:
// Debian 12's packages system-wide (ShellCheck, iptables, systemd's own systemd-analyze, ...), and
// Debian 13's cloud-init, dockerd, Docker Compose, fail2ban and UFW unpacked under .tools/debian13
// (the default osImage is Debian 13, so its parsers have the last word), and Caddy at the image's
// version under .tools/bin. OpenClaw itself, from npm, is in ./openclaw.ts.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../fixtures";

export const DEBIAN13 = process.env.OPENCLAW_DEBIAN13_TOOLS ?? path.join(ROOT, ".tools", "debian13");
export const DEBIAN13_PYTHONPATH = path.join(DEBIAN13, "usr", "lib", "python3", "dist-packages");
/** Debian's own python: the unpacked Python tools use the dependencies Debian installed for it. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

export interface RunResult {
    readonly status: number | null;
    readonly output: string;
}

/** Runs a command; fails the test with an install hint when the tool is missing. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): RunResult {
    assert.ok(fs.existsSync(command), `${command} is missing; run \`bash .ci/install-tools\` first`);
    const result = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env } });
    return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/** Like `run`, but the command must succeed. */
export function ok(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
    const result = run(command, args, env);
    assert.strictEqual(result.status, 0, `${path.basename(command)} ${args.join(" ")} failed:\n${result.output}`);
    return result.output;
}

const tempDirs: string[] = [];
process.on("exit", () => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A fresh temporary directory (under `base`, the system's by default), removed when the process exits. */
export function tempDir(prefix: string, base = os.tmpdir()): string {
    const dir = fs.mkdtempSync(path.join(base, `openclaw-${prefix}-`));
    tempDirs.push(dir);
    return dir;
}

/** `cloud-init schema` of Debian 12 (system) or Debian 13 (unpacked). */
export function cloudInitSchema(release: 12 | 13, file: string): RunResult {
    if (release === 12) return run("/usr/bin/cloud-init", ["schema", "--config-file", file]);
    const main = "import sys; from cloudinit.cmd.main import main; sys.exit(main())";
    assert.ok(fs.existsSync(DEBIAN13_PYTHONPATH), `Debian 13's cloud-init is missing under ${DEBIAN13}; run \`bash .ci/install-tools\``);
    return run(DEBIAN_PYTHON, ["-c", main, "schema", "--config-file", file], {
        PYTHONPATH: DEBIAN13_PYTHONPATH,
    });
}

/** `fail2ban-client` of Debian 12 (system) or Debian 13 (unpacked). */
export function fail2banClient(release: 12 | 13, args: readonly string[]): RunResult {
    if (release === 12) return run("/usr/bin/fail2ban-client", args);
    return run(DEBIAN_PYTHON, [path.join(DEBIAN13, "usr", "bin", "fail2ban-client"), ...args], { PYTHONPATH: DEBIAN13_PYTHONPATH });
}

/** The stock /etc/fail2ban of a release, copied so a jail can be added. */
export function fail2banConfigCopy(release: 12 | 13): string {
    const dir = tempDir(`fail2ban${release}`);
    const source = release === 12 ? "/etc/fail2ban" : path.join(DEBIAN13, "etc", "fail2ban");
    assert.ok(fs.existsSync(source), `${source} is missing; run \`bash .ci/install-tools\``);
    fs.cpSync(source, dir, { recursive: true });
    return dir;
}

export const DOCKERD_13 = path.join(DEBIAN13, "usr", "sbin", "dockerd");

/** Debian 13's Docker Compose v2: the `docker compose` plugin the host runs, standalone here. */
export const DOCKER_COMPOSE_13 = path.join(DEBIAN13, "usr", "libexec", "docker", "cli-plugins", "docker-compose");

/**
 * `docker compose` on `<dir>/docker-compose.yml` with `<dir>/.env`, as the deploy runs it from the
 * stack directory. Only PATH comes from this process's environment: a variable set here must not
 * stand in for one missing from `.env`.
 */
export function dockerCompose(dir: string, args: readonly string[]): RunResult & { readonly stdout: string } {
    assert.ok(fs.existsSync(DOCKER_COMPOSE_13), `${DOCKER_COMPOSE_13} is missing; run \`bash .ci/install-tools\` first`);
    const result = spawnSync(DOCKER_COMPOSE_13, ["--project-directory", dir, "-f", path.join(dir, "docker-compose.yml"), ...args], {
        encoding: "utf8",
        cwd: dir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, DOCKER_CONFIG: path.join(dir, ".docker") },
    });
    return { status: result.status, stdout: result.stdout ?? "", output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/** `shellcheck -s bash` at style severity on a script bash runs without a shebang line. */
export function shellcheckBash(name: string, script: string): RunResult {
    const file = path.join(tempDir("shellcheck"), `${name}.sh`);
    fs.writeFileSync(file, script);
    return run("/usr/bin/shellcheck", ["-s", "bash", "--severity=style", file]);
}

/** Caddy at the version the caddy image pins, built by .ci/tools/caddy.sh from the Go module proxy. */
export const CADDY = path.join(ROOT, ".tools", "bin", "caddy");

/**
 * `caddy ARGS` with HOME and the XDG directories in a fresh temporary directory, so it reads and
 * writes nothing of this machine's (it would create ~/.step, ~/.config/caddy, ~/.local/share/caddy).
 * Only PATH comes from this process's environment. stdout alone carries `caddy adapt`'s JSON.
 */
export function caddy(args: readonly string[]): RunResult & { readonly stdout: string } {
    assert.ok(fs.existsSync(CADDY), `${CADDY} is missing; run \`bash .ci/install-tools\` first`);
    const home = tempDir("caddy-home");
    const result = spawnSync(CADDY, args, {
        encoding: "utf8",
        cwd: home,
        timeout: 60_000,
        env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: home,
            XDG_CONFIG_HOME: path.join(home, "config"),
            XDG_DATA_HOME: path.join(home, "data"),
            XDG_CACHE_HOME: path.join(home, "cache"),
        },
    });
    return { status: result.status, stdout: result.stdout ?? "", output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/** The `*-restore` programs of Debian's iptables: nft (Debian's default backend) and legacy. */
export const IPTABLES_RESTORE = {
    4: { nft: "/usr/sbin/iptables-nft-restore", legacy: "/usr/sbin/iptables-legacy-restore" },
    6: { nft: "/usr/sbin/ip6tables-nft-restore", legacy: "/usr/sbin/ip6tables-legacy-restore" },
} as const;

/**
 * `iptables-restore --test --noflush` on restore input: parses every rule and builds the tables
 * without committing them (the legacy backend also resolves every jump target). It needs root
 * (CAP_NET_ADMIN), which CI has; nothing is changed on this machine.
 */
export function iptablesRestoreTest(family: 4 | 6, backend: "nft" | "legacy", input: string): RunResult {
    const command = IPTABLES_RESTORE[family][backend];
    assert.ok(fs.existsSync(command), `${command} is missing; run \`bash .ci/install-tools\` (Debian's iptables) first`);
    const result = spawnSync(command, ["--test", "--noflush"], { encoding: "utf8", input, timeout: 30_000 });
    return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/**
 * `systemd-analyze verify` (Debian 12's systemd 252) of a unit installed under `root`, a directory
 * laid out like `/`: the unit's ExecStart is looked up under `root`, as are the units it depends
 * on, so this machine's own units and files are never consulted. It exits 0 even when it ignores
 * a line it cannot parse, so a caller must also check that it said nothing.
 */
export function systemdAnalyzeVerify(root: string, unitPath: string): RunResult {
    return run("/usr/bin/systemd-analyze", ["verify", `--root=${root}`, "--man=no", unitPath], { SYSTEMD_LOG_COLOR: "0" });
}
