// The whole stack, running on the hardened VM: every deploy step of the stack, as the program's
// Pulumi commands carry it (the command and standard input the engine sends), with images of the
// same software under the references the program deploys (images.ts), and the world outside as
// stand-ins on this machine's loopback (world.ts). The one addition to the stack is a compose
// override that makes the containers trust the stand-ins' certificate.
import * as assert from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { GATEWAY_PATHS, PORTS, SERVICES, STACK_DIR, STACK_FILES } from "../../components/stack/layout";
import { containersFor, litellmConnect, shellQuote } from "../../components/stack/steps";
import { ANTHROPIC_HOST } from "../programs/fakeProviders";
import { TELEGRAM_API_HOST } from "../programs/fakeTelegram";
import { TEST_LLM_KEYS } from "../fixtures";
import { deployUnderMocks } from "../deployUnderMocks";
import { generatedSecrets, recorded, valueOf } from "../mocks";
import { e2e, TELEGRAM_OWNER, TELEGRAM_STRANGER } from "./fixture";
import { ops } from "./ops";
import { freePort } from "../ports";
import { imagesLoaded } from "./loadImages";
import { CommandResult } from "./vm";
import { PAGE_HOSTS, PAGE_TEXT, WORLD_ADDRESS } from "./world";
import { WorldClient, WorldRecord } from "./worldProcess";

/** Where the override puts the stand-ins' certificate in the containers that make TLS connections. */
const CA_IN_CONTAINER = "/etc/openclaw-e2e/stand-in-ca.pem";
const CA_ON_HOST = `${STACK_DIR}/e2e-stand-in-ca.pem`;

/**
 * Node's compile cache, kept in the state volume: under software emulation every start of the
 * gateway after the first loads compiled code instead of compiling its modules again. (The test
 * image also gives OpenClaw's workers 60 s to start instead of 5 s: build-images.sh.)
 */
const COMPILE_CACHE = `${GATEWAY_PATHS.state}/.node-compile-cache`;

/**
 * The test's additions to the stack (the one file that differs from production): trust in the
 * stand-ins' certificate, for the gateway (Node) and LiteLLM (Python's ssl), the gateway's compile
 * cache (above), and a longer start period and timeout for its healthcheck: under emulation it
 * listens after 190 to 590 s, past the 120 s after which failed checks count (compose's --wait
 * gives up on a container once it is unhealthy), and while it answers a message its /healthz can
 * take longer than 5 s, which three times in a row makes it unhealthy.
 */
function testOverride(): string {
    const mount = `      - ${CA_ON_HOST}:${CA_IN_CONTAINER}:ro`;
    return `# The e2e test's additions to the stack (test/e2e/running.spec.ts): trust in the stand-ins' certificate, a compile cache, and healthcheck times for emulation.
services:
  ${PRIMARY_GATEWAY.name}:
    environment:
      NODE_EXTRA_CA_CERTS: ${CA_IN_CONTAINER}
      NODE_COMPILE_CACHE: ${COMPILE_CACHE}
    healthcheck:
      start_period: 600s
      timeout: 30s
    volumes:
${mount}
  ${SERVICES.litellm.service}:
    environment:
      SSL_CERT_FILE: ${CA_IN_CONTAINER}
    volumes:
${mount}
`;
}

interface SentCommand {
    readonly name: string;
    readonly create: string;
    readonly stdin?: string;
}

export interface RunningStack {
    /** Each stack step's result, by step name, in the order they ran. */
    readonly results: Map<string, CommandResult>;
    /** Seconds from the first stack step until every container was healthy. */
    readonly firstStepToHealthySeconds: number;
    /** Every secret the program generated for this deployment (tokens, keys). */
    readonly generatedSecrets: readonly string[];
    /** The gateway's token, as `pulumi stack output gatewayToken` gives it. */
    readonly gatewayToken: string;
}

let running: RunningStack | undefined;

