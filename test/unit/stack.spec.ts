import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { valueOf } from "../mocks";
import { clouds, CLOUD_NAMES } from "../../providers";
import { parseSettings, Settings } from "../../components/settings";
import { renderCompose } from "../../components/stack/compose";
import { egressProbe, EGRESS_PROXY_URL } from "../../components/stack/egress";
import { renderEnvFile } from "../../components/stack/envFile";
import { DENIED_TOOLS } from "../../components/stack/gatewayConfig";
import { INGRESS_PROXY_ADDRESS, NETWORKS, STACK_FILES } from "../../components/stack/layout";
import { GATEWAY_MIN_MEMORY_MIB, HOST_MEMORY_SHARE, stackLimits } from "../../components/stack/limits";
import { egressRolesFor, renderStackFiles, stackEnv } from "../../components/stack/files";
import { gatewayUrl } from "../../components/stack/ingress";
import { StackFiles, stackSteps } from "../../components/stack/steps";
import { ConfigMap, devConfigFor, ingressStepsFor, maintenanceStepsFor, rawConfig, SECRET_KEYS, STACK_STEP_NAMES, TEST_LLM_KEYS, TEST_TELEGRAM_TOKEN } from "../fixtures";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { TEST_STACK_APP } from "../fixtures";

const SMALL = { vcpus: 2, memoryMiB: 4096 };
const LARGE = { vcpus: 16, memoryMiB: 65536 };

const APP = TEST_STACK_APP;

const compose = (app = APP, mode: "tunnel" | "none" = "tunnel", size = SMALL) =>
    YAML.parse(renderStackFiles(app, { mode, domain: "claw.example.com" }, size).compose);

describe("stack limits", () => {
    it("fit every offered server type in 85% of its memory and give the gateway at least its floor", () => {
        for (const cloud of CLOUD_NAMES) {
            for (const [type, size] of Object.entries(clouds[cloud].catalog.serverTypes)) {
                const limits = stackLimits(size);
                const total = Object.values(limits.services).reduce((sum, s) => sum + s.memoryMiB, 0);
                assert.ok(total <= size.memoryMiB * HOST_MEMORY_SHARE, `${cloud} ${type}: ${total} MiB of ${size.memoryMiB}`);
                assert.ok(limits.gateways[PRIMARY_GATEWAY.name].memoryMiB >= GATEWAY_MIN_MEMORY_MIB, `${cloud} ${type}: gateway too small`);
                assert.ok(limits.gateways[PRIMARY_GATEWAY.name].heapMiB < limits.gateways[PRIMARY_GATEWAY.name].memoryMiB, "the V8 heap stays below the cap");
                for (const service of Object.values(limits.services)) assert.ok(service.cpus <= size.vcpus && service.cpus > 0);
            }
        }
    });

    it("give a 64 GB host's room to the gateway and refuse a host too small for it", () => {
        assert.ok(stackLimits(LARGE).gateways[PRIMARY_GATEWAY.name].memoryMiB > 8 * stackLimits(SMALL).gateways[PRIMARY_GATEWAY.name].memoryMiB);
        assert.throws(() => stackLimits({ vcpus: 1, memoryMiB: 2048 }), /2048 MiB of memory leaves the gateway \d+ MiB; it needs at least 1536/);
    });
});

