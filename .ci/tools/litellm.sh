#!/usr/bin/env bash
# LiteLLM's proxy from PyPI at the version of the pinned image (components/stack/images.ts; a test
# checks they agree), in a virtualenv of Debian's own Python, for test/programs/litellm.spec.ts.
# With the extras the image ships for its database support: without their prisma, LiteLLM answers
# a request that carries no key with a 500 from a failed import instead of refusing it.
# Cached under $OPENCLAW_TOOLS_CACHE keyed by the version, linked at .tools/litellm; a cache whose
# .complete marker does not name this package (an interrupted install, another version) is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=SCRIPTDIR/../retry.sh
. .ci/retry.sh

# renovate: datasource=pypi depName=litellm
# renovate: datasource=pypi depName=litellm
litellm_version=1.104.2
# Debian 12's pip (23.0) does not match `extra_proxy` to the wheel's normalised `extra-proxy` markers.
# renovate: datasource=pypi depName=pip
pip_version=26.3
cache_root=${OPENCLAW_TOOLS_CACHE:-$HOME/.cache/openclaw-tools}
venv="$cache_root/litellm-$litellm_version"

package="litellm[proxy,extra_proxy]==$litellm_version"
if [ "$(cat "$venv/.complete" 2>/dev/null || true)" != "pip==$pip_version $package" ]; then
    # Debian's python3 with its venv module: the test runs LiteLLM with this interpreter.
    if ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
        retry apt-get install -y -qq python3-venv >/dev/null
    fi
    rm -rf "$venv"
    mkdir -p "$cache_root"
    /usr/bin/python3 -m venv "$venv"
    retry "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input "pip==$pip_version"
    retry "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input "$package"
    "$venv/bin/python" -c 'import importlib.metadata as m, prisma; print("litellm", m.version("litellm"), "prisma", m.version("prisma"))'
    echo "pip==$pip_version $package" >"$venv/.complete"
fi

mkdir -p .tools
ln -sfn "$venv" .tools/litellm
