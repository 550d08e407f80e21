import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { asStep, generatedSecrets, named, ofType, recorded, resetMocks, settled, single, valueOf } from "../mocks";
import { OpenClawDeployment } from "../../components/deployment";
import { parseSettings, Settings } from "../../components/settings";
import { CLOUD_NAMES, CloudName, clouds } from "../../providers";
import { serverInputs } from "../cloudParts";
import { ConfigMap, devConfigFor, rawConfig, HOST_STEP_NAMES, SECRET_KEYS, STACK_STEP_NAMES, TEST_LLM_KEYS, TEST_TELEGRAM_TOKEN } from "../fixtures";


const STEP_NAMES = [...HOST_STEP_NAMES, ...STACK_STEP_NAMES];

function settingsFor(cloud: CloudName, extra: ConfigMap = {}): Settings {
    return parseSettings(rawConfig(devConfigFor(cloud, { "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN, ...extra }), SECRET_KEYS));
}

/** Deploys under mocks, recording each child's explicit dependencies by resource name. */
async function deploy(settings: Settings) {
    resetMocks();
    const dependsOn: Record<string, string[]> = {};
    const deployment = new OpenClawDeployment(
        "openclaw",
        { settings, hostName: "openclaw-dev" },
        {
            transformations: [
                (args) => {
                    const deps = args.opts.dependsOn;
                    // `__name` is the resource's logical name (a Pulumi internal, stable across versions).
                    dependsOn[args.name] = (Array.isArray(deps) ? deps : deps ? [deps] : []).map((d) => (d as any).__name);
                    return undefined;
                },
            ],
        },
    );
    await valueOf(pulumi.all(deployment.stack.commands.map((c) => c.id)));
    await settled();
    return { deployment, dependsOn, deployPublicKey: (await valueOf(deployment.secrets.deployPublicKey)).trim() };
}

for (const cloud of CLOUD_NAMES) {
    describe(`the container stack on ${cloud} (dev config)`, () => {
        let result: Awaited<ReturnType<typeof deploy>>;
        before(async () => {
            result = await deploy(settingsFor(cloud));
        });

        it("registers the deploy steps in order, each after the one before, the first after the host is ready", () => {
            const commands = ofType("command:remote:Command").map((c) => c.name);
            assert.deepStrictEqual(commands, STEP_NAMES.map((n) => `openclaw-${n}`));
            assert.deepStrictEqual(result.dependsOn["openclaw-host-access"], ["openclaw-host-ready"]);
            // The stack's first step also waits for the Cloudflare side, which therefore outlives it on destroy.
            assert.deepStrictEqual(result.dependsOn[`openclaw-${STEP_NAMES[2]}`], ["openclaw-host-access", "openclaw"], STEP_NAMES[2]);
            assert.strictEqual(single("openclaw:index:CloudflareIngress").name, "openclaw");
            for (let i = 3; i < STEP_NAMES.length; i++) {
                assert.deepStrictEqual(result.dependsOn[`openclaw-${STEP_NAMES[i]}`], [`openclaw-${STEP_NAMES[i - 1]}`], STEP_NAMES[i]);
            }
            assert.strictEqual(single("openclaw:index:Stack").name, "openclaw");
        });

        it("runs every step as deploy on the hardened port of the static IP", () => {
            const host = named("command:remote:Command", "openclaw-host-ready").inputs.connection.host;
            for (const name of STEP_NAMES) {
                const { connection } = named("command:remote:Command", `openclaw-${name}`).inputs;
                assert.deepStrictEqual({ host: connection.host, port: connection.port, user: connection.user }, { host, port: 9922, user: "deploy" }, name);
            }
        });

        it("sends secrets only on standard input and never logs it", () => {
            const secrets = [...Object.values(TEST_LLM_KEYS), TEST_TELEGRAM_TOKEN];
            for (const name of STEP_NAMES.slice(1)) {
                const inputs = named("command:remote:Command", `openclaw-${name}`).inputs;
                for (const secret of secrets) assert.ok(!JSON.stringify({ ...inputs, stdin: undefined }).includes(secret), `${name} carries a secret outside stdin`);
                assert.strictEqual(inputs.logging, "stdoutAndStderr", name);
                assert.strictEqual(inputs.environment, undefined, name);
            }
            const env: string = asStep(named("command:remote:Command", "openclaw-stack-secrets").inputs).stdin;
            assert.match(env, /^ANTHROPIC_API_KEY='sk-ant-test-/m);
            assert.match(env, new RegExp(`^TELEGRAM_BOT_TOKEN='${TEST_TELEGRAM_TOKEN}'$`, "m"));
        });

        it("checks the egress proxy per client: the model host LiteLLM's alone, a host off every list refused to all", () => {
            const verify: string = asStep(named("command:remote:Command", "openclaw-stack-verify").inputs).create;
            assert.match(verify, /'https:\/\/api\.anthropic\.com\/' \|\| echo "no-answer"\)\n\[ "\$status" != 200 \]/, "the agent's web_fetch of the model host");
            assert.match(verify, /'https:\/\/example\.com\/' \|\| echo "no-answer"\)\n\[ "\$status" != 200 \]/, "the agent's web_fetch of a host off the list");
            assert.match(verify, /node -e '[^']*CONNECT[^']*' 'example\.com' \|\| echo "no-answer"\)\n\[ "\$status" = 407 \]/, "the gateway's raw CONNECT to a host off the list");
            assert.match(verify, /python3 -c '[^']*CONNECT[^']*' 'api\.anthropic\.com' \|\| echo "no-answer"\)\n\[ "\$status" = 200 \]/, "LiteLLM's CONNECT to its model host");
        });

        it("exports the gateway URL of the tunnel's domain", async () => {
            assert.strictEqual(await valueOf(result.deployment.gatewayUrl), "https://claw-dev.example.com");
        });
    });
}

describe("the egress check with wildcard and example domains allowed", () => {
    it("probes the gateway's exact host and refuses one no list names", async () => {
        await deploy(settingsFor("hetzner", { "openclaw:egressDomains": '["*.example.org","example.com"]' }));
        const verify: string = asStep(named("command:remote:Command", "openclaw-stack-verify").inputs).create;
        assert.match(verify, /'https:\/\/api\.anthropic\.com\/' \|\| echo "no-answer"\)\n/);
        assert.match(verify, /'https:\/\/example\.net\/' \|\| echo "no-answer"\)\n\[ "\$status" != 200 \]/);
        assert.match(verify, /node -e '[^']*CONNECT[^']*' 'example\.net' \|\| echo "no-answer"\)\n\[ "\$status" = 407 \]/);
        // The gateway's first exact host (Telegram's, as the bot is on), never the wildcard; LiteLLM is refused it.
        assert.match(verify, /node -e '[^']*CONNECT[^']*' 'api\.telegram\.org' \|\| echo "no-answer"\)\n\[ "\$status" = 200 \]/);
        assert.match(verify, /python3 -c '[^']*CONNECT[^']*' 'api\.telegram\.org' \|\| echo "no-answer"\)\n\[ "\$status" = 407 \]/);
    });
});

