// The host's maintenance files, given to the software that consumes them: ShellCheck and bash on
// openclaw-backup, openclaw-watchdog and the deploy steps that install them, systemd-analyze on
// their four units and on the backup schedule, and age itself on the backup key the program
// derives. Each checker is also shown a broken input, to prove it is really checking. (The scripts
// run for real against an S3 server in test/integration/backup.spec.ts.)
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { calendarProblem } from "../../components/calendar";
import { DEFAULTS, StateStore } from "../../components/settings";
import { ageIdentity } from "../../components/stack/ageIdentity";
import { renderBackupScript } from "../../components/stack/backupScript";
import { MAINTENANCE_FILES, MAINTENANCE_UNITS } from "../../components/stack/layout";
import { GATEWAYS } from "../../components/stack/gateways";
import { renderMaintenanceUnits } from "../../components/stack/maintenance";
import { stackSteps } from "../../components/stack/steps";
import { renderWatchdogScript } from "../../components/stack/watchdogScript";
import { ingressStepsFor, maintenanceStepsFor } from "../fixtures";
import { ok, run, shellcheckBash, systemdAnalyzeVerify, tempDir } from "./tools";

/** Schedules an operator might write: systemd.time(7)'s forms, its edges, and other tools' habits (cron, prose). */
const CALENDAR_EXPRESSIONS = [
    "minutely",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "annually",
    "quarterly",
    "semiannually",
    "semi-annually",
    "biannually",
    "bi-annually",
    "DAILY",
    "daily UTC",
    "mon 03:00",
    "monday 03:00",
    "Mon-Fri 03:00",
    "*",
    "*-*-*",
    "*:*",
    "*:*:*",
    "03:00:60",
    "03:00:59.5",
    "2026-02-30",
    "1969-01-01",
    "2200-01-01",
    "*-*-* 03:00 UTC",
    "utc",
    "03:00 utc",
    "@1700000000",
    "@0",
    "@abc",
    "Mon..Fri,Sun 03:00",
    "Fri..Mon 03:00",
    "*-*-* 3..5:00",
    "*-*-* 5..3:00",
    "*-1..12/2-1 03:00",
    "*-*-* */2:00",
    "*-*-* 03/2:00",
    "*-*-01..31/7 03:00",
    "Mon *-*-* 03:00:00 Nowhere/City",
    "*-*-* 24:00",
    "*-13-01",
    "*-00-01",
    "*-*-00",
    "*-*-32",
    "*-*-* 03:00:00 Etc/UTC",
    "Wed..Wed 1:2:3",
    "+03:00",
    "03",
    "3:0:0:0",
    "*-*-* 03:00,15:00",
    "*-*-* 03,15:00",
    "*-*-~03",
    "*-*~07/1",
    "Mon,Tue *-*-* 00:00",
    "Mon",
    "Mon *-*-*",
    "*-*/2-01",
    "*:0/0",
    "*-*-* 03:00:00.123456",
    "*-*-* 3..5/2:00",
    "2026-*-*",
    "26-01-01",
    "Mon..Fri *:00",
    "*-*-* 03:00:00.",
    "mon..FRI 3:00",
    "*-*-1,15 3:00",
    "*-*-* 03:00,,15:00",
    "*-*-* 1..3,5:00",
    "*-02-29",
    "12-25",
    "12~1",
    "*~1",
    "Mon Tue 03:00",
    "03:00 *-*-*",
    "*-*-* 03:00 Europe/Berlin",
    "*-*-* 03:00 europe/berlin",
    "*-*-* 03:00 Etc/GMT+2",
    "2026-01-01 00:00:00 UTC",
    "*-*-* 003:00",
    "*-*-* 3:000",
    "*-*-* 0003:00",
    "02026-01-01",
    "*-*-* 03:00:00.1234567",
    "*-*-* 03:00:59.9999999",
    "*-*-* 1/0:00",
    "*-*-* 0..23/6:00",
    "Sun,Mon..Wed 1:0",
    "0 3 * * *",
    "daily at 3am",
    "*-*-* 25:00:00",
    "*-*-* 03:00:00",
    "Sat,Sun *-*-* 04:30:00",
    "*-*-1/2 3:0",
    "*:0/15",
    "2026-12-31",
    "Mon *-*-* 03:00:00 Europe/Berlin",
    "*-02~1 02:00",
    "every night; rm -rf /",
    "Mon..Fri 03:00 UTC",
    "*-*-* 03:00:00/2",
    "*-*-* 3.5:00",
    "70-01-01",
    "69-12-31",
    "99-01-01",
    "*-*-* 03:00 +0200",
    "Mo 03:00",
    "*-*-* 3..3:00",
    "1970-01-01 00:00:00",
    "2199-12-31 23:59:59",
    "2199-12-31 23:59:59.999999",
];

