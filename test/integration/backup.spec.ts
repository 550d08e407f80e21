// The host's maintenance commands, run for real: the rendered `openclaw-backup` against a real
// S3-compatible server on loopback (s3rver, in a child process) with the host's own rclone, age,
// zstd and tar, and the rendered `openclaw-watchdog` posting to a webhook on loopback. Only Docker
// (and, for the watchdog, df and systemctl) are stand-ins, so the gateway's volume is a directory
// in a scratch tree and what the scripts ask of Docker is recorded.
//
// rclone fails with LoadCustomCABundleError when AWS_CA_BUNDLE is set (some machines set it), so
// the scripts run with a small environment of their own, as systemd would start them, without it.
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { linkToNodesFileOutside } from "./earlierVersion";
import { ageIdentity } from "../../components/stack/ageIdentity";
import { renderBackupScript } from "../../components/stack/backupScript";
import { GATEWAY_GID, GATEWAY_UID, IMAGE_NODE_ID, SERVICES } from "../../components/stack/layout";
import { renderMaintenanceConfig, renderMaintenanceSecrets } from "../../components/stack/maintenance";
import { renderWatchdogScript } from "../../components/stack/watchdogScript";
import { tempDir } from "../artifacts/tools";
import { S3_SERVER_CREDENTIALS, S3Server, startS3Server } from "../s3server";
import { Gateway, GATEWAYS, PRIMARY_GATEWAY } from "../../components/stack/gateways";

const GATEWAY = PRIMARY_GATEWAY.container;
const LITELLM = SERVICES.litellm.container;
const OBJECT_NAME = /^backups\/\d{8}T\d{6}Z\.tar\.zst\.age$/;
const DAY_MS = 24 * 3600 * 1000;
/** Files of the gateway's uid, and a restore that keeps their owners, need root (as on the host). */
const isRoot = process.getuid?.() === 0;

interface Result {
    readonly status: number | null;
    readonly stdout: string;
    /** stdout and stderr together. */
    readonly output: string;
}

/** The environment the scripts run with: no AWS_CA_BUNDLE (see above), our stand-ins first on PATH. */
function scriptEnv(bin: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: path.dirname(bin), LC_ALL: "C.UTF-8", ...extra };
    delete env.AWS_CA_BUNDLE;
    return env;
}

const scratch: string[] = [];
/** A temporary directory, removed by the after hook of the suite that made it (or at exit). */
function scratchDir(prefix: string): string {
    const dir = tempDir(prefix);
    scratch.push(dir);
    return dir;
}
function removeScratch(): void {
    for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

function writeExecutable(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o755 });
}

/** A wrapper that logs its argv to `log`, one line a call, then runs the real program. */
function argvLogger(bin: string, name: string, log: string): void {
    writeExecutable(path.join(bin, name), `#!/bin/bash\nprintf '%s\\n' "${name} $*" >>'${log}'\nexec /usr/bin/${name} "$@"\n`);
}

/** `YYYYMMDDTHHMMSSZ`, as the backup names stamp a moment. */
const stamp = (date: Date) => date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");

// ---------------------------------------------------------------------------------------------
// A host in miniature for openclaw-backup

interface BackupHost {
    readonly dir: string;
    readonly script: string;
    readonly bin: string;
    /** Every call of docker, age and rclone, in order, as `<program> <argv...>`. */
    readonly log: string;
    /** The state volume's directory, as Docker's would be: `.../volumes/openclaw-state/_data`. */
    readonly volume: string;
    readonly stackDir: string;
    readonly stateDir: string;
    readonly conf: string;
    readonly secrets: string;
    readonly bucket: string;
    readonly identity: string;
    /** A secret in the stack's `.env`: it must never reach a backup. */
    readonly envMarker: string;
}

interface BackupHostOptions {
    readonly bucket: string;
    readonly endpoint: string;
    readonly retentionDays?: number;
    /** The gateway container: running (the default), or absent. */
    readonly gateway?: "running" | "absent";
}

/**
 * The docker stand-in: `volume inspect`/`volume create` of state volumes (each a directory
 * `volumes/<name>/_data`, as Docker's mount points are), `inspect` of a container's running state
 * from the file `containers/<name>`, and pause/unpause/stop/start changing that file. Each call is
 * logged.
 */
function dockerStub(dir: string, log: string): string {
    return `#!/bin/bash
set -euo pipefail
printf '%s\\n' "docker $*" >>'${log}'
volume_of() { printf '%s\\n' '${dir}/volumes/'"$1"/_data; }
state_of() { printf '%s\\n' '${dir}/containers/'"$1"; }
state() { cat "$(state_of "$1")" 2>/dev/null || echo absent; }
case "$1 $2" in
    "volume inspect")
        [ "$3 $4" = "--format {{.Mountpoint}}" ] || { echo "stub: unexpected $*" >&2; exit 2; }
        if [ -d "$(volume_of "$5")" ]; then volume_of "$5"; else echo "Error: No such volume: $5" >&2; exit 1; fi
        ;;
    "volume create")
        volume=$(volume_of "\${*: -1}")
        mkdir -p "$volume"
        chmod 0755 "$volume"
        echo "\${*: -1}"
        ;;
    "inspect --format")
        [ "$3" = "{{.State.Running}}" ] || { echo "stub: unexpected $*" >&2; exit 2; }
        if [ "$(state "$4")" = absent ]; then echo "Error: No such object: $4" >&2; exit 1; fi
        case $(state "$4") in running | paused) echo true ;; *) echo false ;; esac
        ;;
    "pause "*) [ "$(state "$2")" = running ] || exit 1; echo paused >"$(state_of "$2")" ;;
    "unpause "*) [ "$(state "$2")" = paused ] || exit 1; echo running >"$(state_of "$2")" ;;
    "stop "*) [ "$(state "$2")" != absent ] || exit 1; echo exited >"$(state_of "$2")" ;;
    "start "*) [ "$(state "$2")" != absent ] || exit 1; echo running >"$(state_of "$2")" ;;
    *) echo "stub: unexpected docker $*" >&2; exit 2 ;;
esac
`;
}

/** Where the docker stand-in keeps a container's state (running, paused, exited). */
const containerState = (host: { readonly dir: string }, container = GATEWAY) => path.join(host.dir, "containers", container);