describe("the compose file", () => {
    it("hardens every service: no capabilities, no new privileges, a healthcheck, limits, restart", () => {
        for (const [name, service] of Object.entries<any>(compose().services)) {
            assert.deepStrictEqual(service.cap_drop, ["ALL"], name);
            assert.deepStrictEqual(service.security_opt, ["no-new-privileges:true"], name);
            assert.strictEqual(service.restart, "unless-stopped", name);
            assert.ok(service.healthcheck?.test?.length > 1, `${name} has a healthcheck`);
            assert.match(service.deploy.resources.limits.memory, /^\d+M$/, name);
            assert.ok(service.deploy.resources.limits.pids > 0, name);
            assert.ok(!service.privileged, name);
        }
        const readOnly = Object.entries<any>(compose().services).filter(([, s]) => s.read_only).map(([n]) => n);
        assert.deepStrictEqual(readOnly.sort(), ["cloudflared", "egress", "gateway", "redis"], "LiteLLM alone writes to its image");
    });

    it("pins every image and builds the egress proxy from our Go module, pinned by go.mod and go.sum", () => {
        const files = renderStackFiles(APP, { mode: "tunnel", domain: "claw.example.com" }, SMALL);
        const services = YAML.parse(files.compose).services;
        for (const [name, service] of Object.entries<any>(services)) {
            assert.match(service.image, /:[\w.-]+(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/, `${name} image pinned`);
            assert.doesNotMatch(service.image, /:latest$|:main$|:stable$/, name);
        }
        for (const from of files.egressDockerfile.match(/^FROM .*$/gm) ?? []) assert.match(from, /:\d[\w.-]*( AS \w+)?$/, from);
        // Through the Go module proxy with go.sum as committed: no git, no VCS fallback.
        assert.doesNotMatch(files.egressDockerfile, /\bgit\b|github\.com|,direct/);
        assert.match(files.egressDockerfile, /^COPY go\.mod go\.sum \.\/$/m);
        assert.match(files.egressDockerfile, /GOFLAGS=-mod=readonly/);
        assert.match(files.egressDockerfile, /go build -trimpath /);
        // The image's tag names the Smokescreen version go.mod requires, and go.sum checks that version.
        const version = /^\s*github\.com\/stripe\/smokescreen (v\S+)$/m.exec(files.egressGoMod)?.[1];
        assert.ok(version, files.egressGoMod);
        assert.strictEqual(services.egress.image, `localhost/openclaw-egress:smokescreen-${version}`);
        assert.match(files.egressGoSum, new RegExp(`^github\\.com/stripe/smokescreen ${version} h1:`, "m"));
        assert.match(files.egressMainGo, /^package main$/m);
    });

    it("puts the services on the seed's networks: internal app and cache networks, egress only through the proxy", () => {
        const c = compose();
        assert.strictEqual(c.networks[NETWORKS.app.name].internal, true);
        assert.strictEqual(c.networks[NETWORKS.cache.name].internal, true);
        assert.deepStrictEqual(c.services.redis.networks, [NETWORKS.cache.name], "only LiteLLM reaches Redis");
        assert.deepStrictEqual(c.services.litellm.networks, [NETWORKS.app.name, NETWORKS.cache.name]);
        assert.deepStrictEqual(c.services.egress.networks, [NETWORKS.app.name, NETWORKS.egress.name]);
        assert.ok(!c.services.gateway.networks.includes(NETWORKS.egress.name), "the gateway has no direct way out");
        assert.ok(INGRESS_PROXY_ADDRESS.startsWith(NETWORKS.proxy.subnet.replace(/0\/24$/, "")));
        for (const service of ["gateway", "litellm"]) {
            assert.strictEqual(c.services[service].environment.HTTPS_PROXY, "http://openclaw-egress:4750", service);
        }
    });

    it("publishes nothing, except the gateway on the host's loopback when there is no public ingress", () => {
        for (const [name, service] of Object.entries<any>(compose(APP, "tunnel").services)) assert.strictEqual(service.ports, undefined, name);
        const none = compose(APP, "none").services;
        assert.deepStrictEqual(none.gateway.ports, ["127.0.0.1:18789:18789"]);
        // Publishing needs a network with a route out; without it proxy-net is internal too.
        assert.strictEqual(compose(APP, "tunnel").networks[NETWORKS.proxy.name].internal, true);
        assert.strictEqual(compose(APP, "none").networks[NETWORKS.proxy.name].internal, false);
        assert.deepStrictEqual(Object.entries<any>(none).filter(([, s]) => s.ports).map(([n]) => n), ["gateway"]);
    });

    it("keeps the gateway's state in a named volume and reads its config from a read-only mount", () => {
        const c = compose();
        assert.ok(c.services.gateway.volumes.some((v: any) => v.source === "openclaw-state" && v.target === "/home/node/.openclaw" && v.type === "volume"));
        assert.ok(c.services.gateway.volumes.includes("./config/gateway:/etc/openclaw:ro"));
        assert.strictEqual(c.services.gateway.environment.OPENCLAW_CONFIG_PATH, "/etc/openclaw/openclaw.json");
        assert.strictEqual(c.services.gateway.environment.OPENCLAW_STATE_DIR, "/home/node/.openclaw", "or media and credentials go beside the read-only config");
        assert.deepStrictEqual(c.volumes, { "openclaw-state": { name: "openclaw-state" }, "openclaw-redis-data": { name: "openclaw-redis-data" } });
    });

    it("keeps LiteLLM's counters in Redis on disk, never evicted: the append-only file in a named volume", () => {
        const redis = compose().services.redis;
        const flag = (name: string) => redis.command[redis.command.indexOf(name) + 1];
        assert.strictEqual(flag("--appendonly"), "yes");
        assert.strictEqual(flag("--appendfsync"), "everysec");
        assert.strictEqual(flag("--maxmemory-policy"), "noeviction", "an LRU policy could drop a budget counter");
        assert.deepStrictEqual(redis.volumes, ["openclaw-redis-data:/data"]);
        assert.ok(!redis.tmpfs.some((mount: string) => mount.startsWith("/data")), "/data is the volume, not a tmpfs");
    });

    it("names secrets, never values: each from .env, refused when missing, and only where needed", () => {
        const c = compose();
        assert.deepStrictEqual(Object.keys(c.services.redis.environment ?? {}), []);
        assert.ok(!("ANTHROPIC_API_KEY" in c.services.gateway.environment), "provider keys stay in LiteLLM");
        assert.match(c.services.litellm.environment.ANTHROPIC_API_KEY, /^\$\{ANTHROPIC_API_KEY:\?ANTHROPIC_API_KEY is missing from \/opt\/openclaw\/\.env\}$/);
        assert.match(c.services.gateway.environment.TELEGRAM_BOT_TOKEN, /^\$\{TELEGRAM_BOT_TOKEN:\?/);
        assert.ok(!("TELEGRAM_BOT_TOKEN" in compose({ ...APP, telegram: false }).services.gateway.environment));
    });

    it("gives the gateway a heap limit below its memory limit, both from the server size", () => {
        for (const size of [SMALL, LARGE]) {
            const gateway = compose(APP, "tunnel", size).services.gateway;
            const heap = Number(/--max-old-space-size=(\d+)/.exec(gateway.environment.NODE_OPTIONS)![1]);
            assert.ok(heap < parseInt(gateway.deploy.resources.limits.memory, 10));
            assert.strictEqual(heap, stackLimits(size).gateways[PRIMARY_GATEWAY.name].heapMiB);
        }
    });

    it("renders the same bytes for the same settings", () => {
        const args = [{ ...APP }, { mode: "tunnel" as const, domain: "claw.example.com" }, SMALL] as const;
        assert.strictEqual(renderCompose({ openclawImage: "x:1", limits: stackLimits(SMALL), litellmKeyNames: ["A"], telegram: false, publishGatewayOnLoopback: false }),
            renderCompose({ openclawImage: "x:1", limits: stackLimits(SMALL), litellmKeyNames: ["A"], telegram: false, publishGatewayOnLoopback: false }));
        assert.deepStrictEqual(renderStackFiles(...args), renderStackFiles(...args));
    });
});

describe("openclaw.json", () => {
    const config = (app = APP, mode: "tunnel" | "none" = "tunnel") =>
        JSON.parse(renderStackFiles(app, { mode, domain: "claw.example.com" }, SMALL).gatewayConfigs[PRIMARY_GATEWAY.name]);

    it("takes its token from the environment and trusts only the ingress container's address", () => {
        const c = config();
        assert.deepStrictEqual(c.gateway.auth.token, { source: "env", provider: "default", id: "OPENCLAW_GATEWAY_TOKEN" });
        assert.strictEqual(c.gateway.auth.mode, "token");
        assert.strictEqual(c.gateway.bind, "lan");
        assert.deepStrictEqual(c.gateway.trustedProxies, [INGRESS_PROXY_ADDRESS]);
    });

    it("allows the Control UI only from the public domain, or from the SSH tunnel without one", () => {
        assert.deepStrictEqual(config().gateway.controlUi.allowedOrigins, ["https://claw.example.com"]);
        assert.deepStrictEqual(config(APP, "none").gateway.controlUi.allowedOrigins, ["http://127.0.0.1:18789", "http://localhost:18789"]);
        const tailnet = () => "in the tailnet";
        assert.strictEqual(gatewayUrl({ mode: "tunnel", domain: "claw.example.com" }, tailnet), "https://claw.example.com");
        assert.strictEqual(gatewayUrl({ mode: "caddy", domain: "claw.example.net" }, tailnet), "https://claw.example.net");
        assert.strictEqual(gatewayUrl({ mode: "none" }, tailnet), "http://127.0.0.1:18789");
        assert.strictEqual(gatewayUrl({ mode: "tailscale" }, tailnet), "in the tailnet");
    });

    it("switches off discovery, browser control, update checks and sandbox-less code execution", () => {
        const c = config();
        assert.strictEqual(c.discovery.mdns.mode, "off");
        assert.strictEqual(c.gateway.nodes.browser.mode, "off");
        assert.strictEqual(c.update.checkOnStart, false);
        assert.strictEqual(c.session.dmScope, "per-channel-peer");
        assert.strictEqual(c.agents.defaults.sandbox.mode, "off");
        assert.deepStrictEqual(c.tools.deny, [...DENIED_TOOLS]);
        assert.ok(c.tools.deny.includes("group:runtime"), "no exec without a sandbox");
        assert.strictEqual(c.tools.elevated.enabled, false);
    });

    it("sends the agent's web_fetch and Telegram, media downloads included, through the egress proxy", () => {
        const c = config();
        assert.strictEqual(c.tools.web.fetch.useTrustedEnvProxy, true, "without it web_fetch ignores HTTP(S)_PROXY");
        assert.strictEqual(c.channels.telegram.proxy, EGRESS_PROXY_URL, "without it media downloads resolve names locally");
    });

    it("routes every model through LiteLLM and loads only the plugins in use", () => {
        const c = config();
        assert.deepStrictEqual(c.models.providers.litellm.models.map((m: any) => m.id), ["claude-sonnet", "gpt"]);
        assert.strictEqual(c.models.providers.litellm.baseUrl, "http://openclaw-litellm:4000");
        assert.strictEqual(c.agents.defaults.model.primary, "litellm/claude-sonnet");
        assert.deepStrictEqual(c.plugins.allow, ["litellm", "memory-core", "telegram"]);
        assert.deepStrictEqual(c.channels.telegram.dmPolicy, "pairing");
        const noTelegram = config({ ...APP, telegram: false });
        assert.deepStrictEqual(noTelegram.plugins.allow, ["litellm", "memory-core"]);
        assert.strictEqual(noTelegram.channels, undefined);
    });

    it("lets the Telegram owner in without pairing and makes them the command owner, while everyone else pairs", () => {
        const c = config({ ...APP, telegramOwnerId: "123456789" });
        assert.strictEqual(c.channels.telegram.dmPolicy, "pairing");
        assert.deepStrictEqual(c.channels.telegram.allowFrom, ["123456789"]);
        assert.deepStrictEqual(c.commands, { ownerAllowFrom: ["telegram:123456789"] });
    });

    it("without an owner, names no one: no allowlist and no command owner (OpenClaw's defaults)", () => {
        const c = config();
        assert.strictEqual(c.channels.telegram.allowFrom, undefined);
        assert.strictEqual(c.commands, undefined);
        const noTelegram = config({ ...APP, telegram: false, telegramOwnerId: "123456789" });
        assert.deepStrictEqual([noTelegram.channels, noTelegram.commands], [undefined, undefined], "an owner of no channel");
    });
});

describe("LiteLLM config and egress ACL", () => {
    const files = renderStackFiles(APP, { mode: "tunnel", domain: "claw.example.com" }, SMALL);

    it("gives LiteLLM each model with its key by name, budget and rate, the master key by name, Redis and quiet logs", () => {
        const c = YAML.parse(files.litellmConfig);
        assert.deepStrictEqual(c.model_list[0], {
            model_name: "claude-sonnet",
            litellm_params: { model: "anthropic/claude-sonnet-4-5", api_key: "os.environ/ANTHROPIC_API_KEY", rpm: 60, max_budget: 50, budget_duration: "30d" },
            model_info: { id: "claude-sonnet" },
        });
        assert.deepStrictEqual(c.model_list[1].litellm_params, { model: "openai/gpt-5", api_key: "os.environ/OPENAI_API_KEY" });
        assert.strictEqual(c.general_settings.master_key, "os.environ/LITELLM_MASTER_KEY");
        assert.strictEqual(c.litellm_settings.turn_off_message_logging, true);
        assert.strictEqual(c.litellm_settings.json_logs, true);
    });

    it("enforces rpm and keeps the router's counters in Redis, with no response cache (Redis is on disk)", () => {
        const c = YAML.parse(files.litellmConfig);
        assert.deepStrictEqual(c.router_settings.optional_pre_call_checks, ["enforce_model_rate_limits"], "without it rpm only weighs deployments");
        assert.strictEqual(c.router_settings.redis_host, "openclaw-redis");
        assert.strictEqual(c.router_settings.redis_port, 6379);
        assert.strictEqual(c.litellm_settings.cache, undefined);
        assert.strictEqual(c.litellm_settings.cache_params, undefined);
        for (const entry of c.model_list) assert.strictEqual(entry.model_info.id, entry.model_name, "counters keyed by the name survive a key rotation");
    });

    it("gives LiteLLM no Enterprise license (GHSA-w4c7-34wj-hqm8 in the pinned version needs one)", () => {
        const litellm = YAML.parse(files.compose).services.litellm;
        assert.ok(!Object.keys(litellm.environment).some((name) => /LICENSE/.test(name)), Object.keys(litellm.environment).join(", "));
    });

    it("allows LiteLLM the model providers alone, the gateway the channels and the operator's extra hosts alone, in enforce mode", () => {
        const acl = YAML.parse(files.egressAcl);
        assert.deepStrictEqual(acl.services, [
            { name: "litellm", project: "openclaw", action: "enforce", allowed_domains: ["api.anthropic.com", "api.openai.com"] },
            { name: "gateway", project: "openclaw", action: "enforce", allowed_domains: ["api.example.com", "api.telegram.org"] },
        ]);
        assert.deepStrictEqual(acl.default, { name: "default", project: "openclaw", action: "enforce", allowed_domains: [] });
    });

    it("names on the proxy's command line the container whose address carries each role", () => {
        const command: string[] = compose().services.egress.command;
        assert.deepStrictEqual(command.filter((arg) => arg.startsWith("--client-role=")), ["--client-role=litellm=openclaw-litellm", "--client-role=gateway=openclaw-gateway"]);
    });

    it("denies private, link-local (cloud metadata) and loopback ranges at the proxy", () => {
        const command: string[] = compose().services.egress.command;
        for (const range of ["169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8"]) {
            assert.ok(command.includes(`--deny-range=${range}`), range);
        }
    });
});

describe("the .env file", () => {
    it("quotes every value literally, in a stable order", () => {
        assert.strictEqual(renderEnvFile({ B: "x$y", A: "1" }), "A='1'\nB='x$y'\n");
    });

    it("refuses a value it cannot carry without repeating the value", () => {
        assert.throws(() => renderEnvFile({ KEY: "a'b-hunter2" }), (e: Error) => /KEY/.test(e.message) && !e.message.includes("hunter2"));
        assert.throws(() => renderEnvFile({ KEY: "" }), /KEY is empty/);
    });
});

// ---- Deploy steps ----------------------------------------------------------------------------

const GATEWAY_TOKEN = "gw-token-0123456789";
const SECRETS = { gatewayTokens: { [PRIMARY_GATEWAY.name]: GATEWAY_TOKEN }, litellmMasterKey: "sk-master-0123456789" };

function settingsWith(extra: ConfigMap = {}): Settings {
    return parseSettings(rawConfig(devConfigFor("hetzner", { "openclaw:llmApiKeys": JSON.stringify(TEST_LLM_KEYS), ...extra }), SECRET_KEYS));
}

function stepsFor(settings: Settings, secrets = SECRETS) {
    const app = { ...settings.app, telegram: settings.app.telegramBotToken !== undefined };
    const files: StackFiles = {
        ...renderStackFiles(app, settings.ingress, settings.host.serverSize),
        env: stackEnv(settings.app, { ...secrets, llmApiKeys: settings.app.llmApiKeys, telegramBotToken: settings.app.telegramBotToken }),
    };
    return stackSteps({ files, serverId: "4711", egressProbe: egressProbe(egressRolesFor(app)), ingress: ingressStepsFor(settings.ingress.mode), maintenance: maintenanceStepsFor(settings.backups.stateStore, settings.ingress.mode) });
}

async function resolvedTriggers(settings: Settings, secrets = SECRETS): Promise<Record<string, string>> {
    const entries = await Promise.all(
        stepsFor(settings, secrets).map(async (step) => [step.name, JSON.stringify(await valueOf(pulumi.output(step.triggers)))] as const),
    );
    return Object.fromEntries(entries);
}

async function rerunSteps(change: ConfigMap, secrets = SECRETS): Promise<string[]> {
    const before = await resolvedTriggers(settingsWith());
    const after = await resolvedTriggers(settingsWith(change), secrets);
    return Object.keys(after).filter((name) => before[name] !== after[name]);
}

describe("the deploy steps", () => {
    const steps = stepsFor(settingsWith({ "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN }));

    it("run in order: directories, secrets, config files, compose file, then build, start and verify", () => {
        assert.deepStrictEqual(steps.map((s) => s.name), STACK_STEP_NAMES);
        assert.deepStrictEqual(steps.filter((s) => s.needsRegistry).map((s) => s.name), ["egress-image", "stack-up", "stack-verify"]);
    });

    it("give the gateway's files an id no account of the host has, never the image's node (1000): its config directory and file, its state volume", () => {
        const [uid, gid] = String(compose().services.gateway.user).split(":").map(Number);
        // Outside Debian's system and login ranges (100-59999), its own (60000-65535) and rootless containers' subordinate ids (100000-).
        assert.ok(uid > 65535 && uid < 100000 && gid === uid, `the gateway runs as ${uid}:${gid}`);
        const owner = `${uid}:${gid}`;
        const script = (name: string) => steps.find((s) => s.name === name)!.script;
        const configDir = new RegExp(`^sudo install -d -o (\\S+) -g (\\S+) -m 0700 ${PRIMARY_GATEWAY.configDir}$`, "m").exec(script("stack-directories"));
        assert.strictEqual(configDir && `${configDir[1]}:${configDir[2]}`, owner, "the config directory's owner");
        assert.match(script("gateway-config"), new RegExp(`^write_file ${PRIMARY_GATEWAY.configFile} 0600 ${owner}$`, "m"));
        const volume = script("state-volumes");
        assert.match(volume, new RegExp(`--label com.docker.compose.volume=${PRIMARY_GATEWAY.stateVolume} ${PRIMARY_GATEWAY.stateVolume}`), "the state volume is made before compose starts the gateway");
        assert.match(volume, new RegExp(`^sudo chown ${owner} "\\$volume"$`, "m"));
        // Only the files of the image's node (an earlier version's gateway) change owner, each to the gateway's own id.
        assert.deepStrictEqual(volume.match(/chown -c?hR --from=\S+ \S+/g), [`chown -chR --from=1000 ${uid}`, `chown -hR --from=:1000 :${gid}`]);
        for (const step of steps) {
            const given = [...step.script.matchAll(/\b(?:chown|-o|-g) (?!--from)(\S*\b1000\b\S*)|\b1000:1000\b/g)];
            assert.deepStrictEqual(given.map((m) => m[0]), [], `${step.name} gives something to 1000`);
        }
        const gateway = compose().services.gateway;
        assert.ok(gateway.tmpfs.includes(`/home/node/.cache:size=128m,uid=${uid},gid=${gid},mode=0700`), gateway.tmpfs.join(" "));
        assert.deepStrictEqual(gateway.volumes[0], { type: "volume", source: PRIMARY_GATEWAY.stateVolume, target: "/home/node/.openclaw", volume: { nocopy: true } }, "the image's own directory (its node's) is never copied into the volume");
    });

    it("carry secrets only on standard input, never in a script", async () => {
        const secretValues = [GATEWAY_TOKEN, SECRETS.litellmMasterKey, ...Object.values(TEST_LLM_KEYS), TEST_TELEGRAM_TOKEN];
        for (const step of steps) {
            const text = step.script + (step.delete ? await valueOf(pulumi.output(step.delete)) : "");
            for (const secret of secretValues) assert.ok(!text.includes(secret), `${step.name} script holds a secret`);
        }
        const env = await valueOf(pulumi.output(steps.find((s) => s.name === "stack-secrets")!.stdin!));
        const secretsStep = steps.find((s) => s.name === "stack-secrets")!;
        assert.ok(pulumi.Output.isInstance(secretsStep.stdin) && (await pulumi.isSecret(secretsStep.stdin as pulumi.Output<string>)), "the .env input is secret");
        assert.strictEqual(env, renderEnvFile({
            ANTHROPIC_API_KEY: TEST_LLM_KEYS.ANTHROPIC_API_KEY,
            LITELLM_MASTER_KEY: SECRETS.litellmMasterKey,
            OPENCLAW_GATEWAY_TOKEN: GATEWAY_TOKEN,
            TELEGRAM_BOT_TOKEN: TEST_TELEGRAM_TOKEN,
        }), "the .env holds the keys the models use, not every key configured");
        assert.match(secretsStep.script, new RegExp(`write_file ${STACK_FILES.env} 0600 root:root`));
    });

    it("stop the stack on destroy only on the server they belong to", async () => {
        const teardown = await valueOf(pulumi.output(steps[0].delete!));
        assert.match(teardown, /if \[ "\$owner" != "4711" \]; then[\s\S]*exit 0\n/);
        assert.match(teardown, /^ {4}stack_compose down --timeout 60$/m);
        assert.match(teardown, /^stack_compose\(\) \{\n[\s\S]*sudo docker compose --project-directory \/opt\/openclaw "\$\{files\[@\]\}" "\$@"\n\}$/m);
        assert.doesNotMatch(teardown, /down[^\n]*(-v|--volumes)/, "volumes survive");
        assert.deepStrictEqual(steps.filter((s) => s.delete).map((s) => s.name), ["stack-directories"]);
    });

    it("restart only the service whose file changed, and report an unhealthy service with its logs", () => {
        const restarts = Object.fromEntries(steps.map((s) => [s.name, /^restart_if_running (\S+)$/m.exec(s.script)?.[1]]));
        assert.deepStrictEqual(
            { gateway: restarts["gateway-config"], litellm: restarts["litellm-config"], egress: restarts["egress-acl"] },
            { gateway: "openclaw-gateway", litellm: "openclaw-litellm", egress: "openclaw-egress" },
        );
        assert.match(steps[0].script, /docker logs --tail 50 "\$container"/);
        assert.match(steps.find((s) => s.name === "stack-up")!.script, /up --detach --remove-orphans --wait/);
    });

    it("verify /healthz, the refusal of an unauthenticated call, and each client's allowlist both ways", () => {
        const verify = steps.find((s) => s.name === "stack-verify")!.script;
        assert.match(verify, /\/healthz' 'GET' \|\| echo "no-answer"\)\n\[ "\$status" = 200 \]/);
        assert.match(verify, /\/tools\/invoke' 'POST' \|\| echo "no-answer"\)\n\[ "\$status" = 401 \]/);
        assert.match(verify, /process\.env\.OPENCLAW_GATEWAY_TOKEN/, "web_fetch is called with the token from the container's environment, not from the script");
        // The gateway: its agent's web_fetch of the model host refused, for its role, in the proxy's own log.
        assert.match(verify, /'https:\/\/api\.anthropic\.com\/' \|\| echo "no-answer"\)\n\[ "\$status" != 200 \] \|\| fail "the agent's web_fetch fetched https:\/\/api\.anthropic\.com\/, which only LiteLLM may reach"/);
        assert.ok(verify.includes(`sudo docker logs --since "$since" openclaw-egress 2>&1 | grep -F '"requested_host":"api.anthropic.com:443"' | grep -F '"role":"gateway"' | grep -F '"allow":false' >/dev/null; then`), verify);
        assert.match(verify, /'https:\/\/example\.com\/' \|\| echo "no-answer"\)\n\[ "\$status" != 200 \]/);
        // CONNECTs from the gateway (node) and from LiteLLM (python3): each answered as its role allows.
        const connects = [...verify.matchAll(/docker exec (\S+) (node -e|python3 -c) '[^']*CONNECT [^']*' '([^']+)' \|\| echo "no-answer"\)\n\[ "\$status" = (\d+) \]/g)].map((m) => `${m[1]} ${m[3]} ${m[4]}`);
        assert.deepStrictEqual(connects, [
            "openclaw-gateway api.anthropic.com 407",
            "openclaw-gateway example.com 407",
            "openclaw-gateway api.telegram.org 200",
            "openclaw-litellm api.anthropic.com 200",
            "openclaw-litellm api.telegram.org 407",
            "openclaw-litellm example.com 407",
        ]);
        assert.match(verify, /^echo "the egress proxy refuses example\.com to every client, api\.anthropic\.com to the gateways and api\.telegram\.org to LiteLLM"$/m);
    });
});

describe("the change matrix: each app setting reruns only the steps that consume it", () => {
    const cases: [string, ConfigMap, string[]][] = [
        ["nothing", {}, []],
        ["a model's budget", { "openclaw:models": '[{"name":"claude-sonnet-4-5","model":"anthropic/claude-sonnet-4-5","apiKeyEnv":"ANTHROPIC_API_KEY","maxBudgetUsd":20}]' }, ["litellm-config", "stack-verify"]],
        ["a model's upstream model", { "openclaw:models": '[{"name":"claude-sonnet-4-5","model":"anthropic/claude-opus-4-1","apiKeyEnv":"ANTHROPIC_API_KEY"}]' }, ["litellm-config", "stack-verify"]],
        ["the image", { "openclaw:openclawImage": "ghcr.io/openclaw/openclaw:2026.10.1" }, ["compose-file", "stack-up", "stack-verify"]],
        ["an egress domain", { "openclaw:egressDomains": '["api.example.com"]' }, ["egress-acl", "stack-verify"]],
        ["a provider key's value", { "openclaw:llmApiKeys": JSON.stringify({ ...TEST_LLM_KEYS, ANTHROPIC_API_KEY: "sk-ant-rotated-0123456789" }) }, ["stack-secrets", "stack-up", "stack-verify"]],
        ["a provider key nothing uses", { "openclaw:llmApiKeys": JSON.stringify({ ...TEST_LLM_KEYS, OPENAI_API_KEY: "sk-rotated-0123456789" }) }, []],
        [
            "the default model",
            {
                "openclaw:models": '[{"name":"claude-sonnet","model":"anthropic/claude-sonnet-4-5","apiKeyEnv":"ANTHROPIC_API_KEY"},{"name":"gpt","model":"openai/gpt-5","apiKeyEnv":"OPENAI_API_KEY"}]',
            },
            ["stack-secrets", "gateway-config", "litellm-config", "egress-acl", "compose-file", "stack-up", "stack-verify"],
        ],
        ["the Telegram channel", { "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN }, ["stack-secrets", "gateway-config", "egress-acl", "compose-file", "stack-up", "stack-verify"]],
    ];
    for (const [what, change, expected] of cases) {
        it(`${what}: ${expected.length ? expected.join(", ") : "no step"}`, async () => {
            assert.deepStrictEqual(await rerunSteps(change), expected);
        });
    }

    it("the Telegram owner, with the bot already there: the gateway's config alone", async () => {
        const bot = { "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN };
        const before = await resolvedTriggers(settingsWith(bot));
        const after = await resolvedTriggers(settingsWith({ ...bot, "openclaw:telegramOwnerId": "123456789" }));
        assert.deepStrictEqual(Object.keys(after).filter((n) => before[n] !== after[n]), ["gateway-config", "stack-verify"]);
    });

    it("a rotated gateway token: the secrets, a restart of what uses it, and the check", async () => {
        assert.deepStrictEqual(await rerunSteps({}, { ...SECRETS, gatewayTokens: { [PRIMARY_GATEWAY.name]: "gw-token-rotated-0123" } }), ["stack-secrets", "stack-up", "stack-verify"]);
    });

    it("only the default model, with the model list unchanged: the gateway's config alone", async () => {
        const two = '[{"name":"claude-sonnet","model":"anthropic/claude-sonnet-4-5","apiKeyEnv":"ANTHROPIC_API_KEY"},{"name":"gpt","model":"openai/gpt-5","apiKeyEnv":"OPENAI_API_KEY"}]';
        const before = await resolvedTriggers(settingsWith({ "openclaw:models": two }));
        const after = await resolvedTriggers(settingsWith({ "openclaw:models": two, "openclaw:defaultModel": "gpt" }));
        assert.deepStrictEqual(Object.keys(after).filter((n) => before[n] !== after[n]), ["gateway-config", "stack-verify"]);
    });
});
