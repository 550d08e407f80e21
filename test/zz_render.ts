import * as fs from "fs";
import { renderBackupScript } from "../components/stack/backupScript";
const d = "/tmp/bk";
fs.writeFileSync(`${d}/openclaw-backup`, renderBackupScript({ conf: `${d}/etc/maintenance.conf`, secrets: `${d}/etc/secrets.env`, stateDir: `${d}/var`, stackDir: `${d}/opt/openclaw` }), { mode: 0o755 });
