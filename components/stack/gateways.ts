// The stack's OpenClaw gateways, described as data. Compose gives each its service, the limits its
// share of the memory, the deploy its config directory, config file and checks, the backups its
// state volume, the `.env` its secrets. The list has one entry; a second gateway (OpenClaw's way
// to keep tenants or bots apart) is a second entry with its own names, port and secrets, not new
// control flow.
import { STACK_DIR } from "./layout";

/** Everything that tells one gateway on the host from another. */
export interface Gateway {
    /** Its compose service, the prefix of its deploy steps, its key in the limits. */
    readonly name: string;
    /** Its fixed container name (the ingress, the scripts and the operator's helpers name it). */
    readonly container: string;
    /** Where it listens inside the stack's networks, and on the host's loopback when the ingress mode publishes it. */
    readonly port: number;
    /** The named volume that holds its state (sessions, memory, pairing, media): what a backup carries. */
    readonly stateVolume: string;
    /** Where that volume's files go in a backup archive, next to the stack's `config`. */
    readonly backupFolder: string;
    /** The host directory it reads its config from (its uid's alone, mounted read-only), and the file in it. */
    readonly configDir: string;
    readonly configFile: string;
    /** Its share of the memory the other services leave to the gateways; the shares add up to 1. */
    readonly memoryShare: number;
    /** The `.env` variables of its secrets: its bearer token, and the Telegram bot's token when it has one. */
    readonly env: { readonly token: string; readonly telegramToken: string };
    /** The name of the generated secret that is its token (the stack's `gatewayToken` output is the first's). */
    readonly tokenSecret: string;
    /** Whether the stack's Telegram bot (`telegramBotToken`) talks to this gateway; a bot polls one gateway only. */
    readonly telegram: boolean;
}

export const GATEWAYS: readonly Gateway[] = [
    {
        name: "gateway",
        container: "openclaw-gateway",
        port: 18789,
        stateVolume: "openclaw-state",
        backupFolder: "state",
        configDir: `${STACK_DIR}/config/gateway`,
        configFile: `${STACK_DIR}/config/gateway/openclaw.json`,
        memoryShare: 1,
        env: { token: "OPENCLAW_GATEWAY_TOKEN", telegramToken: "TELEGRAM_BOT_TOKEN" },
        tokenSecret: "gateway-token",
        telegram: true,
    },
];

/**
 * The gateway the outside reaches: the ingress routes to it, the SSH tunnel and Tailscale Serve
 * publish it, and `npm run ops -- openclaw` runs its CLI. The first of the list.
 */
export const PRIMARY_GATEWAY: Gateway = GATEWAYS[0];
