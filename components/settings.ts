import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { DOCKER_SOURCES, DockerSource } from "../cloud-init/docker";
import { imageReferenceProblem } from "../policy/imageReference";
import { CLOUD_NAMES, clouds, ExistingServer, OS_IMAGES, OsImage, providerConfig, ServerSize, TARGET_NAMES, TargetName, targets } from "../providers";
import { isWorldOpen, parseCidr } from "./cidr";
import { calendarProblem } from "./calendar";
import { abbreviate, ConfigReader, InvalidConfigError, nearestKey, RawConfig } from "./configReader";
import { MODEL_PROVIDER_HOSTS, modelProvider } from "./stack/egress";
import { INGRESS } from "./stack/ingress";

export type { RawConfig };

/** The project's config namespace (`openclaw:cloud`, ...). */
export const PROJECT = "openclaw";


export const INGRESS_MODES = Object.keys(INGRESS) as readonly IngressMode[];
export const STATE_STORES: readonly StateStore[] = ["r2", "s3", "none"];

/** One model LiteLLM serves, as configured in `openclaw:models`. */
export interface ModelSettings {
    /** The name agents use (`litellm/<name>`). */
    readonly name: string;
    /** LiteLLM's provider/model string, e.g. `anthropic/claude-sonnet-4-5`. */
    readonly model: string;
    /** Which entry of `llmApiKeys` authenticates it. */
    readonly apiKeyEnv: string;
    /** US dollars per 30-day window; LiteLLM refuses the model (429) once its spend reaches it. */
    readonly maxBudgetUsd?: number;
    /** Requests per minute of the UTC clock; LiteLLM refuses the ones past it (429). */
    readonly rpm?: number;
}

/**
 * The server itself: what its user data holds (`HostHardening`: changing it replaces the server),
 * its place and size, and the access settings the cloud firewall and the host-access step apply
 * to the running host.
 */
export interface HostSettings {
    readonly region: string;
    readonly serverType: string;
    /** Memory and CPUs of `serverType`; the container limits derive from it. */
    readonly serverSize: ServerSize;
    readonly osImage: OsImage;
    /** Canonical CIDR blocks that may reach SSH. */
    readonly adminCidrs: readonly string[];
    readonly allowSshFromAnywhere: boolean;
    readonly sshPort: number;
    /** Operator keys for the `deploy` user, next to the program's own deploy key. */
    readonly sshPublicKeys: readonly string[];
    readonly dockerSource: DockerSource;
    /** Give the host IPv6; when false, IPv6 is switched off in the kernel and UFW. */
    readonly ipv6: boolean;
    /** Local time (HH:MM) at which unattended upgrades may reboot the host. */
    readonly autoRebootTime: string;
    /** `cloud: existing` only: the operator's server and how the program first logs in to it. */
    readonly existingServer?: ExistingServer;
}

/** Cloudflare Access in front of the public host name: only these emails get through. */
export interface CloudflareAccess {
    /** The account that holds the Access application. */
    readonly accountId: string;
    readonly emails: readonly string[];
}

/** What the modes Cloudflare fronts share: the public host name, its zone, and Access when asked for. */
export interface CloudflareFronted {
    /** The gateway's public host name. */
    readonly domain: string;
    /** The zone that holds `domain`; the program writes the DNS record there. */
    readonly zoneId: string;
    readonly access?: CloudflareAccess;
}

/**
 * How the gateway is reached from outside: one variant per mode, holding what that mode needs
 * and nothing else. What each mode means on the host is described in `stack/ingress.ts`.
 */
export type IngressSettings =
    /** cloudflared dials out to a Cloudflare Tunnel of `accountId`; nothing listens on the internet. */
    | ({ readonly mode: "tunnel"; readonly accountId: string } & CloudflareFronted)
    /** Cloudflare proxies to Caddy on the server's 443, which only Cloudflare's ranges reach. */
    | ({ readonly mode: "caddy" } & CloudflareFronted)
    /** Tailscale Serve on the host, in the tailnet the (secret) auth key joins. */
    | { readonly mode: "tailscale"; readonly authKey: pulumi.Output<string> }
    /** No public path: the operator opens an SSH tunnel to the gateway's loopback port. */
    | { readonly mode: "none" };

export type IngressMode = IngressSettings["mode"];

/** The application on the host. Changing it never replaces the server. */
export interface AppSettings {
    readonly openclawImage: string;
    readonly models: readonly ModelSettings[];
    readonly defaultModel: string;
    readonly egressDomains: readonly string[];
    /** Provider API keys by environment variable name; each value is secret. */
    readonly llmApiKeys: Readonly<Record<string, pulumi.Output<string>>>;
    readonly telegramBotToken?: pulumi.Output<string>;
    /** The bot owner's numeric Telegram user id: let in without pairing, and the command owner. */
    readonly telegramOwnerId?: string;
}

