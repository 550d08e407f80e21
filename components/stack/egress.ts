// The egress allowlists: the only hosts the stack may reach on the internet, all through the
// Smokescreen proxy, one list per client (LiteLLM, each gateway). Every entry is a possible
// exfiltration channel, so hosts are exact, and each client gets only the hosts its job needs.
import { Gateway, GATEWAYS, PRIMARY_GATEWAY } from "./gateways";
import { PORTS, SERVICES } from "./layout";

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

/** The role of LiteLLM's container in the proxy's ACL; each gateway's role is its name. */
export const LITELLM_ROLE = "litellm";

/**
 * One client of the proxy: its role in the ACL, the container whose address carries that role (the
 * proxy resolves the name at each request), and the only hosts it may reach.
 */
export interface EgressRole {
    readonly role: string;
    readonly container: string;
    readonly allowedDomains: readonly string[];
}

/** The proxy's clients by role, without their hosts: what the proxy's command line names. */
export function egressClients(gateways: readonly Gateway[] = GATEWAYS): { readonly role: string; readonly container: string }[] {
    const clients = [{ role: LITELLM_ROLE, container: SERVICES.litellm.container }, ...gateways.map((g) => ({ role: g.name, container: g.container }))];
    const roles = clients.map((c) => c.role);
    const clash = roles.find((role, i) => roles.indexOf(role) !== i || role === "default");
    if (clash !== undefined) throw new Error(`The egress proxy's role ${clash} would name two clients (or the ACL's default); rename the gateway.`);
    return clients;
}

const sorted = (hosts: Iterable<string>) => [...new Set(hosts)].sort();

/**
 * Each client's allowlist, sorted and without duplicates, so the same config gives the same file:
 * LiteLLM the model providers' API hosts alone; each gateway its channels' hosts and the operator's
 * hosts, never a model provider's (it reaches models through LiteLLM, whose budgets count them).
 */
export function egressRoles(input: EgressInput, gateways: readonly Gateway[] = GATEWAYS): EgressRole[] {
    const modelHosts = input.models.flatMap((model) => {
        const known = MODEL_PROVIDER_HOSTS[modelProvider(model)];
        if (!known) throw new Error(`No API host is known for the model provider of ${model}.`);
        return known;
    });
    const extra = input.extraDomains.map((host) => host.toLowerCase());
    return egressClients(gateways).map(({ role, container }) => {
        const gateway = gateways.find((g) => g.name === role);
        const allowedDomains = gateway
            ? sorted([...(input.telegram && gateway.telegram ? CHANNEL_HOSTS.telegram : []), ...extra])
            : sorted(modelHosts);
        return { role, container, allowedDomains };
    });
}

/** Hosts the deploy's egress check may expect the proxy to refuse: the first no role names. */
const REFUSED_PROBE_HOSTS = ["example.com", "example.net", "example.org"];

/** The hosts the deploy's egress check tries from each client. */
export interface EgressProbe {
    /** A model provider's API host: LiteLLM must reach it, every gateway must be refused it. */
    readonly allowed: string;
    /** A host no client may reach. */
    readonly refused: string;
    /** A host the primary gateway may reach and LiteLLM may not (a channel's or the operator's), when there is one. */
    readonly gatewayOnly?: string;
}

/**
 * The probe for the roles: LiteLLM's first exact host name (every stack has a model), the primary
 * gateway's first exact host LiteLLM may not reach, and the first of a few example domains no role names.
 */
export function egressProbe(roles: readonly EgressRole[]): EgressProbe {
    const litellm = roles.find((r) => r.role === LITELLM_ROLE)?.allowedDomains ?? [];
    const gateway = roles.find((r) => r.role === PRIMARY_GATEWAY.name)?.allowedDomains ?? [];
    const exact = (hosts: readonly string[]) => hosts.filter((host) => !host.startsWith("*."));
    const allowed = exact(litellm)[0];
    const gatewayOnly = exact(gateway).find((host) => !litellm.includes(host));
    const refused = REFUSED_PROBE_HOSTS.find((host) => roles.every((r) => !r.allowedDomains.includes(host)));
    if (allowed === undefined || refused === undefined) {
        throw new Error(`The egress check needs a model host LiteLLM may reach and one of ${REFUSED_PROBE_HOSTS.join(", ")} left out; LiteLLM's allowlist is ${litellm.join(", ")}.`);
    }
    return { allowed, refused, ...(gatewayOnly !== undefined ? { gatewayOnly } : {}) };
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
