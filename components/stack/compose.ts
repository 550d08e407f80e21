// docker-compose.yml: the gateways, LiteLLM, the egress proxy and Redis on internal networks, and
// the ingress mode's container (cloudflared or Caddy) when it has one; each with every capability
// dropped, no new privileges, a read-only root where the image allows it, a healthcheck that works
// inside its image, and limits sized to the host.
import * as YAML from "yaml";
import { EGRESS_PROXY_URL } from "./egress";
import { egressProxyCommand, EGRESS_ACL_PATH } from "./egressProxy";
import { GATEWAY_LITELLM_KEY_ENV } from "./gatewayConfig";
import { CADDY_HEALTH_URL } from "./caddyfile";
import { Gateway, GATEWAYS, PRIMARY_GATEWAY } from "./gateways";
import { EGRESS_IMAGE, IMAGES } from "./images";
import { IngressContainer } from "./ingress";
import {
    CADDY_DATA_VOLUME,
    COMPOSE_PROJECT,
    GATEWAY_PATHS,
    GATEWAY_GID,
    GATEWAY_UID,
    INGRESS_PROXY_ADDRESS,
    NETWORKS,
    PORTS,
    SERVICES,
    STACK_FILES,
    STACK_DIR,
    REDIS_DATA_VOLUME,
} from "./layout";
import { LITELLM_MASTER_KEY_ENV } from "./litellmConfig";
import { ServiceLimits, StackLimits } from "./limits";

export interface ComposeInput {
    /** The gateway image (`openclawImage`). */
    readonly openclawImage: string;
    readonly limits: StackLimits;
    /** Provider key variables LiteLLM gets from `.env`. */
    readonly litellmKeyNames: readonly string[];
    /** Whether the Telegram channel is configured (the gateway then gets its token). */
    readonly telegram: boolean;
    /** Publish the gateway on the host's 127.0.0.1 only, for an SSH tunnel or a host-level proxy. */
    readonly publishGatewayOnLoopback: boolean;
    /** The container that carries public traffic to the gateway, if the ingress mode has one. */
    readonly ingress?: IngressContainer;
}

/** The Cloudflare Tunnel token's variable in `.env` (ingress tunnel). */
export const TUNNEL_TOKEN_ENV = "TUNNEL_TOKEN";

/** cloudflared's metrics and readiness listener, inside its container only. */
const CLOUDFLARED_METRICS = "127.0.0.1:20241";

/** `${NAME}` from `.env`; compose refuses to start when it is missing instead of passing "". */
const fromEnvFile = (name: string) => `\${${name}:?${name} is missing from ${STACK_FILES.env}}`;
/** Relative to the compose file, so the stack directory is the only host path it names. */
const relative = (hostPath: string) => `.${hostPath.slice(STACK_DIR.length)}`;

const hardening = {
    cap_drop: ["ALL"],
    security_opt: ["no-new-privileges:true"],
    restart: "unless-stopped",
};

function resources(limits: ServiceLimits) {
    return {
        deploy: { resources: { limits: { cpus: String(limits.cpus), memory: `${limits.memoryMiB}M`, pids: limits.pids } } },
    };
}

function healthcheck(test: string[], startPeriod: string) {
    return { test, interval: "30s", timeout: "5s", retries: 3, start_period: startPeriod };
}

const proxyEnvironment = (noProxy: readonly string[]) => ({
    HTTP_PROXY: EGRESS_PROXY_URL,
    HTTPS_PROXY: EGRESS_PROXY_URL,
    http_proxy: EGRESS_PROXY_URL,
    https_proxy: EGRESS_PROXY_URL,
    NO_PROXY: [...noProxy, "localhost", "127.0.0.1"].join(","),
    no_proxy: [...noProxy, "localhost", "127.0.0.1"].join(","),
});

/** The ingress container joins proxy-net at the one address the gateway trusts, and edge-net for its route out. */
const ingressNetworks = {
    [NETWORKS.proxy.name]: { ipv4_address: INGRESS_PROXY_ADDRESS },
    [NETWORKS.edge.name]: {},
};

function cloudflaredService(limits: StackLimits) {
    return {
        image: IMAGES.cloudflared,
        container_name: SERVICES.cloudflared.container,
        entrypoint: ["cloudflared", "--no-autoupdate"],
        command: ["tunnel", "--metrics", CLOUDFLARED_METRICS, "run"],
        // A remotely managed tunnel: its routes live in Cloudflare, the token is all it needs.
        environment: { [TUNNEL_TOKEN_ENV]: fromEnvFile(TUNNEL_TOKEN_ENV) },
        read_only: true,
        networks: ingressNetworks,
        healthcheck: healthcheck(["CMD", "cloudflared", "tunnel", "--metrics", CLOUDFLARED_METRICS, "ready"], "30s"),
        ...hardening,
        ...resources(limits.services.ingress),
    };
}

