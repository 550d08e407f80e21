#!/usr/bin/env bash
# Redis for test/programs/litellm.spec.ts: Debian 12's server (7.0, while the image runs the 7.4
# line; neither the source of the pinned release nor a container registry is reachable here).
# Debian's redis-server package only adds a service (started at install) and a symlink named
# redis-server to redis-tools' binary, which picks its role from its own name; so install
# redis-tools, which starts nothing, and link .tools/redis/redis-server to that binary as the
# package would.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=SCRIPTDIR/../retry.sh
. .ci/retry.sh

if [ ! -x /usr/bin/redis-check-rdb ]; then
    export DEBIAN_FRONTEND=noninteractive
    retry apt-get install -y -qq redis-tools >/dev/null
fi
mkdir -p .tools/redis
ln -sfn /usr/bin/redis-check-rdb .tools/redis/redis-server
ln -sfn /usr/bin/redis-cli .tools/redis/redis-cli
.tools/redis/redis-server --version
