#!/bin/bash
# openclaw-backup: the gateways' state, encrypted, in the state bucket, and back.
# Written by the deploy (pulumi up); local edits are overwritten.
#
#   openclaw-backup run                       back up now (the timer runs this)
#   openclaw-backup list                      the backups in the bucket, oldest first
#   openclaw-backup restore NAME|latest       replace the gateways' state with a backup
#   openclaw-backup restore --if-empty latest the deploy's step: restore only into an empty state
set -euo pipefail
umask 077

## The host's `openclaw-backup` command, which backupScript.ts reads. The deploy writes it without
## the `##` notes, and with a generated header in place of the line below: `readonly NAME=value`
## for each name on it.
readonly CONF SECRETS STATE_DIR STACK_DIR GATEWAYS COMPOSE_PROJECT BUCKET_PREFIX NAME_PATTERN GATEWAY_UID GATEWAY_GID IMAGE_NODE_ID

## GATEWAYS lists each gateway as CONTAINER:VOLUME:FOLDER, FOLDER being where its state volume's
## files go in a backup (the first gateway's is `state`, as it was when there was only one).
CONTAINERS=()
VOLUMES=()
FOLDERS=()
read -ra entries <<<"$GATEWAYS"
for entry in "${entries[@]}"; do
    IFS=: read -r container volume folder <<<"$entry"
    CONTAINERS+=("$container")
    VOLUMES+=("$volume")
    FOLDERS+=("$folder")
done

die() {
    echo "openclaw-backup: $*" >&2
    exit 1
}

usage() {
    sed -n '5,8s/^# //p' "$0"
}

load_config() {
    if [ ! -r "$CONF" ] || [ ! -r "$SECRETS" ]; then
        die "$CONF or $SECRETS is missing; pulumi up writes them"
    fi
    # shellcheck source=/dev/null
    . "$CONF"
    # shellcheck source=/dev/null
    . "$SECRETS"
    [ "$STATE_STORE" != none ] || die "this stack has no state bucket (stateStore none); set stateStore and run pulumi up"
    # rclone takes its remote from the environment only: no config file, no secret on a command line.
    export RCLONE_CONFIG=/dev/null
    export RCLONE_CONFIG_STATE_TYPE=s3
    export RCLONE_CONFIG_STATE_PROVIDER="$S3_PROVIDER"
    export RCLONE_CONFIG_STATE_REGION="$S3_REGION"
    export RCLONE_CONFIG_STATE_ENDPOINT="$S3_ENDPOINT"
    export RCLONE_CONFIG_STATE_ENV_AUTH=false
    export RCLONE_CONFIG_STATE_NO_CHECK_BUCKET=true
    export RCLONE_CONFIG_STATE_ACCESS_KEY_ID="$S3_ACCESS_KEY_ID"
    export RCLONE_CONFIG_STATE_SECRET_ACCESS_KEY="$S3_SECRET_ACCESS_KEY"
    REMOTE="state:$BACKUP_BUCKET/$BUCKET_PREFIX"
}

# The backup key reaches age through a pipe, never through a file or an argument.
identity() {
    printf '%s\n' "$BACKUP_IDENTITY"
}

lock() {
    mkdir -p "$STATE_DIR"
    exec 9>"$STATE_DIR/lock"
    flock -n 9 || die "another backup or restore is running"
}

