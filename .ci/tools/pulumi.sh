#!/usr/bin/env bash
# The Pulumi CLI for the engine tests (test/engine): the same engine users run, built from the Go
# module proxy because get.pulumi.com and GitHub's releases are out of reach here. The CLI's module
# (pkg) replaces its SDK with `../sdk`, so `go install pkg@version` refuses it: both modules are
# copied side by side at the same version and built inside pkg. The version must be no older than
# package.json's @pulumi/pulumi (test/unit/pins.spec.ts checks). Cached under
# $OPENCLAW_TOOLS_CACHE keyed by the version (and this recipe), linked at .tools/bin/pulumi. No resource plugin of
# the program's (command, random, tls, the clouds') is on the Go module proxy here.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=SCRIPTDIR/../retry.sh
. .ci/retry.sh

# renovate: datasource=go depName=github.com/pulumi/pulumi/pkg/v3
pulumi_version=v3.276.0
cache_root=${OPENCLAW_TOOLS_CACHE:-$HOME/.cache/openclaw-tools}
build="$cache_root/pulumi-$pulumi_version"
# The marker holds the version and this script's hash: a cache built by another recipe is rebuilt.
marker="$pulumi_version $(sha256sum "$0" | cut -c1-16)"

if [ "$(cat "$build/.complete" 2>/dev/null || true)" != "$marker" ]; then
    command -v go >/dev/null || { echo "pulumi: Go is missing" >&2; exit 1; }
    rm -rf "$build"
    mkdir -p "$build/bin"
    export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
    src=$(mktemp -d)
    trap 'chmod -R u+w "$src"; rm -rf "$src"' EXIT
    for module in pkg sdk; do
        dir=$(cd "$src" && retry go mod download -json "github.com/pulumi/pulumi/$module/v3@$pulumi_version" | awk -F'"' '$2 == "Dir" { print $4 }')
        [ -d "$dir" ] || { echo "pulumi: the Go module proxy did not give $module@$pulumi_version" >&2; exit 1; }
        cp -r "$dir" "$src/$module"
        chmod -R u+w "$src/$module"
    done
    (cd "$src/pkg" && retry go mod download)
    (cd "$src/pkg" && go build -trimpath \
        -ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
        -o "$build/bin/pulumi" ./cmd/pulumi)
    # The dynamic-provider plugin the CLI's own distribution ships: a script that runs
    # @pulumi/pulumi's dynamic provider (test/engine runs resources of that kind).
    install -m 0755 "$src/sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$build/bin/"
    echo "$marker" >"$build/.complete"
fi

mkdir -p .tools/bin
ln -sfn "$build/bin/pulumi" .tools/bin/pulumi
ln -sfn "$build/bin/pulumi-resource-pulumi-nodejs" .tools/bin/pulumi-resource-pulumi-nodejs
echo "pulumi $("$build/bin/pulumi" version): $(readlink -f .tools/bin/pulumi)"
