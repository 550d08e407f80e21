// The egress allowlist: the only hosts the stack may reach on the internet, all through the
// Smokescreen proxy. Every entry is a possible exfiltration channel, so hosts are exact.
import { PORTS } from "./layout";

/** API hosts of the LiteLLM providers this stack knows, by LiteLLM's provider prefix. */
export const MODEL_PROVIDER_HOSTS: Readonly<Record<string, readonly string[]>> = {
    anthropic: ["api.anthropic.com"],
    openai: ["api.openai.com"],
    gemini: ["generativelanguage.googleapis.com"],
    groq: ["api.groq.com"],
    mistral: ["api.mistral.ai"],
    deepseek: ["api.deepseek.com"],
    openrouter: ["openrouter.ai"],
    xai: ["api.x.ai"],
    together_ai: ["api.together.xyz"],
    fireworks_ai: ["api.fireworks.ai"],
    cohere: ["api.cohere.com", "api.cohere.ai"],
    perplexity: ["api.perplexity.ai"],
    cerebras: ["api.cerebras.ai"],
    voyage: ["api.voyageai.com"],
};

/** Hosts each optional channel needs. */
export const CHANNEL_HOSTS = { telegram: ["api.telegram.org"] } as const;

/** LiteLLM's provider prefix of a model string (`anthropic/claude-sonnet-4-5` -> `anthropic`). */
export function modelProvider(model: string): string {
    return model.split("/")[0];
}

export interface EgressInput {
    /** LiteLLM model strings in use. */
    readonly models: readonly string[];
    readonly telegram: boolean;
    /** The operator's extra hosts (`egressDomains`). */
    readonly extraDomains: readonly string[];
}

/** The allowlist, sorted and without duplicates, so the same config gives the same file. */
export function egressAllowlist(input: EgressInput): string[] {
    const hosts = new Set<string>();
    for (const model of input.models) {
        const known = MODEL_PROVIDER_HOSTS[modelProvider(model)];
        if (!known) throw new Error(`No API host is known for the model provider of ${model}.`);
        known.forEach((host) => hosts.add(host));
    }
    if (input.telegram) CHANNEL_HOSTS.telegram.forEach((host) => hosts.add(host));
    input.extraDomains.forEach((host) => hosts.add(host.toLowerCase()));
    return [...hosts].sort();
}

/** The proxy URL services put in HTTP(S)_PROXY. */
export const EGRESS_PROXY_URL = `http://openclaw-egress:${PORTS.egress}`;

/**
 * Destinations the proxy refuses even when a name resolves to them: private, shared, link-local
 * (the clouds' metadata service at 169.254.169.254) and loopback ranges.
 */
export const EGRESS_DENIED_RANGES = [
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
    "fe80::/10",
] as const;
