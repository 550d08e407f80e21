// What each day-2 helper runs on the host, as `deploy` (through sudo where root's files are read).
// Pure: the commands are tested apart from any SSH.
import { shellQuote } from "../components/stack/shell";
import { GATEWAYS, PRIMARY_GATEWAY } from "../components/stack/gateways";
import { COMPOSE_PROJECT, MAINTENANCE_FILES, MAINTENANCE_UNITS, SERVICES } from "../components/stack/layout";

/** Every container of the stack (every ingress mode's included), by its compose service: the gateways', then the others'. */
const CONTAINERS = [...GATEWAYS.map((gateway) => ({ service: gateway.name, container: gateway.container })), ...Object.values(SERVICES)];

/** The services `logs` knows, by compose name. */
export const SERVICE_NAMES = CONTAINERS.map((s) => s.service);

const containerOf = (service: string) => CONTAINERS.find((s) => s.service === service)?.container;

/** `logs [service]`: the last lines of one service's container, or of every container of the stack. */
export function logsCommand(service: string | undefined, options: { readonly follow: boolean; readonly lines: number }): string {
    const flags = `--tail ${options.lines}${options.follow ? " --follow" : ""} --timestamps`;
    if (service === undefined) {
        return `for c in $(sudo docker ps -a --filter label=com.docker.compose.project=${COMPOSE_PROJECT} --format '{{.Names}}' | sort); do echo "== $c"; sudo docker logs --tail ${options.lines} --timestamps "$c" 2>&1; done`;
    }
    const container = containerOf(service);
    if (!container) throw new Error(`logs: "${service}" is not a service of the stack; it must be one of ${SERVICE_NAMES.join(", ")}`);
    return `sudo docker logs ${flags} ${container} 2>&1`;
}

/** `status`: the containers and their health, the last good backup, the timers, the disk. */
export function statusCommand(): string {
    return `echo "== containers"
sudo docker ps -a --filter label=com.docker.compose.project=${COMPOSE_PROJECT} --format '{{.Names}}\\t{{.Status}}' | sort | grep . || echo "none"
echo "== last good backup"
if sudo test -s ${MAINTENANCE_FILES.stateDir}/last-backup; then
    read -r at name < <(sudo cat ${MAINTENANCE_FILES.stateDir}/last-backup)
    echo "$name, $(( ($(date -u +%s) - at) / 3600 )) h ago"
else
    echo "none recorded on this host"
fi
echo "== timers"
systemctl list-timers --all --no-legend ${MAINTENANCE_UNITS.backupTimer} ${MAINTENANCE_UNITS.watchdogTimer} 2>/dev/null | grep . || echo "no maintenance timers"
echo "== disk"
df -h --output=target,size,used,avail,pcent / /var/lib/docker 2>/dev/null | uniq
`;
}

/** `backup-now`: runs the backup service now and waits for it; on failure, its journal says why. */
export function backupNowCommand(): string {
    return `if sudo systemctl start ${MAINTENANCE_UNITS.backupService}; then
    echo "backup done: $(sudo cut -d ' ' -f 2 ${MAINTENANCE_FILES.stateDir}/last-backup)"
else
    echo "the backup failed; its last log lines:" >&2
    sudo journalctl -u ${MAINTENANCE_UNITS.backupService} -n 30 --no-pager -o cat >&2
    exit 1
fi
`;
}

/** `openclaw ARGS...`: the OpenClaw CLI inside the gateway's container, each argument quoted. */
export function openclawCommand(args: readonly string[], interactive: boolean): string {
    return `sudo docker exec ${interactive ? "-it" : "-i"} ${PRIMARY_GATEWAY.container} openclaw ${args.map(shellQuote).join(" ")}`.trimEnd();
}