# Whatever happens, no gateway is left paused or stopped, and no work file is left behind.
WORK=""
PAUSED=()
STOPPED=()
cleanup() {
    local container
    for container in "${PAUSED[@]}"; do docker unpause "$container" >/dev/null || true; done
    for container in "${STOPPED[@]}"; do docker start "$container" >/dev/null || true; done
    if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# volume_path VOLUME: its directory on the host, or a failure when it does not exist.
volume_path() {
    docker volume inspect --format '{{.Mountpoint}}' "$1" 2>/dev/null
}

# running CONTAINER
running() {
    [ "$(docker inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

list_backups() {
    local names
    names=$(rclone lsf --files-only "$REMOTE") || die "cannot list the backups in $BACKUP_BUCKET (rclone's message is above)"
    grep -E "$NAME_PATTERN" <<<"$names" | sort || true
}

cmd_run() {
    load_config
    lock
    local i volume in_archive name entries size container volumes=() renames=()
    for i in "${!VOLUMES[@]}"; do
        volume=$(volume_path "${VOLUMES[$i]}") || die "the state volume ${VOLUMES[$i]} does not exist yet: there is nothing to back up"
        # Every volume's own directory is _data: each is named with its parent, and renamed to its folder.
        in_archive="$(basename "$(dirname "$volume")")/$(basename "$volume")"
        volumes+=(--directory="$(dirname "$(dirname "$volume")")" "$in_archive")
        renames+=(--transform="s,^$in_archive,${FOLDERS[$i]},S")
    done
    WORK=$(mktemp -d "$STATE_DIR/work.XXXXXX")
    name="$(date -u +%Y%m%dT%H%M%SZ).tar.zst.age"

    # Paused, the gateways' processes are frozen, so the copy is consistent; they resume as soon
    # as the encrypted archive is written. The stack's .env stays out: its values live in Pulumi.
    for container in "${CONTAINERS[@]}"; do
        if running "$container"; then
            docker pause "$container" >/dev/null
            PAUSED+=("$container")
        fi
    done
    # The exclusion is anchored (unanchored, it would also drop any .../openclaw/.env of the state),
    # and the renames spare symlink targets (flag S: a link to openclaw.json must stay one).
    tar --create --file=- --numeric-owner \
        --anchored --exclude="$(basename "$STACK_DIR")/.env" \
        "${renames[@]}" \
        --transform="s,^$(basename "$STACK_DIR"),config,S" \
        "${volumes[@]}" \
        --directory="$(dirname "$STACK_DIR")" "$(basename "$STACK_DIR")" |
        zstd --quiet --threads=0 -6 |
        age --encrypt --identity <(identity) --output "$WORK/$name"
    for container in "${PAUSED[@]}"; do docker unpause "$container" >/dev/null; done
    PAUSED=()

    rclone copyto "$WORK/$name" "$REMOTE$name" || die "backup $name could not be uploaded to $BACKUP_BUCKET (rclone's message is above)"
    # Read back what the bucket holds: the same bytes, and they decrypt and unpack.
    rclone copyto "$REMOTE$name" "$WORK/check" || die "backup $name was uploaded but could not be read back (rclone's message is above)"
    cmp -s "$WORK/$name" "$WORK/check" || die "backup $name reads back different from what was uploaded"
    entries=$(age --decrypt --identity <(identity) "$WORK/check" | zstd --decompress --stdout | tar --list --file=- | wc -l) ||
        die "backup $name was uploaded but does not decrypt and unpack"
    size=$(stat -c %s "$WORK/$name")
    printf '%s %s\n' "$(date -u +%s)" "$name" >"$STATE_DIR/last-backup.new"
    mv -f "$STATE_DIR/last-backup.new" "$STATE_DIR/last-backup"
    echo "backup $name: $entries entries, $size bytes encrypted, uploaded to $BACKUP_BUCKET and verified"
    prune
}

# Retention: backups older than the retention period go, but never the newest one. The bucket's
# own lifecycle rule expires them too; this keeps the count right on any S3-compatible store.
prune() {
    local cutoff names newest old count=0
    cutoff=$(date -u -d "$BACKUP_RETENTION_DAYS days ago" +%Y%m%dT%H%M%SZ)
    names=$(list_backups)
    newest=$(tail -n 1 <<<"$names")
    while IFS= read -r old; do
        if [ -n "$old" ] && [ "$old" != "$newest" ] && [[ "$old" < "$cutoff" ]]; then
            rclone deletefile "$REMOTE$old"
            count=$((count + 1))
        fi
    done <<<"$names"
    echo "removed $count backups older than $BACKUP_RETENTION_DAYS days"
}

cmd_restore() {
    local if_empty="" wanted="" names name i volume restoring=()
    while [ $# -gt 0 ]; do
        case $1 in
            --if-empty) if_empty=1 ;;
            -*) die "unknown option $1; usage: openclaw-backup restore [--if-empty] NAME|latest" ;;
            *)
                [ -z "$wanted" ] || die "restore takes one backup name; usage: openclaw-backup restore [--if-empty] NAME|latest"
                wanted=$1
                ;;
        esac
        shift
    done
    [ -n "$wanted" ] || die "restore needs a backup name or latest; openclaw-backup list shows the names"
    load_config
    lock
    # --if-empty restores only the gateways whose state volume is missing or empty.
    for i in "${!VOLUMES[@]}"; do
        volume=$(volume_path "${VOLUMES[$i]}") || volume=""
        if [ -n "$if_empty" ] && [ -n "$volume" ] && [ -n "$(ls -A "$volume")" ]; then
            echo "the state volume ${VOLUMES[$i]} already holds state: nothing restored"
        else
            restoring+=("$i")
        fi
    done
    [ "${#restoring[@]}" -gt 0 ] || return 0
    names=$(list_backups)
    if [ "$wanted" = latest ]; then
        name=$(tail -n 1 <<<"$names")
        if [ -z "$name" ] && [ -n "$if_empty" ]; then
            echo "the bucket holds no backup yet: the gateway starts with empty state"
            return 0
        fi
        [ -n "$name" ] || die "the bucket $BACKUP_BUCKET holds no backup"
    else
        grep -qxF -- "$wanted" <<<"$names" || die "the bucket holds no backup named $wanted; openclaw-backup list shows the names"
        name=$wanted
    fi

    WORK=$(mktemp -d "$STATE_DIR/work.XXXXXX")
    rclone copyto "$REMOTE$name" "$WORK/archive" ||
        die "backup $name could not be downloaded intact (rclone's message is above); the state volume is unchanged"
    mkdir "$WORK/restore"
    # Unpacked in full before a volume is touched: a wrong key or a damaged or tampered archive
    # fails here and changes nothing. The stack's config stays out: the deploy writes it.
    if ! age --decrypt --identity <(identity) "$WORK/archive" | zstd --decompress --stdout |
        tar --extract --file=- --numeric-owner --same-permissions --directory="$WORK/restore" --anchored --exclude=config; then
        die "backup $name does not decrypt and unpack (a wrong key, or a damaged or tampered archive); the state volume is unchanged"
    fi

    for i in "${restoring[@]}"; do
        restore_gateway "$name" "${CONTAINERS[$i]}" "${VOLUMES[$i]}" "$WORK/restore/${FOLDERS[$i]}"
    done
}

# restore_gateway NAME CONTAINER VOLUME FROM: the volume's files replaced by FROM's, the gateway
# stopped meanwhile (the exit trap starts it again).
restore_gateway() {
    local name=$1 container=$2 volume_name=$3 from=$4 volume
    if [ ! -d "$from" ]; then
        echo "backup $name holds no state for $container: the state volume $volume_name is unchanged"
        return 0
    fi
    if running "$container"; then
        docker stop "$container" >/dev/null
        STOPPED+=("$container")
    fi
    volume=$(volume_path "$volume_name") || volume=""
    if [ -z "$volume" ]; then
        # Labelled as Docker Compose labels its own volumes, so compose adopts it without a warning.
        docker volume create --label "com.docker.compose.project=$COMPOSE_PROJECT" \
            --label "com.docker.compose.volume=$volume_name" "$volume_name" >/dev/null
        volume=$(volume_path "$volume_name")
    fi
    find "$volume" -mindepth 1 -delete
    cp -a "$from/." "$volume/"
    chown --reference="$from" "$volume"
    chmod --reference="$from" "$volume"
    # A backup made before the gateway had its own uid holds files of the image's node, which it
    # ran as: they become the gateway's, and nothing else changes owner (-h: a symbolic link
    # itself, never what it points to on this host).
    chown -hR --from="$IMAGE_NODE_ID" "$GATEWAY_UID" "$volume"
    chown -hR --from=":$IMAGE_NODE_ID" ":$GATEWAY_GID" "$volume"
    echo "restored backup $name into the state volume $volume_name"
}

case ${1:-} in
    run) cmd_run ;;
    list)
        load_config
        list_backups
        ;;
    restore)
        shift
        cmd_restore "$@"
        ;;
    -h | --help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
esac