const MAINTENANCE_STEPS = ["maintenance-tools", "maintenance", "maintenance-secrets", "state-restore"];

/** The maintenance steps of a stack with this state store (the other steps' files do not matter here). */
function maintenanceStepsOf(store: StateStore) {
    const files = { compose: "", gatewayConfigs: Object.fromEntries(GATEWAYS.map((gateway) => [gateway.name, ""])), litellmConfig: "", egressAcl: "", egressDockerfile: "", egressMainGo: "", egressGoMod: "", egressGoSum: "", env: "" };
    const steps = stackSteps({ files, serverId: "4242", egressProbe: { allowed: "api.anthropic.com", refused: "example.com" }, ingress: ingressStepsFor("tunnel"), maintenance: maintenanceStepsFor(store) });
    return steps.filter((step) => MAINTENANCE_STEPS.includes(step.name));
}

/**
 * A root directory for `systemd-analyze verify --root=` (as ingress.spec.ts builds one for the
 * firewall unit): Debian's stock units, our four units at their host paths and, unless left out,
 * the two commands where ExecStart names them, so this machine's own /etc and /usr/local are
 * never read or written.
 */
function systemdRoot(units: Record<string, string>, installCommands = true): { root: string; unitPath: (unit: string) => string } {
    const root = tempDir("systemd-root");
    fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr", "lib", "systemd", "system"), { recursive: true, verbatimSymlinks: true });
    const unitPath = (unit: string) => path.join(root, MAINTENANCE_FILES.unitDir, unit);
    fs.mkdirSync(path.join(root, MAINTENANCE_FILES.unitDir), { recursive: true });
    for (const [unit, text] of Object.entries(units)) fs.writeFileSync(unitPath(unit), text);
    if (installCommands) {
        for (const [command, text] of [
            [MAINTENANCE_FILES.backupCommand, renderBackupScript()],
            [MAINTENANCE_FILES.watchdogCommand, renderWatchdogScript()],
        ]) {
            fs.mkdirSync(path.join(root, path.dirname(command)), { recursive: true });
            fs.writeFileSync(path.join(root, command), text, { mode: 0o755 });
        }
    }
    return { root, unitPath };
}

// Bech32 (BIP 173), decoded here independently of components/stack/ageIdentity.ts's encoder.
const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

function bech32Decode(text: string): { prefix: string; data: Buffer } {
    assert.ok(text === text.toLowerCase() || text === text.toUpperCase(), `mixed case: ${text}`);
    const lower = text.toLowerCase();
    const separator = lower.lastIndexOf("1");
    assert.ok(separator > 0 && lower.length - separator > 6, `no separator and checksum: ${text}`);
    const prefix = lower.slice(0, separator);
    const values = [...lower.slice(separator + 1)].map((c) => {
        const value = BECH32_CHARSET.indexOf(c);
        assert.ok(value >= 0, `not a Bech32 character: ${c}`);
        return value;
    });
    // BIP 173's reference checksum: the polymod of the expanded prefix and the data is 1.
    let checksum = 1;
    for (const value of [...[...prefix].map((c) => c.charCodeAt(0) >> 5), 0, ...[...prefix].map((c) => c.charCodeAt(0) & 31), ...values]) {
        const top = checksum >>> 25;
        checksum = ((checksum & 0x1ffffff) << 5) ^ value;
        [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3].forEach((g, i) => {
            if ((top >>> i) & 1) checksum ^= g;
        });
    }
    assert.strictEqual(checksum >>> 0, 1, `bad Bech32 checksum: ${text}`);
    // 5-bit words to bytes: the padding must be fewer than 5 bits, all zero.
    const bytes: number[] = [];
    let accumulator = 0;
    let bits = 0;
    for (const word of values.slice(0, -6)) {
        accumulator = ((accumulator << 5) | word) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            bytes.push((accumulator >> bits) & 0xff);
        }
    }
    assert.ok(bits < 5 && (accumulator & ((1 << bits) - 1)) === 0, `bad Bech32 padding: ${text}`);
    return { prefix, data: Buffer.from(bytes) };
}

