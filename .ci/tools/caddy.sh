#!/usr/bin/env bash
# Caddy for test/programs/caddy.spec.ts and the Caddyfile checks in test/artifacts: the release the
# caddy image pins (components/stack/images.ts, the one pin, read where compose reads it), built with
# this machine's Go from the Go module proxy, every module checked against the checksum database.
# Cached under $OPENCLAW_TOOLS_CACHE keyed by the version, linked at .tools/bin/caddy; a cache whose
# .complete marker is missing (an interrupted build) is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=SCRIPTDIR/../retry.sh
. .ci/retry.sh

caddy_version=$(sed -n 's|.*"docker\.io/library/caddy:\([0-9][0-9.]*\)-alpine[@"].*|\1|p' components/stack/images.ts)
[ -n "$caddy_version" ] || { echo "caddy: no docker.io/library/caddy:<version>-alpine pin in components/stack/images.ts" >&2; exit 1; }
module=github.com/caddyserver/caddy/v2
cache_root=${OPENCLAW_TOOLS_CACHE:-$HOME/.cache/openclaw-tools}
build="$cache_root/caddy-$caddy_version"

if [ "$(cat "$build/.complete" 2>/dev/null || true)" != "$caddy_version" ]; then
    command -v go >/dev/null || { echo "caddy: Go is missing (Caddy $caddy_version needs its go.mod's Go or newer)" >&2; exit 1; }
    rm -rf "$build"
    mkdir -p "$build/bin"
    # The machine's own Go, never a toolchain download; static, like the release binary the image ships.
    export GOTOOLCHAIN=local CGO_ENABLED=0
    # Built the way Caddy's release (.goreleaser.yml) builds it: cmd/caddy/main.go in a module of its
    # own that requires Caddy at the tag, so the dependency versions are those Caddy's go.mod names
    # and `caddy version` reports the release (built inside its own module it says "unknown").
    source_dir=$(retry go mod download -json "$module@v$caddy_version" | sed -n 's|^[[:space:]]*"Dir": "\(.*\)",$|\1|p')
    [ -f "$source_dir/cmd/caddy/main.go" ] || { echo "caddy: $module@v$caddy_version has no cmd/caddy/main.go" >&2; exit 1; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cp "$source_dir/cmd/caddy/main.go" "$work/main.go"
    (
        cd "$work"
        go mod init caddy >/dev/null 2>&1
        go mod edit -require="$module@v$caddy_version"
        retry go mod tidy
        # Everything is in the module cache now: the build itself must not need the network.
        GOPROXY=off go build -trimpath -ldflags="-s -w" -o "$build/bin/caddy" .
    )
    echo "$caddy_version" >"$build/.complete"
fi

mkdir -p .tools/bin
ln -sfn "$build/bin/caddy" .tools/bin/caddy
echo "caddy $caddy_version: $(.tools/bin/caddy version) at $(readlink -f .tools/bin/caddy)"
