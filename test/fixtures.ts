import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { RawConfig } from "../components/settings";
import { CloudName } from "../providers";

export const ROOT = path.join(__dirname, "..");

/** Fake provider keys; tests look for them where they must not be. */
export const TEST_LLM_KEYS = {
    ANTHROPIC_API_KEY: "sk-ant-test-0123456789abcdefghijklmnopqrstuvwxyz",
    OPENAI_API_KEY: "sk-proj-test-abcdefghijklmnopqrstuvwxyz0123456789",
};
export const TEST_TELEGRAM_TOKEN = "1234567890:AAExampleTokenForTestsOnly_abcdefghij";

/** Config values as the engine stores them: fully qualified keys, lists and maps as JSON text. */
export type ConfigMap = Record<string, string>;

/** A RawConfig over a map; keys listed in `secretKeys` count as stored encrypted. */
export function rawConfig(values: ConfigMap, secretKeys: readonly string[] = []): RawConfig {
    return { get: (key) => values[key], isSecret: (key) => secretKeys.includes(key) };
}

/** The keys whose values the stack must store encrypted. */
export const SECRET_KEYS = ["openclaw:llmApiKeys", "openclaw:telegramBotToken", "openclaw:tailscaleAuthKey"];

/** Reads a committed `Pulumi.<stack>.yaml` into engine form. */
export function stackFileConfig(stack: string): ConfigMap {
    const file = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    return Object.fromEntries(
        Object.entries(file.config as Record<string, unknown>).map(([key, value]) => [
            key,
            typeof value === "string" ? value : JSON.stringify(value),
        ]),
    );
}

/**
 * The dev stack's config moved to `cloud`: region and server type fall back to that cloud's
 * defaults, and the secrets an operator would add with `pulumi config set --secret` are added.
 */
export function devConfigFor(cloud: CloudName, extra: ConfigMap = {}): ConfigMap {
    const config = stackFileConfig("dev");
    delete config["openclaw:region"];
    delete config["openclaw:serverType"];
    return {
        ...config,
        "openclaw:cloud": cloud,
        ...(cloud === "aws" ? { "aws:region": "eu-central-1" } : {}),
        "openclaw:llmApiKeys": JSON.stringify({ ANTHROPIC_API_KEY: TEST_LLM_KEYS.ANTHROPIC_API_KEY }),
        ...extra,
    };
}

/** The stack's deploy steps, in the order they must run (after the host's `host-ready`). */
export const STACK_STEP_NAMES = [
    "stack-directories",
    "stack-secrets",
    "gateway-config",
    "litellm-config",
    "egress-acl",
    "egress-dockerfile",
    "egress-main-go",
    "compose-file",
    "egress-image",
    "stack-up",
    "stack-verify",
];