describe("the host's maintenance files (backups and watchdog), checked by the tools that consume them", function () {
    this.timeout(120_000);

    describe("the commands and the deploy steps that install them, through ShellCheck and bash -n", () => {
        for (const [name, script] of [
            ["openclaw-backup", renderBackupScript()],
            ["openclaw-watchdog", renderWatchdogScript()],
        ]) {
            it(`shellcheck -s bash and bash -n accept ${name} (host paths)`, () => {
                assert.ok(script.startsWith("#!/bin/bash\n"), "the unit runs it directly: it needs its shebang");
                const result = shellcheckBash(name, script);
                assert.strictEqual(result.status, 0, result.output);
                ok("/bin/bash", ["-n", "-c", script]);
            });
        }

        for (const store of ["r2", "s3", "none"] as const) {
            it(`shellcheck -s bash and bash -n accept every maintenance step's script: stateStore ${store}`, () => {
                const steps = maintenanceStepsOf(store);
                assert.deepStrictEqual(
                    steps.map((s) => s.name),
                    store === "none" ? MAINTENANCE_STEPS.filter((n) => n !== "state-restore") : MAINTENANCE_STEPS,
                );
                const findings: string[] = [];
                for (const step of steps) {
                    const result = shellcheckBash(step.name, step.script);
                    if (result.status !== 0) findings.push(`${step.name}:\n${result.output}`);
                    ok("/bin/bash", ["-n", "-c", step.script]);
                }
                assert.deepStrictEqual(findings, [], findings.join("\n"));
            });
        }

        it("shellcheck -s bash rejects what it must (an unquoted expansion in a backup-like line)", () => {
            assert.notStrictEqual(shellcheckBash("broken", "#!/bin/bash\nrclone copyto $WORK/$name \"$REMOTE$name\"\n").status, 0);
        });
    });

    describe("the four units, through systemd-analyze verify (Debian 12's systemd 252)", () => {
        const units = renderMaintenanceUnits(DEFAULTS.backupSchedule);

        it("they are the four units the deploy installs", () => {
            assert.deepStrictEqual(Object.keys(units).sort(), Object.values(MAINTENANCE_UNITS).sort());
        });

        for (const unit of Object.values(MAINTENANCE_UNITS)) {
            it(`accepts ${unit}, without a word, with the commands installed where ExecStart names them`, () => {
                const { root, unitPath } = systemdRoot(units);
                const result = systemdAnalyzeVerify(root, unitPath(unit));
                assert.strictEqual(result.status, 0, result.output);
                assert.strictEqual(result.output.trim(), "", result.output);
            });
        }

        it("refuses a service whose command is not installed, and complains about a timer with a broken schedule", () => {
            const missing = systemdRoot(units, false);
            const result = systemdAnalyzeVerify(missing.root, missing.unitPath(MAINTENANCE_UNITS.backupService));
            assert.notStrictEqual(result.status, 0, result.output);
            assert.ok(result.output.includes(MAINTENANCE_FILES.backupCommand), result.output);

            const broken = systemdRoot(renderMaintenanceUnits("tuesday 25:00"));
            assert.match(systemdAnalyzeVerify(broken.root, broken.unitPath(MAINTENANCE_UNITS.backupTimer)).output, /Failed to parse calendar specification/);
        });
    });

    describe("the backup schedule, through systemd-analyze calendar", () => {
        it(`accepts the default schedule (${DEFAULTS.backupSchedule}): once a day at 03:00`, () => {
            const out = ok("/usr/bin/systemd-analyze", ["calendar", "--iterations=2", DEFAULTS.backupSchedule], { TZ: "UTC" });
            assert.match(out, /Normalized form: \*-\*-\* 03:00:00/);
            const [next, second] = [...out.matchAll(/(?:Next elapse|Iter\. #2): \w+ (\S+ \S+) UTC/g)].map((m) => Date.parse(`${m[1]}Z`));
            assert.strictEqual(second - next, 24 * 3600 * 1000, out);
        });

        it("rejects a broken one", () => {
            const result = run("/usr/bin/systemd-analyze", ["calendar", "tuesday 25:00"]);
            assert.notStrictEqual(result.status, 0, result.output);
            assert.match(result.output, /Failed to parse calendar specification/);
        });

        it(`gives the program's verdict (calendarProblem) on ${CALENDAR_EXPRESSIONS.length} expressions, valid and not`, () => {
            const differ = CALENDAR_EXPRESSIONS.filter((expression) => {
                const systemd = run("/usr/bin/systemd-analyze", ["calendar", expression]).status === 0;
                return systemd !== (calendarProblem(expression) === undefined);
            });
            assert.deepStrictEqual(differ, [], "systemd and the program disagree on these");
            const refused = CALENDAR_EXPRESSIONS.filter((expression) => calendarProblem(expression) !== undefined);
            assert.ok(refused.length > 30 && CALENDAR_EXPRESSIONS.length - refused.length > 30, "both kinds are tried");
        });
    });

    describe("the backup key (ageIdentity), through age 1.1", () => {
        const secret = crypto.randomBytes(32);
        const identity = ageIdentity(secret);
        let identityFile: string;
        before(() => {
            identityFile = path.join(tempDir("age"), "identity.txt");
            fs.writeFileSync(identityFile, `${identity}\n`, { mode: 0o600 });
        });

        it("is a Bech32 string with prefix age-secret-key- whose data are exactly the 32 input bytes", () => {
            assert.match(identity, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
            const decoded = bech32Decode(identity);
            assert.strictEqual(decoded.prefix, "age-secret-key-");
            assert.ok(decoded.data.equals(secret), `${decoded.data.toString("hex")} != ${secret.toString("hex")}`);
        });

        it("the test's Bech32 decoder is right: it accepts BIP 173's valid vectors and rejects a changed character", () => {
            assert.strictEqual(bech32Decode("A12UEL5L").prefix, "a");
            assert.strictEqual(bech32Decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw").prefix, "abcdef");
            assert.throws(() => bech32Decode("A12UEL5M"), /checksum/);
            assert.throws(() => bech32Decode(`${identity.slice(0, 30)}${identity[30] === "Q" ? "P" : "Q"}${identity.slice(31)}`), /checksum/);
        });

        it("age-keygen -y reads it and prints its age1... recipient; age -r encrypts to that, age -d -i decrypts", () => {
            const recipient = ok("/usr/bin/age-keygen", ["-y", identityFile]).trim();
            assert.match(recipient, /^age1[0-9a-z]{58}$/);
            const dir = tempDir("age-round-trip");
            const plain = path.join(dir, "plain");
            fs.writeFileSync(plain, crypto.randomBytes(4096));
            ok("/usr/bin/age", ["--encrypt", "--recipient", recipient, "--output", path.join(dir, "encrypted"), plain]);
            ok("/usr/bin/age", ["--decrypt", "--identity", identityFile, "--output", path.join(dir, "decrypted"), path.join(dir, "encrypted")]);
            assert.ok(fs.readFileSync(path.join(dir, "decrypted")).equals(fs.readFileSync(plain)));
        });

        it("matches age-keygen's own encoding: the bytes of a key age-keygen made give back the same identity", () => {
            const keyFile = path.join(tempDir("age-keygen"), "key.txt");
            ok("/usr/bin/age-keygen", ["-o", keyFile]);
            const generated = /^AGE-SECRET-KEY-1\S+$/m.exec(fs.readFileSync(keyFile, "utf8"))![0];
            assert.strictEqual(ageIdentity(bech32Decode(generated).data), generated);
        });

        it("age-keygen -y rejects an identity with a changed character; ageIdentity rejects a key that is not 32 bytes", () => {
            const changed = path.join(tempDir("age-broken"), "identity.txt");
            fs.writeFileSync(changed, `${identity.slice(0, 30)}${identity[30] === "Q" ? "P" : "Q"}${identity.slice(31)}\n`);
            assert.notStrictEqual(run("/usr/bin/age-keygen", ["-y", changed]).status, 0);
            assert.throws(() => ageIdentity(crypto.randomBytes(31)), /32 bytes/);
        });
    });
});
