#!/bin/bash
## The checks run on a server the program did not create, before anything on it changes
## (preflight.ts renders it without the `##` notes, with a header of the values below). Each
## refusal is one sentence that says what was found and what to do; the exit status is 1 then.
# Managed by the openclaw Pulumi program: checks that this server can be hardened safely.
set -euo pipefail

readonly OS_RELEASE ACCEPTED_OS PORTS DOCKER_SOURCE

problems=()
refuse() { problems+=("$*"); }

## The OS: the hardening is written and tested for these releases only.
# shellcheck source=/dev/null
os=$(. "$OS_RELEASE" && printf '%s-%s' "${ID:-unknown}" "${VERSION_ID:-unknown}")
case " $ACCEPTED_OS " in
    *" $os "*) ;;
    *) refuse "this server runs $os; the hardening supports only $ACCEPTED_OS: use a server with one of them" ;;
esac

## The first login must be able to become root without a password: the hardening runs as root.
if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then
    refuse "the first login, $(id -un), is not root and has no passwordless sudo: log in as root, or give $(id -un) passwordless sudo"
fi

## The ports the stack will use must be free (sshd may hold the new SSH port already).
for port in $PORTS; do
    holder=$(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)".*/\1/p' | head -n 1)
    listening=$(ss -Hltn "sport = :$port" 2>/dev/null | head -n 1)
    if [ -n "$listening" ] && [ "$holder" != sshd ]; then
        refuse "port $port is already in use${holder:+ by $holder}; the stack needs it: stop that service, or use a server without it"
    fi
done

## Docker: from the source the stack asks for, or not at all yet.
docker_state="not installed yet"
if command -v docker >/dev/null 2>&1; then
    docker_path=$(command -v docker)
    if ! owner=$(dpkg-query -S "$docker_path" 2>/dev/null); then
        refuse "Docker at $docker_path was not installed from a Debian package (a snap or a static binary); remove it (snap remove docker, or delete the binary) and run pulumi up again"
    else
        package=${owner%%:*}
        case "$DOCKER_SOURCE:$package" in
            docker:docker-ce-cli | distro:docker.io | distro:docker-cli) docker_state="from $package" ;;
            docker:*) refuse "Docker here comes from the $package package, not Docker's repository: set dockerSource to distro, or remove $package (apt-get purge $package) and run pulumi up again" ;;
            distro:*) refuse "Docker here comes from the $package package, not the distribution's: set dockerSource to docker, or remove $package (apt-get purge $package) and run pulumi up again" ;;
        esac
    fi
fi

if [ "${#problems[@]}" -gt 0 ]; then
    printf 'openclaw-preflight: %s.\n' "${problems[@]}" >&2
    exit 1
fi
login="logged in as $(id -un)"
[ "$(id -u)" = 0 ] || login="$login, with passwordless sudo"
echo "openclaw-preflight: $os; $login; ports $PORTS free; Docker $docker_state"
