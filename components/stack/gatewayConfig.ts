// openclaw.json for the pinned OpenClaw: every key here is one the real schema accepts
// (`openclaw config validate` checks the rendered file in the artifact tests).
import { EGRESS_PROXY_URL } from "./egress";
import { Gateway } from "./gateways";
import { PORTS } from "./layout";

/**
 * The environment variable every gateway resolves LiteLLM's key from (a SecretRef, never the
 * value); its own token's and Telegram's are its `env` in gateways.ts.
 */
export const GATEWAY_LITELLM_KEY_ENV = "LITELLM_API_KEY";

/**
 * Tools the agent may not use. Agent sandboxing is off (see the README), so everything that runs
 * code or reaches beyond the conversation is denied: shell and code execution, paired devices,
 * browser and UI surfaces, and self-administration (gateway, plugins, cron).
 */
export const DENIED_TOOLS = ["group:runtime", "group:nodes", "group:ui", "group:automation"] as const;

export interface GatewayConfigInput {
    /** The gateway the file is for: its port and its secrets' variables. */
    readonly gateway: Gateway;
    /** Model names LiteLLM serves (`models[].name`). */
    readonly modelNames: readonly string[];
    readonly defaultModel: string;
    /** Browser origins the Control UI accepts. */
    readonly allowedOrigins: readonly string[];
    /** The only sources whose forwarded headers the gateway believes (see `INGRESS` in ingress.ts). */
    readonly trustedProxies: readonly string[];
    /** Whether the Telegram channel is configured. */
    readonly telegram: boolean;
    /** With Telegram: the owner's numeric user id (`telegramOwnerId`). */
    readonly telegramOwnerId?: string;
}

/**
 * The Control UI's origins: the public domain when there is one, else the SSH-tunnel address of
 * the gateway's port. (A tailnet `.ts.net` origin is a private same-origin load, which the gateway
 * accepts unlisted.)
 */
export function gatewayOrigins(domain: string | undefined, port: number): string[] {
    return domain ? [`https://${domain}`] : [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

const envRef = (id: string) => ({ source: "env", provider: "default", id });

/**
 * What the Telegram owner adds: its id in the channel's allowlist, which pairing mode checks before
 * it asks for a code, and as the command owner (`<channel>:<id>`). With an owner configured,
 * `openclaw pairing approve` has no first owner to write into openclaw.json, which is read-only.
 */
function telegramOwner(ownerId: string | undefined) {
    if (ownerId === undefined) return { channel: {}, root: {} };
    return { channel: { allowFrom: [ownerId] }, root: { commands: { ownerAllowFrom: [`telegram:${ownerId}`] } } };
}

export function renderGatewayConfig(input: GatewayConfigInput): string {
    const owner = telegramOwner(input.telegram ? input.telegramOwnerId : undefined);
    const config = {
        gateway: {
            mode: "local",
            bind: "lan",
            port: input.gateway.port,
            auth: {
                mode: "token",
                token: envRef(input.gateway.env.token),
                rateLimit: { maxAttempts: 10, windowMs: 60_000, lockoutMs: 300_000 },
            },
            // Only the ingress proxy's fixed address may set forwarded headers.
            trustedProxies: [...input.trustedProxies],
            controlUi: { allowedOrigins: [...input.allowedOrigins] },
            tailscale: { mode: "off" },
            nodes: { browser: { mode: "off" } },
        },
        discovery: { mdns: { mode: "off" } },
        logging: { level: "info", consoleStyle: "json" },
        session: { dmScope: "per-channel-peer" },
        update: { checkOnStart: false },
        // An exclusive allowlist: the LiteLLM provider, core memory and the channels in use.
        plugins: { allow: ["litellm", "memory-core", ...(input.telegram ? ["telegram"] : [])] },
        models: {
            providers: {
                litellm: {
                    baseUrl: `http://openclaw-litellm:${PORTS.litellm}`,
                    api: "openai-completions",
                    apiKey: envRef(GATEWAY_LITELLM_KEY_ENV),
                    request: { allowPrivateNetwork: true },
                    models: input.modelNames.map((name) => ({
                        id: name,
                        name: `${name} via LiteLLM`,
                        contextWindow: 128_000,
                        maxTokens: 8192,
                    })),
                },
            },
        },
        agents: {
            defaults: {
                model: { primary: `litellm/${input.defaultModel}` },
                sandbox: { mode: "off" },
            },
        },
        tools: {
            deny: [...DENIED_TOOLS],
            elevated: { enabled: false },
            fs: { workspaceOnly: true },
            // web_fetch connects directly unless told to use HTTP(S)_PROXY, and the gateway has no
            // route out but the egress proxy. The proxy resolves the name and refuses private,
            // link-local and loopback answers itself (EGRESS_DENIED_RANGES).
            web: { fetch: { useTrustedEnvProxy: true } },
        },
        ...(input.telegram
            ? {
                  channels: {
                      telegram: {
                          botToken: envRef(input.gateway.env.telegramToken),
                          // Everyone but the owner asks for a code, approved with `openclaw pairing approve`.
                          dmPolicy: "pairing",
                          ...owner.channel,
                          // Media downloads resolve names locally unless the channel has its own
                          // proxy; the gateway cannot resolve public names, so photos would fail.
                          proxy: EGRESS_PROXY_URL,
                      },
                  },
              }
            : {}),
        ...owner.root,
    };
    return `${JSON.stringify(config, null, 2)}\n`;
}
