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

/** Hosts the deploy's egress check may expect the proxy to refuse: the first the allowlist does not name. */
const REFUSED_PROBE_HOSTS = ["example.com", "example.net", "example.org"];

/** An allowlisted host the deploy's egress check must reach, and one it must be refused. */
export interface EgressProbe {
    readonly allowed: string;
    readonly refused: string;
}

/**
 * The probe for an allowlist: its first exact host name (every stack has a model, so a provider's
 * API host is there), and the first of a few example domains it does not name.
 */
export function egressProbe(allowlist: readonly string[]): EgressProbe {
    const allowed = allowlist.find((host) => !host.startsWith("*."));
    const refused = REFUSED_PROBE_HOSTS.find((host) => !allowlist.includes(host));
    if (allowed === undefined || refused === undefined) {
        throw new Error(`The egress check needs an allowlisted host name and one of ${REFUSED_PROBE_HOSTS.join(", ")} left out; the allowlist is ${allowlist.join(", ")}.`);
    }
    return { allowed, refused };
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
