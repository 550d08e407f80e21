// The real gateway: OpenClaw from npm at the pinned version on Node 24, started with the rendered
// openclaw.json and the compose service's command, user, environment and mounts (the config
// directory really read-only, the state volume writable, a /tmp of its own, the other services'
// names resolving). The internet is replaced by stand-ins behind a stand-in egress proxy that
// applies the rendered allowlist: a web page and Telegram's Bot API; LiteLLM by a stand-in model
// at its name and port. The bot has an owner (`telegramOwnerId`).
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import * as zlib from "zlib";
import { EGRESS_PROXY_URL, LITELLM_ROLE } from "../../components/stack/egress";
import { shellQuote } from "../../components/stack/steps";
import { httpStatus, node24, node24Command, node24Env, OPENCLAW_PACKAGE_DIR, openclaw, startNode24, waitForStatus } from "../artifacts/openclaw";
import { tempDir } from "../artifacts/tools";
import { ContainerLike, inContainer, loopbackAddress } from "../container";
import { TEST_TELEGRAM_TOKEN } from "../fixtures";
import { freePort } from "../ports";
import { composeModel, EGRESS_DOMAINS, GATEWAY_TOKEN, materialise, PROVIDER_HOSTS, Rendered, SMALL, TELEGRAM_OWNER_ID } from "../renderedStack";
import { FakeTelegram, startFakeTelegram, TELEGRAM_API_HOST } from "./fakeTelegram";
import { GatewayFiles, gatewayFiles } from "./gatewayFiles";
import { aclRoleDomains, StandInEgress, startStandInEgress } from "./standInEgress";
import { StandInLitellm, startStandInLitellm } from "./standInLitellm";
import { standInCertificate } from "./standInTls";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { GATEWAY_LITELLM_KEY_ENV } from "../../components/stack/gatewayConfig";
import { GATEWAY_GID, GATEWAY_UID, IMAGE_NODE_ID, SERVICES } from "../../components/stack/layout";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value; fails with `what` and `context()` after `timeoutMs`. */
async function eventually<T>(what: string, timeoutMs: number, check: () => T | undefined, context: () => string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = check();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs / 1000} s:\n${context()}`);
        await sleep(250);
    }
}

/** A 2x2 PNG image, built by hand: an attachment a real client could send. */
function png(): Buffer {
    const crcTable = Array.from({ length: 256 }, (_, n) => {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        return c >>> 0;
    });
    const crc = (bytes: Buffer) => {
        let c = 0xffffffff;
        for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
        return (c ^ 0xffffffff) >>> 0;
    };
    const chunk = (type: string, data: Buffer) => {
        const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(data.length);
        const sum = Buffer.alloc(4);
        sum.writeUInt32BE(crc(body));
        return Buffer.concat([length, body, sum]);
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(2, 0);
    header.writeUInt32BE(2, 4);
    header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
    const rows = Buffer.from([0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 0, 255, 255, 255]);
    return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", zlib.deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory() ? filesUnder(full) : [full];
    });
}

/** A web page, served where the stand-in egress proxy sends an allowlisted host. */
const PAGE_TEXT = "Everything the agent reads from the web comes through the egress proxy.";
const PAGE = `<!doctype html><html><head><title>Through the proxy</title></head><body><article><h1>Through the proxy</h1><p>${PAGE_TEXT}</p><p>It refuses every host that is not on the allowlist.</p></article></body></html>`;

describe("the real gateway (OpenClaw from npm, Node 24), run as compose runs it", function () {
    this.timeout(240_000);

    let rendered: Rendered;
    let service: any;
    let files: GatewayFiles;
    let configDir: string;
    let stateDir: string;
    let container: ContainerLike;
    let env: NodeJS.ProcessEnv;
    let port: number;
    let gateway: ReturnType<typeof startNode24> | undefined;
    let egress: StandInEgress;
    let litellmProxyAddress: string;
    let telegram: FakeTelegram;
    let litellm: StandInLitellm;
    const closers: (() => Promise<void> | void)[] = [];
    const url = (p: string) => `http://127.0.0.1:${port}${p}`;
    const context = () =>
        `gateway log:\n${gateway?.log().slice(-4000)}\nproxy: ${JSON.stringify(egress?.requests)}\nTelegram calls: ${telegram?.calls.join(" ")}\n` +
        `bot sent: ${JSON.stringify(telegram?.sent)}\nmodel calls: ${JSON.stringify(litellm?.calls)}, refused: ${litellm?.refused.join(", ")}`;

    before(async function () {
        rendered = await materialise(true, { mode: "none" }, SMALL, TELEGRAM_OWNER_ID);
        const model = composeModel(rendered.dir);
        service = model.services.gateway;

        files = gatewayFiles(service, rendered.files.gatewayConfigs[PRIMARY_GATEWAY.name]);
        configDir = files.configDir;
        stateDir = files.stateDir;

        // The internet, small: a page for an allowlisted web host, Telegram's API, and a model
        // provider's API host answering 404 at its root (as the real one does), behind a stand-in
        // egress proxy at the proxy's name and port.
        const tls = standInCertificate([TELEGRAM_API_HOST, PROVIDER_HOSTS[0]]);
        const page = http.createServer((_, res) => res.writeHead(200, { "content-type": "text/html" }).end(PAGE));
        await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
        closers.push(() => new Promise<void>((resolve) => page.close(() => resolve())));
        const provider = https.createServer({ key: tls.key, cert: tls.cert }, (_, res) =>
            res.writeHead(404, { "content-type": "application/json" }).end('{"type":"error","error":{"type":"not_found_error","message":"Not Found"}}'),
        );
        await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
        closers.push(() => new Promise<void>((resolve) => provider.close(() => resolve())));
        telegram = await startFakeTelegram(TEST_TELEGRAM_TOKEN, tls);
        closers.push(() => telegram.close());

        // Every other service's container name resolves; only the egress proxy's and LiteLLM's answer.
        const proxy = new URL(EGRESS_PROXY_URL);
        const litellmUrl = new URL(JSON.parse(rendered.files.gatewayConfigs[PRIMARY_GATEWAY.name]).models.providers.litellm.baseUrl);
        const names = Object.values(model.services).map((s: any) => s.container_name as string);
        assert.ok(names.includes(litellmUrl.hostname), `the gateway calls LiteLLM at ${litellmUrl.hostname}, no service's container name`);
        const [proxyAddress, litellmAddress, nowhere] = [loopbackAddress(), loopbackAddress(), loopbackAddress()];
        const hosts = Object.fromEntries(names.map((name) => [name, name === proxy.hostname ? proxyAddress : name === litellmUrl.hostname ? litellmAddress : nowhere]));
        // The proxy's two clients, each with its role's allowlist: the gateway, and the deploy check's
        // probe in LiteLLM's container, which resolves the proxy's name to an address of its own.
        litellmProxyAddress = loopbackAddress();
        const clients = [
            { address: proxyAddress, role: PRIMARY_GATEWAY.name, allowedDomains: aclRoleDomains(rendered.files.egressAcl, PRIMARY_GATEWAY.name) },
            { address: litellmProxyAddress, role: LITELLM_ROLE, allowedDomains: aclRoleDomains(rendered.files.egressAcl, LITELLM_ROLE) },
        ];
        egress = await startStandInEgress(Number(proxy.port), clients, {
            [EGRESS_DOMAINS[0]]: (page.address() as net.AddressInfo).port,
            [TELEGRAM_API_HOST]: telegram.port,
            [PROVIDER_HOSTS[0]]: (provider.address() as net.AddressInfo).port,
        });
        closers.push(() => egress.close());
        container = files.container(hosts);

        // The service's environment (compose interpolated .env into it), its container paths here.
        env = node24Env(files.home, { ...files.environment, NODE_EXTRA_CA_CERTS: tls.file });
        litellm = await startStandInLitellm(litellmAddress, Number(litellmUrl.port), String(env[GATEWAY_LITELLM_KEY_ENV]));
        closers.push(() => litellm.close());

        // The compose command, `node dist/index.js gateway ...`, from the package's directory, on a free port.
        const command: string[] = [...service.command];
        assert.strictEqual(command[0], "node");
        port = await freePort();
        command[command.indexOf("--port") + 1] = String(port);
        gateway = startNode24(command.slice(1), env, OPENCLAW_PACKAGE_DIR, container);
        await waitForStatus(gateway, url("/healthz"), 200, 180_000);
    });

    after(async function () {
        await gateway?.stop();
        for (const close of closers.reverse()) await close();
    });

    /** A tool call through the gateway's HTTP tool endpoint, with the token compose gives the gateway. */
    async function invokeTool(tool: string, args: object): Promise<{ status: number; body: any }> {
        const response = await fetch(url("/tools/invoke"), {
            method: "POST",
            headers: { authorization: `Bearer ${env.OPENCLAW_GATEWAY_TOKEN}`, "content-type": "application/json" },
            body: JSON.stringify({ tool, args }),
            signal: AbortSignal.timeout(120_000),
        });
        return { status: response.status, body: await response.json().catch(() => undefined) };
    }

    it("runs as the compose service's user, the gateway's own id and not the image's node, with the state directory compose gives it", () => {
        assert.strictEqual(service.user, `${GATEWAY_UID}:${GATEWAY_GID}`);
        assert.deepStrictEqual([container.uid, container.gid], [GATEWAY_UID, GATEWAY_GID]);
        assert.notStrictEqual(container.uid, IMAGE_NODE_ID, "the gateway runs as the image's node, a login's uid on most hosts");
        assert.strictEqual(fs.statSync(files.home).uid, IMAGE_NODE_ID, "HOME is the image's node's, as in the image");
        assert.strictEqual(service.environment.OPENCLAW_STATE_DIR, "/home/node/.openclaw", "OPENCLAW_STATE_DIR is the state volume");
    });

    it("answers GET /healthz with 200, without credentials", async () => {
        assert.strictEqual(await httpStatus(url("/healthz")), 200);
    });

    it("refuses POST /tools/invoke without the token or with a wrong one (401), and lets the token from .env through", async () => {
        assert.strictEqual(await httpStatus(url("/tools/invoke"), { method: "POST" }), 401);
        assert.strictEqual(await httpStatus(url("/tools/invoke"), { method: "POST", headers: { Authorization: "Bearer not-the-token" } }), 401);
        assert.strictEqual(env.OPENCLAW_GATEWAY_TOKEN, GATEWAY_TOKEN, "compose gives the gateway the token from .env");
        const status = await httpStatus(url("/tools/invoke"), { method: "POST", headers: { Authorization: `Bearer ${GATEWAY_TOKEN}` } });
        assert.ok(status !== 401 && status !== 0, `with the token: ${status}`);
    });

    it("resolves every secret its config references from the environment compose gives it", () => {
        assert.ok(!/SECRETS_OWNER_UNAVAILABLE|SECRETS_DEGRADED|secret reference was not found/.test(gateway!.log()), gateway!.log().slice(-4000));
        assert.ok(/gateway\.auth\.token is active/.test(gateway!.log()), "the token auth surface is not active");
    });

    it("the agent's web_fetch reaches an allowlisted host through the egress proxy, and a host off the gateway's list, a model provider's too, is refused there", async () => {
        const fetched = await invokeTool("web_fetch", { url: `http://${EGRESS_DOMAINS[0]}/zen` });
        assert.strictEqual(fetched.status, 200, `web_fetch of an allowlisted host: ${JSON.stringify(fetched.body)}\n${context()}`);
        assert.ok(JSON.stringify(fetched.body).includes(PAGE_TEXT), JSON.stringify(fetched.body));
        assert.ok(egress.requests.some((r) => r.host === EGRESS_DOMAINS[0] && r.allowed), context());

        const refused = await invokeTool("web_fetch", { url: "http://example.com/" });
        assert.notStrictEqual(refused.status, 200, JSON.stringify(refused.body));
        assert.ok(egress.requests.some((r) => r.host === "example.com" && !r.allowed), `the refused fetch never reached the proxy:\n${context()}`);

        // A model provider's host is LiteLLM's alone: the agent cannot reach it past LiteLLM's budgets.
        const model = await invokeTool("web_fetch", { url: `https://${PROVIDER_HOSTS[0]}/` });
        assert.notStrictEqual(model.status, 200, JSON.stringify(model.body));
        assert.ok(egress.requests.some((r) => r.host === PROVIDER_HOSTS[0] && r.role === PRIMARY_GATEWAY.name && !r.allowed), `the model host's fetch never reached the proxy:\n${context()}`);
    });

    const owner = { id: Number(TELEGRAM_OWNER_ID), firstName: "Owen" };
    const ada = { id: 424242, firstName: "Ada" };
    const PAIRING = /pairing approve telegram ([A-Z2-9]{8})/;
    const sentTo = (user: { id: number }) => telegram.sent.filter((m) => m.chatId === user.id);
    /** The bot's message to `user` that carries the model's answer to the call whose user text includes `text`. */
    const answeredWith = (user: { id: number }, text: string) => {
        const call = litellm.calls.find((c) => c.userText.includes(text));
        return call && sentTo(user).find((m) => m.text.includes(call.answer)) && call;
    };

    it("Telegram: polls through the egress proxy", async () => {
        await eventually("a getUpdates call through the proxy", 120_000, () => telegram.calls.includes("getUpdates"), context);
        assert.ok(egress.requests.some((r) => r.host === TELEGRAM_API_HOST && r.allowed), context());
    });

    it("Telegram: the owner (telegramOwnerId) is answered by the model through LiteLLM, with no pairing step", async () => {
        const question = "owner asks: what is on today?";
        telegram.sendText(owner, question);
        const call = await eventually("the model's answer sent to the owner", 120_000, () => answeredWith(owner, question), context);
        assert.deepStrictEqual({ model: call.model, keyMatches: call.keyMatches }, { model: "claude-sonnet", keyMatches: true }, context());
        assert.deepStrictEqual(sentTo(owner).filter((m) => /pairing/i.test(m.text)), [], "the owner was asked to pair");
    });

    let code = "";
    const adaFirst = "ada asks first: may I talk to you?";

    it("Telegram: anyone else gets a pairing code that tells them their user id, and their message reaches no model", async () => {
        telegram.sendText(ada, adaFirst);
        const message = await eventually("a pairing code sent to the new sender", 120_000, () => sentTo(ada).find((m) => PAIRING.test(m.text)), context);
        code = PAIRING.exec(message.text)![1];
        assert.ok(message.text.includes(`Your Telegram user id: ${ada.id}`), message.text);
        assert.deepStrictEqual(litellm.calls.filter((c) => c.userText.includes(adaFirst)), [], "a message from an unpaired sender reached the model");
    });

    it("Telegram: `openclaw pairing approve telegram <code>` in the container exits 0 and writes no command owner; the sender is then answered and their photo stored in the state volume", async () => {
        assert.ok(code, "no pairing code from the test before");
        // `sudo docker exec openclaw-gateway openclaw pairing approve telegram <CODE>`: the
        // container's user, environment and mounts; the image's `openclaw` is its dist/index.js.
        // With a command owner configured it has no first owner to write into openclaw.json.
        const approval = openclaw(["pairing", "approve", "telegram", code], env, container);
        assert.strictEqual(approval.status, 0, approval.output);
        assert.match(approval.output, new RegExp(`Approved telegram sender ${ada.id}\\.`), approval.output);
        assert.doesNotMatch(approval.output, /Command owner configured/, approval.output);

        const second = "ada asks again: now may I?";
        telegram.sendText(ada, second);
        await eventually("the model's answer sent to the approved sender", 120_000, () => answeredWith(ada, second), context);
        assert.deepStrictEqual(litellm.calls.filter((c) => c.userText.includes(adaFirst)), [], "the message sent before approval reached the model");

        const photo = png();
        telegram.sendPhoto(ada, photo, "what is in this picture?");
        const stored = await eventually("the photo stored under the state volume's media/", 120_000, () =>
            filesUnder(path.join(stateDir, "media")).find((file) => fs.readFileSync(file).equals(photo)), context);
        assert.ok(telegram.downloads.length > 0, "the photo was never downloaded");
        assert.ok(stored.startsWith(path.join(stateDir, "media", "inbound")), stored);
    });

    it("Telegram: the owner may run an owner-only command (/send on), and the approved sender may not", async () => {
        const ownerBefore = sentTo(owner).length;
        telegram.sendText(owner, "/send on");
        await eventually("the owner's /send on done", 120_000, () => sentTo(owner).slice(ownerBefore).find((m) => m.text.includes("Send policy set to on.")), context);
        // Once an owner is configured, OpenClaw gives other senders no command authority at all:
        // it answers with its generic failure, not with the command's refusal.
        // A late answer to an earlier message (the photo) is not the reply.
        const [adaBefore, earlierAnswers] = [sentTo(ada).length, litellm.calls.map((c) => c.answer)];
        telegram.sendText(ada, "/send on");
        const reply = await eventually("a reply to the approved sender's /send on", 120_000, () =>
            sentTo(ada).slice(adaBefore).find((m) => !earlierAnswers.some((answer) => m.text.includes(answer))), context);
        assert.doesNotMatch(reply.text, /Send policy set/, context());
        assert.match(reply.text, /couldn't produce or deliver a reply/, context());
    });

    it("keeps its state in the state volume, writes nothing to its config directory and tries to write nothing there", () => {
        assert.ok(fs.existsSync(path.join(stateDir, "state")), `no state under ${stateDir}`);
        assert.deepStrictEqual(fs.readdirSync(configDir), ["openclaw.json"]);
        assert.strictEqual(fs.readFileSync(path.join(configDir, "openclaw.json"), "utf8"), rendered.files.gatewayConfigs[PRIMARY_GATEWAY.name]);
        // Any other path in the config directory is one OpenClaw wanted to create there (media/, credentials/, ...).
        const elsewhere = new RegExp(`${configDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(?!openclaw\\.json)`);
        const lines = gateway!.log().split("\n").filter((line) => elsewhere.test(line) || (/EROFS|EACCES/.test(line) && line.includes(configDir)));
        assert.deepStrictEqual(lines, [], "OpenClaw tried to write in its read-only config directory");
    });

    it("tries to write nothing in HOME, the image's node's (and read-only), but its state volume and its cache", () => {
        const inHome = new RegExp(`${files.home.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(?!\\.openclaw|\\.cache)`);
        const lines = gateway!.log().split("\n").filter((line) => /EROFS|EACCES|EPERM/.test(line) && (inHome.test(line) || line.includes(`${files.home}'`)));
        assert.deepStrictEqual(lines, [], "OpenClaw tried to write in HOME outside its state volume and cache");
    });

    /** The compose healthcheck of the gateway, run with Node 24 in the container's environment. */
    function healthcheck(): ReturnType<typeof node24> {
        const test: string[] = service.healthcheck.test;
        assert.deepStrictEqual(test.slice(0, 3), ["CMD", "node", "-e"]);
        const containerPort = service.command[service.command.indexOf("--port") + 1];
        const program = test[3].replace(`127.0.0.1:${containerPort}/`, `127.0.0.1:${port}/`);
        assert.notStrictEqual(program, test[3], `the healthcheck does not call the gateway's port ${containerPort}`);
        return node24(["-e", program], env, container);
    }

    it("the compose healthcheck passes against it", () => {
        const result = healthcheck();
        assert.strictEqual(result.status, 0, result.output);
    });

    it("the stack-verify step passes against it: health, auth, the agent's web_fetch through the proxy, and each client's reach and refusals", async () => {
        const verify = await runVerify(rendered, gateway!, { container, env, port }, { logFile: egress.logFile, litellm: { ...container, uid: 65534, gid: 65534, readOnly: [], image: [], hosts: { [SERVICES.egress.container]: litellmProxyAddress } } });
        assert.strictEqual(verify.status, 0, `${verify.output}\n${context()}`);
        const lines = [
            "/healthz answers 200",
            "an unauthenticated gateway call is refused (401)",
            `the agent's web_fetch goes through the egress proxy, which refuses it ${PROVIDER_HOSTS[0]} (LiteLLM's alone)`,
            `${PRIMARY_GATEWAY.container} reaches ${EGRESS_DOMAINS[0]} through the egress proxy`,
            `LiteLLM reaches ${PROVIDER_HOSTS[0]} through the egress proxy`,
            `the egress proxy refuses example.com to every client, ${PROVIDER_HOSTS[0]} to the gateways and ${EGRESS_DOMAINS[0]} to LiteLLM`,
        ];
        for (const line of lines) {
            assert.ok(verify.output.includes(line), verify.output);
        }
    });

    it("after the gateway stops, the healthcheck fails", async () => {
        await gateway!.stop();
        const result = healthcheck();
        assert.notStrictEqual(result.status, 0, result.output);
    });
});