function backupHost(options: BackupHostOptions): BackupHost {
    const dir = scratchDir("backup-host");
    const bin = path.join(dir, "bin");
    const log = path.join(dir, "calls.log");
    const host: BackupHost = {
        dir,
        bin,
        log,
        script: path.join(dir, "usr", "local", "sbin", "openclaw-backup"),
        volume: path.join(dir, "volumes", PRIMARY_GATEWAY.stateVolume, "_data"),
        // Its basename is what the archive's `config/` part is renamed from, as on the host.
        stackDir: path.join(dir, "opt", "openclaw"),
        stateDir: path.join(dir, "var", "lib", "openclaw-maintenance"),
        conf: path.join(dir, "etc", "maintenance.conf"),
        secrets: path.join(dir, "etc", "secrets.env"),
        bucket: options.bucket,
        identity: ageIdentity(crypto.randomBytes(32)),
        envMarker: `ENV-MARKER-${crypto.randomBytes(8).toString("hex")}`,
    };
    writeExecutable(host.script, renderBackupScript({ conf: host.conf, secrets: host.secrets, stateDir: host.stateDir, stackDir: host.stackDir }));
    writeExecutable(path.join(bin, "docker"), dockerStub(dir, log));
    argvLogger(bin, "age", log);
    argvLogger(bin, "rclone", log);
    fs.writeFileSync(log, "");
    fs.mkdirSync(path.join(dir, "containers"), { recursive: true });
    if (options.gateway !== "absent") fs.writeFileSync(containerState({ dir }), "running\n");

    fs.mkdirSync(path.join(host.stackDir, "config", "gateway"), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(host.stackDir, "docker-compose.yml"), "services: {}\n");
    fs.writeFileSync(path.join(host.stackDir, "config", "gateway", "openclaw.json"), "{}\n");
    fs.writeFileSync(path.join(host.stackDir, ".env"), `GATEWAY_TOKEN=${host.envMarker}\n`, { mode: 0o600 });

    fs.mkdirSync(path.dirname(host.conf), { recursive: true });
    fs.writeFileSync(
        host.conf,
        renderMaintenanceConfig({
            stack: "test",
            store: "s3",
            bucket: { provider: "Other", region: "", endpoint: options.endpoint, bucket: options.bucket },
            retentionDays: options.retentionDays ?? 14,
            schedule: "*-*-* 03:00:00",
            containers: [GATEWAY],
        }),
    );
    writeSecrets(host, host.identity);
    return host;
}

function writeSecrets(host: BackupHost, identity: string): void {
    fs.writeFileSync(host.secrets, renderMaintenanceSecrets({ ...S3_SERVER_CREDENTIALS, backupIdentity: identity }), { mode: 0o600 });
}

/** Runs openclaw-backup; spawnSync is fine, the S3 server is another process. */
function backup(host: BackupHost, args: readonly string[], env: NodeJS.ProcessEnv = {}): Result {
    const result = spawnSync(host.script, args, { encoding: "utf8", env: scriptEnv(host.bin, env), timeout: 120_000 });
    return { status: result.status, stdout: result.stdout ?? "", output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

/** Like `backup`, but it must succeed. */
function backupOk(host: BackupHost, args: readonly string[], env: NodeJS.ProcessEnv = {}): Result {
    const result = backup(host, args, env);
    assert.strictEqual(result.status, 0, `openclaw-backup ${args.join(" ")} failed:\n${result.output}`);
    return result;
}

/** The calls logged, from line `from` on. */
function callsSince(host: BackupHost, from = 0): string[] {
    return fs.readFileSync(host.log, "utf8").split("\n").filter(Boolean).slice(from);
}

/** rclone itself, on the same remote the script configures from its environment. */
function rclone(endpoint: string, args: readonly string[], input?: Buffer | string): Result {
    const result = spawnSync("/usr/bin/rclone", args, {
        encoding: "utf8",
        input,
        timeout: 60_000,
        env: scriptEnv("/nonexistent", {
            RCLONE_CONFIG: "/dev/null",
            RCLONE_CONFIG_STATE_TYPE: "s3",
            RCLONE_CONFIG_STATE_PROVIDER: "Other",
            RCLONE_CONFIG_STATE_ENDPOINT: endpoint,
            RCLONE_CONFIG_STATE_ENV_AUTH: "false",
            RCLONE_CONFIG_STATE_ACCESS_KEY_ID: S3_SERVER_CREDENTIALS.accessKeyId,
            RCLONE_CONFIG_STATE_SECRET_ACCESS_KEY: S3_SERVER_CREDENTIALS.secretAccessKey,
        }),
    });
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    assert.strictEqual(result.status, 0, `rclone ${args.join(" ")} failed:\n${output}`);
    return { status: result.status, stdout: result.stdout ?? "", output };
}

let bucketCount = 0;
/** A new, empty bucket on the server. */
function newBucket(server: S3Server): string {
    const bucket = `backups-${process.pid}-${++bucketCount}`;
    rclone(server.endpoint, ["mkdir", `state:${bucket}`]);
    return bucket;
}

/** The object names under `prefix` in the bucket (recursively), sorted. */
function objectsIn(server: S3Server, bucket: string, prefix = ""): string[] {
    const names = rclone(server.endpoint, ["lsf", "--recursive", "--files-only", `state:${bucket}/${prefix}`]).stdout;
    return names.split("\n").filter(Boolean).map((name) => `${prefix}${name}`).sort();
}

/** Where s3rver keeps an object's bytes. */
const objectFile = (server: S3Server, bucket: string, key: string) => path.join(server.directory, bucket, `${key}._S3rver_object`);

// ---------------------------------------------------------------------------------------------
// The gateway's state, and a snapshot of a tree to compare

/**
 * State as the gateway leaves it: nested directories, files of its uid in several modes, a binary
 * file, a name with spaces, a symlink whose target starts with `openclaw` and a `.env` of the
 * agent's own in a directory named `openclaw` (tar's renames and exclusions must spare both).
 * `owner` is the uid and gid the gateway ran as: an earlier version's ran as the image's node.
 */
function writeState(volume: string, marker: string, owner = GATEWAY_UID): void {
    const files: [string, string | Buffer, number][] = [
        ["openclaw.json", `{"marker": "${marker}"}\n`, 0o600],
        ["agents/main/sessions/session one.jsonl", `{"text": "${marker} in a session"}\n`, 0o640],
        ["agents/main/agent/auth-profiles.json", `{"token": "${marker}-profile"}\n`, 0o600],
        ["media/blob.bin", Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), crypto.randomBytes(64 * 1024)]), 0o644],
        ["workspace/tool.sh", "#!/bin/sh\necho hi\n", 0o755],
        ["workspace/openclaw/.env", `PROJECT_ENV=${marker}\n`, 0o600],
        ["workspace/read-only.txt", "read only\n", 0o444],
    ];
    fs.mkdirSync(volume, { recursive: true });
    for (const [name, content, mode] of files) {
        const file = path.join(volume, name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
        fs.chmodSync(file, mode);
    }
    fs.mkdirSync(path.join(volume, "credentials"), { mode: 0o700 });
    fs.mkdirSync(path.join(volume, "empty dir"));
    fs.symlinkSync("openclaw.json", path.join(volume, "openclaw.json.link"));
    fs.symlinkSync("../../openclaw.json", path.join(volume, "agents", "main", "config-link"));
    // Everything belongs to the gateway, but one file of root's.
    if (isRoot) {
        for (const entry of walk(volume)) fs.lchownSync(path.join(volume, entry), owner, owner);
        fs.lchownSync(volume, owner, owner);
    }
    fs.chmodSync(volume, 0o700);
    fs.writeFileSync(path.join(volume, "root-owned.txt"), "root\n", { mode: 0o600 });
}

