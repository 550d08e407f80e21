// `npm run synth -- <stack>` run as a reviewer runs it (a child process without any cloud
// credentials), and what it writes given to the software that consumes it on the host: Debian
// 13's cloud-init, sshd, ShellCheck and bash, systemd-analyze, Debian 13's Docker Compose, the
// pinned OpenClaw, Caddy. Also: the plan lists what pulumi up would create, no mock secret
// reaches a written file, a bad config fails with the preview's sentences and writes nothing.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { HOST_PATHS } from "../../cloud-init/paths";
import { ConfigError, parseSettings } from "../../components/settings";
import { STACK_FILES } from "../../components/stack/layout";
import { HOST_STEP_NAMES, rawConfig, ROOT, SECRET_KEYS, stackFileConfig, stackStepNames, TEST_LLM_KEYS } from "../fixtures";
import { expectedSshd, pickSshd } from "../hardening";
import { node24Env, openclaw } from "./openclaw";
import { caddy, cloudInitSchema, dockerCompose, ok, shellcheckBash, systemdAnalyzeVerify, tempDir } from "./tools";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { CLOUD_NAMES, clouds } from "../../providers";

/** Credentials of any cloud, and Pulumi's own settings: synth must need none of them. */
/** Environment variables that could hold credentials: Pulumi's, Cloudflare's and each cloud provider's (named after its config namespace). */
const CREDENTIALS = new RegExp(`^(PULUMI_|CLOUDFLARE_|${CLOUD_NAMES.map((cloud) => `${clouds[cloud].config.namespace.toUpperCase()}_`).join("|")})`);

interface SynthRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** `npm run synth -- ARGS`, as the script runs it, from the repository root, without credentials. */
function synth(args: readonly string[]): SynthRun {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CREDENTIALS.test(name)));
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "synth/index.ts", ...args], {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 120_000,
    });
    return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

interface Synthesized {
    /** out/<stack> of this run. */
    readonly dir: string;
    /** Its host/ tree: the host's files at their paths. */
    readonly host: string;
    readonly plan: any;
    /** The mocks' raw secret values by name (`--reveal-mock-secrets`). */
    readonly secrets: Record<string, string>;
    readonly read: (relative: string) => string;
}

/** Runs synth for `stack` into a fresh directory; fails the test unless it succeeds. */
function synthesize(stack: string, extra: readonly string[] = []): Synthesized {
    const out = tempDir("synth-out");
    const reveal = path.join(tempDir("synth-secrets"), "secrets.json");
    const result = synth([stack, "--out", out, "--reveal-mock-secrets", reveal, ...extra]);
    assert.strictEqual(result.status, 0, `synth ${stack} failed:\n${result.stdout}${result.stderr}`);
    const dir = path.join(out, stack);
    assert.match(result.stdout, new RegExp(`wrote .*${stack}: \\d+ resources, \\d+ deploy steps`));
    return {
        dir,
        host: path.join(dir, "host"),
        plan: JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8")),
        secrets: JSON.parse(fs.readFileSync(reveal, "utf8")),
        read: (relative) => fs.readFileSync(path.join(dir, relative), "utf8"),
    };
}