/**
 * Runs the stack-verify step's script as bash runs it on the host, with a `sudo` that stands in
 * for Docker: `docker exec <gateway> node ...` runs Node 24 as the container runs it (the test
 * gateway's port for the container's), `docker logs` prints what the gateway printed since the
 * script started (the proxy's: the stand-in's decisions), and `docker exec <litellm> python3 ...`
 * runs this machine's Python 3 in a container that resolves the proxy's name to LiteLLM's address
 * of the stand-in.
 */
async function runVerify(
    rendered: Rendered,
    gateway: ReturnType<typeof startNode24>,
    target: { container: ContainerLike; env: NodeJS.ProcessEnv; port: number },
    egress: { logFile: string; litellm: ContainerLike },
): Promise<{ status: number; output: string }> {
    const verify = rendered.steps.find((s) => s.name === "stack-verify")!;
    const model = composeModel(rendered.dir);
    const gatewayService = model.services.gateway;
    const containerPort = gatewayService.command[gatewayService.command.indexOf("--port") + 1];
    const { command, argv } = node24Command([], target.env, target.container);
    const dir = tempDir("verify");
    const logOffset = fs.statSync(gateway.logFile).size;
    const q = shellQuote;
    const [python, pythonArgs] = inContainer(egress.litellm, ["/usr/bin/python3"], "/");
    fs.writeFileSync(
        path.join(dir, "sudo"),
        `#!/bin/bash
set -euo pipefail
if [ "$1 $2 $3" = ${q(`docker logs --since`)} ] && [ "$5" = ${q(gatewayService.container_name)} ]; then
    exec tail -c +${logOffset + 1} ${q(gateway.logFile)}
fi
if [ "$1 $2 $3" = ${q(`docker logs --since`)} ] && [ "$5" = ${q(SERVICES.egress.container)} ]; then
    exec cat ${q(egress.logFile)}
fi
if [ "$1 $2 $3 $4" = ${q(`docker exec ${SERVICES.litellm.container} python3`)} ]; then
    shift 4
    exec ${[python, ...pythonArgs].map(q).join(" ")} "$@"
fi
[ "$1 $2 $3 $4" = ${q(`docker exec ${gatewayService.container_name} node`)} ] || { echo "unexpected: sudo $*" >&2; exit 97; }
shift 4
args=()
for arg in "$@"; do args+=("\${arg//${q(`127.0.0.1:${containerPort}/`)}/${q(`127.0.0.1:${target.port}/`)}}"); done
exec ${[command, ...argv].map(q).join(" ")} "\${args[@]}"
`,
        { mode: 0o755 },
    );
    const file = path.join(dir, "stack-verify.sh");
    fs.writeFileSync(file, verify.script);
    const env = { ...target.env, PATH: `${dir}:/usr/bin:/bin` };
    return new Promise((done) =>
        execFile("/bin/bash", [file], { env, timeout: 300_000 }, (error, stdout, stderr) =>
            done({ status: error ? Number((error as any).code) || 1 : 0, output: `${stdout}${stderr}` }),
        ),
    );
}
