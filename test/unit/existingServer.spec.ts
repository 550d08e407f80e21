// cloud existing, under mocks: its settings, and what the program registers for it. Nothing at a
// cloud; two remote commands that harden the server (the first login's, then deploy's), with their
// keys secret; every deploy step after them; UFW given adminCidrs; the firewall output says so.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "../mocks";
import type { OpenClawDeployment } from "../../components/deployment";
import { parseSettings } from "../../components/settings";
import { clouds, CLOUD_NAMES } from "../../providers";
import { assertOneProblem, problemsOf } from "../configProblems";
import { ConfigMap, devConfigFor, rawConfig, SECRET_KEYS } from "../fixtures";
import { deployUnderMocks } from "../deployUnderMocks";
import { asStep, recorded, valueOf } from "../mocks";

const KEY_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-existing-"));
execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "root@vps", "-f", path.join(KEY_DIR, "root")]);
const ROOT_KEY = fs.readFileSync(path.join(KEY_DIR, "root"), "utf8");
fs.rmSync(KEY_DIR, { recursive: true, force: true });

function existing(overrides: Record<string, string | undefined> = {}): ConfigMap {
    const config: Record<string, string | undefined> = {
        ...devConfigFor("hetzner"),
        "openclaw:cloud": "existing",
        "openclaw:serverAddress": "203.0.113.10",
        "openclaw:firstLoginKey": ROOT_KEY,
        ...overrides,
    };
    return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as ConfigMap;
}

const parse = (config: ConfigMap, secretKeys = SECRET_KEYS) => parseSettings(rawConfig(config, secretKeys));
const problems = (config: ConfigMap, secretKeys = SECRET_KEYS) => problemsOf(() => parse(config, secretKeys));

