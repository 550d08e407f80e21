// LiteLLM at the pinned version (PyPI's litellm[proxy,extra_proxy], the image's) and Redis (Debian's
// server), started with the rendered config and the compose services' command lines, environment
// and users (./litellmStack.ts). The providers' APIs are stand-ins behind a stand-in egress proxy:
// LiteLLM reaches them through the HTTPS_PROXY compose gives it, and trusts their certificate
// through SSL_CERT_FILE, which LiteLLM's HTTP clients honour
// (litellm/llms/custom_httpx/http_handler.py, get_ssl_configuration).
//
// What the docs promise is checked here: each model routed to its provider with its key, the
// master key enforced, `rpm` a limit per UTC minute and `maxBudgetUsd` a limit per 30 days, both
// kept across a restart of LiteLLM and a restart of Redis.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { IMAGES } from "../../components/stack/images";
import { PORTS, SERVICES } from "../../components/stack/layout";
import { BUDGET_DURATION } from "../../components/stack/litellmConfig";
import { containerDir } from "../container";
import { TEST_LLM_KEYS } from "../fixtures";
import { freePort } from "../ports";
import { byContainer, composeModel, materialise, MODELS, SMALL } from "../renderedStack";
import { ANTHROPIC_HOST, FakeProviders, OPENAI_HOST, startFakeProviders } from "./fakeProviders";
import {
    Answer,
    assertInstalled,
    call,
    chat,
    installedLitellmVersion,
    LitellmServer,
    livenessUrl,
    masterKeyOf,
    RedisServer,
    redisGet,
    startLitellm,
    startRedis,
    streamedText,
} from "./litellmStack";
import { loopbackAddress } from "../container";
import { sleep, waitUntil } from "../processes";
import { aclRoleDomains, StandInEgress, startStandInEgress } from "./standInEgress";
import { LITELLM_ROLE } from "../../components/stack/egress";
import { standInCertificate } from "./standInTls";

const PROVIDER_HOST: Record<string, string> = { anthropic: ANTHROPIC_HOST, openai: OPENAI_HOST };

