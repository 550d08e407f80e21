import { ServerSize } from "../../providers";

/** The share of the host's memory the stack may use; the rest is the OS, Docker and page cache. */
export const HOST_MEMORY_SHARE = 0.85;

/**
 * The gateway's floor. OpenClaw's own compose file notes that a 1 GiB cap OOM-killed gateways at
 * boot (V8 heap) although steady state is 250-450 MiB, and that a cap needs a heap limit below it.
 */
export const GATEWAY_MIN_MEMORY_MIB = 1536;

export interface ServiceLimits {
    readonly memoryMiB: number;
    readonly cpus: number;
    readonly pids: number;
}

/** The services limits are set for; `ingress` is whichever of cloudflared or Caddy the ingress mode runs. */
export type LimitedService = "gateway" | "litellm" | "egress" | "redis" | "ingress";

export interface StackLimits {
    readonly services: Readonly<Record<LimitedService, ServiceLimits>>;
    /** `--max-old-space-size` for the gateway: three quarters of its cap, so V8 collects before the kernel kills. */
    readonly gatewayHeapMiB: number;
    /** Redis `maxmemory`: three quarters of its cap, leaving room for its own overhead. */
    readonly redisMaxMemoryMiB: number;
    /** What all services together may use: HOST_MEMORY_SHARE of the host. */
    readonly budgetMiB: number;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
const tenths = (value: number) => Math.round(value * 10) / 10;

/**
 * Memory and CPU limits from the server's size: small services get small fixed shares, LiteLLM a
 * quarter, and the gateway the rest, so a 4 GB host works and a 64 GB host gives the gateway its room.
 * Agent sandboxes are off in this stack (see the README), so they need no share. The ingress
 * container's share is reserved in every mode, so switching modes never resizes the gateway.
 */
export function stackLimits(size: ServerSize): StackLimits {
    const budgetMiB = Math.floor(size.memoryMiB * HOST_MEMORY_SHARE);
    const egress = size.memoryMiB >= 16384 ? 256 : 128;
    const ingress = egress;
    const redis = Math.floor(clamp(budgetMiB * 0.06, 128, 1024));
    const litellm = Math.floor(clamp(budgetMiB * 0.25, 768, 4096));
    const gateway = budgetMiB - egress - redis - litellm - ingress;
    if (gateway < GATEWAY_MIN_MEMORY_MIB) {
        throw new Error(
            `A server with ${size.memoryMiB} MiB of memory leaves the gateway ${gateway} MiB; it needs at least ${GATEWAY_MIN_MEMORY_MIB} MiB, so choose a server type with 4 GB or more.`,
        );
    }
    return {
        services: {
            gateway: { memoryMiB: gateway, cpus: size.vcpus, pids: 1024 },
            litellm: { memoryMiB: litellm, cpus: tenths(clamp(size.vcpus / 2, 1, size.vcpus)), pids: 512 },
            egress: { memoryMiB: egress, cpus: tenths(Math.min(1, size.vcpus / 2)), pids: 256 },
            redis: { memoryMiB: redis, cpus: tenths(Math.min(1, size.vcpus / 2)), pids: 128 },
            ingress: { memoryMiB: ingress, cpus: tenths(Math.min(1, size.vcpus / 2)), pids: 256 },
        },
        gatewayHeapMiB: Math.floor(gateway * 0.75),
        redisMaxMemoryMiB: Math.floor(redis * 0.75),
        budgetMiB,
    };
}
