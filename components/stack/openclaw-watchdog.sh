#!/bin/bash
# openclaw-watchdog: checks the stack and the host. Each problem is logged, makes this run fail,
# and is sent to the alert targets (at most once per COOLDOWN_SECONDS, set below, while it lasts).
# Written by the deploy (pulumi up); local edits are overwritten.
set -uo pipefail # not -e: one failing check must not hide the others
umask 077

## The host's `openclaw-watchdog` command, which watchdogScript.ts reads. The deploy writes it
## without the `##` notes, and with a generated header in place of the line below: `readonly
## NAME=value` for each name on it.
readonly CONF SECRETS STATE_DIR MEMORY_DIR BACKUP_SERVICE DISK_PERCENT_MAX MEMORY_PERCENT_MAX SWAP_PERCENT_MAX COOLDOWN_SECONDS BACKUP_GRACE_SECONDS

# shellcheck source=/dev/null
. "$CONF" || exit 1
if [ -r "$SECRETS" ]; then
    # shellcheck source=/dev/null
    . "$SECRETS"
fi
mkdir -p "$MEMORY_DIR"

PROBLEM_KEYS=()
PROBLEM_TEXTS=()
# problem KEY TEXT: KEY names the problem for the cooldown, TEXT is what the operator reads.
problem() {
    PROBLEM_KEYS+=("$1")
    PROBLEM_TEXTS+=("$2")
    echo "problem: $2"
}

check_containers() {
    local container state status health restarts oom previous
    for container in $WATCH_CONTAINERS; do
        if ! state=$(docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.RestartCount}} {{.State.OOMKilled}}' "$container" 2>/dev/null); then
            problem "missing-$container" "container $container does not exist"
            continue
        fi
        read -r status health restarts oom <<<"$state"
        case $status in
            running | paused) ;;
            *) problem "status-$container" "container $container is $status, not running" ;;
        esac
        if [ "$health" = unhealthy ]; then
            problem "unhealthy-$container" "container $container is unhealthy"
        fi
        if [ "$oom" = true ]; then
            problem "oom-$container" "container $container was killed for want of memory (OOM)"
        fi
        # Docker counts restarts per container; a recreated container starts again from 0.
        previous=$(cat "$MEMORY_DIR/restarts-$container" 2>/dev/null || echo "$restarts")
        if [ "$restarts" -gt "$previous" ]; then
            problem "restarts-$container" "container $container restarted $((restarts - previous)) times since the last check ($restarts in all)"
        fi
        echo "$restarts" >"$MEMORY_DIR/restarts-$container"
    done
}

check_disk() {
    local path used
    # Docker's data usually shares the root file system; it is checked on its own only when not.
    for path in / /var/lib/docker; do
        [ -d "$path" ] || continue
        if [ "$path" != / ] && [ "$(stat -c %d "$path")" = "$(stat -c %d /)" ]; then continue; fi
        used=$(df --output=pcent "$path" | tail -n 1 | tr -dc 0-9)
        if [ "$used" -gt "$DISK_PERCENT_MAX" ]; then
            problem "disk-$path" "the file system of $path is $used% full (the limit is $DISK_PERCENT_MAX%)"
        fi
    done
}

meminfo() {
    awk -v key="$1:" '$1 == key { print $2 }' /proc/meminfo
}

check_memory() {
    local total available swap_total swap_free used
    total=$(meminfo MemTotal)
    available=$(meminfo MemAvailable)
    used=$(((total - available) * 100 / total))
    if [ "$used" -gt "$MEMORY_PERCENT_MAX" ]; then
        problem memory "memory is $used% used (the limit is $MEMORY_PERCENT_MAX%)"
    fi
    swap_total=$(meminfo SwapTotal)
    swap_free=$(meminfo SwapFree)
    if [ "$swap_total" -gt 0 ]; then
        used=$(((swap_total - swap_free) * 100 / swap_total))
        if [ "$used" -gt "$SWAP_PERCENT_MAX" ]; then
            problem swap "swap is $used% used (the limit is $SWAP_PERCENT_MAX%): the host is short of memory"
        fi
    fi
}