/** An sshd_config as Debian lays it out: the drop-in's directory included first, a host key, the stock file. */
function sshdConfigWith(dropIn: string): string {
    const dir = tempDir("synth-sshd");
    fs.mkdirSync(path.join(dir, "sshd_config.d"));
    fs.copyFileSync(dropIn, path.join(dir, "sshd_config.d", path.basename(HOST_PATHS.sshdDropIn)));
    const hostKey = path.join(dir, "host_ed25519");
    ok("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    const stock = fs.readFileSync("/etc/ssh/sshd_config", "utf8").replace(/^Include .*$/m, "");
    const config = path.join(dir, "sshd_config");
    fs.writeFileSync(config, `Include ${dir}/sshd_config.d/*.conf\nHostKey ${hostKey}\n${stock}`);
    fs.mkdirSync("/run/sshd", { recursive: true });
    return config;
}

/** The stacks committed with the project, and what each must create. */
const STACKS = {
    dev: {
        types: { server: "hcloud:index/server:Server", firewall: "hcloud:index/firewall:Firewall", staticIp: "hcloud:index/primaryIp:PrimaryIp", bucket: "cloudflare:index/r2Bucket:R2Bucket" },
        steps: [...HOST_STEP_NAMES, ...stackStepNames("tunnel", "r2")],
    },
    prod: {
        types: { server: "aws:ec2/instance:Instance", firewall: "aws:ec2/securityGroup:SecurityGroup", staticIp: "aws:ec2/eip:Eip", bucket: "aws:s3/bucket:Bucket" },
        steps: [...HOST_STEP_NAMES, ...stackStepNames("tunnel", "s3")],
    },
};

/** The secrets every tunnel stack with a bucket generates or needs, by synth's names. */
const SECRET_NAMES = ["gatewayToken", "litellmMasterKey", "backupEncryptionKey", "deployPrivateKey", "tunnelToken", "backupSecretAccessKey", "llmApiKeys.ANTHROPIC_API_KEY"];

describe("synth (npm run synth -- <stack>): its files, checked by the tools that consume them", function () {
    this.timeout(180_000);

    for (const [stack, expected] of Object.entries(STACKS)) {
        describe(`stack ${stack}`, () => {
            let s: Synthesized;
            before(() => {
                s = synthesize(stack);
            });

            it("writes user-data.yaml, plan.md, plan.json, a script per deploy step, and the host's files under host/", () => {
                const files = filesUnder(s.dir);
                for (const file of ["user-data.yaml", "plan.md", "plan.json", `host${STACK_FILES.compose}`, `host${STACK_FILES.env}`, `host${PRIMARY_GATEWAY.configFile}`]) {
                    assert.ok(files.includes(file), `${file} is missing; written: ${files.join(", ")}`);
                }
                const scripts = files.filter((f) => f.startsWith("steps/") && !f.endsWith(".delete.sh"));
                assert.deepStrictEqual(scripts, expected.steps.map((name, i) => `steps/${String(i).padStart(2, "0")}-${name}.sh`));
                for (const unit of ["openclaw-firewall.service", "openclaw-backup.service", "openclaw-backup.timer", "openclaw-watchdog.service", "openclaw-watchdog.timer"]) {
                    assert.ok(files.includes(`host/etc/systemd/system/${unit}`), `${unit} was not extracted`);
                }
            });

            it("the plan lists the server, its firewall, its static IP, the state bucket and every deploy step in order", () => {
                const types: string[] = s.plan.resources.map((r: any) => r.type);
                for (const [what, type] of Object.entries(expected.types)) {
                    assert.strictEqual(types.filter((t) => t === type).length, 1, `one ${what} (${type}); the plan has ${types.join(", ")}`);
                }
                assert.deepStrictEqual(s.plan.steps.map((step: any) => step.name), expected.steps);
                const markdown = s.read("plan.md");
                for (const type of Object.values(expected.types)) assert.ok(markdown.includes(`\`${type}\``), `plan.md does not list ${type}`);
                const server = s.plan.resources.find((r: any) => r.type === expected.types.server);
                assert.strictEqual(server.inputs.userData, "(see user-data.yaml)");
                assert.deepStrictEqual(s.plan.outputs.map((o: any) => o.name).sort(), ["backupEncryptionKey", "cloud", "deployPrivateKey", "firewall", "gatewayToken", "gatewayUrl", "litellmMasterKey", "serverIp", "sshCommand", "stateBucket", "tunnelId"]);
            });

            it("says what it made up: the missing llmApiKeys, the provider stand-ins, the mock addresses", () => {
                const markdown = s.read("plan.md");
                assert.match(markdown, /openclaw:llmApiKeys is not in the stack file/);
                assert.match(markdown, /getZeroTrustTunnelCloudflaredToken.*placeholder/);
                assert.match(markdown, /documentation addresses/);
                if (stack === "prod") assert.match(markdown, /aws:ec2\/getAmi:getAmi`: The AMI is looked up at pulumi up/);
            });

            it("no mock secret appears in any written file, the secret files and outputs show <secret:NAME> placeholders", () => {
                for (const name of SECRET_NAMES) assert.ok(name in s.secrets, `synth registered no secret ${name}: ${Object.keys(s.secrets).join(", ")}`);
                const leaks: string[] = [];
                for (const file of filesUnder(s.dir)) {
                    const text = s.read(file);
                    for (const [name, value] of Object.entries(s.secrets)) {
                        if (text.includes(value) || text.includes(JSON.stringify(value).slice(1, -1))) leaks.push(`${file}: ${name}`);
                    }
                }
                assert.deepStrictEqual(leaks, []);
                for (const line of s.read(`host${STACK_FILES.env}`).trim().split("\n")) assert.match(line, /^[A-Z_]+='(sk-)?<secret:[A-Za-z.:_]+>'$/);
                assert.match(s.read("host/etc/openclaw-maintenance/secrets.env"), /^BACKUP_IDENTITY='<secret:backupEncryptionKey>'$/m);
                const outputs = Object.fromEntries(s.plan.outputs.map((o: any) => [o.name, o]));
                for (const name of ["gatewayToken", "backupEncryptionKey", "deployPrivateKey"]) assert.deepStrictEqual(outputs[name], { name, value: `<secret:${name}>`, secret: true });
                assert.strictEqual(outputs.litellmMasterKey.value, "sk-<secret:litellmMasterKey>");
            });

            it("cloud-init (Debian 13) accepts user-data.yaml, unknown keys rejected", () => {
                const result = cloudInitSchema(13, path.join(s.dir, "user-data.yaml"));
                assert.strictEqual(result.status, 0, result.output);
                assert.match(result.output, /Valid schema/);
            });

            it("sshd -t accepts the SSH drop-in cloud-init writes, and sshd -T shows every hardening setting", () => {
                const config = sshdConfigWith(path.join(s.host, HOST_PATHS.sshdStaged));
                ok("/usr/sbin/sshd", ["-t", "-f", config]);
                const effective = ok("/usr/sbin/sshd", ["-T", "-f", config, "-C", "user=deploy,host=client.example,addr=203.0.113.7"]);
                assert.deepStrictEqual(pickSshd(effective, expectedSshd(9922)), expectedSshd(9922));
            });

            it("shellcheck -s bash and bash -n accept every step script and every script written on the host", () => {
                const scripts = [
                    ...filesUnder(path.join(s.dir, "steps")).map((f) => path.join("steps", f)),
                    ...filesUnder(path.join(s.host, "usr/local/sbin")).map((f) => path.join("host/usr/local/sbin", f)),
                ];
                assert.ok(scripts.length >= expected.steps.length + 4, scripts.join(", "));
                const findings: string[] = [];
                for (const file of scripts) {
                    const text = s.read(file);
                    const result = shellcheckBash(path.basename(file, ".sh"), text);
                    if (result.status !== 0) findings.push(`${file}:\n${result.output}`);
                    ok("/bin/bash", ["-n", "-c", text]);
                }
                assert.deepStrictEqual(findings, [], findings.join("\n"));
            });

            it("systemd-analyze verify accepts every unit written on the host, without a word, with its commands where ExecStart names them", () => {
                // A root laid out like the host's: Debian's stock units, and synth's host/ tree (units and commands).
                const root = tempDir("synth-systemd-root");
                fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr", "lib", "systemd", "system"), { recursive: true, verbatimSymlinks: true });
                fs.cpSync(s.host, root, { recursive: true });
                const units = filesUnder(path.join(s.host, "etc/systemd/system"));
                assert.strictEqual(units.length, 5, units.join(", "));
                for (const unit of units) {
                    const result = systemdAnalyzeVerify(root, path.join(root, "etc/systemd/system", unit));
                    assert.strictEqual(result.status, 0, `${unit}: ${result.output}`);
                    assert.strictEqual(result.output.trim(), "", `${unit}: ${result.output}`);
                }
            });

            it("Debian 13's Docker Compose accepts the compose file with the placeholder .env, and hands cloudflared its placeholder token", () => {
                const stackDir = path.join(s.host, "opt/openclaw");
                const check = dockerCompose(stackDir, ["config", "--quiet"]);
                assert.strictEqual(check.status, 0, check.output);
                const model = dockerCompose(stackDir, ["config", "--format", "json"]);
                assert.strictEqual(model.status, 0, model.output);
                const services = JSON.parse(model.stdout).services;
                assert.deepStrictEqual(Object.keys(services).sort(), ["cloudflared", "egress", "gateway", "litellm", "redis"]);
                assert.strictEqual(services.cloudflared.environment.TUNNEL_TOKEN, "<secret:tunnelToken>");
            });

            it("openclaw config validate (the pinned OpenClaw) accepts openclaw.json", () => {
                const file = path.join(s.host, PRIMARY_GATEWAY.configFile);
                const result = openclaw(["config", "validate"], node24Env(tempDir("synth-openclaw-home"), { OPENCLAW_CONFIG_PATH: file }));
                assert.strictEqual(result.status, 0, result.output);
                assert.ok(result.output.includes(`Config valid: ${file}`), result.output);
            });
        });
    }

    describe("dev's config with ingress caddy (--config-file)", () => {
        let s: Synthesized;
        before(() => {
            const config = path.join(tempDir("synth-caddy"), "Pulumi.caddy.yaml");
            fs.writeFileSync(config, fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").replace("openclaw:ingress: tunnel", "openclaw:ingress: caddy"));
            s = synthesize("dev", ["--config-file", config]);
        });

        it("the pinned Caddy validates the Caddyfile written on the host", () => {
            const result = caddy(["validate", "--adapter", "caddyfile", "--config", path.join(s.host, STACK_FILES.caddyfile)]);
            assert.strictEqual(result.status, 0, result.output);
        });

        it("the cloud firewall and the host's ingress sources name the same Cloudflare ranges, and the plan says they are a stand-in", () => {
            const firewall = s.plan.resources.find((r: any) => r.type === "hcloud:index/firewall:Firewall");
            const https = firewall.inputs.rules.find((rule: any) => rule.port === "443");
            const sources = s.read(`host${STACK_FILES.ingressSources}`).split("\n").filter((l) => /^\d/.test(l));
            assert.ok(sources.length > 0, "no ingress sources");
            assert.deepStrictEqual([...https.sourceIps].sort(), [...sources].sort());
            assert.match(s.read("plan.md"), /Cloudflare's current ranges are read at pulumi up; synth uses a fixed copy/);
        });
    });

    describe("dev's config on a server you already have (cloud existing, --config-file)", () => {
        let s: Synthesized;
        before(() => {
            const config = path.join(tempDir("synth-existing"), "Pulumi.existing.yaml");
            const file = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
            delete file.config["openclaw:region"];
            delete file.config["openclaw:serverType"];
            file.config["openclaw:cloud"] = "existing";
            file.config["openclaw:serverAddress"] = "203.0.113.10";
            fs.writeFileSync(config, YAML.stringify(file));
            s = synthesize("dev", ["--config-file", config]);
        });

        it("has no server and no user data: the first login and the hardening are the first steps, then every step a cloud's server gets, after the teardown that destroy runs", () => {
            assert.ok(!fs.existsSync(path.join(s.dir, "user-data.yaml")));
            assert.deepStrictEqual(s.plan.resources.filter((r: any) => Object.values(STACKS.dev.types).slice(0, 3).includes(r.type)), []);
            assert.deepStrictEqual(s.plan.steps.map((step: any) => step.name), ["first-login", "harden", ...HOST_STEP_NAMES, "teardown", ...stackStepNames("tunnel", "r2")]);
        });

        it("keeps the first login's key out of every file, and the firewall output says UFW is alone", () => {
            assert.ok(s.secrets.firstLoginKey, "synth gave the key a placeholder");
            assert.deepStrictEqual(filesUnder(s.dir).filter((file) => s.read(file).includes(s.secrets.firstLoginKey)), []);
            assert.strictEqual(s.plan.outputs.find((o: any) => o.name === "firewall").value, "UFW on the server only: no cloud firewall is in front of it");
        });
    });

    it("a bad config: exits 1 with the sentences parseSettings gives a preview, and writes nothing", () => {
        const config = path.join(tempDir("synth-bad"), "Pulumi.bad.yaml");
        const file = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
        file.config["openclaw:sshPort"] = 99999;
        fs.writeFileSync(config, YAML.stringify(file));
        // What the program itself says about this config (with the llmApiKeys synth supplies).
        const values = { ...stackFileConfig("dev"), "openclaw:sshPort": "99999", "openclaw:llmApiKeys": JSON.stringify({ ANTHROPIC_API_KEY: TEST_LLM_KEYS.ANTHROPIC_API_KEY }) };
        let expected = "";
        try {
            parseSettings(rawConfig(values, SECRET_KEYS));
        } catch (error) {
            assert.ok(error instanceof ConfigError, String(error));
            expected = error.message;
        }
        assert.match(expected, /openclaw:sshPort is "99999"/);

        // A previous synth of the stack stays as it was.
        const out = tempDir("synth-bad-out");
        fs.mkdirSync(path.join(out, "dev"));
        fs.writeFileSync(path.join(out, "dev", "plan.md"), "previous\n");
        const result = synth(["dev", "--config-file", config, "--out", out]);
        assert.strictEqual(result.status, 1, result.stdout + result.stderr);
        assert.strictEqual(result.stderr, `${expected}\n`);
        assert.deepStrictEqual(fs.readdirSync(out), ["dev"]);
        assert.deepStrictEqual(filesUnder(out), ["dev/plan.md"]);
        assert.strictEqual(fs.readFileSync(path.join(out, "dev", "plan.md"), "utf8"), "previous\n");
    });

    it("usage: without a stack, or with a stack that has no Pulumi.<stack>.yaml, exits 2 with one line", () => {
        for (const args of [[], ["no-such-stack"]]) {
            const result = synth(args);
            assert.strictEqual(result.status, 2, result.stdout + result.stderr);
            assert.strictEqual(result.stderr.trim().split("\n").length, 1, result.stderr);
            assert.strictEqual(result.stdout, "");
        }
        assert.match(synth(["no-such-stack"]).stderr, /There is no Pulumi\.no-such-stack\.yaml/);
    });
});