describe("cloud existing", () => {
    describe("settings", () => {
        it("reads the server and its first login, with root on 22 and the smallest size by default", () => {
            const { cloud, host } = parse(existing());
            assert.strictEqual(cloud, "existing");
            assert.deepStrictEqual(
                { address: host.existingServer?.address, user: host.existingServer?.user, port: host.existingServer?.port, type: host.serverType, size: host.serverSize, region: host.region },
                { address: "203.0.113.10", user: "root", port: 22, type: "2vcpu-4gb", size: { vcpus: 2, memoryMiB: 4096 }, region: "" },
            );
        });

        it("keeps the first login's key secret", async () => {
            const key = parse(existing()).host.existingServer?.privateKey;
            assert.ok(key && (await pulumi.isSecret(key)));
        });

        it("refuses what cloud existing needs when it is missing, and its keys on a cloud, one sentence each", () => {
            assertOneProblem(problems(existing({ "openclaw:serverAddress": undefined })), ["openclaw:serverAddress is not set; cloud existing needs your server's public IPv4 address or DNS name"]);
            assertOneProblem(problems(existing({ "openclaw:firstLoginKey": undefined })), ["openclaw:firstLoginKey is not set; cloud existing logs in once with the private key of root"]);
            assertOneProblem(problems({ ...devConfigFor("hetzner"), "openclaw:serverAddress": "203.0.113.10" }), [
                "openclaw:serverAddress is set, but only cloud existing uses it; remove it (`pulumi config rm serverAddress`) or set cloud to existing.",
            ]);
        });

        it("refuses a bad address, login, port, size or region, naming the value and what is accepted", () => {
            assertOneProblem(problems(existing({ "openclaw:serverAddress": "https://vps" })), ['openclaw:serverAddress is "https://vps"; it must be the server\'s IPv4 address or DNS name']);
            // An address, not a block: parseCidr also reads 203.0.113.0/24.
            assertOneProblem(problems(existing({ "openclaw:serverAddress": "203.0.113.0/24" })), ['openclaw:serverAddress is "203.0.113.0/24"; it must be the server\'s IPv4 address or DNS name']);
            assertOneProblem(problems(existing({ "openclaw:firstLoginUser": "Root User" })), ['openclaw:firstLoginUser is "Root User"; it must be a login name such as root or debian.']);
            assertOneProblem(problems(existing({ "openclaw:firstLoginPort": "70000" })), ['openclaw:firstLoginPort is "70000"; it must be a port from 1 to 65535.']);
            assertOneProblem(problems(existing({ "openclaw:serverType": "cx23" })), ['openclaw:serverType is "cx23"', "2vcpu-4gb"]);
            assertOneProblem(problems(existing({ "openclaw:region": "nbg1" })), ['openclaw:region is "nbg1"; cloud existing has no region']);
        });

        it("refuses a first login key in plain text, or one that is not a private key, without repeating it", () => {
            const plain = problems(existing(), SECRET_KEYS.filter((key) => key !== "openclaw:firstLoginKey"));
            assertOneProblem(plain, ["openclaw:firstLoginKey is stored in plain text in the stack file; set it again with `pulumi config set --secret firstLoginKey`."]);
            const publicKey = problems(existing({ "openclaw:firstLoginKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3mRZ3CzXuqLRy0UMdGfE6qZNCD2eUJu2xP8JXamQ4r me" }));
            assertOneProblem(publicKey, ["openclaw:firstLoginKey (value hidden) is not accepted; it must be an unencrypted OpenSSH private key"]);
            assert.ok(!plain.join(" ").includes("PRIVATE KEY") && !publicKey.join(" ").includes("AAAA"));
        });
    });

    describe("the program", () => {
        let deployment: OpenClawDeployment;
        before(async () => {
            deployment = await deployUnderMocks(parse(existing({ "openclaw:ingress": "none" })));
        });
        const command = (suffix: string) => recorded.find((r) => r.type === "command:remote:Command" && r.name === `openclaw-${suffix}`);

        it("creates nothing at a cloud", () => {
            const cloudTypes = CLOUD_NAMES.flatMap((cloud) => Object.values(clouds[cloud].parts).flat());
            assert.ok(recorded.length > 20, "the deployment registered its resources");
            assert.deepStrictEqual(recorded.filter((r) => cloudTypes.includes(r.type)).map((r) => r.type), []);
        });

        it("logs in first as root on 22 with the operator's key, then as deploy on sshPort with the program's, and every later step waits for that", async () => {
            const [firstLogin, harden, ready] = [command("first-login"), command("harden"), command("host-ready")];
            assert.deepStrictEqual(
                { host: firstLogin?.inputs.connection.host, user: firstLogin?.inputs.connection.user, port: firstLogin?.inputs.connection.port },
                { host: "203.0.113.10", user: "root", port: 22 },
            );
            assert.strictEqual(firstLogin?.inputs.connection.privateKey, ROOT_KEY.trim());
            assert.deepStrictEqual({ user: harden?.inputs.connection.user, port: harden?.inputs.connection.port }, { user: "deploy", port: 9922 });
            assert.strictEqual(harden?.inputs.connection.privateKey, await valueOf(deployment.secrets.deployPrivateKey));
            assert.match(firstLogin?.inputs.create, /^as_root <<'OPENCLAW_PREFLIGHT'$/m);
            assert.match(harden?.inputs.create, /^sudo -n bash -s <<'OPENCLAW_HARDEN'$/m);
            assert.ok(!firstLogin?.inputs.create.includes("PRIVATE KEY") && !harden?.inputs.create.includes("PRIVATE KEY"), "no private key in a command");
            // The server id the steps trigger on is the first login's id and the hardening's hash.
            assert.match(ready?.inputs.triggers[0], new RegExp(`^${firstLogin?.id}/[0-9a-f]{12}$`));
            assert.strictEqual(ready?.inputs.connection.host, "203.0.113.10");
            assert.ok(harden?.dependencies.includes("command:remote:Command::openclaw-first-login"), "the hardening runs after the first login");
            assert.ok(ready?.dependencies.includes("command:remote:Command::openclaw-harden"), "host-ready runs after the hardening");
            // pulumi destroy leaves the server hardened: neither command undoes anything.
            assert.deepStrictEqual([firstLogin?.inputs.delete, harden?.inputs.delete], [undefined, undefined]);
        });

        it("probes, from where Pulumi runs, that an SSH server answers the first login, and gives up on the login within a minute", () => {
            const probe = recorded.find((r) => r.type === "command:local:Command" && r.name === "openclaw-first-login-probe");
            assert.strictEqual(probe?.inputs.create, "node ./scripts/first-login-probe.js 203.0.113.10 22 root 9922");
            assert.deepStrictEqual(probe?.inputs.triggers, ["203.0.113.10"]);
            const firstLogin = command("first-login");
            assert.ok(firstLogin?.dependencies.includes("command:local:Command::openclaw-first-login-probe"));
            const { dialErrorLimit, perDialTimeout } = firstLogin?.inputs.connection;
            assert.ok(dialErrorLimit * perDialTimeout <= 40, `${dialErrorLimit} dials of ${perDialTimeout} s`);
        });

        it("removes the stack from the server on destroy: the first stack step's delete, replaced only by another server", async () => {
            const steps = deployment.stack.steps;
            assert.strictEqual(steps[0].name, "teardown");
            const teardown = command("teardown");
            assert.deepStrictEqual(teardown?.inputs.triggers, [command("first-login")?.id], "a new hardening or secret never replaces it (its delete would run after the new deploy)");
            const script: string = teardown?.inputs.delete;
            const deployKey = (await valueOf(deployment.secrets.deployPublicKey)).trim();
            assert.ok(script.includes(`readonly DEPLOY_KEY='${deployKey}'`), "it removes the program's deploy key");
            assert.match(script, /^readonly SECRET_FILES='\/opt\/openclaw\/\.env \/etc\/openclaw-maintenance\/secrets\.env'$/m);
            assert.match(script, /^readonly DATA_VOLUMES=openclaw-state$/m);
            assert.ok(!/PRIVATE KEY/.test(script), "no private key in it");
            // Every other stack step is deleted before it: each depends on the one before.
            assert.ok(command("stack-directories")?.dependencies.includes("command:remote:Command::openclaw-teardown"));
        });

        it("gives UFW the adminCidrs (host-access) and says the firewall is UFW alone", async () => {
            const access = command("host-access");
            assert.match(asStep(access!.inputs).create, /^sources=\(203\.0\.113\.7\/32\)$/m);
            assert.strictEqual(deployment.firewall, "UFW on the server only: no cloud firewall is in front of it");
            assert.strictEqual(await valueOf(deployment.serverIp), "203.0.113.10");
        });
    });
});
