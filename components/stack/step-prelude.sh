## The functions every deploy step's script starts with: steps.ts reads this file, without the
## `##` notes, as SCRIPT_PRELUDE and puts each step's commands after it. No header: nothing here
## differs between stacks or steps.
set -euo pipefail

# write_file TARGET MODE OWNER:GROUP, content on standard input; never echoed, and the target
# is replaced whole (readers see the old file or the new one; a secret's old one as zeros for an instant).
write_file() {
    local target=$1 mode=$2 owner=$3 tmp
    tmp=$(sudo mktemp "$(dirname "$target")/.deploy.XXXXXX")
    sudo tee "$tmp" >/dev/null
    sudo chown "$owner" "$tmp"
    sudo chmod "$mode" "$tmp"
    # A secret file's old content is overwritten before the new file takes its name: a rename
    # alone would leave it in the blocks the filesystem frees (and pulumi destroy could not reach it).
    if [ "$mode" = 0600 ] && sudo test -f "$target"; then
        sudo shred --force --zero "$target"
    fi
    sudo mv -f "$tmp" "$target"
    echo "wrote $target"
}

# wait_healthy CONTAINER [SECONDS]: fails with the container's state and last log lines.
wait_healthy() {
    local container=$1 deadline=$((SECONDS + ${2:-300})) status
    while :; do
        status=$(sudo docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$container" 2>/dev/null || echo missing)
        case $status in
            healthy) echo "$container is healthy"; return 0 ;;
            unhealthy | exited | dead | missing) break ;;
        esac
        if [ "$SECONDS" -ge "$deadline" ]; then break; fi
        sleep 3
    done
    echo "$container is $status; its last log lines:" >&2
    sudo docker logs --tail 50 "$container" 2>&1 | sed 's/^/    /' >&2 || true
    return 1
}

# restart_if_running CONTAINER: a changed config file reaches only its own service.
restart_if_running() {
    if sudo docker container inspect "$1" >/dev/null 2>&1; then
        echo "restarting $1"
        sudo docker restart "$1" >/dev/null
        wait_healthy "$1"
    else
        echo "$1 is not running yet; the stack-up step starts it"
    fi
}
