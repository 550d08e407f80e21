# shellcheck shell=bash
# Sourced by .ci/run and .ci/install-tools: retries a network-bound command up to three times.
retry() {
    local attempt
    for attempt in 1 2 3; do
        if "$@"; then return 0; fi
        echo "attempt $attempt failed: $*" >&2
        sleep $((attempt * 10))
    done
    "$@"
}
