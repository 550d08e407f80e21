// The host's maintenance jobs as files: the systemd units that run `openclaw-backup` and
// `openclaw-watchdog`, and the two files both read (settings, and secrets).
import { StateStore } from "../settings";
import { shellQuote } from "./shell";
import { BACKUP_PREFIX, MAINTENANCE_FILES, MAINTENANCE_UNITS } from "./layout";

/** How the host's S3 client reaches the bucket (rclone's provider, region and endpoint). */
export interface BucketEndpoint {
    /** rclone's S3 provider: `AWS`, `Cloudflare`, or `Other` for any S3-compatible server. */
    readonly provider: "AWS" | "Cloudflare" | "Other";
    readonly region: string;
    /** Empty for AWS, which derives it from the region. */
    readonly endpoint: string;
    readonly bucket: string;
}

/** Where backups go, as the host's settings file names it: a store's bucket, or nowhere. */
export type BackupTarget = { readonly store: "none" } | { readonly store: Exclude<StateStore, "none">; readonly bucket: BucketEndpoint };

export type MaintenanceConfigInput = BackupTarget & {
    readonly stack: string;
    readonly retentionDays: number;
    readonly schedule: string;
    /** The containers the watchdog expects to be running. */
    readonly containers: readonly string[];
    readonly telegramChatId?: string;
};

/** Non-secret settings, sourced by both commands; they are shown in a preview's diff. */
export function renderMaintenanceConfig(input: MaintenanceConfigInput): string {
    const bucket = "bucket" in input ? input.bucket : { provider: "", region: "", endpoint: "", bucket: "" };
    const values: Record<string, string> = {
        OPENCLAW_STACK: input.stack,
        STATE_STORE: input.store,
        BACKUP_BUCKET: bucket.bucket,
        BACKUP_RETENTION_DAYS: String(input.retentionDays),
        BACKUP_SCHEDULE: input.schedule,
        S3_PROVIDER: bucket.provider,
        S3_REGION: bucket.region,
        S3_ENDPOINT: bucket.endpoint,
        WATCH_CONTAINERS: input.containers.join(" "),
        ALERT_TELEGRAM_CHAT_ID: input.telegramChatId ?? "",
    };
    return `# Written by the deploy (pulumi up); read by ${MAINTENANCE_FILES.backupCommand} and ${MAINTENANCE_FILES.watchdogCommand}.
# Backups go to ${BACKUP_PREFIX} in the bucket.
${assignments(values)}`;
}

export interface MaintenanceSecretValues {
    readonly accessKeyId?: string;
    readonly secretAccessKey?: string;
    /** The age identity backups are encrypted to (`AGE-SECRET-KEY-1...`). */
    readonly backupIdentity: string;
    readonly alertWebhookUrl?: string;
    readonly telegramBotToken?: string;
}

/** The secrets file (0600 root): bucket credentials, the backup key, the alert targets' tokens. */
export function renderMaintenanceSecrets(values: MaintenanceSecretValues): string {
    return `# Written by the deploy (pulumi up) from Pulumi's encrypted state. Keep it 0600 root.
${assignments({
    S3_ACCESS_KEY_ID: values.accessKeyId ?? "",
    S3_SECRET_ACCESS_KEY: values.secretAccessKey ?? "",
    BACKUP_IDENTITY: values.backupIdentity,
    ALERT_WEBHOOK_URL: values.alertWebhookUrl ?? "",
    ALERT_TELEGRAM_BOT_TOKEN: values.telegramBotToken ?? "",
})}`;
}

function assignments(values: Record<string, string>): string {
    return Object.entries(values)
        .map(([name, value]) => {
            if (/[\n\r]/.test(value)) throw new Error(`maintenance files: ${name} must be one line`);
            return `${name}=${shellQuote(value)}\n`;
        })
        .join("");
}

/** How often the watchdog looks, and how long after boot (or a deploy) it first does. */
export const WATCHDOG_TIMING = { firstAfter: "15min", every: "5min" } as const;

/** The four units, by file name. */
export function renderMaintenanceUnits(schedule: string): Record<string, string> {
    // Both commands run as root (they drive Docker), so each unit takes what it can away.
    const sandbox = `NoNewPrivileges=yes
PrivateTmp=yes
ProtectHome=yes
ProtectSystem=full
ProtectKernelTunables=yes
ProtectControlGroups=yes`;
    return {
        [MAINTENANCE_UNITS.backupService]: `[Unit]
Description=OpenClaw: back up the gateway's state to the state bucket
After=docker.service network-online.target
Wants=network-online.target
# A failed backup is alerted at once, not at the next watchdog round.
OnFailure=${MAINTENANCE_UNITS.watchdogService}

[Service]
Type=oneshot
ExecStart=${MAINTENANCE_FILES.backupCommand} run
Nice=10
IOSchedulingClass=idle
TimeoutStartSec=2h
${sandbox}
`,
        [MAINTENANCE_UNITS.backupTimer]: `[Unit]
Description=OpenClaw: back up the gateway's state on schedule

[Timer]
OnCalendar=${schedule}
# A run missed while the host was off happens at the next boot.
Persistent=true

[Install]
WantedBy=timers.target
`,
        [MAINTENANCE_UNITS.watchdogService]: `[Unit]
Description=OpenClaw: check the containers, the host and the last backup, and alert
After=docker.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=${MAINTENANCE_FILES.watchdogCommand}
TimeoutStartSec=5min
${sandbox}
`,
        [MAINTENANCE_UNITS.watchdogTimer]: `[Unit]
Description=OpenClaw: run the watchdog every ${WATCHDOG_TIMING.every}

[Timer]
OnActiveSec=${WATCHDOG_TIMING.firstAfter}
OnUnitActiveSec=${WATCHDOG_TIMING.every}

[Install]
WantedBy=timers.target
`,
    };
}