describe("LiteLLM from PyPI at the pinned version, with the rendered config, as compose runs it", function () {
    this.timeout(600_000);

    let service: any;
    let redisService: any;
    let masterKey: string;
    let hosts: Record<string, string>;
    let caFile: string;
    let litellmPort: number;
    let redisData: string;
    let providers: FakeProviders;
    let egress: StandInEgress;
    let redis: RedisServer;
    let litellm: LitellmServer;

    const startLitellmAgain = () => startLitellm({ service, hosts, caFile, port: litellmPort });
    const startRedisAgain = () => startRedis(redisService, hosts[SERVICES.redis.container], redisData);

    before(async function () {
        assertInstalled();
        const rendered = await materialise(false, { mode: "none" }, SMALL);
        const compose = composeModel(rendered.dir);
        [, service] = byContainer(compose, SERVICES.litellm.container);
        [, redisService] = byContainer(compose, SERVICES.redis.container);
        masterKey = masterKeyOf(service);

        const tls = standInCertificate([ANTHROPIC_HOST, OPENAI_HOST]);
        caFile = tls.file;
        providers = await startFakeProviders(tls, { anthropic: TEST_LLM_KEYS.ANTHROPIC_API_KEY, openai: TEST_LLM_KEYS.OPENAI_API_KEY });
        hosts = { [SERVICES.redis.container]: loopbackAddress(), [SERVICES.egress.container]: loopbackAddress() };
        // LiteLLM is the stand-in's one client: its role's allowlist, at the address LiteLLM resolves the proxy's name to.
        const client = { address: hosts[SERVICES.egress.container], role: LITELLM_ROLE, allowedDomains: aclRoleDomains(rendered.files.egressAcl, LITELLM_ROLE) };
        egress = await startStandInEgress(PORTS.egress, [client], {
            [ANTHROPIC_HOST]: providers.port,
            [OPENAI_HOST]: providers.port,
        });
        redisData = containerDir("redis-data");
        redis = await startRedisAgain();
        litellmPort = await freePort();
        litellm = await startLitellmAgain();
    });

    after(async function () {
        await litellm?.program.stop();
        await redis?.program.stop();
        await egress?.close();
        await providers?.close();
    });

    it("is the version of the pinned image", () => {
        assert.strictEqual(`v${installedLitellmVersion()}`, IMAGES.litellm.split(":").pop());
    });

    it("answers its compose healthcheck's liveness URL", async () => {
        const answer = await call(livenessUrl(service, litellmPort));
        assert.strictEqual(answer.status, 200, answer.body);
    });

    it("routes each configured model to its provider's API through the egress proxy, with that provider's key", async () => {
        for (const m of MODELS) {
            const host = PROVIDER_HOST[m.model.split("/")[0]];
            const before = providers.calls.length;
            const answer = await chat(litellm, m.name, masterKey);
            assert.strictEqual(answer.status, 200, `${m.name}: ${answer.body}`);
            assert.match(JSON.parse(answer.body).choices[0].message.content, new RegExp(`answer from ${host.replace(/\./g, "\\.")}`));
            const calls = providers.calls.slice(before);
            assert.deepStrictEqual(
                calls.map((c) => ({ host: c.host, model: c.model, keyMatches: c.keyMatches })),
                [{ host, model: m.model.split("/").slice(1).join("/"), keyMatches: true }],
                `${m.name}: the calls the stand-in ${host} saw`,
            );
            assert.ok(egress.requests.some((r) => r.host === host && r.port === 443 && r.allowed), `${m.name}: no CONNECT ${host}:443 through the egress proxy`);
        }
    });

    it("streams each model's answer as the gateway asks for it (stream: true): the provider's text, from the provider's own stream", async () => {
        for (const m of MODELS) {
            const host = PROVIDER_HOST[m.model.split("/")[0]];
            const before = providers.calls.length;
            const answer = await chat(litellm, m.name, masterKey, true);
            assert.strictEqual(answer.status, 200, `${m.name}: ${answer.body}`);
            assert.strictEqual(streamedText(answer.body), `answer from ${host}`, `${m.name}: the streamed text`);
            assert.deepStrictEqual(providers.calls.slice(before).map((c) => ({ host: c.host, stream: c.stream })), [{ host, stream: true }], `${m.name}: the calls the stand-in saw`);
        }
    });

    it("refuses a request without the master key (401 with none; 400 with another, as LiteLLM has no database of keys) and calls no provider", async () => {
        const before = providers.calls.length;
        const none = await call(`${litellm.url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: MODELS[0].name, messages: [{ role: "user", content: "hi" }] }),
        });
        assert.strictEqual(none.status, 401, none.body);
        for (const key of [`${masterKey}x`, "sk-1234", "not-a-key"]) {
            const wrong = await chat(litellm, MODELS[0].name, key);
            assert.strictEqual(wrong.status, 400, wrong.body);
            assert.strictEqual(JSON.parse(wrong.body).error.type, "no_db_connection", wrong.body);
        }
        assert.strictEqual(providers.calls.length, before);
    });

    describe("maxBudgetUsd: a model's spend over 30 days", () => {
        const budgeted = MODELS.find((m) => m.maxBudgetUsd !== undefined)!;
        const unbudgeted = MODELS.find((m) => m.maxBudgetUsd === undefined)!;
        const spendKey = `deployment_spend:${budgeted.name}:${BUDGET_DURATION}`;

        const assertRefused = (answer: Answer, when: string) => {
            assert.strictEqual(answer.status, 429, `${when}: ${answer.body}`);
            assert.match(answer.body, /crossed budget/, when);
        };

        it("serves the request that crosses the budget, then refuses the model (429) while other models go on", async () => {
            // One answer costs more than the whole budget at the provider's list price.
            providers.setUsage({ inputTokens: 1_000, outputTokens: 3_000_000 });
            const crossing = await chat(litellm, budgeted.name, masterKey);
            assert.strictEqual(crossing.status, 200, crossing.body);
            // LiteLLM prices the answer after sending it, so the refusal follows within moments.
            let refused: Answer = crossing;
            await waitUntil(litellm.program, `${budgeted.name} refused after crossing its budget`, async () => (refused = await chat(litellm, budgeted.name, masterKey)).status !== 200, 120_000);
            assertRefused(refused, "after the crossing request");
            const other = await chat(litellm, unbudgeted.name, masterKey);
            assert.strictEqual(other.status, 200, `${unbudgeted.name}, which has no budget: ${other.body}`);
        });

        it("keeps the spend in Redis under the model's name, not under a hash of its settings and key", async () => {
            await waitUntil(redis.program, `${spendKey} in Redis`, async () => Number((await redisGet(redis.address, spendKey)) ?? 0) > budgeted.maxBudgetUsd!, 60_000);
        });

        it("still refuses the model after LiteLLM restarts", async () => {
            await litellm.program.stop();
            litellm = await startLitellmAgain();
            assertRefused(await chat(litellm, budgeted.name, masterKey), "the first request after the restart");
            const other = await chat(litellm, unbudgeted.name, masterKey);
            assert.strictEqual(other.status, 200, other.body);
        });

        it("still refuses the model after LiteLLM restarts with a new provider key", async () => {
            await litellm.program.stop();
            litellm = await startLitellm({ service: withEnvironment(service, { [budgeted.apiKeyEnv]: "sk-ant-rotated-0123456789" }), hosts, caFile, port: litellmPort });
            assertRefused(await chat(litellm, budgeted.name, masterKey), "the first request with the new key");
            await litellm.program.stop();
            litellm = await startLitellmAgain();
        });

        it("still refuses the model after Redis restarts, and LiteLLM after it (as at the nightly reboot)", async () => {
            await litellm.program.stop();
            await redis.program.stop();
            redis = await startRedisAgain();
            litellm = await startLitellmAgain();
            assertRefused(await chat(litellm, budgeted.name, masterKey), "the first request after both restarts");
            assert.ok(fs.existsSync(path.join(redisData, "appendonlydir")), "the counts came back from the append-only file in Redis's volume");
        });

        after(() => providers.setUsage({ inputTokens: 12, outputTokens: 7 }));
    });

    describe("rpm: a model's requests per UTC minute", () => {
        // The budgeted model is refused by now; the rate is LiteLLM's per deployment, the same for each.
        const limited = MODELS.find((m) => m.maxBudgetUsd === undefined && m.rpm !== undefined)!;

        /**
         * Runs `steps` from the start of the next UTC minute (LiteLLM counts each deployment's
         * requests per minute of the clock, so none made before count). True if they passed within
         * that minute; false if the minute ended first (a busy machine), whether or not they passed
         * then: the caller tries again. A failure within the minute is the test's failure.
         */
        async function withinOneMinute(steps: () => Promise<void>): Promise<boolean> {
            const minute = Math.floor(Date.now() / 60_000) + 1;
            while (Date.now() < minute * 60_000) await sleep(200);
            const sameMinute = () => Math.floor(Date.now() / 60_000) === minute;
            try {
                await steps();
            } catch (error) {
                if (sameMinute()) throw error;
                return false;
            }
            return sameMinute();
        }

        const fill = async () => {
            for (let i = 1; i <= limited.rpm!; i++) {
                const answer = await chat(litellm, limited.name, masterKey);
                assert.strictEqual(answer.status, 200, `request ${i} of ${limited.rpm}: ${answer.body}`);
            }
        };
        const assertLimited = (answer: Answer, when: string) => {
            assert.strictEqual(answer.status, 429, `${when}: ${answer.body}`);
            assert.match(answer.body, new RegExp(`RPM limit=${limited.rpm}\\b`), when);
        };

        it(`serves ${limited.rpm} requests in a minute, refuses the next (429), and keeps the count across a restart of Redis and one of LiteLLM`, async () => {
            let done = false;
            for (let attempt = 1; attempt <= 3 && !done; attempt++) {
                done = await withinOneMinute(async () => {
                    await fill();
                    assertLimited(await chat(litellm, limited.name, masterKey), `request ${limited.rpm! + 1}`);
                    await redis.program.stop();
                    redis = await startRedisAgain();
                    assertLimited(await chat(litellm, limited.name, masterKey), "the first request after Redis restarted");
                    await litellm.program.stop();
                    litellm = await startLitellmAgain();
                    assertLimited(await chat(litellm, limited.name, masterKey), "the first request after LiteLLM restarted");
                });
            }
            assert.ok(done, "three tries did not fit in a minute each");
        });
    });
});

/** `service` with some of its environment replaced (a new `.env`, as `pulumi up` writes one). */
function withEnvironment(service: any, environment: Record<string, string>): any {
    return { ...service, environment: { ...service.environment, ...environment } };
}