function caddyService(limits: StackLimits) {
    return {
        image: IMAGES.caddy,
        container_name: SERVICES.caddy.container,
        // IPv4 only: with Docker's userland proxy off, an IPv6 port would need Docker's IPv6 NAT.
        // Cloudflare's edge serves visitors over IPv6 either way.
        ports: [`0.0.0.0:${PORTS.http}:${PORTS.http}`, `0.0.0.0:${PORTS.https}:${PORTS.https}`],
        volumes: [`${relative(STACK_FILES.caddyfile)}:/etc/caddy/Caddyfile:ro`, `${CADDY_DATA_VOLUME}:/data`],
        read_only: true,
        tmpfs: ["/config:size=16m", "/tmp:size=16m"],
        networks: ingressNetworks,
        depends_on: { [PRIMARY_GATEWAY.name]: { condition: "service_started" } },
        healthcheck: healthcheck(["CMD", "wget", "-q", "-O", "/dev/null", CADDY_HEALTH_URL], "30s"),
        ...hardening,
        // The image's caddy binary carries this file capability; without it in the bounding set the
        // kernel refuses to run the binary at all, even as root.
        cap_add: ["NET_BIND_SERVICE"],
        ...resources(limits.services.ingress),
    };
}

/** One gateway's service: its port, state volume, config directory, secrets and share of the memory. */
function gatewayService(gateway: Gateway, input: ComposeInput) {
    const limits = input.limits.gateways[gateway.name];
    const health = `fetch('http://127.0.0.1:${gateway.port}/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))`;
    return {
        image: input.openclawImage,
        container_name: gateway.container,
        command: ["node", "dist/index.js", "gateway", "--bind", "lan", "--port", String(gateway.port)],
        init: true,
        // Not the image's `node` (1000), which is a login's uid on most hosts: an id no account has.
        user: `${GATEWAY_UID}:${GATEWAY_GID}`,
        environment: {
            HOME: "/home/node",
            OPENCLAW_CONFIG_PATH: GATEWAY_PATHS.config,
            // Without it, OpenClaw keeps media, credentials (pairing approvals), skills and
            // tools beside the config file, in the read-only mount.
            OPENCLAW_STATE_DIR: GATEWAY_PATHS.state,
            NODE_OPTIONS: `--max-old-space-size=${limits.heapMiB}`,
            [gateway.env.token]: fromEnvFile(gateway.env.token),
            [GATEWAY_LITELLM_KEY_ENV]: fromEnvFile(LITELLM_MASTER_KEY_ENV),
            ...(input.telegram && gateway.telegram ? { [gateway.env.telegramToken]: fromEnvFile(gateway.env.telegramToken) } : {}),
            ...proxyEnvironment([SERVICES.litellm.container]),
        },
        volumes: [
            // nocopy: Docker would otherwise fill an empty volume with the image's directory there,
            // owner (the image's `node`) included. The state-volumes step makes it, the gateway's own.
            { type: "volume", source: gateway.stateVolume, target: GATEWAY_PATHS.state, volume: { nocopy: true } },
            `${relative(gateway.configDir)}:${GATEWAY_PATHS.configDir}:ro`,
        ],
        read_only: true,
        // The image's HOME is `node`'s and read-only: the gateway writes only its state and this cache.
        tmpfs: ["/tmp:size=256m,mode=1777", `/home/node/.cache:size=128m,uid=${GATEWAY_UID},gid=${GATEWAY_GID},mode=0700`],
        networks: [NETWORKS.app.name, NETWORKS.proxy.name],
        ...(input.publishGatewayOnLoopback ? { ports: [`127.0.0.1:${gateway.port}:${gateway.port}`] } : {}),
        depends_on: {
            [SERVICES.litellm.service]: { condition: "service_healthy" },
            [SERVICES.egress.service]: { condition: "service_healthy" },
        },
        healthcheck: healthcheck(["CMD", "node", "-e", health], "120s"),
        // The gateway drains active sessions on stop (it logs a budget of 315 s); let it.
        stop_grace_period: "330s",
        ...hardening,
        ...resources(limits),
    };
}

