// `openclaw-watchdog`: every few minutes, the checks an operator would otherwise make by hand (an
// operational check: no public hardening baseline has a control for it). A problem is logged to
// the journal, fails the unit (so `systemctl --failed` shows it) and is sent to the alert targets
// once per cooldown. Static, like `openclaw-backup`: what differs per stack comes from the
// maintenance config and secrets. The script is openclaw-watchdog.sh; this module gives it its
// header of paths and limits.
import { readScriptFile } from "../../cloud-init/scriptFile";
import { MAINTENANCE_FILES, MAINTENANCE_UNITS } from "./layout";

export interface WatchdogScriptPaths {
    readonly conf: string;
    readonly secrets: string;
    /** Shared with `openclaw-backup`: its `last-backup` record is read here. */
    readonly stateDir: string;
}

export const HOST_WATCHDOG_PATHS: WatchdogScriptPaths = {
    conf: MAINTENANCE_FILES.conf,
    secrets: MAINTENANCE_FILES.secrets,
    stateDir: MAINTENANCE_FILES.stateDir,
};

/** Thresholds (the project's own; no baseline sets them); a problem is alerted again only after the cooldown. */
export const WATCHDOG_LIMITS = {
    diskPercent: 85,
    memoryPercent: 90,
    swapPercent: 50,
    cooldownSeconds: 6 * 3600,
    /** How late a backup may be beyond its schedule's interval before it is a problem. */
    backupGraceSeconds: 3600,
} as const;

/** The command, committed as openclaw-watchdog.sh beside this file. */
const WATCHDOG_SCRIPT = readScriptFile(__dirname, "openclaw-watchdog.sh");

export function renderWatchdogScript(paths: WatchdogScriptPaths = HOST_WATCHDOG_PATHS): string {
    return WATCHDOG_SCRIPT.render({
        CONF: paths.conf,
        SECRETS: paths.secrets,
        STATE_DIR: paths.stateDir,
        MEMORY_DIR: `${paths.stateDir}/watchdog`,
        BACKUP_SERVICE: MAINTENANCE_UNITS.backupService,
        DISK_PERCENT_MAX: WATCHDOG_LIMITS.diskPercent,
        MEMORY_PERCENT_MAX: WATCHDOG_LIMITS.memoryPercent,
        SWAP_PERCENT_MAX: WATCHDOG_LIMITS.swapPercent,
        COOLDOWN_SECONDS: WATCHDOG_LIMITS.cooldownSeconds,
        BACKUP_GRACE_SECONDS: WATCHDOG_LIMITS.backupGraceSeconds,
    });
}
