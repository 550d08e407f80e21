// The container stack's files and `.env` as the deploy writes them, for the tests that hand them to
// the software that consumes them (test/artifacts: parsers and validators; test/programs: the
// stack's real programs). One configuration: two model providers, extra egress hosts, Telegram
// when asked, and the fake secrets a test can look for.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../components/settings";
import { StackIngress } from "../components/stack/ingress";
import { egressRolesFor, renderStackFiles, stackEnv, StackFileSettings } from "../components/stack/files";
import { egressProbe } from "../components/stack/egress";
import { STACK_DIR, STACK_FILES } from "../components/stack/layout";
import { stackSteps, StackFiles } from "../components/stack/steps";
import { clouds, ServerSize } from "../providers";
import { dockerCompose, tempDir } from "./artifacts/tools";
import { ingressStepsFor, maintenanceStepsFor, TEST_LLM_KEYS, TEST_TELEGRAM_TOKEN } from "./fixtures";
import { GATEWAYS, PRIMARY_GATEWAY } from "../components/stack/gateways";

/** Two providers, one with a budget and both with rate limits; two extra egress hosts, one a wildcard. */
export const MODELS = [
    { name: "claude-sonnet", model: "anthropic/claude-sonnet-4-5", apiKeyEnv: "ANTHROPIC_API_KEY", maxBudgetUsd: 25, rpm: 30 },
    { name: "gpt-mini", model: "openai/gpt-5-mini", apiKeyEnv: "OPENAI_API_KEY", rpm: 120 },
];
export const EGRESS_DOMAINS = ["api.github.com", "*.githubusercontent.com"];
/** The providers' API hosts, as their documentation gives them. */
export const PROVIDER_HOSTS = ["api.anthropic.com", "api.openai.com"];

/** The owner's Telegram user id, where a test gives the bot one (`telegramOwnerId`). */
export const TELEGRAM_OWNER_ID = "5550001";

export const app = (telegram: boolean, telegramOwnerId?: string): StackFileSettings => ({
    openclawImage: DEFAULTS.openclawImage,
    models: MODELS,
    defaultModel: "claude-sonnet",
    egressDomains: EGRESS_DOMAINS,
    telegram,
    ...(telegramOwnerId !== undefined ? { telegramOwnerId } : {}),
});

export type Ingress = StackIngress;
export const INGRESSES: Ingress[] = [
    { mode: "tunnel", domain: "claw.example.com" },
    { mode: "caddy", domain: "claw.example.net" },
    { mode: "tailscale" },
    { mode: "none" },
];

export const SIZES: Record<string, ServerSize> = {
    "4 GB, 2 vCPU (Hetzner cx23)": clouds.hetzner.catalog.serverTypes.cx23,
    "64 GB, 16 vCPU (AWS m6i.4xlarge)": clouds.aws.catalog.serverTypes["m6i.4xlarge"],
};
export const SMALL = SIZES["4 GB, 2 vCPU (Hetzner cx23)"];

export const GATEWAY_TOKEN = "gateway-token-for-tests-0123456789abcdef0123456789abcdef";
/** Shaped like a remotely managed tunnel's token (base64 JSON); it opens no tunnel. */
export const TUNNEL_TOKEN = "eyJhIjoidGVzdC1hY2NvdW50IiwidCI6InRlc3QtdHVubmVsIiwicyI6InRlc3Qtc2VjcmV0In0=";
export const LITELLM_MASTER_KEY = "sk-master-for-tests-0123456789abcdef";

/** Each gateway's token: GATEWAY_TOKEN for the first, one derived from it for any other. */
export const gatewayTokens = (): Record<string, string> =>
    Object.fromEntries(GATEWAYS.map((gateway) => [gateway.name, gateway === PRIMARY_GATEWAY ? GATEWAY_TOKEN : `${GATEWAY_TOKEN}-${gateway.name}`]));

/** A pulumi Input's value (plain values resolve outside a deployment). */
export const resolve = <T>(input: pulumi.Input<T>): Promise<T> => new Promise((done) => pulumi.output(input).apply((v) => done(v as T)));

export interface Rendered {
    /** A copy of the stack directory: every file at its path under STACK_DIR. */
    readonly dir: string;
    readonly files: StackFiles & { readonly env: string };
    readonly steps: ReturnType<typeof stackSteps>;
}

/** The stack's files and `.env` exactly as the deploy writes them, laid out as in STACK_DIR. */
export async function materialise(telegram: boolean, ingress: Ingress, size: ServerSize, telegramOwnerId?: string): Promise<Rendered> {
    const settings = app(telegram, telegramOwnerId);
    const env = await resolve(
        stackEnv(settings, {
            gatewayTokens: gatewayTokens(),
            litellmMasterKey: LITELLM_MASTER_KEY,
            llmApiKeys: TEST_LLM_KEYS,
            ...(telegram ? { telegramBotToken: TEST_TELEGRAM_TOKEN } : {}),
            ...(ingress.mode === "tunnel" ? { tunnelToken: TUNNEL_TOKEN } : {}),
        }),
    );
    const files = { ...renderStackFiles(settings, ingress, size), env };
    const dir = tempDir("stack");
    const contents: Record<string, string> = {
        [STACK_FILES.compose]: files.compose,
        [STACK_FILES.env]: files.env,
        ...Object.fromEntries(GATEWAYS.map((gateway) => [gateway.configFile, files.gatewayConfigs[gateway.name]])),
        [STACK_FILES.litellmConfig]: files.litellmConfig,
        [STACK_FILES.egressAcl]: files.egressAcl,
        [STACK_FILES.egressDockerfile]: files.egressDockerfile,
        [STACK_FILES.egressMainGo]: files.egressMainGo,
        [STACK_FILES.egressGoMod]: files.egressGoMod,
        [STACK_FILES.egressGoSum]: files.egressGoSum,
        ...(files.caddyfile !== undefined ? { [STACK_FILES.caddyfile]: files.caddyfile } : {}),
    };
    for (const [hostPath, text] of Object.entries(contents)) {
        const target = inCopy(dir, hostPath);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
    }
    const steps = stackSteps({ files, serverId: "4242", egressProbe: egressProbe(egressRolesFor(settings)), ingress: ingressStepsFor(ingress.mode), maintenance: maintenanceStepsFor("r2", ingress.mode) });
    return { dir, files, steps };
}

/** A host path under STACK_DIR, in the copy at `dir`. */
export const inCopy = (dir: string, hostPath: string) => path.join(dir, path.relative(STACK_DIR, hostPath));
/** A path in the copy at `dir`, as the host names it. */
export const onHost = (dir: string, copyPath: string) => path.posix.join(STACK_DIR, path.relative(dir, copyPath));

/** `docker compose config --format json`: the model compose runs, with `.env` interpolated. */
export function composeModel(dir: string): any {
    const result = dockerCompose(dir, ["config", "--format", "json"]);
    assert.strictEqual(result.status, 0, result.output);
    return JSON.parse(result.stdout);
}

/** The service of the compose model whose container has this name. */
export function byContainer(model: any, container: string): [string, any] {
    const found = Object.entries(model.services).find(([, s]: [string, any]) => s.container_name === container);
    assert.ok(found, `no service has container_name ${container}`);
    return found as [string, any];
}