describe("app settings never touch the server", () => {
    const changes: [string, ConfigMap][] = [
        ["models", { "openclaw:models": '[{"name":"gpt","model":"openai/gpt-5","apiKeyEnv":"OPENAI_API_KEY","maxBudgetUsd":5}]' }],
        ["openclawImage", { "openclaw:openclawImage": "ghcr.io/openclaw/openclaw:2026.10.1" }],
        ["egressDomains", { "openclaw:egressDomains": '["api.example.com"]' }],
        ["llmApiKeys", { "openclaw:llmApiKeys": JSON.stringify({ ...TEST_LLM_KEYS, ANTHROPIC_API_KEY: "sk-ant-rotated-0123456789" }) }],
        ["telegramBotToken", { "openclaw:telegramBotToken": "9876543210:BBExampleTokenForTestsOnly_abcdefghij" }],
    ];
    for (const cloud of CLOUD_NAMES) {
        it(`on ${cloud}: ${changes.map(([key]) => key).join(", ")}`, async () => {
            const base = { "openclaw:llmApiKeys": JSON.stringify(TEST_LLM_KEYS) };
            // The mocks generate new keys and secrets per run (the tunnel's secret reaches the tunnel);
            // everything else is deterministic.
            const masked = (text: string, deployPublicKey: string) =>
                generatedSecrets.reduce((t, secret) => t.split(secret).join("<secret>"), text.split(deployPublicKey).join("<deploy key>"));
            const snapshot = (deployPublicKey: string) => ({
                server: masked(JSON.stringify(serverInputs(cloud, single(clouds[cloud].parts.server).inputs)), deployPublicKey),
                others: recorded
                    .filter((r) => !r.type.startsWith("command:") && !r.type.startsWith("random:") && !r.type.startsWith("tls:"))
                    .map((r) => masked(JSON.stringify(r.type === clouds[cloud].parts.server ? { ...r, inputs: serverInputs(cloud, r.inputs) } : r), deployPublicKey)),
            });
            const before = snapshot((await deploy(settingsFor(cloud, base))).deployPublicKey);
            for (const [key, change] of changes) {
                const after = snapshot((await deploy(settingsFor(cloud, { ...base, ...change }))).deployPublicKey);
                assert.strictEqual(after.server, before.server, `${key} changed the server's inputs`);
                assert.deepStrictEqual(after.others, before.others, `${key} changed a resource other than a deploy step`);
            }
        });
    }
});
