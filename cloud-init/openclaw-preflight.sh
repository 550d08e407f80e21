#!/bin/bash
## The checks run on a server the program did not create, before anything on it changes
## (preflight.ts renders it without the `##` notes, with a header of the values below). Each
## refusal is one sentence that says what was found and what to do; the exit status is 1 then.
# Managed by the openclaw Pulumi program: checks that this server can be hardened safely.
set -euo pipefail

readonly OS_RELEASE ACCEPTED_OS OS_IMAGE MEMINFO SERVER_TYPE MIN_CPUS MIN_MEMORY_MIB PORTS DOCKER_SOURCE GATEWAY_ID

problems=()
refuse() { problems+=("$*"); }

## The OS: the hardening is written and tested for these releases only.
# shellcheck source=/dev/null
os=$(. "$OS_RELEASE" && printf '%s-%s' "${ID:-unknown}" "${VERSION_ID:-unknown}")
case " $ACCEPTED_OS " in
    *" $os "*)
        if [ "$os" != "$OS_IMAGE" ]; then
            refuse "this server runs $os, but osImage is $OS_IMAGE, which the hardening (Docker's packages among it) is rendered for: set osImage to $os"
        fi
        ;;
    *) refuse "this server runs $os; the hardening supports only $ACCEPTED_OS: use a server with one of them" ;;
esac

## The size the stack's container limits were computed for (serverType): x86-64 only, as on the clouds.
arch=$(uname -m)
cpus=$(nproc)
memory_mib=$(( $(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' "$MEMINFO") / 1024 ))
## A kernel keeps some memory for itself: a 4 GB server reports a little less than 4096 MiB.
if [ "$arch" != x86_64 ]; then
    refuse "this server is $arch; the stack is built and tested for x86_64 only: use an x86-64 server"
elif [ "$cpus" -lt "$MIN_CPUS" ] || [ "$memory_mib" -lt $(( MIN_MEMORY_MIB * 9 / 10 )) ]; then
    refuse "this server has $cpus CPUs and $memory_mib MiB of memory, less than serverType $SERVER_TYPE ($MIN_CPUS CPUs, $MIN_MEMORY_MIB MiB) that the containers' limits are sized for: set serverType to a size this server has"
fi

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

## The gateway runs as uid and gid GATEWAY_ID, and its files belong to that id, so that no account
## of the server owns them or shares its processes (paths.ts says why this id): none may have it.
if account=$(getent passwd "$GATEWAY_ID"); then
    refuse "the account ${account%%:*} has uid $GATEWAY_ID, which the stack keeps for the gateway so that no account of this server owns its files or shares its processes: give ${account%%:*} another uid (usermod -u), or use a server without it"
fi
if group=$(getent group "$GATEWAY_ID"); then
    refuse "the group ${group%%:*} has gid $GATEWAY_ID, which the stack keeps for the gateway so that no group of this server shares its files: give ${group%%:*} another gid (groupmod -g), or use a server without it"
fi

## Docker: from the source the stack asks for, or not at all yet.
docker_state="not installed yet"
if command -v docker >/dev/null 2>&1; then
    docker_path=$(command -v docker)
    if ! owner=$(dpkg-query -S "$docker_path" 2>/dev/null); then
        refuse "Docker at $docker_path was not installed from a Debian package (a snap or a static binary); remove it (snap remove docker, or delete the binary) and run pulumi up again"
    else
        package=${owner%%:*}
        ## Debian 13 splits the distribution's docker.io: the docker command is in docker-cli.
        case "$package" in
            docker-ce-cli) source=docker from="Docker's repository (docker-ce-cli)" purge="docker-ce docker-ce-cli containerd.io" ;;
            docker.io | docker-cli) source=distro from="the distribution's docker.io ($package)" purge="docker.io docker-cli" ;;
            *) source="" from="the $package package" purge=$package ;;
        esac
        if [ "$source" = "$DOCKER_SOURCE" ]; then
            docker_state="from $package"
        elif [ -n "$source" ]; then
            refuse "Docker here comes from $from, but dockerSource is $DOCKER_SOURCE: set dockerSource to $source, or remove it (apt-get purge $purge) and run pulumi up again"
        else
            refuse "Docker here comes from $from, which the stack does not use: remove it (apt-get purge $purge) and run pulumi up again"
        fi
    fi
fi

if [ "${#problems[@]}" -gt 0 ]; then
    printf 'openclaw-preflight: %s.\n' "${problems[@]}" >&2
    exit 1
fi
login="logged in as $(id -un)"
[ "$(id -u)" = 0 ] || login="$login, with passwordless sudo"
echo "openclaw-preflight: $os on $arch, $cpus CPUs, $memory_mib MiB; $login; ports $PORTS free; uid and gid $GATEWAY_ID unused; Docker $docker_state"