# Seconds between two runs of the backup schedule, as systemd computes them; a day if it cannot.
backup_interval() {
    local next second
    next=$(TZ=UTC systemd-analyze calendar --iterations=2 "$BACKUP_SCHEDULE" 2>/dev/null | sed -n 's/^ *Next elapse: //p')
    second=$(TZ=UTC systemd-analyze calendar --iterations=2 "$BACKUP_SCHEDULE" 2>/dev/null | sed -n 's/^ *Iter\. #2: //p')
    if [ -n "$next" ] && [ -n "$second" ]; then
        echo $(($(date -u -d "$second" +%s) - $(date -u -d "$next" +%s)))
    else
        echo 86400
    fi
}

check_backup() {
    [ "$STATE_STORE" != none ] || return 0
    local last age interval
    if systemctl is-failed --quiet "$BACKUP_SERVICE"; then
        problem backup-failed "the last backup failed; journalctl -u $BACKUP_SERVICE says why"
    fi
    # Until the first backup, the clock runs from when the deploy installed the backups.
    last=$(cut -d ' ' -f 1 "$STATE_DIR/last-backup" 2>/dev/null || stat -c %Y "$CONF")
    age=$(($(date +%s) - last))
    interval=$(backup_interval)
    if [ "$age" -gt $((interval + BACKUP_GRACE_SECONDS)) ]; then
        problem backup-age "the last good backup is $((age / 3600)) hours old, and one is due every $((interval / 3600)) hours"
    fi
}

# curl reads the target URL from a private file, so a token in it never shows on a command line.
post() {
    local url=$1 config status
    shift
    config=$(mktemp)
    printf 'url = "%s"\n' "$url" >"$config"
    curl --fail --silent --show-error --max-time 20 --config "$config" "$@" >/dev/null
    status=$?
    rm -f "$config"
    return "$status"
}

notify() {
    local text=$1
    if [ -n "${ALERT_WEBHOOK_URL:-}" ]; then
        post "$ALERT_WEBHOOK_URL" --header "Title: OpenClaw $OPENCLAW_STACK" --data-binary "$text" ||
            echo "could not deliver the alert to the webhook" >&2
    fi
    if [ -n "${ALERT_TELEGRAM_CHAT_ID:-}" ] && [ -n "${ALERT_TELEGRAM_BOT_TOKEN:-}" ]; then
        post "https://api.telegram.org/bot$ALERT_TELEGRAM_BOT_TOKEN/sendMessage" \
            --data-urlencode "chat_id=$ALERT_TELEGRAM_CHAT_ID" --data-urlencode "text=$text" ||
            echo "could not deliver the alert to Telegram" >&2
    fi
}

# Alerts only the problems not already alerted within the cooldown; a problem that went away is
# forgotten, so its return alerts at once.
alert() {
    local now file key i text="" current=" "
    now=$(date +%s)
    for i in "${!PROBLEM_KEYS[@]}"; do
        key=$(printf '%s' "${PROBLEM_KEYS[$i]}" | sha256sum | cut -c 1-16)
        current+="$key "
        file="$MEMORY_DIR/alerted-$key"
        if [ ! -f "$file" ] || [ $((now - $(cat "$file"))) -ge "$COOLDOWN_SECONDS" ]; then
            text+="- ${PROBLEM_TEXTS[$i]}"$'\n'
            echo "$now" >"$file"
        fi
    done
    for file in "$MEMORY_DIR"/alerted-*; do
        [ -e "$file" ] || continue
        key=${file##*/alerted-}
        [[ "$current" == *" $key "* ]] || rm -f "$file"
    done
    if [ -n "$text" ]; then
        notify "OpenClaw $OPENCLAW_STACK on $(hostname):"$'\n'"$text"
    fi
}

check_containers
check_disk
check_memory
check_backup
alert
if [ "${#PROBLEM_KEYS[@]}" -gt 0 ]; then
    exit 1
fi
echo "all checks passed"
