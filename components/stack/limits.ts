import { ServerSize } from "../../providers";
import { GATEWAYS } from "./gateways";

/** The share of the host's memory the stack may use; the rest is the OS, Docker and page cache. */
export const HOST_MEMORY_SHARE = 0.85;

/**
 * Each gateway's floor. OpenClaw's own compose file notes that a 1 GiB cap OOM-killed gateways at
 * boot (V8 heap) although steady state is 250-450 MiB, and that a cap needs a heap limit below it.
 */
export const GATEWAY_MIN_MEMORY_MIB = 1536;

export interface ServiceLimits {
    readonly memoryMiB: number;
    readonly cpus: number;
    readonly pids: number;
}

/** A gateway's limits, and its V8 heap. */
export interface GatewayLimits extends ServiceLimits {
    /** `--max-old-space-size`: three quarters of its cap, so V8 collects before the kernel kills. */
    readonly heapMiB: number;
}

/** The services besides the gateways that limits are set for; `ingress` is whichever of cloudflared or Caddy the ingress mode runs. */
export type LimitedService = "litellm" | "egress" | "redis" | "ingress";

export interface StackLimits {
    readonly services: Readonly<Record<LimitedService, ServiceLimits>>;
    /** Each gateway's, by its name. */
    readonly gateways: Readonly<Record<string, GatewayLimits>>;
    /** Redis `maxmemory`: three quarters of its cap, leaving room for its own overhead. */
    readonly redisMaxMemoryMiB: number;
    /** What all services together may use: HOST_MEMORY_SHARE of the host. */
    readonly budgetMiB: number;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
const tenths = (value: number) => Math.round(value * 10) / 10;

/**
 * Memory and CPU limits from the server's size: small services get small fixed shares, LiteLLM a
 * quarter, and the gateways the rest (by their shares), so a 4 GB host works and a 64 GB host gives
 * a gateway its room.
 * Agent sandboxes are off in this stack (see the README), so they need no share. The ingress
 * container's share is reserved in every mode, so switching modes never resizes a gateway.
 */
export function stackLimits(size: ServerSize): StackLimits {
    const budgetMiB = Math.floor(size.memoryMiB * HOST_MEMORY_SHARE);
    const egress = size.memoryMiB >= 16384 ? 256 : 128;
    const ingress = egress;
    const redis = Math.floor(clamp(budgetMiB * 0.06, 128, 1024));
    const litellm = Math.floor(clamp(budgetMiB * 0.25, 768, 4096));
    const gatewaysMiB = budgetMiB - egress - redis - litellm - ingress;
    const gateways = GATEWAYS.map((gateway): [string, GatewayLimits] => {
        const memoryMiB = Math.floor(gatewaysMiB * gateway.memoryShare);
        if (memoryMiB < GATEWAY_MIN_MEMORY_MIB) {
            throw new Error(
                `A server with ${size.memoryMiB} MiB of memory leaves the ${gateway.name} ${memoryMiB} MiB; it needs at least ${GATEWAY_MIN_MEMORY_MIB} MiB, so choose a server type with 4 GB or more.`,
            );
        }
        return [gateway.name, { memoryMiB, cpus: size.vcpus, pids: 1024, heapMiB: Math.floor(memoryMiB * 0.75) }];
    });
    return {
        gateways: Object.fromEntries(gateways),
        services: {
            litellm: { memoryMiB: litellm, cpus: tenths(clamp(size.vcpus / 2, 1, size.vcpus)), pids: 512 },
            egress: { memoryMiB: egress, cpus: tenths(Math.min(1, size.vcpus / 2)), pids: 256 },
            redis: { memoryMiB: redis, cpus: tenths(Math.min(1, size.vcpus / 2)), pids: 128 },
            ingress: { memoryMiB: ingress, cpus: tenths(Math.min(1, size.vcpus / 2)), pids: 256 },
        },
        redisMaxMemoryMiB: Math.floor(redis * 0.75),
        budgetMiB,
    };
}