describe("the whole stack on the hardened host (Debian 13 VM, stand-ins on loopback)", function () {
    before(async function () {
        this.timeout(90 * 60 * 1000);
        const { vm, settings, images } = e2e();
        if (!images) throw new Error("the VM has no stand-in images (they come with the cloud target)");
        await imagesLoaded(vm, images, (line) => console.log(`    [images] ${line}`));
        vm.sudo(`install -d -o root -g root -m 0700 ${STACK_DIR}`);
        const write = (target: string, content: string) => {
            const result = vm.ssh(`sudo tee ${target} >/dev/null`, { input: content });
            assert.strictEqual(result.status, 0, result.stderr);
        };
        write(CA_ON_HOST, worldOf().certificate);
        write(STACK_FILES.composeOverride, testOverride());

        const deployment = await deployUnderMocks(settings);
        const commands: SentCommand[] = deployment.stack.steps.map((step) => {
            const sent = recorded.filter((r) => r.type === "command:remote:Command" && r.name.endsWith(`-${step.name}`));
            assert.strictEqual(sent.length, 1, `one command for the step ${step.name}`);
            return { name: step.name, create: sent[0].inputs.create, stdin: sent[0].inputs.stdin };
        });
        const results = new Map<string, CommandResult>();
        const started = Date.now();
        for (const command of commands) {
            const stepStarted = Date.now();
            const result = vm.ssh(command.create, { input: command.stdin, timeoutMs: 40 * 60 * 1000 });
            console.log(`    [stack] ${command.name}: exit ${result.status} after ${Math.round((Date.now() - stepStarted) / 1000)} s`);
            results.set(command.name, result);
            if (result.status !== 0) throw new Error(`the step ${command.name} failed:\n${result.stdout}${result.stderr}`);
        }
        const firstStepToHealthySeconds = Math.round((Date.now() - started) / 1000);
        console.log(`    [stack] first stack step to every container healthy: ${firstStepToHealthySeconds} s`);
        const gatewayToken = await valueOf(deployment.secrets.gatewayTokens[PRIMARY_GATEWAY.name]);
        running = { results, firstStepToHealthySeconds, generatedSecrets: [...generatedSecrets], gatewayToken };
    });

    it("runs every deploy step of the stack, and compose reports every service healthy", () => {
        const { vm, settings } = e2e();
        const states = vm.sudo(`docker ps -a --format '{{.Names}} {{.Status}}'`);
        for (const container of containersFor(settings.ingress.mode)) {
            assert.match(states, new RegExp(`^${container} Up .*\\(healthy\\)$`, "m"), `${container} is not healthy:\n${states}`);
        }
        assert.match(running!.results.get("stack-verify")!.stdout, /the egress proxy refuses/);
    });

    it("prints no secret of the stack in any step's output, and none reaches the journal", () => {
        const printed = [...running!.results.values()].map((r) => r.stdout + r.stderr).join("\n");
        const secrets = [...running!.generatedSecrets, TEST_LLM_KEYS.ANTHROPIC_API_KEY];
        for (const secret of secrets) assert.ok(!printed.includes(secret), "a step printed a secret");
        const journal = e2e().vm.sudo("journalctl --no-pager -o cat");
        for (const secret of secrets) assert.ok(!journal.includes(secret), "a secret reached the journal");
    });

    const owner = TELEGRAM_OWNER;
    const stranger = TELEGRAM_STRANGER;
    const PAIRING = /pairing approve telegram ([A-Z2-9]{8})/;
    const MODEL_TEXT = "answer from api.anthropic.com";

    it("answers the owner's Telegram message with the model's text, through LiteLLM with the provider key (prints the seconds)", async function () {
        this.timeout(15 * 60 * 1000);
        const world = worldOf();
        const before = await world.record();
        const started = Date.now();
        await world.sendText(owner, "What is on the menu today?");
        await until("the model's answer sent to the owner", 10 * 60, async () => sentAfter(before, await world.record(), owner).find((m) => m.text.includes(MODEL_TEXT)));
        console.log(`    [stack] the owner's message to the model's answer in sendMessage: ${Math.round((Date.now() - started) / 1000)} s`);
        const after = await world.record();
        const calls = after.providerCalls.slice(before.providerCalls.length);
        assert.ok(calls.length > 0 && calls.every((c) => c.path === "/v1/messages" && c.keyMatches), JSON.stringify(calls));
        assert.deepStrictEqual(sentAfter(before, after, owner).filter((m) => /pairing/i.test(m.text)), [], "the owner was asked to pair");
    });

    it("keeps the provider key out of the gateway container's environment and out of its files", () => {
        const { vm } = e2e();
        const key = TEST_LLM_KEYS.ANTHROPIC_API_KEY;
        assert.ok(!vm.sudo(`docker exec ${PRIMARY_GATEWAY.container} env`).includes(key), "the gateway's environment holds the provider key");
        assert.ok(!vm.sudo(`docker inspect ${PRIMARY_GATEWAY.container}`).includes(key), "the gateway's container definition holds the provider key");
        // The key goes to grep on standard input, never on a command line (sudo logs those).
        const search = vm.ssh(`sudo grep -rlF -f /dev/stdin ${stateMount()} ${PRIMARY_GATEWAY.configDir}; echo "exit $?"`, { input: `${key}\n` });
        assert.match(search.stdout, /^exit 1$/m, `a file of the gateway holds the provider key:\n${search.stdout}${search.stderr}`);
        assert.ok(vm.sudo(`docker exec ${SERVICES.litellm.container} env`).includes(key), "LiteLLM does not have the provider key");
    });

    let code = "";
    it("gives someone else a pairing code and no model call", async function () {
        this.timeout(10 * 60 * 1000);
        const world = worldOf();
        const before = await world.record();
        await world.sendText(stranger, "Hello, may I talk to you?");
        const message = await until("a pairing code sent to the stranger", 5 * 60, async () => sentAfter(before, await world.record(), stranger).find((m) => PAIRING.test(m.text)));
        code = PAIRING.exec(message.text)![1];
        const after = await world.record();
        assert.deepStrictEqual(after.providerCalls.slice(before.providerCalls.length), [], "the stranger's message reached the model");
    });

    it("`npm run ops -- status` and `logs gateway` show the real stack: every container healthy, the gateway's own log", async function () {
        this.timeout(5 * 60 * 1000);
        const { settings } = e2e();
        const status = await ops("status");
        assert.strictEqual(status.status, 0, status.stderr);
        for (const container of containersFor(settings.ingress.mode)) {
            assert.match(status.stdout, new RegExp(`^${container}\\tUp .*\\(healthy\\)$`, "m"), status.stdout);
        }
        const logs = await ops("logs", "gateway", "-n", "200");
        assert.strictEqual(logs.status, 0, logs.stderr);
        assert.match(logs.stdout, /"subsystem":"gateway"/, logs.stdout.slice(-2000));
    });

    it("`npm run ops -- openclaw pairing approve telegram <code>` against the real gateway exits 0, and the sender is then answered", async function () {
        this.timeout(15 * 60 * 1000);
        assert.ok(code, "no pairing code from the test before");
        const approval = await ops("openclaw", "pairing", "approve", "telegram", code);
        assert.strictEqual(approval.status, 0, approval.stdout + approval.stderr);
        assert.match(approval.stdout + approval.stderr, new RegExp(`Approved telegram sender ${stranger.id}`));
        const world = worldOf();
        const before = await world.record();
        await world.sendText(stranger, "Now may I?");
        await until("the model's answer sent to the approved sender", 10 * 60, async () => sentAfter(before, await world.record(), stranger).find((m) => m.text.includes(MODEL_TEXT)));
    });

    it("stores a photo from the owner in the gateway's state (media), downloaded through the egress proxy", async function () {
        this.timeout(15 * 60 * 1000);
        const { vm } = e2e();
        const world = worldOf();
        const photo = png();
        await world.sendPhoto(owner, photo, "What is in this picture?");
        await until("the photo's download", 10 * 60, async () => ((await world.record()).downloads.length > 0 ? true : undefined));
        const digest = crypto.createHash("sha256").update(photo).digest("hex");
        const stored = await until("the photo in the state volume's media/", 5 * 60, async () => {
            const sums = vm.sudo(`find ${stateMount()}/media -type f -size ${photo.length}c ! -name "*.tmp" -exec sha256sum {} + 2>/dev/null || true`);
            return sums.split("\n").find((line) => line.startsWith(digest));
        });
        console.log(`    [stack] stored: ${stored.split(/\s+/)[1]}`);
        const through = egressDecisions(`${TELEGRAM_API_HOST}:443`).filter((line) => line.includes(`"role":"${PRIMARY_GATEWAY.name}"`) && line.includes('"allow":true'));
        assert.ok(through.length > 0, "the egress proxy logged no CONNECT of the gateway to Telegram's API");
    });

    it("the agent's web_fetch returns the allowlisted page's text; another host is refused, and Smokescreen's log says why", () => {
        const allowed = invokeTool("web_fetch", { url: `https://${PAGE_HOSTS.allowed}/`, maxChars: 500 });
        assert.strictEqual(allowed.status, 200, allowed.body);
        assert.ok(allowed.body.includes(PAGE_TEXT.allowed), allowed.body);
        const refused = invokeTool("web_fetch", { url: `https://${PAGE_HOSTS.refused}/`, maxChars: 500 });
        assert.notStrictEqual(refused.status, 200, refused.body);
        assert.ok(!refused.body.includes(PAGE_TEXT.refused), refused.body);
        const line = egressDecisions(`${PAGE_HOSTS.refused}:443`).pop();
        assert.ok(line, "Smokescreen logged no decision for the refused host");
        console.log(`    [stack] Smokescreen: ${line}`);
        assert.match(line!, /"allow":false/);
    });

    it("from inside the gateway container, a direct connection to the stand-ins' address fails (its networks have no route out)", () => {
        const result = inContainer(PRIMARY_GATEWAY.container, `const s = require("net").connect(443, "${WORLD_ADDRESS}", () => { console.log("connected"); process.exit(0); }); s.on("error", (e) => { console.log("failed: " + e.code); process.exit(0); }); setTimeout(() => { console.log("failed: timeout"); process.exit(0); }, 10000);`);
        assert.match(result, /^failed: /, result);
    });

    it("LiteLLM reaches only the model providers' host through the egress proxy: Telegram and the allowlisted page are refused to it (407)", () => {
        const statuses = Object.fromEntries([ANTHROPIC_HOST, TELEGRAM_API_HOST, PAGE_HOSTS.allowed].map((host) => [host, e2e().vm.ssh(litellmConnect(host)).stdout.trim()]));
        console.log(`    [stack] LiteLLM's CONNECTs: ${JSON.stringify(statuses)}`);
        assert.deepStrictEqual(statuses, { [ANTHROPIC_HOST]: "200", [TELEGRAM_API_HOST]: "407", [PAGE_HOSTS.allowed]: "407" });
    });

    it("after the conversation, each container stays under its memory limit (prints use and limits against the VM's memory)", () => {
        const { vm } = e2e();
        const stats = vm.sudo(`docker stats --no-stream --format '{{.Name}} {{.MemUsage}}'`).trim().split("\n");
        const total = Number(vm.sudo("awk '/MemTotal/ {print $2}' /proc/meminfo")) / 1024;
        let [used, limits] = [0, 0];
        for (const line of stats) {
            const [name, usage, , limit] = line.split(/\s+/);
            const [u, l] = [mib(usage), mib(limit)];
            used += u;
            limits += l;
            console.log(`    [stack] ${name}: ${u.toFixed(0)} MiB of ${l.toFixed(0)} MiB`);
            assert.ok(l < total, `${name} has no memory limit below the VM's ${total.toFixed(0)} MiB`);
            assert.ok(u < l * 0.9, `${name} uses ${u} MiB of its ${l} MiB`);
        }
        console.log(`    [stack] all containers: ${used.toFixed(0)} MiB used, ${limits.toFixed(0)} MiB of limits, the VM has ${total.toFixed(0)} MiB`);
        assert.ok(limits < total, "the limits add up to more than the VM's memory");
        const restarts = vm.sudo(`sh -c "docker inspect --format '{{.Name}} {{.RestartCount}}' \\$(docker ps -q)"`);
        assert.doesNotMatch(restarts, / [1-9]\d*$/m, restarts);
    });

    it("ingress none: the README's SSH tunnel reaches the Control UI, and its API needs the token", async function () {
        this.timeout(5 * 60 * 1000);
        const { vm } = e2e();
        const local = await freePort();
        // ssh -N -L 18789:127.0.0.1:18789 -p <sshPort> deploy@<serverIp>, with a free local port.
        const tunnel = spawn("ssh", vm.sshArgs("deploy", ["-N", "-L", `127.0.0.1:${local}:127.0.0.1:${PRIMARY_GATEWAY.port}`, "-o", "ExitOnForwardFailure=yes"]), { stdio: "ignore" });
        try {
            const base = `http://127.0.0.1:${local}`;
            const page = await until("the Control UI through the tunnel", 120, async () => {
                try {
                    const response = await fetch(`${base}/`);
                    return { status: response.status, text: await response.text() };
                } catch {
                    return undefined;
                }
            });
            assert.strictEqual(page.status, 200, page.text.slice(0, 500));
            assert.match(page.text, /<html/i);
            const call = (token?: string) =>
                fetch(`${base}/tools/invoke`, {
                    method: "POST",
                    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
                    body: JSON.stringify({ tool: "session_status", args: {} }),
                });
            assert.strictEqual((await call()).status, 401);
            assert.strictEqual((await call("not-the-token")).status, 401);
            const allowed = await call(runningStack().gatewayToken);
            assert.notStrictEqual(allowed.status, 401, await allowed.text());
        } finally {
            tunnel.kill();
        }
    });

    it("rpm: LiteLLM serves a model's requests up to its limit in a minute and refuses the next (429)", () => {
        const limited = e2e().settings.app.models.find((m) => m.rpm !== undefined)!;
        const answers = Array.from({ length: limited.rpm! + 1 }, () => chatInLitellm(limited.name));
        assert.deepStrictEqual(answers.slice(0, -1).map((a) => a.status), Array(limited.rpm).fill(200), JSON.stringify(answers));
        assert.strictEqual(answers[answers.length - 1].status, 429, answers[answers.length - 1].body);
        assert.match(answers[answers.length - 1].body, /RPM limit=/);
    });

    // Last: it spends the default model's budget.
    // OpenClaw 2026.9.6 takes LiteLLM's budget refusal (429) for a rate limit: it retries, then tells
    // the owner the turn "stopped making progress". The reply is printed; it does not name the budget.
    it("maxBudgetUsd: once a model's spend crosses it, LiteLLM refuses the model (429), and the owner gets a reply that is not the model's instead of silence (prints it)", async function () {
        this.timeout(15 * 60 * 1000);
        const world = worldOf();
        const budgeted = e2e().settings.app.models.find((m) => m.maxBudgetUsd !== undefined)!;
        // One answer that costs more than the whole budget (a million input tokens).
        await world.setUsage({ inputTokens: 1_000_000, outputTokens: 0 });
        const spent = chatInLitellm(budgeted.name);
        await world.setUsage({ inputTokens: 12, outputTokens: 7 });
        assert.strictEqual(spent.status, 200, spent.body);
        const refused = chatInLitellm(budgeted.name);
        assert.strictEqual(refused.status, 429, refused.body);
        assert.match(refused.body, /budget/i);
        const before = await world.record();
        await world.sendText(owner, "Are you still there?");
        const reply = await until("a reply to the owner after the budget is spent", 10 * 60, async () => sentAfter(before, await world.record(), owner)[0]);
        console.log(`    [stack] the owner, after the budget: ${reply.text.slice(0, 200)}`);
        assert.ok(!reply.text.includes(MODEL_TEXT), reply.text);
    });
});