/** Where backups go: a bucket of the store, or nowhere. */
export type BackupStore =
    /** An R2 bucket in this Cloudflare account. */
    | { readonly stateStore: "r2"; readonly cloudflareAccountId: string }
    /** An S3 bucket in the AWS provider's region. */
    | { readonly stateStore: "s3" }
    /** No bucket: no scheduled backups and no restore. */
    | { readonly stateStore: "none" };

export type StateStore = BackupStore["stateStore"];

export type BackupSettings = BackupStore & {
    /** A systemd OnCalendar expression. */
    readonly backupSchedule: string;
    readonly backupRetentionDays: number;
};

/** Where the host's watchdog sends its alerts; with neither, problems show only in the journal and `systemctl`. */
export interface AlertSettings {
    /** An ntfy-style URL the alert text is POSTed to (secret: a topic URL is as good as a password). */
    readonly webhookUrl?: pulumi.Output<string>;
    /** A Telegram chat the gateway's own bot (`telegramBotToken`) sends alerts to. */
    readonly telegramChatId?: string;
}

/** The whole config contract, validated. Built once, at the entry, by `parseSettings`. */
export interface Settings {
    readonly cloud: TargetName;
    readonly host: HostSettings;
    readonly ingress: IngressSettings;
    readonly app: AppSettings;
    readonly backups: BackupSettings;
    readonly alerts: AlertSettings;
    /**
     * Any label; changing it makes `pulumi up` generate a new gateway token, LiteLLM master key and
     * tunnel secret and deliver them. Unset, the secrets live as long as the stack.
     */
    readonly secretsRotation?: string;
    /** Protect server, data and bucket from deletion. */
    readonly protect: boolean;
}

/** Defaults that do not depend on other keys. `Pulumi.yaml` declares the same values (a test keeps them equal). */
export const DEFAULTS = {
    osImage: "debian-13" as OsImage,
    allowSshFromAnywhere: false,
    sshPort: 9922,
    sshPublicKeys: [] as string[],
    dockerSource: "docker" as DockerSource,
    ingress: "tunnel" as IngressMode,
    cloudflareAccessEmails: [] as string[],
    openclawImage: "ghcr.io/openclaw/openclaw:2026.9.6",
    egressDomains: [] as string[],
    backupSchedule: "*-*-* 03:00:00",
    backupRetentionDays: 14,
    protect: false,
    ipv6: false,
    autoRebootTime: "05:00",
    models: [
        { name: "claude-sonnet-4-5", model: "anthropic/claude-sonnet-4-5", apiKeyEnv: "ANTHROPIC_API_KEY" },
    ] as ModelSettings[],
} as const;

