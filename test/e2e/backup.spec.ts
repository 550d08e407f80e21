// Backups and the watchdog on the VM: the maintenance steps exactly as the deploy runs them (same
// scripts, settings and secrets on standard input), against a real S3-compatible server on the
// test machine (s3rver, which the guest reaches at QEMU's host address). One backup runs through
// systemd, the state volume is wiped, and the deploy's restore step brings it back byte for byte.
// Self-contained: it leaves the host with the "none" store's maintenance and no state volume.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { DeployStep } from "../../components/deployStep";
import { ageIdentity } from "../../components/stack/ageIdentity";
import { BACKUP_NAME_PATTERN } from "../../components/stack/backupScript";
import { renderStackFiles } from "../../components/stack/files";
import { BACKUP_PREFIX, COMPOSE_PROJECT, GATEWAY_GID, GATEWAY_UID, MAINTENANCE_FILES, MAINTENANCE_UNITS, STACK_DIR } from "../../components/stack/layout";
import { renderMaintenanceConfig, renderMaintenanceSecrets } from "../../components/stack/maintenance";
import { containersFor, MaintenanceStepsInput, sha256, stackSteps } from "../../components/stack/steps";
import { ingressStepsFor, maintenanceStepsFor } from "../fixtures";
import { S3_SERVER_CREDENTIALS, S3Server, startS3Server } from "../s3server";
import { e2e, QEMU_HOST_ADDRESS } from "./fixture";
import { ops } from "./ops";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";

/** The stack spec's server id: the stack-directories step rewrites the owner marker with it. */
const SERVER_ID = "e2e-server-1";
/** Not the fixtures' 03:00, so the timer's calendar is seen to come from this deploy's settings. */
const SCHEDULE = "*-*-* 04:30:00";
const BUCKET = "openclaw-e2e-state";
/** A line of the test state; the encrypted object in the bucket must not show it. */
const PLAINTEXT_MARKER = "openclaw-e2e-plaintext-marker-7f3a";
/** The stack's .env for this suite: never part of a backup. */
const STACK_ENV = "OPENCLAW_GATEWAY_TOKEN=e2e-backup-suite-token-0123456789abcdef\n";

const resolve = (input: pulumi.Input<string>) => new Promise<string>((done) => pulumi.output(input).apply(done));