/** A chat completion through LiteLLM from inside its own container, with the master key from its environment. */
function chatInLitellm(model: string): { status: number; body: string } {
    const program = `import json, os, sys, urllib.request, urllib.error
req = urllib.request.Request("http://127.0.0.1:${PORTS.litellm}/v1/chat/completions", data=json.dumps({"model": sys.argv[1], "messages": [{"role": "user", "content": "hello"}]}).encode(), headers={"authorization": "Bearer " + os.environ["LITELLM_MASTER_KEY"], "content-type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=120) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
`;
    const result = e2e().vm.ssh(`sudo docker exec -i ${SERVICES.litellm.container} python3 - ${shellQuote(model)}`, { input: program });
    const [status, ...body] = result.stdout.trim().split(" ");
    return { status: Number(status), body: body.join(" ") + result.stderr };
}

/** `12.5MiB`, `1.9GiB`, `800KiB` in MiB. */
function mib(size: string): number {
    const match = /^([\d.]+)([KMG]i?B|B)$/.exec(size);
    if (!match) throw new Error(`not a size: ${size}`);
    const unit = { B: 1 / 2 ** 20, KiB: 1 / 1024, MiB: 1, GiB: 1024 }[match[2]] ?? NaN;
    return Number(match[1]) * unit;
}