/** A config that cannot be deployed. The message lists every problem, one sentence each. */
export class ConfigError extends InvalidConfigError {
    constructor(problems: readonly string[]) {
        super("stack configuration", problems);
    }
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;
const ROTATION_LABEL = /^[A-Za-z0-9._:-]{1,64}$/;
/** Telegram chat ids: a number (negative for groups), or a public channel's @name. */
const TELEGRAM_CHAT_ID = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/;
/** A Telegram user id: a positive number (OpenClaw's allowlists compare it as written, so no leading zero). */
const TELEGRAM_USER_ID = /^[1-9]\d{0,19}$/;
const EMAIL = /^[^\s@"'\\]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const SSH_KEY_TYPES = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/** Every key of the `openclaw:` namespace: Pulumi.yaml's contract (a test checks they agree). */
export const CONFIG_KEYS = [
    "cloud", "region", "serverType", "osImage", "adminCidrs", "allowSshFromAnywhere", "sshPort", "sshPublicKeys",
    "dockerSource", "ipv6", "autoRebootTime", "ingress", "domain", "cloudflareAccountId", "cloudflareZoneId",
    "cloudflareAccessEmails", "openclawImage", "llmApiKeys", "models", "defaultModel", "egressDomains",
    "telegramBotToken", "telegramOwnerId", "tailscaleAuthKey", "stateStore", "backupSchedule", "backupRetentionDays", "alertWebhookUrl",
    "alertTelegramChatId", "secretsRotation", "protect", "serverAddress", "firstLoginUser", "firstLoginPort", "firstLoginKey",
] as const;

/** Provider settings people put in our namespace, and where they belong. */
const PROVIDER_SETTINGS_HERE: Readonly<Record<string, string>> = {
    cloudflareApiToken: "cloudflare:apiToken",
    cloudflareToken: "cloudflare:apiToken",
    apiToken: "cloudflare:apiToken",
    hcloudToken: "hcloud:token",
    hetznerToken: "hcloud:token",
    digitaloceanToken: "digitalocean:token",
    doToken: "digitalocean:token",
    awsRegion: "aws:region",
};

/**
 * The providers' own config keys, as their SDKs declare them: each cloud's (from the registry) and
 * Cloudflare's.
 */
const PROVIDER_CONFIG: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
    [...CLOUD_NAMES.map((cloud) => clouds[cloud].config), providerConfig("cloudflare", cloudflare.config)].map(({ namespace, keys }) => [namespace, keys]),
);

/** Keys of a provider's namespace that are not that provider's but look like ours (`hcloud:sshPort`). */
function refuseOurKeysElsewhere(r: Reader): void {
    for (const fullKey of r.raw.keys()) {
        const [namespace, name] = fullKey.split(":");
        const known = PROVIDER_CONFIG[namespace];
        if (!known || known.includes(name)) continue;
        const ours = nearestKey(name, CONFIG_KEYS);
        if (ours) r.problems.push(`${fullKey} is not a setting of the ${namespace} provider; did you mean ${PROJECT}:${ours}? (\`pulumi config rm ${fullKey}\`, then \`pulumi config set ${ours} <value>\`).`);
    }
}

/**
 * Parses and validates the whole config contract. Collects every problem first and throws one
 * `ConfigError`, so nothing is created from a half-valid config and the operator fixes all at once.
 */
export function parseSettings(raw: RawConfig): Settings {
    const r = new Reader(raw);
    r.refuseUnknownKeys(CONFIG_KEYS, PROVIDER_SETTINGS_HERE);
    refuseOurKeysElsewhere(r);

    const cloud = r.oneOf("cloud", TARGET_NAMES, undefined);
    const catalog = cloud ? targets[cloud].catalog : undefined;

    const host = readHost(r, cloud);
    // Read once: the tunnel, Cloudflare Access and an R2 bucket all live in that account.
    const cloudflareAccountId = r.cloudflareId("cloudflareAccountId");
    const ingress = readIngress(r, cloudflareAccountId);
    const app = readApp(r);
    const backups = readBackups(r, cloud, cloudflareAccountId);
    const alerts = readAlerts(r, app.telegramBotToken !== undefined);
    const secretsRotation = r.string("secretsRotation", undefined);
    if (secretsRotation !== undefined && !ROTATION_LABEL.test(secretsRotation)) {
        r.problem("secretsRotation", secretsRotation, "it must be a short label of letters, digits, dots, dashes, colons or underscores, such as 2026-11");
    }
    const protect = r.boolean("protect", DEFAULTS.protect);

    if (r.problems.length > 0 || !cloud || !catalog || !ingress || !backups) {
        throw new ConfigError(r.problems);
    }
    return { cloud, host: host as HostSettings, ingress, app, backups, alerts, secretsRotation, protect };
}

function readHost(r: Reader, cloud: TargetName | undefined): Partial<HostSettings> {
    const catalog = cloud ? targets[cloud].catalog : undefined;

    const region = readRegion(r, cloud);
    const serverType = catalog
        ? r.oneOf("serverType", Object.keys(catalog.serverTypes), catalog.defaultServerType, `x86-64 types with 4 GB or more: the stack's containers do not fit in less, and only x86-64 is tested`)
        : undefined;
    const osImage = r.oneOf("osImage", OS_IMAGES, DEFAULTS.osImage);
    const ipv6 = r.boolean("ipv6", DEFAULTS.ipv6);
    const allowSshFromAnywhere = r.boolean("allowSshFromAnywhere", DEFAULTS.allowSshFromAnywhere);
    const adminCidrs = readAdminCidrs(r, allowSshFromAnywhere, ipv6);

    const sshPort = r.integer("sshPort", DEFAULTS.sshPort);
    if (sshPort !== undefined && (sshPort < 1 || sshPort > 65535 || sshPort === 80 || sshPort === 443)) {
        r.problem("sshPort", String(sshPort), "it must be a port from 1 to 65535 other than 80 and 443, which ingress uses");
    }

    const sshPublicKeys = r.stringList("sshPublicKeys", DEFAULTS.sshPublicKeys) ?? [];
    sshPublicKeys.forEach((key, i) => {
        const reason = sshPublicKeyProblem(key);
        if (reason) r.problem(`sshPublicKeys[${i}]`, abbreviate(key), reason);
    });

    const dockerSource = r.oneOf("dockerSource", DOCKER_SOURCES, DEFAULTS.dockerSource);
    if (dockerSource === "distro" && osImage === "debian-12") {
        r.problem(
            "dockerSource",
            "distro",
            "Debian 12 does not package Docker Compose v2, which the stack needs; use dockerSource docker, or osImage debian-13 or ubuntu-24.04",
        );
    }

    const autoRebootTime = r.string("autoRebootTime", DEFAULTS.autoRebootTime);
    if (autoRebootTime !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(autoRebootTime)) {
        r.problem("autoRebootTime", autoRebootTime, "it must be a 24-hour time HH:MM such as 05:00");
    }

    return {
        region,
        serverType,
        serverSize: catalog && serverType ? catalog.serverTypes[serverType] : undefined,
        osImage,
        adminCidrs,
        allowSshFromAnywhere,
        sshPort,
        sshPublicKeys,
        dockerSource,
        ipv6,
        autoRebootTime,
        existingServer: readExistingServer(r, cloud),
    };
}

const EXISTING_SERVER_KEYS = ["serverAddress", "firstLoginUser", "firstLoginPort", "firstLoginKey"] as const;
const HOST_ADDRESS = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const LOGIN_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** The server and first login of `cloud: existing`; those keys anywhere else are a mistake. */
function readExistingServer(r: Reader, cloud: TargetName | undefined): ExistingServer | undefined {
    if (cloud !== "existing") {
        for (const key of EXISTING_SERVER_KEYS.filter((k) => r.has(k))) {
            r.problems.push(`${PROJECT}:${key} is set, but only cloud existing uses it; remove it (\`pulumi config rm ${key}\`) or set cloud to existing.`);
        }
        return undefined;
    }
    const address = r.string("serverAddress", undefined);
    if (address === undefined) {
        r.problems.push(`${PROJECT}:serverAddress is not set; cloud existing needs your server's public IPv4 address or DNS name (pulumi config set serverAddress 203.0.113.10).`);
    } else if (!HOST_ADDRESS.test(address) && (address.includes("/") || !parseCidr(address).ok)) {
        r.problem("serverAddress", address, "it must be the server's IPv4 address or DNS name, such as 203.0.113.10 or vps.example.com");
    }
    const user = r.string("firstLoginUser", "root") ?? "root";
    if (!LOGIN_NAME.test(user)) r.problem("firstLoginUser", user, "it must be a login name such as root or debian");
    const port = r.integer("firstLoginPort", 22) ?? 22;
    if (port < 1 || port > 65535) r.problem("firstLoginPort", String(port), "it must be a port from 1 to 65535");
    const key = r.secretString("firstLoginKey");
    if (key === undefined) {
        r.problems.push(`${PROJECT}:firstLoginKey is not set; cloud existing logs in once with the private key of ${user} (pulumi config set --secret firstLoginKey < ~/.ssh/id_ed25519).`);
    } else if (!/^-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----\n[\s\S]+\n-----END \1 PRIVATE KEY-----$/.test(key)) {
        r.hiddenProblem("firstLoginKey", "it must be an unencrypted OpenSSH private key, the whole file from -----BEGIN to -----END");
    }
    if (address === undefined || key === undefined) return undefined;
    return { address, user, port, privateKey: pulumi.secret(key) };
}

function readRegion(r: Reader, cloud: TargetName | undefined): string | undefined {
    if (!cloud) return undefined;
    const region = targets[cloud].catalog.region;
    if (region.from === "none") {
        const ours = r.string("region", undefined);
        if (ours !== undefined) r.problem("region", ours, `cloud ${cloud} has no region: the server is where it is; remove it (\`pulumi config rm region\`)`);
        return "";
    }
    if (region.from === "program") {
        return r.oneOf("region", region.accepted, region.default);
    }
    // The provider's own region is the one that counts; ours may only repeat it.
    const providers = r.raw.get(region.key);
    const ours = r.string("region", undefined);
    if (!providers) {
        r.problems.push(
            `${region.key} is not set; on ${cloud} the region is the ${region.provider} provider's, so set it with \`pulumi config set ${region.key} ${region.example}\` (or another ${region.provider} region).`,
        );
        return undefined;
    }
    if (ours !== undefined && ours !== providers) {
        r.problem("region", ours, `on ${cloud} it must equal ${region.key} (${providers}) or be left unset`);
    }
    return providers;
}

function readAdminCidrs(r: Reader, allowSshFromAnywhere: boolean | undefined, ipv6: boolean | undefined): string[] {
    const reported = r.problems.length;
    const list = r.stringList("adminCidrs", undefined);
    // Not a list at all: that sentence says it, an "empty list" one would only repeat it.
    if (r.problems.length > reported) return [];
    if (list === undefined) {
        r.problems.push(
            `${PROJECT}:adminCidrs is not set; it must list the CIDR blocks that may reach SSH, e.g. ["203.0.113.7/32"].`,
        );
        return [];
    }
    if (list.length === 0) {
        r.problem("adminCidrs", "[]", "it must list at least one CIDR block that may reach SSH, e.g. 203.0.113.7/32");
    }
    const canonical: string[] = [];
    for (const text of list) {
        const parsed = parseCidr(text);
        if (!parsed.ok) {
            r.problem("adminCidrs", text, `${parsed.reason}; each entry must be a CIDR block such as 203.0.113.7/32 or 2001:db8::/48`);
            continue;
        }
        if (isWorldOpen(parsed.cidr) && allowSshFromAnywhere !== true) {
            r.problem(
                "adminCidrs",
                text,
                "it opens SSH to the whole internet; list your own addresses, or set allowSshFromAnywhere to true to accept that deliberately",
            );
        }
        if (parsed.cidr.family === 6 && ipv6 === false) {
            r.problem("adminCidrs", text, "it is an IPv6 block but ipv6 is false; use IPv4 blocks or set ipv6 to true");
        }
        if (!canonical.includes(parsed.cidr.text)) canonical.push(parsed.cidr.text);
    }
    return canonical;
}

/** The sentence for a missing account id, unless the key is set (then its own problem was said). */
function requireAccountId(r: Reader, accountId: string | undefined, why: string): accountId is string {
    if (accountId === undefined && !r.has("cloudflareAccountId")) r.problems.push(`${PROJECT}:cloudflareAccountId is not set; ${why}.`);
    return accountId !== undefined;
}

/** The ingress variant the keys describe, or undefined when a problem was found (the parse then fails). */
function readIngress(r: Reader, accountId: string | undefined): IngressSettings | undefined {
    const mode = r.oneOf("ingress", INGRESS_MODES, DEFAULTS.ingress) ?? DEFAULTS.ingress;
    const { cloudflare } = INGRESS[mode];
    const reported = r.problems.length;

    const domain = r.string("domain", undefined)?.toLowerCase();
    if (domain !== undefined && !HOSTNAME.test(domain)) {
        r.problem("domain", domain, "it must be a fully qualified host name such as claw.example.com");
    } else if (domain === undefined && cloudflare) {
        r.problems.push(`${PROJECT}:domain is not set; ingress ${mode} needs the gateway's public host name, e.g. claw.example.com.`);
    }

    const zoneId = r.cloudflareId("cloudflareZoneId");
    if (cloudflare === "tunnel") requireAccountId(r, accountId, "ingress tunnel creates a Cloudflare Tunnel in that account");
    if (cloudflare && zoneId === undefined && !r.has("cloudflareZoneId")) {
        r.problems.push(`${PROJECT}:cloudflareZoneId is not set; ingress ${mode} creates the DNS record for the domain in that zone.`);
    }

    const accessEmails = r.stringList("cloudflareAccessEmails", DEFAULTS.cloudflareAccessEmails) ?? [];
    for (const email of accessEmails) {
        if (!EMAIL.test(email)) r.problem("cloudflareAccessEmails", email, "each entry must be an email address such as you@example.com");
    }
    if (accessEmails.length > 0 && !cloudflare) {
        r.problem(
            "cloudflareAccessEmails",
            accessEmails.join(", "),
            `Cloudflare Access guards a public host name, which only ingress tunnel and caddy have; remove it for ingress ${mode}`,
        );
    } else if (accessEmails.length > 0) {
        requireAccountId(r, accountId, "cloudflareAccessEmails creates a Cloudflare Access application in that account");
    }

    const tailscaleAuthKey = r.secretString("tailscaleAuthKey");
    if (tailscaleAuthKey !== undefined && !/^tskey-[A-Za-z0-9-]+$/.test(tailscaleAuthKey)) {
        r.hiddenProblem("tailscaleAuthKey", "it must be a Tailscale auth key starting with tskey-");
    }

    // Every problem is said before anything is built, so a variant is built only from a clean read.
    const clean = r.problems.length === reported;
    const access = accountId !== undefined && accessEmails.length > 0 ? { access: { accountId, emails: accessEmails.map((e) => e.toLowerCase()) } } : {};
    switch (mode) {
        case "tunnel":
            return clean && domain !== undefined && zoneId !== undefined && accountId !== undefined ? { mode, domain, zoneId, accountId, ...access } : undefined;
        case "caddy":
            return clean && domain !== undefined && zoneId !== undefined ? { mode, domain, zoneId, ...access } : undefined;
        case "tailscale":
            if (tailscaleAuthKey === undefined && !r.has("tailscaleAuthKey")) {
                r.problems.push(`${PROJECT}:tailscaleAuthKey is not set; ingress tailscale needs an auth key (pulumi config set --secret tailscaleAuthKey tskey-...).`);
            }
            return clean && tailscaleAuthKey !== undefined ? { mode, authKey: pulumi.secret(tailscaleAuthKey) } : undefined;
        case "none":
            return clean ? { mode } : undefined;
    }
}

function readApp(r: Reader): AppSettings {
    const openclawImage = r.string("openclawImage", DEFAULTS.openclawImage) ?? DEFAULTS.openclawImage;
    const imageProblem = imageReferenceProblem(openclawImage);
    if (imageProblem) r.problem("openclawImage", openclawImage, imageProblem);

    const llmApiKeys = readLlmApiKeys(r);
    const models = readModels(r, Object.keys(llmApiKeys));
    const defaultModel = r.string("defaultModel", models[0]?.name) ?? "";
    if (models.length > 0 && !models.some((m) => m.name === defaultModel)) {
        r.problem("defaultModel", defaultModel, `it must be the name of one of the models: ${models.map((m) => m.name).join(", ")}`);
    }

    const egressDomains = r.stringList("egressDomains", DEFAULTS.egressDomains) ?? [];
    for (const domain of egressDomains) {
        if (!HOSTNAME.test(domain.replace(/^\*\./, ""))) {
            r.problem("egressDomains", domain, "each entry must be a host name such as api.example.com, or a wildcard such as *.example.com");
        }
    }

    const telegramBotToken = r.secretString("telegramBotToken");
    if (telegramBotToken !== undefined && !/^\d{5,}:[A-Za-z0-9_-]{30,}$/.test(telegramBotToken)) {
        r.hiddenProblem("telegramBotToken", "it must be the token BotFather gives, <digits>:<35 characters>");
    }
    const telegramOwnerId = readTelegramOwnerId(r, telegramBotToken !== undefined);
    return {
        openclawImage,
        models,
        defaultModel,
        egressDomains,
        llmApiKeys: Object.fromEntries(Object.entries(llmApiKeys).map(([name, key]) => [name, pulumi.secret(key)])),
        telegramBotToken: telegramBotToken === undefined ? undefined : pulumi.secret(telegramBotToken),
        ...(telegramOwnerId !== undefined ? { telegramOwnerId } : {}),
    };
}

/** The bot owner's user id; only the bot of `telegramBotToken` has chats to own. */
function readTelegramOwnerId(r: Reader, hasTelegramBot: boolean): string | undefined {
    const ownerId = r.string("telegramOwnerId", undefined);
    if (ownerId === undefined) return undefined;
    if (!TELEGRAM_USER_ID.test(ownerId)) {
        r.problem("telegramOwnerId", ownerId, "it must be your numeric Telegram user id, digits only such as 123456789 (not a @username, a phone number or a group's negative chat id)");
        return undefined;
    }
    if (!hasTelegramBot && !r.has("telegramBotToken")) {
        r.problems.push(`${PROJECT}:telegramBotToken is not set; telegramOwnerId names the owner of that bot's chats.`);
    }
    return ownerId;
}

function readLlmApiKeys(r: Reader): Record<string, string> {
    const howToSet = "pulumi config set --secret --path 'llmApiKeys.ANTHROPIC_API_KEY' sk-ant-...";
    const value = r.json("llmApiKeys");
    if (value === undefined) {
        r.problems.push(`${PROJECT}:llmApiKeys is not set; at least one model provider key is required (${howToSet}).`);
        return {};
    }
    if (!r.raw.isSecret(`${PROJECT}:llmApiKeys`)) {
        r.problems.push(`${PROJECT}:llmApiKeys is stored in plain text in the stack file; set it again with --secret (${howToSet}).`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        r.hiddenProblem("llmApiKeys", `it must be a map from environment variable name to API key (${howToSet})`);
        return {};
    }
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) {
        r.problem("llmApiKeys", "{}", `it must hold at least one model provider key (${howToSet})`);
    }
    const keys: Record<string, string> = {};
    for (const [name, key] of entries) {
        if (!ENV_NAME.test(name)) {
            r.problem("llmApiKeys", name, "each name must be an environment variable name in capitals, such as ANTHROPIC_API_KEY");
        } else if (typeof key !== "string" || key.trim() === "" || /[\s"'\\]/.test(key)) {
            r.hiddenProblem(`llmApiKeys.${name}`, "it must be the API key as one word, without spaces or quotes");
        } else {
            keys[name] = key;
        }
    }
    return keys;
}

function readModels(r: Reader, apiKeyEnvs: readonly string[]): ModelSettings[] {
    const value = r.json("models") ?? DEFAULTS.models;
    if (!Array.isArray(value) || value.length === 0) {
        r.problem("models", JSON.stringify(value), "it must be a non-empty list of {name, model, apiKeyEnv, maxBudgetUsd?, rpm?}");
        return [];
    }
    const models: ModelSettings[] = [];
    value.forEach((entry: unknown, i) => {
        const key = `models[${i}]`;
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            r.problem(key, JSON.stringify(entry), "it must be an object {name, model, apiKeyEnv, maxBudgetUsd?, rpm?}");
            return;
        }
        const m = entry as Record<string, unknown>;
        const unknownFields = Object.keys(m).filter((k) => !["name", "model", "apiKeyEnv", "maxBudgetUsd", "rpm"].includes(k));
        if (unknownFields.length > 0) {
            r.problem(key, unknownFields.join(", "), "the accepted fields are name, model, apiKeyEnv, maxBudgetUsd and rpm");
        }
        if (typeof m.name !== "string" || !MODEL_NAME.test(m.name)) {
            r.problem(`${key}.name`, String(m.name), "it must be lower-case letters, digits, dots, dashes or underscores, such as claude-sonnet-4-5");
        } else if (models.some((other) => other.name === m.name)) {
            r.problem(`${key}.name`, m.name, "model names must be unique");
        }
        if (typeof m.model !== "string" || !/^[a-z0-9_-]+\/\S+$/.test(m.model)) {
            r.problem(`${key}.model`, String(m.model), "it must be a LiteLLM provider/model string such as anthropic/claude-sonnet-4-5");
        } else if (!MODEL_PROVIDER_HOSTS[modelProvider(m.model)]) {
            r.problem(
                `${key}.model`,
                m.model,
                `its provider must be one whose API host the egress allowlist knows: ${Object.keys(MODEL_PROVIDER_HOSTS).join(", ")}`,
            );
        }
        // With no keys at all, that problem is already reported once; do not repeat it per model.
        if (typeof m.apiKeyEnv !== "string" || (apiKeyEnvs.length > 0 && !apiKeyEnvs.includes(m.apiKeyEnv))) {
            r.problem(
                `${key}.apiKeyEnv`,
                String(m.apiKeyEnv),
                `it must name a key of llmApiKeys (${apiKeyEnvs.join(", ")})`,
            );
        }
        if (m.maxBudgetUsd !== undefined && !(typeof m.maxBudgetUsd === "number" && m.maxBudgetUsd > 0)) {
            r.problem(`${key}.maxBudgetUsd`, String(m.maxBudgetUsd), "it must be a positive number of US dollars");
        }
        if (m.rpm !== undefined && !(typeof m.rpm === "number" && Number.isInteger(m.rpm) && m.rpm > 0)) {
            r.problem(`${key}.rpm`, String(m.rpm), "it must be a positive whole number of requests per minute");
        }
        models.push({
            name: String(m.name),
            model: String(m.model),
            apiKeyEnv: String(m.apiKeyEnv),
            ...(m.maxBudgetUsd !== undefined ? { maxBudgetUsd: Number(m.maxBudgetUsd) } : {}),
            ...(m.rpm !== undefined ? { rpm: Number(m.rpm) } : {}),
        });
    });
    return models;
}

/** Where, when and for how long backups go, or undefined when a problem was found (the parse then fails). */
function readBackups(r: Reader, cloud: TargetName | undefined, cloudflareAccountId: string | undefined): BackupSettings | undefined {
    const catalog = cloud === undefined ? undefined : targets[cloud].catalog;
    const defaultStore: StateStore = cloudflareAccountId ? "r2" : (catalog?.defaultStateStore ?? "none");
    const stateStore = r.oneOf("stateStore", STATE_STORES, defaultStore) ?? defaultStore;
    const r2Account = stateStore === "r2" && requireAccountId(r, cloudflareAccountId, "stateStore r2 keeps backups in an R2 bucket of that account") ? cloudflareAccountId : undefined;
    // Where the host's region is aws:region, its own check already speaks; elsewhere the bucket is the only reason to need it.
    const hostChecksAwsRegion = catalog?.region.from === "provider" && catalog.region.key === "aws:region";
    if (stateStore === "s3" && catalog !== undefined && !hostChecksAwsRegion && !r.raw.get("aws:region")) {
        r.problems.push(
            `aws:region is not set; stateStore s3 creates the state bucket in that AWS region, so set it with \`pulumi config set aws:region eu-central-1\` (or another AWS region) and provide AWS credentials.`,
        );
    }

    const backupSchedule = r.string("backupSchedule", DEFAULTS.backupSchedule) ?? DEFAULTS.backupSchedule;
    const scheduleProblem = calendarProblem(backupSchedule);
    if (scheduleProblem) {
        r.problem("backupSchedule", backupSchedule, `${scheduleProblem}: it must be a systemd OnCalendar expression such as daily, *-*-* 03:00:00 or Mon..Fri 02:30`);
    }

    const backupRetentionDays = r.integer("backupRetentionDays", DEFAULTS.backupRetentionDays) ?? DEFAULTS.backupRetentionDays;
    if (backupRetentionDays < 1 || backupRetentionDays > 3650) {
        r.problem("backupRetentionDays", String(backupRetentionDays), "it must be a whole number of days from 1 to 3650");
    }
    const when = { backupSchedule, backupRetentionDays };
    switch (stateStore) {
        case "r2":
            return r2Account !== undefined ? { stateStore, cloudflareAccountId: r2Account, ...when } : undefined;
        case "s3":
        case "none":
            return { stateStore, ...when };
    }
}

function readAlerts(r: Reader, hasTelegramBot: boolean): AlertSettings {
    const webhookUrl = r.secretString("alertWebhookUrl");
    if (webhookUrl !== undefined && !isHttpsUrl(webhookUrl)) {
        r.hiddenProblem("alertWebhookUrl", "it must be an https:// URL without spaces or quotes, such as https://ntfy.sh/<your topic>");
    }
    const telegramChatId = r.string("alertTelegramChatId", undefined);
    if (telegramChatId !== undefined && !TELEGRAM_CHAT_ID.test(telegramChatId)) {
        r.problem("alertTelegramChatId", telegramChatId, "it must be a Telegram chat id (a number, negative for groups) or a channel's @name");
    } else if (telegramChatId !== undefined && !hasTelegramBot && !r.has("telegramBotToken")) {
        r.problems.push(`${PROJECT}:telegramBotToken is not set; alertTelegramChatId sends alerts through that bot.`);
    }
    return { webhookUrl: webhookUrl === undefined ? undefined : pulumi.secret(webhookUrl), telegramChatId };
}

function isHttpsUrl(text: string): boolean {
    if (/[\s"'\\]/.test(text)) return false;
    try {
        const url = new URL(text);
        return url.protocol === "https:" && url.hostname !== "";
    } catch {
        return false;
    }
}

/** Why an OpenSSH public key line is unusable, or undefined when it is fine. */
function sshPublicKeyProblem(line: string): string | undefined {
    if (/PRIVATE KEY-----/.test(line)) {
        return "it is a private key, not a public one: treat that key as leaked (remove it with `pulumi config rm --path 'sshPublicKeys[N]'`, make a new key pair) and set the .pub file's line";
    }
    const [type, body] = line.trim().split(/\s+/);
    if (/[\r\n]/.test(line) || !type || !body) {
        return "it must be one OpenSSH public key line, such as the contents of ~/.ssh/id_ed25519.pub";
    }
    if (!SSH_KEY_TYPES.includes(type)) {
        return `its type ${type} is not one of ${SSH_KEY_TYPES.join(", ")}`;
    }
    const blob = Buffer.from(body, "base64");
    const embeddedLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    const embeddedType = blob.subarray(4, 4 + Math.max(embeddedLength, 0)).toString("latin1");
    if (embeddedType !== type) {
        return "its key data is damaged or does not match its type";
    }
    return undefined;
}

/** The program's reader: the shared typed reads plus the ones only `openclaw:` keys need. */
class Reader extends ConfigReader {
    constructor(raw: RawConfig) {
        super(raw, PROJECT);
    }

    /** One of `accepted`; `why` follows the list in the sentence (what the list has in common). */
    oneOf<T extends string>(key: string, accepted: readonly T[], fallback: T | undefined, why?: string): T | undefined {
        const text = this.text(key);
        const list = `it must be one of ${accepted.join(", ")}${why ? ` (${why})` : ""}`;
        if (text === undefined) {
            if (fallback === undefined) {
                this.problems.push(`${PROJECT}:${key} is not set; ${list}.`);
            }
            return fallback;
        }
        if (!(accepted as readonly string[]).includes(text)) {
            this.problem(key, text, list);
            return undefined;
        }
        return text as T;
    }

    boolean(key: string, fallback: boolean): boolean {
        const text = this.text(key);
        if (text === undefined) return fallback;
        if (text !== "true" && text !== "false") {
            this.problem(key, text, "it must be true or false");
            return fallback;
        }
        return text === "true";
    }

    integer(key: string, fallback: number): number;
    integer(key: string, fallback: number | undefined): number | undefined;
    integer(key: string, fallback: number | undefined): number | undefined {
        const text = this.text(key);
        if (text === undefined) return fallback;
        if (!/^-?\d+$/.test(text.trim())) {
            this.problem(key, text, "it must be a whole number");
            return undefined;
        }
        return Number(text);
    }

    cloudflareId(key: string): string | undefined {
        const text = this.string(key, undefined);
        if (text !== undefined && !CLOUDFLARE_ID.test(text)) {
            this.problem(key, text, "it must be the 32-character hex id shown in the Cloudflare dashboard");
            return undefined;
        }
        return text;
    }
}
