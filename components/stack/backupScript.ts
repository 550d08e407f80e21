// `openclaw-backup`: the host's command that puts the gateways' state in the state bucket and
// brings it back. Static: everything that differs per stack comes from the maintenance config
// and secrets files it reads, so the same bytes are checked by ShellCheck, run against a real S3
// server in the integration test and run on the VM. The script is openclaw-backup.sh; this module
// gives it its header of paths and names.
import { readScriptFile } from "../../cloud-init/scriptFile";
import { GATEWAYS } from "./gateways";
import { BACKUP_PREFIX, COMPOSE_PROJECT, GATEWAY_GID, GATEWAY_UID, IMAGE_NODE_ID, MAINTENANCE_FILES, STACK_DIR } from "./layout";

/** Where the command looks for its files; tests point it at a scratch directory. */
export interface BackupScriptPaths {
    readonly conf: string;
    readonly secrets: string;
    readonly stateDir: string;
    /** The stack's directory: its config goes into each backup, without the `.env`. */
    readonly stackDir: string;
}

export const HOST_BACKUP_PATHS: BackupScriptPaths = {
    conf: MAINTENANCE_FILES.conf,
    secrets: MAINTENANCE_FILES.secrets,
    stateDir: MAINTENANCE_FILES.stateDir,
    stackDir: STACK_DIR,
};

/** Backup object names: a UTC time stamp, so they sort by age and say nothing about what they hold. */
export const BACKUP_NAME_PATTERN = "^[0-9]{8}T[0-9]{6}Z\\.tar\\.zst\\.age$";

/** The command, committed as openclaw-backup.sh beside this file. */
const BACKUP_SCRIPT = readScriptFile(__dirname, "openclaw-backup.sh");

export function renderBackupScript(paths: BackupScriptPaths = HOST_BACKUP_PATHS): string {
    return BACKUP_SCRIPT.render({
        CONF: paths.conf,
        SECRETS: paths.secrets,
        STATE_DIR: paths.stateDir,
        STACK_DIR: paths.stackDir,
        GATEWAYS: GATEWAYS.map((gateway) => `${gateway.container}:${gateway.stateVolume}:${gateway.backupFolder}`).join(" "),
        COMPOSE_PROJECT,
        BUCKET_PREFIX: BACKUP_PREFIX,
        NAME_PATTERN: BACKUP_NAME_PATTERN,
        GATEWAY_UID: String(GATEWAY_UID),
        GATEWAY_GID: String(GATEWAY_GID),
        IMAGE_NODE_ID: String(IMAGE_NODE_ID),
    });
}