/** The stand-ins, which come with the whole-stack run (E2E_STACK). */
function worldOf(): WorldClient {
    const { world } = e2e();
    if (!world) throw new Error("this run has no stand-ins: the whole-stack suite needs OPENCLAW_E2E_STACK=1");
    return world;
}

/** The bot's messages to `user` sent between two records. */
function sentAfter(before: WorldRecord, after: WorldRecord, user: { readonly id: number }) {
    return after.sent.slice(before.sent.length).filter((m) => m.chatId === user.id);
}

/** Polls `probe` (every 2 s) until it gives a value, or fails after `seconds` naming `what`, with what the bot sent and the gateway's last log lines. */
async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) {
            const sent = (await worldOf().record()).sent.slice(-5);
            throw new Error(`${what}: nothing within ${seconds} s\nthe bot's last messages: ${JSON.stringify(sent)}\n${e2e().vm.sudo(`docker logs --tail 40 ${PRIMARY_GATEWAY.container} 2>&1`)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2000));
    }
}

/** Where the gateway's state volume is on the host. */
function stateMount(): string {
    return e2e().vm.sudo(`docker volume inspect --format '{{.Mountpoint}}' ${PRIMARY_GATEWAY.stateVolume}`).trim();
}

/** Smokescreen's decisions (its JSON log lines) on CONNECTs to `hostPort`, oldest first. */
function egressDecisions(hostPort: string): string[] {
    const log = e2e().vm.sudo(`docker logs ${SERVICES.egress.container} 2>&1`);
    return log.split("\n").filter((line) => line.includes('"msg":"CANONICAL-PROXY-DECISION"') && line.includes(`"requested_host":"${hostPort}"`));
}

/** A node one-liner in a container, as its user; what it printed. */
function inContainer(container: string, program: string, ...args: string[]): string {
    return e2e().vm.sudo(`docker exec ${container} node -e ${shellQuote(program)} ${args.map(shellQuote).join(" ")}`).trim();
}

/** The gateway's tool endpoint, called from inside its container with its token (never on a command line). */
function invokeTool(tool: string, args: object): { status: number; body: string } {
    const program = `fetch("http://127.0.0.1:${PRIMARY_GATEWAY.port}/tools/invoke", { method: "POST", headers: { authorization: "Bearer " + process.env.${PRIMARY_GATEWAY.env.token}, "content-type": "application/json" }, body: process.argv[1] }).then(async (r) => console.log(r.status + " " + (await r.text())), (e) => console.log("0 " + e))`;
    const printed = inContainer(PRIMARY_GATEWAY.container, program, JSON.stringify({ tool, args }));
    const [status, ...body] = printed.split(" ");
    return { status: Number(status), body: body.join(" ") };
}

/** A 1x1 PNG. */
function png(): Buffer {
    return Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
}

export function runningStack(): RunningStack {
    if (!running) throw new Error("the whole stack did not come up; see the first suite's error");
    return running;
}
