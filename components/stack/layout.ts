// Where the stack lives on the host and how its containers find each other. Every renderer and
// deploy step reads these names, so a path or an address is defined exactly once.
import { GATEWAY_ID } from "../../cloud-init/paths";

/** Compose project name: container, network and volume names derive from it. */
export const COMPOSE_PROJECT = "openclaw";

/** The stack's directory on the host (root-owned, 0700). */
export const STACK_DIR = "/opt/openclaw";

/** Every file the deploy writes under STACK_DIR, but the gateways' (`GATEWAYS` in gateways.ts). */
export const STACK_FILES = {
    compose: `${STACK_DIR}/docker-compose.yml`,
    /**
     * The operator's own additions to the compose file (a CA their network's TLS inspection needs,
     * say). The program never writes it; every compose command of the deploy merges it when present.
     */
    composeOverride: `${STACK_DIR}/docker-compose.override.yml`,
    /** Every secret, mode 0600; compose interpolates it into the services that need each one. */
    env: `${STACK_DIR}/.env`,
    /** Owner marker: which server this stack belongs to (guards `pulumi destroy` on a replaced server). */
    owner: `${STACK_DIR}/.owner`,
    litellmConfig: `${STACK_DIR}/config/litellm.yaml`,
    egressAcl: `${STACK_DIR}/config/egress-acl.yaml`,
    egressBuildDir: `${STACK_DIR}/build/egress`,
    egressDockerfile: `${STACK_DIR}/build/egress/Dockerfile`,
    egressMainGo: `${STACK_DIR}/build/egress/main.go`,
    egressGoMod: `${STACK_DIR}/build/egress/go.mod`,
    egressGoSum: `${STACK_DIR}/build/egress/go.sum`,
    /** Caddy's site configuration (ingress caddy only), mounted read-only. */
    caddyfile: `${STACK_DIR}/config/caddy/Caddyfile`,
    /** The sources that may reach a published port 80/443, one CIDR block per line; empty unless ingress caddy. */
    ingressSources: `${STACK_DIR}/config/ingress-sources`,
} as const;

/** Host files outside the stack directory: the firewall rules Docker's published ports need. */
export const HOST_FIREWALL_FILES = {
    script: "/usr/local/sbin/openclaw-firewall",
    unit: "/etc/systemd/system/openclaw-firewall.service",
    unitName: "openclaw-firewall.service",
} as const;

/** The gateway's own uid and gid, which no account of the host has (see GATEWAY_ID for why this one). */
export const GATEWAY_UID = GATEWAY_ID;
export const GATEWAY_GID = GATEWAY_ID;

/**
 * The image's own user, `node` (uid and gid 1000): the owner of its HOME, /home/node, and of any
 * directory Docker copies from the image into a new volume. Versions of this program before
 * GATEWAY_UID ran the gateway as it, so a deploy and a restore give its files to GATEWAY_UID.
 */
export const IMAGE_NODE_ID = 1000;

/** Ports inside the stack's networks, but the gateways'. Only Caddy's 80 and 443 are ever published to the internet. */
export const PORTS = { litellm: 4000, egress: 4750, redis: 6379, http: 80, https: 443 } as const;

/** The services besides the gateways, by compose name, with their fixed container names (the gateway config and scripts use them). */
export const SERVICES = {
    litellm: { service: "litellm", container: "openclaw-litellm" },
    egress: { service: "egress", container: "openclaw-egress" },
    redis: { service: "redis", container: "openclaw-redis" },
    /** Ingress tunnel only. */
    cloudflared: { service: "cloudflared", container: "openclaw-cloudflared" },
    /** Ingress caddy only. */
    caddy: { service: "caddy", container: "openclaw-caddy" },
} as const;

export type ServiceKey = keyof typeof SERVICES;

/**
 * The stack's networks. Fixed subnets in 172.31.240.0/20, clear of the AWS VPC this program
 * creates (10.42.0.0/16) and of Hetzner's and DigitalOcean's private 10.x ranges.
 */
export const NETWORKS = {
    /** Gateway, LiteLLM and the egress proxy: no route out. */
    app: { name: "openclaw-net", subnet: "172.31.240.0/24", internal: true },
    /** LiteLLM and Redis only: the gateway cannot reach the cache. */
    cache: { name: "cache-net", subnet: "172.31.241.0/24", internal: true },
    /** The egress proxy's only route to the internet. */
    egress: { name: "egress-net", subnet: "172.31.242.0/24", internal: false },
    /**
     * Where an ingress container reaches the gateway. Internal, except when the gateway is
     * published on the host's loopback, which Docker does only from a network with a route out;
     * then the host's DOCKER-USER rules drop anything it forwards out of this bridge.
     */
    proxy: { name: "proxy-net", subnet: "172.31.250.0/24", internal: true, bridge: "oc-proxy" },
    /** The ingress container's own route to the internet (the Cloudflare edge, Let's Encrypt). */
    edge: { name: "edge-net", subnet: "172.31.243.0/24", internal: false },
} as const;

/** The fixed address an ingress container takes on proxy-net: the only proxy the gateway trusts. */
export const INGRESS_PROXY_ADDRESS = "172.31.250.10";

/**
 * proxy-net's own gateway: the host. A connection to the gateway's loopback port (an SSH tunnel,
 * Tailscale Serve) reaches the container from this address.
 */
export const PROXY_NET_HOST_ADDRESS = "172.31.250.1";

/** Caddy's certificates and ACME account: a named volume, so a restart never re-issues. */
export const CADDY_DATA_VOLUME = "openclaw-caddy-data";

/** Redis's append-only file (LiteLLM's budget and rate counters): a named volume, so a restart or a reboot keeps them. */
export const REDIS_DATA_VOLUME = "openclaw-redis-data";

/** Where every gateway sees its state and its config, inside its own container. */
export const GATEWAY_PATHS = {
    state: "/home/node/.openclaw",
    configDir: "/etc/openclaw",
    config: "/etc/openclaw/openclaw.json",
} as const;

/**
 * The host's maintenance jobs: backups to the state bucket and the watchdog. Root-owned; the
 * secrets file (bucket credentials, backup key, alert targets) is 0600.
 */
export const MAINTENANCE_FILES = {
    backupCommand: "/usr/local/sbin/openclaw-backup",
    watchdogCommand: "/usr/local/sbin/openclaw-watchdog",
    confDir: "/etc/openclaw-maintenance",
    /** Non-secret settings both commands read: the bucket, schedule, retention, containers to watch. */
    conf: "/etc/openclaw-maintenance/maintenance.conf",
    secrets: "/etc/openclaw-maintenance/secrets.env",
    /** Last good backup, watchdog memory, work directories (never synced anywhere). */
    stateDir: "/var/lib/openclaw-maintenance",
    unitDir: "/etc/systemd/system",
} as const;

/** The maintenance units, by name. */
export const MAINTENANCE_UNITS = {
    backupService: "openclaw-backup.service",
    backupTimer: "openclaw-backup.timer",
    watchdogService: "openclaw-watchdog.service",
    watchdogTimer: "openclaw-watchdog.timer",
} as const;

/** Where backups go inside the state bucket. */
export const BACKUP_PREFIX = "backups/";