export function renderCompose(input: ComposeInput): string {
    const { limits } = input;
    const litellmHealth = `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORTS.litellm}/health/liveliness', timeout=4)`;

    const compose = {
        name: COMPOSE_PROJECT,
        services: {
            ...Object.fromEntries(GATEWAYS.map((gateway) => [gateway.name, gatewayService(gateway, input)])),
            [SERVICES.litellm.service]: {
                image: IMAGES.litellm,
                container_name: SERVICES.litellm.container,
                command: ["--config", "/app/config.yaml", "--port", String(PORTS.litellm), "--num_workers", "1"],
                environment: {
                    [LITELLM_MASTER_KEY_ENV]: fromEnvFile(LITELLM_MASTER_KEY_ENV),
                    // Prices (what budgets count) from the pinned version's own map: the egress proxy
                    // would refuse the fetch of the live one, after retries that slow every start.
                    LITELLM_LOCAL_MODEL_COST_MAP: "True",
                    ...Object.fromEntries(input.litellmKeyNames.map((name) => [name, fromEnvFile(name)])),
                    ...proxyEnvironment([SERVICES.redis.container]),
                },
                volumes: [`${relative(STACK_FILES.litellmConfig)}:/app/config.yaml:ro`],
                // LiteLLM writes to its application directory at start, so its root stays writable.
                tmpfs: ["/tmp:size=128m"],
                networks: [NETWORKS.app.name, NETWORKS.cache.name],
                depends_on: {
                    [SERVICES.redis.service]: { condition: "service_healthy" },
                    [SERVICES.egress.service]: { condition: "service_healthy" },
                },
                healthcheck: healthcheck(["CMD", "python3", "-c", litellmHealth], "60s"),
                ...hardening,
                ...resources(limits.services.litellm),
            },
            [SERVICES.egress.service]: {
                image: EGRESS_IMAGE,
                build: { context: relative(STACK_FILES.egressBuildDir) },
                container_name: SERVICES.egress.container,
                command: egressProxyCommand(),
                volumes: [`${relative(STACK_FILES.egressAcl)}:${EGRESS_ACL_PATH}:ro`],
                read_only: true,
                tmpfs: ["/tmp:size=16m"],
                networks: [NETWORKS.app.name, NETWORKS.egress.name],
                healthcheck: healthcheck(["CMD", "nc", "-z", "-w", "2", "127.0.0.1", String(PORTS.egress)], "10s"),
                ...hardening,
                ...resources(limits.services.egress),
            },
            [SERVICES.redis.service]: {
                image: IMAGES.redis,
                container_name: SERVICES.redis.container,
                // The image's uid/gid for redis: started as that user, its entrypoint needs no chown or su-exec.
                user: "999:1000",
                // LiteLLM's budget and rate counters: every write goes to the append-only file in the
                // volume (fsynced each second), so a restart or a reboot keeps them, and nothing is ever
                // evicted (a full Redis refuses writes instead of dropping a budget). Only LiteLLM
                // reaches its network, so it has no password.
                command: [
                    "redis-server",
                    "--maxmemory",
                    `${limits.redisMaxMemoryMiB}mb`,
                    "--maxmemory-policy",
                    "noeviction",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "everysec",
                    "--save",
                    "",
                    "--protected-mode",
                    "no",
                ],
                read_only: true,
                // A new volume takes the image's /data, owned by redis (999:1000).
                volumes: [`${REDIS_DATA_VOLUME}:/data`],
                tmpfs: ["/tmp:size=16m"],
                networks: [NETWORKS.cache.name],
                healthcheck: healthcheck(["CMD-SHELL", "redis-cli ping | grep -q PONG"], "10s"),
                ...hardening,
                ...resources(limits.services.redis),
            },
            ...(input.ingress === "cloudflared" ? { [SERVICES.cloudflared.service]: cloudflaredService(limits) } : {}),
            ...(input.ingress === "caddy" ? { [SERVICES.caddy.service]: caddyService(limits) } : {}),
        },
        networks: Object.fromEntries(
            Object.values(NETWORKS)
                .filter((network) => network !== NETWORKS.edge || input.ingress !== undefined)
                .map((network) => [
                    network.name,
                    {
                        name: `${COMPOSE_PROJECT}-${network.name.replace(/-net$/, "")}`,
                        driver: "bridge",
                        internal: network === NETWORKS.proxy ? !input.publishGatewayOnLoopback : network.internal,
                        // A fixed bridge name, so the host's DOCKER-USER rules can name it.
                        ...("bridge" in network ? { driver_opts: { "com.docker.network.bridge.name": network.bridge } } : {}),
                        ipam: { config: [{ subnet: network.subnet }] },
                    },
                ]),
        ),
        volumes: {
            ...Object.fromEntries(GATEWAYS.map(({ stateVolume }) => [stateVolume, { name: stateVolume }])),
            [REDIS_DATA_VOLUME]: { name: REDIS_DATA_VOLUME },
            ...(input.ingress === "caddy" ? { [CADDY_DATA_VOLUME]: { name: CADDY_DATA_VOLUME } } : {}),
        },
    };
    return YAML.stringify(compose, { lineWidth: 0, aliasDuplicateObjects: false });
}