/** The entries under `root`, relative and sorted (depth first). */
function walk(root: string, relative = ""): string[] {
    return fs
        .readdirSync(path.join(root, relative), { withFileTypes: true })
        .sort((a, b) => a.name.localeCompare(b.name))
        .flatMap((entry) => {
            const name = path.join(relative, entry.name);
            return entry.isDirectory() ? [name, ...walk(root, name)] : [name];
        });
}

/** Type, mode, numeric owner, content hash (files), target (links) and mtime (files) of every entry, the root's own mode and owner too. */
function snapshot(root: string): Record<string, string> {
    const describe = (file: string, withTime: boolean) => {
        const stat = fs.lstatSync(file);
        const kind = stat.isSymbolicLink() ? `link -> ${fs.readlinkSync(file)}` : stat.isDirectory() ? "dir" : `file ${crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")}`;
        const time = withTime && stat.isFile() ? ` mtime ${Math.floor(stat.mtimeMs / 1000)}` : "";
        return `${kind} mode ${(stat.mode & 0o7777).toString(8)} owner ${stat.uid}:${stat.gid}${time}`;
    };
    return Object.fromEntries([[".", describe(root, false)], ...walk(root).map((entry) => [entry, describe(path.join(root, entry), true)])]);
}

/** `age -d -i IDENTITY FILE | zstd -d | tar -t`, with the real programs. */
function listEncrypted(identity: string, file: string): Result {
    const identityFile = path.join(scratchDir("identity"), "key.txt");
    fs.writeFileSync(identityFile, `${identity}\n`, { mode: 0o600 });
    const result = spawnSync("/bin/bash", ["-o", "pipefail", "-c", 'age --decrypt --identity "$1" "$2" | zstd --decompress --stdout | tar --list --file=-', "list", identityFile, file], {
        encoding: "utf8",
        env: scriptEnv("/nonexistent"),
    });
    return { status: result.status, stdout: result.stdout ?? "", output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}


// ---------------------------------------------------------------------------------------------

describe("openclaw-backup against a real S3 server (s3rver on loopback), with rclone, age, zstd and tar", function () {
    this.timeout(180_000);
    let server: S3Server;
    before(async function () {
        this.timeout(60_000);
        server = await startS3Server();
    });
    after(async () => {
        await server?.close();
        removeScratch();
    });

    describe("a backup, then a restore into a removed volume (the round trip)", () => {
        let host: BackupHost;
        let original: Record<string, string>;
        let runResult: Result;
        let name: string;
        const stateMarker = `STATE-MARKER-${crypto.randomBytes(8).toString("hex")}`;

        before(function () {
            if (!isRoot) this.skip();
            host = backupHost({ bucket: newBucket(server), endpoint: server.endpoint });
            writeState(host.volume, stateMarker);
            original = snapshot(host.volume);
            runResult = backup(host, ["run"]);
            name = (/^backup (\S+):/m.exec(runResult.stdout) ?? [])[1] ?? "";
        });

        it("run uploads one verified backup named by its UTC time, records it in last-backup, and removes none", () => {
            assert.strictEqual(runResult.status, 0, runResult.output);
            assert.match(runResult.stdout, /^backup \d{8}T\d{6}Z\.tar\.zst\.age: \d+ entries, \d+ bytes encrypted, uploaded to \S+ and verified$/m);
            assert.match(runResult.stdout, /^removed 0 backups older than 14 days$/m);
            assert.deepStrictEqual(objectsIn(server, host.bucket), [`backups/${name}`]);
            assert.match(`backups/${name}`, OBJECT_NAME);
            const [time, recorded] = fs.readFileSync(path.join(host.stateDir, "last-backup"), "utf8").trim().split(" ");
            assert.strictEqual(recorded, name);
            assert.ok(Math.abs(Date.now() / 1000 - Number(time)) < 120, `last-backup time ${time}`);
            assert.deepStrictEqual(fs.readdirSync(host.stateDir).filter((f) => f.startsWith("work.")), [], "a work directory was left behind");
        });

        it("the gateway is paused while the archive is written, and running again before the upload", () => {
            const calls = callsSince(host).filter((c) => /^docker (pause|unpause)|^age --encrypt|^rclone copyto/.test(c));
            assert.deepStrictEqual(
                calls.map((c) => c.split(" ").slice(0, 2).join(" ")),
                ["docker pause", "age --encrypt", "docker unpause", "rclone copyto", "rclone copyto"],
                calls.join("\n"),
            );
            assert.strictEqual(fs.readFileSync(containerState(host), "utf8").trim(), "running");
        });

        it("the object in the bucket is encrypted: no marker of the state or of .env appears in its bytes", () => {
            const bytes = fs.readFileSync(objectFile(server, host.bucket, `backups/${name}`));
            assert.ok(bytes.subarray(0, 64).toString("latin1").startsWith("age-encryption.org/v1\n"), "not an age file");
            for (const marker of [stateMarker, host.envMarker, "openclaw.json", "docker-compose"]) {
                assert.strictEqual(bytes.indexOf(marker), -1, `${marker} appears in the stored object`);
            }
        });

        it("age -d with the identity opens it: state/... and config/... entries, and no config/.env", () => {
            const listing = listEncrypted(host.identity, objectFile(server, host.bucket, `backups/${name}`));
            assert.strictEqual(listing.status, 0, listing.output);
            const entries = listing.stdout.split("\n").filter(Boolean);
            for (const entry of ["state/", "state/openclaw.json", "state/agents/main/sessions/session one.jsonl", "state/workspace/openclaw/.env", "config/", "config/docker-compose.yml", "config/config/gateway/openclaw.json"]) {
                assert.ok(entries.includes(entry), `${entry} is not in the archive:\n${listing.stdout}`);
            }
            assert.ok(!entries.includes("config/.env"), `config/.env is in the archive:\n${listing.stdout}`);
            assert.deepStrictEqual(entries.filter((e) => !e.startsWith("state/") && !e.startsWith("config/")), [], listing.stdout);
        });

        it("restore --if-empty latest into a removed volume creates it (with compose's labels) and brings back the same tree: contents, modes, owners, symlinks", () => {
            fs.rmSync(path.dirname(host.volume), { recursive: true, force: true });
            const from = callsSince(host).length;
            const result = backupOk(host, ["restore", "--if-empty", "latest"]);
            assert.match(result.stdout, new RegExp(`^restored backup ${name.replace(/\./g, "\\.")} into the state volume ${PRIMARY_GATEWAY.stateVolume}$`, "m"));
            assert.deepStrictEqual(snapshot(host.volume), original);
            // The archive's config part stays out of the volume.
            assert.ok(!fs.existsSync(path.join(host.volume, "config")) && !fs.existsSync(path.join(host.volume, "docker-compose.yml")));

            const docker = callsSince(host, from).filter((c) => c.startsWith("docker ") && !/^docker (volume )?inspect/.test(c));
            assert.deepStrictEqual(docker, [
                `docker stop ${GATEWAY}`,
                `docker volume create --label com.docker.compose.project=openclaw --label com.docker.compose.volume=${PRIMARY_GATEWAY.stateVolume} ${PRIMARY_GATEWAY.stateVolume}`,
                `docker start ${GATEWAY}`,
            ]);
            assert.strictEqual(fs.readFileSync(containerState(host), "utf8").trim(), "running");
        });

        it("restore NAME into a volume that changed replaces its contents with the backup's, the gateway stopped meanwhile", () => {
            fs.writeFileSync(path.join(host.volume, "openclaw.json"), "changed\n");
            fs.writeFileSync(path.join(host.volume, "new-since-backup.txt"), "new\n");
            fs.rmSync(path.join(host.volume, "media"), { recursive: true });
            const from = callsSince(host).length;
            backupOk(host, ["restore", name]);
            assert.deepStrictEqual(snapshot(host.volume), original);
            assert.deepStrictEqual(callsSince(host, from).filter((c) => /^docker (stop|start)/.test(c)), [`docker stop ${GATEWAY}`, `docker start ${GATEWAY}`]);
        });

        it("the backup key and the bucket's secret key never appear on a command line: age and rclone get them only through a pipe and the environment", () => {
            const calls = callsSince(host);
            assert.ok(calls.some((c) => /^age --encrypt --identity \/dev\/fd\/\d+ /.test(c)), `age was not called through the logging wrapper:\n${calls.join("\n")}`);
            assert.ok(calls.some((c) => /^age --decrypt --identity \/dev\/fd\/\d+ /.test(c)), calls.join("\n"));
            const text = calls.join("\n");
            for (const secret of [host.identity, host.identity.toLowerCase(), host.identity.slice("AGE-SECRET-KEY-1".length), S3_SERVER_CREDENTIALS.secretAccessKey]) {
                assert.ok(!text.includes(secret), `${secret} appears on a command line:\n${text}`);
            }
        });
    });

    describe("a backup made by an earlier version, whose gateway ran as the image's node (uid 1000)", () => {
        let host: BackupHost;
        let outside: string;
        let earlier: Record<string, string>;

        before(function () {
            if (!isRoot) this.skip();
            host = backupHost({ bucket: newBucket(server), endpoint: server.endpoint });
            writeState(host.volume, "EARLIER-VERSION", IMAGE_NODE_ID);
            // A file of another id, and a link to a file of node's outside the volume (on the host, a login's).
            fs.lchownSync(path.join(host.volume, "media", "blob.bin"), 1001, 1002);
            outside = linkToNodesFileOutside(host.volume, "outside-link", scratchDir("outside"));
            earlier = snapshot(host.volume);
            backupOk(host, ["run"]);
        });

        it("restores it usable by the gateway's uid: node's files become the gateway's, every other owner, mode, link and byte as it was", () => {
            fs.rmSync(path.dirname(host.volume), { recursive: true, force: true });
            backupOk(host, ["restore", "--if-empty", "latest"]);
            const ofNode = `owner ${IMAGE_NODE_ID}:${IMAGE_NODE_ID}`;
            const expected = Object.fromEntries(Object.entries(earlier).map(([entry, described]) => [entry, described.replace(ofNode, `owner ${GATEWAY_UID}:${GATEWAY_GID}`)]));
            assert.deepStrictEqual(snapshot(host.volume), expected);
            assert.match(earlier["root-owned.txt"], / owner 0:0 /);
            assert.match(earlier["media/blob.bin"], / owner 1001:1002 /);
            const target = fs.statSync(outside);
            assert.deepStrictEqual([target.uid, target.gid], [IMAGE_NODE_ID, IMAGE_NODE_ID], "the restore changed the owner of a file outside the volume, through a link");
        });
    });

    describe("two gateways (a second entry in GATEWAYS, nothing else changed)", () => {
        const SECOND: Gateway = { ...PRIMARY_GATEWAY, name: "gateway-team", container: "openclaw-gateway-team", stateVolume: "openclaw-state-team", backupFolder: "state-team" };
        const list = GATEWAYS as Gateway[];
        let host: BackupHost;
        let secondVolume: string;
        let before1: string;
        const rerender = () => writeExecutable(host.script, renderBackupScript({ conf: host.conf, secrets: host.secrets, stateDir: host.stateDir, stackDir: host.stackDir }));

        before(function () {
            if (!isRoot) this.skip();
            // A backup made while the stack had one gateway: the second did not exist yet.
            host = backupHost({ bucket: newBucket(server), endpoint: server.endpoint });
            writeState(host.volume, "FIRST-ONLY");
            const made = (/^backup (\S+):/m.exec(backupOk(host, ["run"]).stdout) ?? [])[1] ?? "";
            // Named a day earlier, so the next run (within the same second, maybe) is a backup of its own.
            before1 = `${stamp(new Date(Date.now() - DAY_MS))}.tar.zst.age`;
            rclone(server.endpoint, ["copyto", `state:${host.bucket}/backups/${made}`, `state:${host.bucket}/backups/${before1}`]);
            rclone(server.endpoint, ["deletefile", `state:${host.bucket}/backups/${made}`]);
            list.push(SECOND);
            rerender();
            secondVolume = path.join(host.dir, "volumes", SECOND.stateVolume, "_data");
            writeState(secondVolume, "SECOND-MARKER");
            fs.writeFileSync(containerState(host, SECOND.container), "running\n");
        });
        after(() => {
            list.splice(1);
        });

        it("run pauses both, and the archive holds each state volume in its own folder", () => {
            const from = callsSince(host).length;
            const result = backupOk(host, ["run"]);
            const name = (/^backup (\S+):/m.exec(result.stdout) ?? [])[1] ?? "";
            const pauses = callsSince(host, from).filter((c) => /^docker (un)?pause/.test(c));
            assert.deepStrictEqual(pauses, [`docker pause ${GATEWAY}`, `docker pause ${SECOND.container}`, `docker unpause ${GATEWAY}`, `docker unpause ${SECOND.container}`]);
            const listing = listEncrypted(host.identity, objectFile(server, host.bucket, `backups/${name}`));
            const entries = listing.stdout.split("\n").filter(Boolean);
            assert.ok(entries.includes("state/openclaw.json") && entries.includes("state-team/openclaw.json"), listing.stdout);
        });

        it("restore --if-empty latest brings both volumes back, byte for byte", () => {
            const first = snapshot(host.volume);
            const second = snapshot(secondVolume);
            fs.rmSync(path.dirname(host.volume), { recursive: true, force: true });
            fs.rmSync(path.dirname(secondVolume), { recursive: true, force: true });
            const result = backupOk(host, ["restore", "--if-empty", "latest"]);
            assert.match(result.stdout, new RegExp(`into the state volume ${PRIMARY_GATEWAY.stateVolume}$`, "m"));
            assert.match(result.stdout, new RegExp(`into the state volume ${SECOND.stateVolume}$`, "m"));
            assert.deepStrictEqual(snapshot(host.volume), first);
            assert.deepStrictEqual(snapshot(secondVolume), second);
        });

        it("a backup from before the second gateway restores the first and leaves the second's volume as it is, saying so", () => {
            const second = snapshot(secondVolume);
            const result = backupOk(host, ["restore", before1]);
            assert.match(result.stdout, new RegExp(`^backup ${before1.replace(/\./g, "\\.")} holds no state for ${SECOND.container}: the state volume ${SECOND.stateVolume} is unchanged$`, "m"));
            assert.ok(fs.readFileSync(path.join(host.volume, "openclaw.json"), "utf8").includes("FIRST-ONLY"));
            assert.deepStrictEqual(snapshot(secondVolume), second);
        });
    });

    describe("refusals: a tampered backup, a wrong key, names that do not exist", () => {
        let host: BackupHost;
        let name: string;
        let current: Record<string, string>;

        before(() => {
            host = backupHost({ bucket: newBucket(server), endpoint: server.endpoint });
            writeState(host.volume, "backed-up");
            name = (/^backup (\S+):/m.exec(backupOk(host, ["run"]).stdout) ?? [])[1]!;
            // The state moves on after the backup: a refused restore must leave this as it is.
            fs.writeFileSync(path.join(host.volume, "openclaw.json"), "newer state\n");
            fs.writeFileSync(path.join(host.volume, "after-backup.txt"), "newer\n");
            current = snapshot(host.volume);
        });

        /** The restore failed with the sentence that says why, the volume is as it was, and the gateway was never stopped. */
        function assertRefused(result: Result, from: number, name: string): void {
            assert.notStrictEqual(result.status, 0, result.output);
            assert.ok(
                result.output.includes(`backup ${name} does not decrypt and unpack (a wrong key, or a damaged or tampered archive); the state volume is unchanged`),
                result.output,
            );
            assert.deepStrictEqual(snapshot(host.volume), current);
            assert.deepStrictEqual(callsSince(host, from).filter((c) => /^docker (stop|volume create)/.test(c)), []);
            assert.strictEqual(fs.readFileSync(containerState(host), "utf8").trim(), "running");
            assert.deepStrictEqual(fs.readdirSync(host.stateDir).filter((f) => f.startsWith("work.")), [], "a work directory was left behind");
        }

        it("a backup with one byte flipped in the middle (on the server's disk) is refused, by rclone's MD5 check or else by age, and the volume is unchanged", () => {
            // A copy under an older name is tampered with, so the good backup stays for the tests below.
            const tampered = `${stamp(new Date(Date.now() - DAY_MS))}.tar.zst.age`;
            rclone(server.endpoint, ["copyto", `state:${host.bucket}/backups/${name}`, `state:${host.bucket}/backups/${tampered}`]);
            const file = objectFile(server, host.bucket, `backups/${tampered}`);
            const bytes = fs.readFileSync(file);
            bytes[Math.floor(bytes.length / 2)] ^= 0x01;
            fs.writeFileSync(file, bytes);

            // s3rver still has the MD5 it computed at upload: rclone refuses the download on it.
            let from = callsSince(host).length;
            const damaged = backup(host, ["restore", tampered]);
            assert.notStrictEqual(damaged.status, 0, damaged.output);
            assert.match(damaged.output, /md5 hash differ/);
            assert.ok(damaged.output.includes(`backup ${tampered} could not be downloaded intact`), damaged.output);
            assert.deepStrictEqual(snapshot(host.volume), current);
            assert.deepStrictEqual(callsSince(host, from).filter((c) => /^docker (stop|volume create)/.test(c)), []);

            // Without that MD5 the server serves the new bytes as its own, like an object replaced
            // through the S3 API by someone holding the bucket's keys: age alone must catch it.
            fs.rmSync(file.replace(/object$/, "object.md5"));
            from = callsSince(host).length;
            assertRefused(backup(host, ["restore", tampered]), from, tampered);
        });

        it("a backup opened with another key is refused, and the volume is unchanged", () => {
            writeSecrets(host, ageIdentity(crypto.randomBytes(32)));
            try {
                const from = callsSince(host).length;
                assertRefused(backup(host, ["restore", "latest"]), from, name);
            } finally {
                writeSecrets(host, host.identity);
            }
        });

        it("restore --if-empty leaves a volume that holds state alone, says so, and does not even look at the bucket", () => {
            const from = callsSince(host).length;
            const result = backupOk(host, ["restore", "--if-empty", "latest"]);
            assert.match(result.stdout, new RegExp(`the state volume ${PRIMARY_GATEWAY.stateVolume} already holds state: nothing restored`));
            assert.deepStrictEqual(snapshot(host.volume), current);
            assert.deepStrictEqual(callsSince(host, from).filter((c) => !/^docker (volume )?inspect/.test(c)), []);
        });

        it("restore of a name the bucket does not hold fails, naming it", () => {
            const result = backup(host, ["restore", "20200101T000000Z.tar.zst.age"]);
            assert.notStrictEqual(result.status, 0, result.output);
            assert.match(result.output, /the bucket holds no backup named 20200101T000000Z\.tar\.zst\.age; openclaw-backup list shows the names/);
            const other = backup(host, ["restore", "nosuchname"]);
            assert.notStrictEqual(other.status, 0, other.output);
            assert.match(other.output, /the bucket holds no backup named nosuchname/);
            assert.deepStrictEqual(snapshot(host.volume), current);
        });

        it("restore without a name, or with two, fails with its usage", () => {
            for (const args of [["restore"], ["restore", "a", "b"], ["restore", "--everything", "latest"]]) {
                const result = backup(host, args);
                assert.notStrictEqual(result.status, 0, result.output);
                assert.match(result.output, /openclaw-backup (list shows the names|restore \[--if-empty\] NAME\|latest)/, args.join(" "));
            }
        });
    });

    describe("an empty bucket", () => {
        let host: BackupHost;
        before(() => {
            host = backupHost({ bucket: newBucket(server), endpoint: server.endpoint });
        });

        it("restore --if-empty latest on a new server (no volume yet) says the bucket holds no backup yet, exits 0 and creates nothing", () => {
            const result = backupOk(host, ["restore", "--if-empty", "latest"]);
            assert.match(result.stdout, /the bucket holds no backup yet: the gateway starts with empty state/);
            assert.ok(!fs.existsSync(host.volume));
            assert.deepStrictEqual(callsSince(host).filter((c) => /^docker (stop|volume create)/.test(c)), []);
        });

        it("restore latest fails: there is nothing to restore", () => {
            const result = backup(host, ["restore", "latest"]);
            assert.notStrictEqual(result.status, 0, result.output);
            assert.match(result.output, new RegExp(`the bucket ${host.bucket} holds no backup`));
        });

        it("list prints nothing, and succeeds", () => {
            assert.strictEqual(backupOk(host, ["list"]).stdout, "");
        });

        it("run fails when there is no state volume yet, saying so", () => {
            const result = backup(host, ["run"]);
            assert.notStrictEqual(result.status, 0, result.output);
            assert.match(result.output, /the state volume openclaw-state does not exist yet: there is nothing to back up/);
            assert.deepStrictEqual(objectsIn(server, host.bucket), []);
        });
    });

    describe("retention: backups older than BACKUP_RETENTION_DAYS go by the time in their name, the newest never", () => {
        const ago = (days: number) => `${stamp(new Date(Date.now() - days * DAY_MS))}.tar.zst.age`;
        /** Objects that look like backups to a glance but not to the name pattern, and one outside the prefix. */
        const others = (old: string) => [`backups/notes.txt`, `backups/${old}.partial`, `backups/old/${old}`, `elsewhere/${old}`];

        function hostWithOld(retentionDays: number, names: string[]): BackupHost {
            const host = backupHost({ bucket: newBucket(server), endpoint: server.endpoint, retentionDays });
            writeState(host.volume, "retention");
            for (const key of [...names.map((n) => `backups/${n}`), ...others(names[0])]) {
                rclone(server.endpoint, ["rcat", `state:${host.bucket}/${key}`], `not really a backup: ${key}\n`);
            }
            return host;
        }

        it("with 14 days: the 30- and 20-day-old backups are removed; the 2-day-old one, the new one and every other object stay", () => {
            const [old30, old20, recent] = [ago(30), ago(20), ago(2)];
            const host = hostWithOld(14, [old30, old20, recent]);
            const result = backupOk(host, ["run"]);
            const name = (/^backup (\S+):/m.exec(result.stdout) ?? [])[1]!;
            assert.match(result.stdout, /^removed 2 backups older than 14 days$/m);
            assert.deepStrictEqual(backupOk(host, ["list"]).stdout.split("\n").filter(Boolean), [recent, name]);
            assert.deepStrictEqual(objectsIn(server, host.bucket), [...others(old30), `backups/${recent}`, `backups/${name}`].sort());
        });

        it("with 1 day and only older backups besides: all of them go, and the new one (the newest) stays", () => {
            const host = hostWithOld(1, [ago(30), ago(20), ago(2)]);
            const result = backupOk(host, ["run"]);
            const name = (/^backup (\S+):/m.exec(result.stdout) ?? [])[1]!;
            assert.match(result.stdout, /^removed 3 backups older than 1 days$/m);
            assert.deepStrictEqual(backupOk(host, ["list"]).stdout.split("\n").filter(Boolean), [name]);
        });
    });

    describe("failures are visible", () => {
        let closedPort: number;
        before(async () => {
            closedPort = await new Promise<number>((resolve, reject) => {
                const probe = net.createServer();
                probe.once("error", reject);
                probe.listen(0, "127.0.0.1", () => {
                    const { port } = probe.address() as net.AddressInfo;
                    probe.close(() => resolve(port));
                });
            });
        });

        it("with the bucket unreachable, run fails, last-backup keeps its old record, and the gateway is running again", () => {
            const host = backupHost({ bucket: "unreachable", endpoint: `http://127.0.0.1:${closedPort}` });
            writeState(host.volume, "unreachable");
            const record = path.join(host.stateDir, "last-backup");
            fs.mkdirSync(host.stateDir, { recursive: true });
            fs.writeFileSync(record, "1700000000 20231114T221320Z.tar.zst.age\n");
            // rclone retries a refused connection; fewer retries only make the test quicker.
            const result = backup(host, ["run"], { RCLONE_RETRIES: "1", RCLONE_LOW_LEVEL_RETRIES: "1" });
            assert.notStrictEqual(result.status, 0, result.output);
            assert.doesNotMatch(result.stdout, /verified/);
            assert.strictEqual(fs.readFileSync(record, "utf8"), "1700000000 20231114T221320Z.tar.zst.age\n");
            assert.strictEqual(fs.readFileSync(containerState(host), "utf8").trim(), "running");
            assert.deepStrictEqual(fs.readdirSync(host.stateDir).filter((f) => f.startsWith("work.")), [], "a work directory was left behind");
        });

        it("with the bucket unreachable, list fails, saying it cannot list the backups", () => {
            const host = backupHost({ bucket: "unreachable", endpoint: `http://127.0.0.1:${closedPort}` });
            const result = backup(host, ["list"], { RCLONE_RETRIES: "1", RCLONE_LOW_LEVEL_RETRIES: "1" });
            assert.notStrictEqual(result.status, 0, result.output);
            assert.match(result.output, /cannot list the backups in unreachable \(rclone's message is above\)/);
        });

        it("with an access key the server does not know, run fails and nothing is recorded", () => {
            const host = backupHost({ bucket: newBucket(server), endpoint: server.endpoint });
            writeState(host.volume, "bad key");
            // (s3rver does not check V4 signatures, so a wrong secret alone would pass; a wrong key id does not.)
            fs.writeFileSync(host.secrets, renderMaintenanceSecrets({ accessKeyId: "AKIANOTKNOWNHERE", secretAccessKey: "not-the-secret", backupIdentity: host.identity }));
            const result = backup(host, ["run"], { RCLONE_RETRIES: "1", RCLONE_LOW_LEVEL_RETRIES: "1" });
            assert.notStrictEqual(result.status, 0, result.output);
            assert.ok(!fs.existsSync(path.join(host.stateDir, "last-backup")));
            assert.deepStrictEqual(objectsIn(server, host.bucket), []);
        });
    });

    it("the rendered script passes the backup key and the bucket secret to no program as an argument", () => {
        const script = renderBackupScript({ conf: "/c", secrets: "/s", stateDir: "/d", stackDir: "/opt/openclaw" });
        const lines = script.split("\n");
        // The key: only printf (a bash builtin, so no process and no argv) names it, in identity().
        assert.deepStrictEqual(lines.filter((l) => l.includes("BACKUP_IDENTITY")).map((l) => l.trim()), [`printf '%s\\n' "$BACKUP_IDENTITY"`]);
        assert.match(script, /^identity\(\) \{\n    printf '%s\\n' "\$BACKUP_IDENTITY"\n\}$/m);
        // ... and identity() is only ever read by age, through a process substitution (a pipe).
        const uses = lines.filter((l) => /\bidentity\b/.test(l) && !/^identity\(\)/.test(l) && !l.trim().startsWith("#"));
        assert.ok(uses.length >= 3, uses.join("\n"));
        for (const use of uses) assert.match(use, /age --(en|de)crypt --identity <\(identity\) /, use);
        // The bucket's secret: only an exported variable, which rclone reads from its environment.
        assert.deepStrictEqual(lines.filter((l) => l.includes("SECRET_ACCESS_KEY")).map((l) => l.trim()), [`export RCLONE_CONFIG_STATE_SECRET_ACCESS_KEY="$S3_SECRET_ACCESS_KEY"`]);
    });
});

// ---------------------------------------------------------------------------------------------
// openclaw-watchdog

interface Alert {
    readonly method: string;
    readonly url: string;
    readonly title: string;
    readonly body: string;
}

/** A webhook on loopback that records what it receives. The watchdog runs asynchronously, so it can answer. */
async function startWebhook(): Promise<{ url: string; token: string; alerts: Alert[]; close(): Promise<void> }> {
    const alerts: Alert[] = [];
    const server = http.createServer((request, response) => {
        let body = "";
        request.on("data", (chunk) => (body += chunk));
        request.on("end", () => {
            alerts.push({ method: request.method ?? "", url: request.url ?? "", title: String(request.headers.title ?? ""), body });
            response.end("ok\n");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    // A path token like the ones chat services put in their webhook URLs.
    const token = `hook-${crypto.randomBytes(16).toString("hex")}`;
    return { url: `http://127.0.0.1:${port}/hooks/${token}`, token, alerts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface WatchdogHost {
    readonly dir: string;
    readonly script: string;
    readonly bin: string;
    readonly stateDir: string;
    /** curl's argv, one line a call. */
    readonly curlLog: string;
    /** What `docker inspect` says of a container: `STATUS HEALTH RESTARTS OOMKILLED`, or undefined for no such container. */
    container(name: string, state: string | undefined): void;
    /** Whether systemd says the backup service failed. */
    backupFailed(failed: boolean): void;
}

interface WatchdogOptions {
    readonly webhookUrl: string;
    readonly store?: "none" | "s3";
}

/**
 * The watchdog's stand-ins: docker (`inspect` answers from a file per container), df (the disk of
 * this machine is not under test: always 10% used) and systemctl (`is-failed` from a file). curl
 * is the real one behind an argv-logging wrapper; systemd-analyze is the real one.
 */
function watchdogHost(options: WatchdogOptions): WatchdogHost {
    const dir = scratchDir("watchdog-host");
    const bin = path.join(dir, "bin");
    const stateDir = path.join(dir, "var", "lib", "openclaw-maintenance");
    const conf = path.join(dir, "etc", "maintenance.conf");
    const secrets = path.join(dir, "etc", "secrets.env");
    const curlLog = path.join(dir, "curl.log");
    const script = path.join(dir, "usr", "local", "sbin", "openclaw-watchdog");
    writeExecutable(script, renderWatchdogScript({ conf, secrets, stateDir }));
    writeExecutable(
        path.join(bin, "docker"),
        `#!/bin/bash
[ "$1 $2" = "inspect --format" ] || { echo "stub: unexpected docker $*" >&2; exit 2; }
cat '${dir}/containers/'"$4" 2>/dev/null || { echo "Error: No such object: $4" >&2; exit 1; }
`,
    );
    writeExecutable(path.join(bin, "df"), `#!/bin/bash\nprintf 'Use%%\\n 10%%\\n'\n`);
    writeExecutable(path.join(bin, "systemctl"), `#!/bin/bash\n[ "$*" = "is-failed --quiet openclaw-backup.service" ] || exit 2\n[ -e '${dir}/backup-failed' ]\n`);
    argvLogger(bin, "curl", curlLog);
    fs.mkdirSync(path.join(dir, "containers"));
    fs.mkdirSync(path.dirname(conf), { recursive: true });
    const store = options.store ?? "none";
    fs.writeFileSync(
        conf,
        renderMaintenanceConfig({
            stack: "test",
            ...(store === "s3" ? { store, bucket: { provider: "Other" as const, region: "", endpoint: "http://127.0.0.1:9", bucket: "b" } } : { store }),
            retentionDays: 14,
            schedule: "*-*-* 03:00:00",
            containers: [GATEWAY, LITELLM],
        }),
    );
    fs.writeFileSync(secrets, renderMaintenanceSecrets({ backupIdentity: ageIdentity(crypto.randomBytes(32)), alertWebhookUrl: options.webhookUrl }), { mode: 0o600 });
    return {
        dir,
        script,
        bin,
        stateDir,
        curlLog,
        container: (name, state) => {
            const file = path.join(dir, "containers", name);
            if (state === undefined) fs.rmSync(file, { force: true });
            else fs.writeFileSync(file, `${state}\n`);
        },
        backupFailed: (failed) => (failed ? fs.writeFileSync(path.join(dir, "backup-failed"), "") : fs.rmSync(path.join(dir, "backup-failed"), { force: true })),
    };
}

/** Runs the watchdog without blocking this process, so the in-process webhook can answer. */
function watchdog(host: WatchdogHost): Promise<Result> {
    return new Promise((resolve, reject) => {
        const child = spawn(host.script, [], { env: scriptEnv(host.bin), stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill(), 60_000);
        child.once("error", reject);
        child.once("close", (status) => {
            clearTimeout(timer);
            resolve({ status, stdout, output: `${stdout}${stderr}` });
        });
    });
}

/** Whether this machine's own memory and swap are within the watchdog's limits (they are not stand-ins). */
function hostMemoryWithinLimits(): boolean {
    const info = Object.fromEntries(
        fs
            .readFileSync("/proc/meminfo", "utf8")
            .split("\n")
            .map((line) => /^(\w+):\s+(\d+)/.exec(line))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => [m[1], Number(m[2])]),
    );
    const memory = ((info.MemTotal - info.MemAvailable) * 100) / info.MemTotal;
    const swap = info.SwapTotal > 0 ? ((info.SwapTotal - info.SwapFree) * 100) / info.SwapTotal : 0;
    return memory < 89 && swap < 49;
}

const HEALTHY = "running healthy 0 false";

describe("openclaw-watchdog, with a webhook on loopback", function () {
    this.timeout(120_000);
    let webhook: Awaited<ReturnType<typeof startWebhook>>;
    before(async () => {
        webhook = await startWebhook();
    });
    after(async () => {
        await webhook?.close();
        removeScratch();
    });
    /** The alerts received from now on. */
    const alertsFrom = (from: number) => webhook.alerts.slice(from);

    describe("a container that turns unhealthy, stays so, recovers and turns unhealthy again", () => {
        let host: WatchdogHost;
        before(() => {
            host = watchdogHost({ webhookUrl: webhook.url });
            host.container(GATEWAY, "running unhealthy 0 false");
            host.container(LITELLM, HEALTHY);
        });

        it("first run: exits 1, prints the problem, and posts one alert naming the container to the webhook", async () => {
            const from = webhook.alerts.length;
            const result = await watchdog(host);
            assert.strictEqual(result.status, 1, result.output);
            assert.match(result.stdout, new RegExp(`^problem: container ${GATEWAY} is unhealthy$`, "m"));
            assert.doesNotMatch(result.stdout, new RegExp(LITELLM));
            const alerts = alertsFrom(from);
            assert.strictEqual(alerts.length, 1, JSON.stringify(alerts));
            assert.strictEqual(alerts[0].method, "POST");
            assert.strictEqual(alerts[0].url, `/hooks/${webhook.token}`);
            assert.strictEqual(alerts[0].title, "OpenClaw test");
            assert.match(alerts[0].body, new RegExp(`^OpenClaw test on .+:\\n- container ${GATEWAY} is unhealthy\\n$`));
        });

        it("the webhook URL (and its token) never appears on curl's command line", () => {
            const calls = fs.readFileSync(host.curlLog, "utf8");
            assert.match(calls, /^curl .*--config \S+/m, calls);
            assert.ok(!calls.includes(webhook.token), calls);
            assert.ok(!calls.includes("/hooks/"), calls);
        });

        it("a second run within the cooldown: still exits 1 with the problem, and posts nothing new", async () => {
            const from = webhook.alerts.length;
            const result = await watchdog(host);
            assert.strictEqual(result.status, 1, result.output);
            assert.match(result.stdout, new RegExp(`^problem: container ${GATEWAY} is unhealthy$`, "m"));
            assert.deepStrictEqual(alertsFrom(from), []);
        });

        it("healthy again: exits 0 with all checks passed; unhealthy once more: alerted at once (the cooldown was forgotten)", async function () {
            host.container(GATEWAY, HEALTHY);
            const from = webhook.alerts.length;
            const healthy = await watchdog(host);
            if (!hostMemoryWithinLimits()) {
                console.log("      skipped: this machine's own memory or swap is above the watchdog's limits");
                this.skip();
            }
            assert.strictEqual(healthy.status, 0, healthy.output);
            assert.match(healthy.stdout, /^all checks passed$/m);
            assert.deepStrictEqual(alertsFrom(from), []);
            assert.deepStrictEqual(fs.readdirSync(path.join(host.stateDir, "watchdog")).filter((f) => f.startsWith("alerted-")), []);

            host.container(GATEWAY, "running unhealthy 0 false");
            const again = await watchdog(host);
            assert.strictEqual(again.status, 1, again.output);
            const alerts = alertsFrom(from);
            assert.strictEqual(alerts.length, 1, JSON.stringify(alerts));
            assert.match(alerts[0].body, new RegExp(`container ${GATEWAY} is unhealthy`));
        });
    });

    it("a restart count that grew between two runs is alerted, with how many restarts", async () => {
        const host = watchdogHost({ webhookUrl: webhook.url });
        host.container(GATEWAY, "running healthy 2 false");
        host.container(LITELLM, HEALTHY);
        const first = await watchdog(host);
        assert.doesNotMatch(first.stdout, /restarted/, first.output);

        host.container(GATEWAY, "running healthy 5 false");
        const from = webhook.alerts.length;
        const second = await watchdog(host);
        assert.strictEqual(second.status, 1, second.output);
        const text = `container ${GATEWAY} restarted 3 times since the last check (5 in all)`;
        assert.match(second.stdout, new RegExp(`^problem: ${text.replace(/[()]/g, "\\$&")}$`, "m"));
        const alerts = alertsFrom(from);
        assert.strictEqual(alerts.length, 1, JSON.stringify(alerts));
        assert.ok(alerts[0].body.includes(text), alerts[0].body);
    });

    it("a container that is missing, exited or was OOM-killed is a problem of its own", async () => {
        const host = watchdogHost({ webhookUrl: webhook.url });
        host.container(GATEWAY, "exited none 0 true");
        host.container(LITELLM, undefined);
        const result = await watchdog(host);
        assert.strictEqual(result.status, 1, result.output);
        for (const text of [`container ${GATEWAY} is exited, not running`, `container ${GATEWAY} was killed for want of memory (OOM)`, `container ${LITELLM} does not exist`]) {
            assert.match(result.stdout, new RegExp(`^problem: ${text.replace(/[()]/g, "\\$&")}$`, "m"));
        }
    });

    it("with a state bucket: a last backup 3 days old on a daily schedule is a problem naming its age; a failed backup service is one too", async () => {
        const host = watchdogHost({ webhookUrl: webhook.url, store: "s3" });
        host.container(GATEWAY, HEALTHY);
        host.container(LITELLM, HEALTHY);
        fs.mkdirSync(host.stateDir, { recursive: true });
        const threeDaysAgo = Math.floor(Date.now() / 1000) - 3 * 24 * 3600;
        fs.writeFileSync(path.join(host.stateDir, "last-backup"), `${threeDaysAgo} ${stamp(new Date(threeDaysAgo * 1000))}.tar.zst.age\n`);
        host.backupFailed(true);
        const from = webhook.alerts.length;
        const result = await watchdog(host);
        assert.strictEqual(result.status, 1, result.output);
        // The interval comes from the real systemd-analyze calendar: 24 hours for a daily schedule.
        assert.match(result.stdout, /^problem: the last good backup is 72 hours old, and one is due every 24 hours$/m);
        assert.match(result.stdout, /^problem: the last backup failed; journalctl -u openclaw-backup.service says why$/m);
        const alerts = alertsFrom(from);
        assert.strictEqual(alerts.length, 1, JSON.stringify(alerts));
        assert.match(alerts[0].body, /72 hours old/);

        // A fresh backup, and the service no longer failed: neither problem remains.
        fs.writeFileSync(path.join(host.stateDir, "last-backup"), `${Math.floor(Date.now() / 1000)} x\n`);
        host.backupFailed(false);
        const fresh = await watchdog(host);
        assert.doesNotMatch(fresh.stdout, /backup/, fresh.output);
    });
});