/** Runs a step's script as `deploy` over the shared connection with its standard input; it must succeed. */
async function runStep(step: DeployStep, timeoutMs = 10 * 60 * 1000): Promise<string> {
    const result = e2e().vm.ssh(step.script, { input: step.stdin === undefined ? undefined : await resolve(step.stdin), timeoutMs });
    assert.strictEqual(result.status, 0, `step ${step.name} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
    return result.stdout + result.stderr;
}

/** Runs a bash script as root on the VM (on standard input, so nothing lands on a command line); it must succeed. */
function asRoot(body: string, timeoutMs = 5 * 60 * 1000): string {
    const result = e2e().vm.ssh("sudo bash -s", { input: `set -euo pipefail\n${body}\n`, timeoutMs });
    assert.strictEqual(result.status, 0, `root script exited ${result.status}:\n${body}\n---\n${result.stdout}${result.stderr}`);
    return result.stdout;
}

const VOLUME_PATH = `"$(docker volume inspect --format '{{.Mountpoint}}' ${PRIMARY_GATEWAY.stateVolume})"`;

/**
 * Test state as the gateway leaves it (its own uid), with what a copy most easily loses: nested
 * directories, modes from 0400 to 0755, a foreign owner, a hard link, a space in a name, binary
 * content, symlinks (one to a name that begins like the stack directory's, which the archive's
 * renames must spare), and an openclaw/.env of its own (only the stack's .env stays out).
 */
const FILL_STATE = `
cd ${VOLUME_PATH}
mkdir -p agents/main/sessions credentials 'media cache/2025' workspace/empty workspace/openclaw
printf '{"gateway":{"mode":"local"}}\\n' >openclaw.json
printf '%s\\n' '${PLAINTEXT_MARKER}' >workspace/NOTES.md
printf 'token-for-tests\\n' >credentials/telegram.token
printf 'PROJECT_SETTING=1\\n' >workspace/openclaw/.env
for i in 1 2 3; do printf '{"turn":%d}\\n' "$i" >>agents/main/sessions/s1.jsonl; done
head -c 300000 /dev/urandom >'media cache/2025/photo.bin'
printf '#!/bin/sh\\necho hook\\n' >workspace/hook.sh
ln agents/main/sessions/s1.jsonl agents/main/sessions/s1.hardlink
ln -s openclaw.json openclaw.current
ln -s agents/main/sessions sessions
ln -s ../../credentials/telegram.token agents/main/token
ln -s /nonexistent/target dangling
chown -hR ${GATEWAY_UID}:${GATEWAY_GID} .
chown 1001:1002 'media cache/2025/photo.bin'
chmod 0700 . credentials agents
chmod 0750 'media cache'
chmod 0600 openclaw.json credentials/telegram.token
chmod 0400 workspace/NOTES.md
chmod 0755 workspace/hook.sh
chmod 0640 agents/main/sessions/s1.jsonl
touch -h -d '2024-02-29 12:34:56 UTC' openclaw.current
touch -d '2023-01-02 03:04:05 UTC' workspace/NOTES.md
`;

/** Every entry's path, owner, mode, type, link count, symlink target and (but for directories) mtime; then each file's hash. */
const MANIFEST = `
cd ${VOLUME_PATH}
# tar keeps whole seconds of mtime, so the fraction is left out.
find . -printf '%P|%U:%G|%m|%y|%n|%l|' \\( -type d -printf '-\\n' -o -printf '%T@\\n' \\) | sed 's/\\.[0-9]*$//' | LC_ALL=C sort
echo '--- sha256'
find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
`;

/** The member names of a backup object, decrypted with `age` on this machine. */
function listBackup(object: string, identity: string): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-e2e-age-"));
    try {
        fs.writeFileSync(path.join(dir, "identity"), `${identity}\n`, { mode: 0o600 });
        const result = spawnSync("bash", ["-c", 'set -o pipefail; age --decrypt --identity "$1" "$2" | zstd --decompress --stdout | tar --list --file=-', "list", path.join(dir, "identity"), object], {
            encoding: "utf8",
            timeout: 60000,
        });
        assert.strictEqual(result.status, 0, `the backup object does not decrypt and unpack here:\n${result.stderr}`);
        return result.stdout.split("\n").filter(Boolean);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("backups and the watchdog (Debian 13 VM, a real S3 server)", () => {
    const identity = ageIdentity(crypto.randomBytes(32));
    let s3: S3Server;
    let maintenance: MaintenanceStepsInput;
    let step: (name: string) => DeployStep;
    /** Everything the steps and commands printed: none of it may show the backup key. */
    const printed: string[] = [];
    let manifest: string;
    let backupName: string;

    /** The unit's last run's journal lines (its own output, by invocation id), once they contain `expected`. */
    function lastRunJournal(unit: string, expected: RegExp): string {
        const { vm } = e2e();
        const invocation = vm.sudo(`systemctl show -p InvocationID --value ${unit}`).trim();
        assert.match(invocation, /^[0-9a-f]{32}$/, `${unit} has no invocation id`);
        let journal = "";
        // journald takes the service's output from a stream: give it a moment to land.
        for (let i = 0; i < 20; i++) {
            journal = vm.sudo(`journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID=${invocation}`);
            if (expected.test(journal)) break;
            vm.ssh("sleep 1");
        }
        printed.push(journal);
        return journal;
    }

    before(async function () {
        this.timeout(20 * 60 * 1000);
        const { settings } = e2e();
        s3 = await startS3Server(BUCKET);
        const bucket = { provider: "Other" as const, region: "", endpoint: `http://${QEMU_HOST_ADDRESS}:${s3.port}`, bucket: BUCKET };
        maintenance = {
            store: "s3",
            schedule: SCHEDULE,
            bucket: BUCKET,
            config: renderMaintenanceConfig({ stack: "e2e", store: "s3", bucket, retentionDays: 14, schedule: SCHEDULE, containers: containersFor(settings.ingress.mode) }),
            secrets: renderMaintenanceSecrets({ ...S3_SERVER_CREDENTIALS, backupIdentity: identity }),
        };
        const files = renderStackFiles({ ...settings.app, telegram: false }, settings.ingress, settings.host.serverSize);
        const steps = stackSteps({
            files: { ...files, env: STACK_ENV },
            serverId: SERVER_ID,
            egressProbe: { allowed: "api.anthropic.com", refused: "example.com" },
            ingress: ingressStepsFor(settings.ingress.mode),
            maintenance,
        });
        step = (name) => {
            const found = steps.find((s) => s.name === name);
            assert.ok(found, `stackSteps(store s3) has no ${name} step`);
            return found;
        };
        // As a deploy: the stack directory first (each backup holds its config), then the maintenance
        // steps; the stack's .env too, which every backup must leave out.
        asRoot(`docker volume rm --force ${PRIMARY_GATEWAY.stateVolume} >/dev/null`);
        for (const name of ["stack-directories", "maintenance-tools", "maintenance", "maintenance-secrets", "stack-secrets"]) {
            printed.push(await runStep(step(name), 15 * 60 * 1000));
        }
    });

    after(async function () {
        this.timeout(10 * 60 * 1000);
        const { vm, settings } = e2e();
        // Leave the host with no state volume and the "none" store's maintenance.
        const none = stackSteps({
            files: { ...renderStackFiles({ ...settings.app, telegram: false }, settings.ingress, settings.host.serverSize), env: "" },
            serverId: SERVER_ID,
            egressProbe: { allowed: "api.anthropic.com", refused: "example.com" },
            ingress: ingressStepsFor(settings.ingress.mode),
            maintenance: maintenanceStepsFor("none", settings.ingress.mode),
        });
        for (const name of ["maintenance", "maintenance-secrets"]) {
            const reset = none.find((s) => s.name === name)!;
            const result = vm.ssh(reset.script, { input: reset.stdin === undefined ? undefined : await resolve(reset.stdin) });
            if (result.status !== 0) console.log(`    [e2e] resetting ${name} to store none failed:\n${result.stdout}${result.stderr}`);
        }
        const cleanup = vm.ssh(
            `sudo docker volume rm --force ${PRIMARY_GATEWAY.stateVolume} >/dev/null; sudo systemctl reset-failed ${MAINTENANCE_UNITS.backupService} ${MAINTENANCE_UNITS.watchdogService}; sudo rm -f ${MAINTENANCE_FILES.stateDir}/last-backup`,
        );
        if (cleanup.status !== 0) console.log(`    [e2e] cleaning up the backup test failed:\n${cleanup.stdout}${cleanup.stderr}`);
        await s3?.close();
    });

    it("installs rclone, age, zstd and curl", () => {
        const versions = asRoot("dpkg-query --show --showformat='${Package} ${db:Status-Status}\\n' rclone age zstd curl");
        assert.deepStrictEqual(versions.trim().split("\n").sort(), ["age installed", "curl installed", "rclone installed", "zstd installed"]);
    });

    it("writes the commands, the units, the settings and the secrets with their owners and modes", async () => {
        const { vm } = e2e();
        const stat = (target: string) => vm.sudo(`stat -c '%U:%G %a %F' ${target}`).trim();
        assert.strictEqual(stat(MAINTENANCE_FILES.confDir), "root:root 700 directory");
        assert.strictEqual(stat(MAINTENANCE_FILES.stateDir), "root:root 700 directory");
        assert.strictEqual(stat(MAINTENANCE_FILES.secrets), "root:root 600 regular file");
        assert.strictEqual(stat(MAINTENANCE_FILES.conf), "root:root 644 regular file");
        assert.strictEqual(stat(MAINTENANCE_FILES.backupCommand), "root:root 755 regular file");
        assert.strictEqual(stat(MAINTENANCE_FILES.watchdogCommand), "root:root 755 regular file");
        for (const unit of Object.values(MAINTENANCE_UNITS)) assert.strictEqual(stat(`${MAINTENANCE_FILES.unitDir}/${unit}`), "root:root 644 regular file", unit);
        assert.strictEqual(vm.sudo(`cat ${MAINTENANCE_FILES.conf}`), await resolve(maintenance.config));
        // Compared by hash: the secrets themselves never travel back.
        assert.strictEqual(vm.sudo(`sha256sum ${MAINTENANCE_FILES.secrets}`).split(" ")[0], sha256(await resolve(maintenance.secrets)));
        assert.strictEqual(vm.sudo(`find ${MAINTENANCE_FILES.confDir} ${MAINTENANCE_FILES.unitDir} /usr/local/sbin -name '.deploy.*'`).trim(), "");
    });

    it("enables both timers, lists them, and the backup timer fires on the configured schedule", () => {
        const { vm } = e2e();
        for (const timer of [MAINTENANCE_UNITS.backupTimer, MAINTENANCE_UNITS.watchdogTimer]) {
            assert.strictEqual(vm.sudo(`systemctl is-enabled ${timer}`).trim(), "enabled", timer);
            assert.strictEqual(vm.sudo(`systemctl is-active ${timer}`).trim(), "active", timer);
        }
        const timers = vm.sudo("systemctl list-timers --all --no-pager --no-legend 'openclaw-*'");
        for (const timer of [MAINTENANCE_UNITS.backupTimer, MAINTENANCE_UNITS.watchdogTimer]) {
            assert.ok(timers.includes(timer), `systemctl list-timers does not show ${timer}:\n${timers}`);
        }
        const calendar = vm.sudo(`systemctl show -p TimersCalendar --value ${MAINTENANCE_UNITS.backupTimer}`).trim();
        assert.match(calendar, /^\{ OnCalendar=\*-\*-\* 04:30:00 ; next_elapse=.+ \}$/, `the backup timer's calendar: ${calendar}`);
    });

    it("restore --if-empty on a new server with an empty bucket: nothing to restore, no volume created", async () => {
        const output = await runStep(step("state-restore"));
        printed.push(output);
        assert.match(output, /the bucket holds no backup yet: the gateway starts with empty state/);
        assert.strictEqual(e2e().vm.ssh(`sudo docker volume inspect ${PRIMARY_GATEWAY.stateVolume}`).status, 1, `the restore created ${PRIMARY_GATEWAY.stateVolume}`);
    });

    it("backs up the state volume through systemd: encrypted, uploaded to the bucket and verified", () => {
        const { vm } = e2e();
        asRoot(`docker volume create --label com.docker.compose.project=${COMPOSE_PROJECT} --label com.docker.compose.volume=${PRIMARY_GATEWAY.stateVolume} ${PRIMARY_GATEWAY.stateVolume} >/dev/null`);
        asRoot(FILL_STATE);
        manifest = asRoot(MANIFEST);
        assert.match(manifest, new RegExp(`^openclaw\\.current\\|${GATEWAY_UID}:${GATEWAY_GID}\\|777\\|l\\|1\\|openclaw\\.json\\|`, "m"), `the test state is not as meant:\n${manifest}`);

        const started = vm.ssh(`sudo systemctl start ${MAINTENANCE_UNITS.backupService}`, { timeoutMs: 10 * 60 * 1000 });
        const journal = lastRunJournal(MAINTENANCE_UNITS.backupService, /uploaded to/);
        assert.strictEqual(started.status, 0, `systemctl start ${MAINTENANCE_UNITS.backupService} exited ${started.status}:\n${started.stderr}\n${journal}`);
        assert.strictEqual(vm.sudo(`systemctl show -p Result --value ${MAINTENANCE_UNITS.backupService}`).trim(), "success");

        const line = new RegExp(`^backup (\\S+): (\\d+) entries, (\\d+) bytes encrypted, uploaded to ${BUCKET} and verified$`, "m").exec(journal);
        assert.ok(line, `the backup's journal has no "uploaded to ${BUCKET} and verified" line:\n${journal}`);
        backupName = line[1];
        assert.match(backupName, new RegExp(BACKUP_NAME_PATTERN));
        assert.match(journal, /^removed 0 backups older than 14 days$/m);

        // The object is in the s3rver's store on this machine, as the journal says: age-encrypted, nothing in the clear.
        const objectDir = path.join(s3.directory, BUCKET, ...BACKUP_PREFIX.split("/").filter(Boolean));
        const objects = fs.existsSync(objectDir) ? fs.readdirSync(objectDir).filter((f) => f.endsWith("._S3rver_object")) : [];
        assert.deepStrictEqual(objects, [`${backupName}._S3rver_object`], `the bucket holds ${objects.join(", ") || "nothing"} under ${BACKUP_PREFIX}`);
        const object = fs.readFileSync(path.join(objectDir, objects[0]));
        assert.strictEqual(object.length, Number(line[3]), "the object's size is not the one the journal reports");
        assert.ok(object.subarray(0, 22).toString() === "age-encryption.org/v1\n", "the object is not an age file");
        assert.ok(!object.includes(PLAINTEXT_MARKER), "the object shows the state in the clear");
        // Opened here with the backup key: the state and the stack's config, without the .env.
        const entries = listBackup(path.join(objectDir, objects[0]), identity);
        assert.strictEqual(entries.length, Number(line[2]), "the archive's entry count is not the one the journal reports");
        for (const entry of ["state/", "state/openclaw.json", "state/openclaw.current", "state/media cache/2025/photo.bin", "state/workspace/openclaw/.env", "config/", "config/.owner"]) {
            assert.ok(entries.includes(entry), `the backup lacks ${entry}:\n${entries.join("\n")}`);
        }
        assert.strictEqual(vm.sudo(`stat -c %s ${STACK_DIR}/.env`).trim(), String(STACK_ENV.length), "the stack's .env is not there to leave out");
        assert.ok(!entries.includes("config/.env"), `the backup holds ${STACK_DIR}/.env`);
        assert.deepStrictEqual(entries.filter((e) => !/^(state|config)(\/|$)/.test(e)), [], "the backup holds more than the state and the config");

        assert.strictEqual(vm.sudo(`cut -d ' ' -f 2 ${MAINTENANCE_FILES.stateDir}/last-backup`).trim(), backupName);
        assert.strictEqual(vm.sudo(`${MAINTENANCE_FILES.backupCommand} list`).trim(), backupName);
        assert.strictEqual(vm.sudo(`find ${MAINTENANCE_FILES.stateDir} -maxdepth 1 -name 'work.*'`).trim(), "", "the backup left its work directory");
    });

    it("the deploy's restore step, after the state volume is lost, brings back every owner, mode, link and byte", async () => {
        const { vm } = e2e();
        asRoot(`docker volume rm ${PRIMARY_GATEWAY.stateVolume} >/dev/null`);
        assert.strictEqual(vm.ssh(`sudo docker volume inspect ${PRIMARY_GATEWAY.stateVolume}`).status, 1, `${PRIMARY_GATEWAY.stateVolume} is still there`);

        const output = await runStep(step("state-restore"));
        printed.push(output);
        assert.match(output, new RegExp(`^restored backup ${backupName.replace(/\./g, "\\.")} into the state volume ${PRIMARY_GATEWAY.stateVolume}$`, "m"));
        const restored = asRoot(MANIFEST);
        if (restored !== manifest) {
            const before = new Set(manifest.split("\n"));
            const after = new Set(restored.split("\n"));
            const lost = [...before].filter((l) => !after.has(l)).map((l) => `- ${l}`);
            const gained = [...after].filter((l) => !before.has(l)).map((l) => `+ ${l}`);
            assert.fail(`the restored state differs from the backed-up state:\n${[...lost, ...gained].join("\n")}`);
        }
        const labels = JSON.parse(vm.sudo(`docker volume inspect --format '{{json .Labels}}' ${PRIMARY_GATEWAY.stateVolume}`));
        assert.deepStrictEqual(labels, { "com.docker.compose.project": COMPOSE_PROJECT, "com.docker.compose.volume": PRIMARY_GATEWAY.stateVolume });
        assert.strictEqual(vm.sudo(`find ${MAINTENANCE_FILES.stateDir} -maxdepth 1 -name 'work.*'`).trim(), "", "the restore left its work directory");
    });

    it("run again, the restore step sees the volume holds state and changes nothing", async () => {
        const output = await runStep(step("state-restore"));
        printed.push(output);
        assert.match(output, new RegExp(`the state volume ${PRIMARY_GATEWAY.stateVolume} already holds state: nothing restored`));
        assert.doesNotMatch(output, /^restored backup/m);
        assert.strictEqual(asRoot(MANIFEST), manifest);
    });

    it("the watchdog fails, through systemd, on the gateway container that does not exist", () => {
        const { vm } = e2e();
        const started = vm.ssh(`sudo systemctl start ${MAINTENANCE_UNITS.watchdogService}`, { timeoutMs: 5 * 60 * 1000 });
        const journal = lastRunJournal(MAINTENANCE_UNITS.watchdogService, /does not exist/);
        assert.notStrictEqual(started.status, 0, `the watchdog succeeded with no containers:\n${journal}`);
        assert.match(journal, new RegExp(`^problem: container ${PRIMARY_GATEWAY.container} does not exist$`, "m"), journal);
        // The backup just succeeded: it is not a problem.
        assert.doesNotMatch(journal, /^problem: .*backup/m, journal);
        assert.strictEqual(vm.ssh(`systemctl is-failed ${MAINTENANCE_UNITS.watchdogService}`).stdout.trim(), "failed");
    });

    it("never shows the backup key (or the stack's secrets): not in any step's output, command output or the journal", () => {
        const journal = e2e().vm.sudo("journalctl --no-pager -o cat");
        const token = STACK_ENV.split("=")[1].trim();
        for (const [where, text] of [["the outputs", printed.join("\n")], ["the journal", journal]]) {
            assert.ok(!text.includes(identity), `the backup key appears in ${where}`);
            assert.ok(!text.includes(identity.slice("AGE-SECRET-KEY-1".length, -6)), `part of the backup key appears in ${where}`);
            assert.ok(!text.includes(token), `the stack's gateway token appears in ${where}`);
        }
    });

    it("npm run ops -- backup-now makes a backup and waits for it, and ops status names it", async () => {
        const result = await ops("backup-now");
        assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`);
        const made = /^backup done: (\S+)$/m.exec(result.stdout)?.[1];
        assert.ok(made && new RegExp(BACKUP_NAME_PATTERN).test(made) && made !== backupName, `backup-now printed:\n${result.stdout}`);
        assert.ok(e2e().vm.sudo(`${MAINTENANCE_FILES.backupCommand} list`).split("\n").includes(made), "the new backup is not in the bucket");
        const status = await ops("status");
        assert.match(status.stdout, new RegExp(`^== last good backup\n${made}, 0 h ago$`, "m"));
    });
});
