#!/usr/bin/env bash
# Smokescreen for test/programs/smokescreen.spec.ts: our egress proxy module
# (components/stack/egress-proxy: main.go, go.mod, go.sum), built with this machine's Go through the
# Go module proxy exactly as the egress image's Dockerfile builds it: go.sum checked, -mod=readonly,
# -trimpath, static. Cached under $OPENCLAW_TOOLS_CACHE keyed by the Smokescreen version and a hash
# of the three files, linked at .tools/bin/smokescreen; a cache whose .complete marker is missing
# (an interrupted build) is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=SCRIPTDIR/../retry.sh
. .ci/retry.sh

module=components/stack/egress-proxy
# The version go.mod requires: the one pin, read where the build reads it.
smokescreen_version=$(awk '$1 == "github.com/stripe/smokescreen" { print $2 }' "$module/go.mod")
[ -n "$smokescreen_version" ] || { echo "$module/go.mod does not require github.com/stripe/smokescreen" >&2; exit 1; }
sources_hash=$(cat "$module/go.mod" "$module/go.sum" "$module/main.go" | sha256sum | cut -c1-16)
cache_root=${OPENCLAW_TOOLS_CACHE:-$HOME/.cache/openclaw-tools}
build="$cache_root/smokescreen-$smokescreen_version-$sources_hash"

if [ "$(cat "$build/.complete" 2>/dev/null || true)" != "$smokescreen_version $sources_hash" ]; then
    command -v go >/dev/null || { echo "smokescreen: Go is missing (go.mod needs $(awk '$1 == "go" { print $2 }' "$module/go.mod") or newer)" >&2; exit 1; }
    rm -rf "$build"
    mkdir -p "$build/bin"
    # The machine's own Go, never a toolchain download; -mod=readonly: go.mod and go.sum are used
    # as committed, and every downloaded module must match go.sum.
    export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
    (cd "$module" && retry go mod download)
    # Everything is in the module cache now: the build itself must not need the network.
    (cd "$module" && GOPROXY=off go build -trimpath -ldflags="-s -w" -o "$build/bin/smokescreen" .)
    echo "$smokescreen_version $sources_hash" >"$build/.complete"
fi

mkdir -p .tools/bin
ln -sfn "$build/bin/smokescreen" .tools/bin/smokescreen
echo "smokescreen $smokescreen_version ($module, sources $sources_hash): $(readlink -f .tools/bin/smokescreen)"
