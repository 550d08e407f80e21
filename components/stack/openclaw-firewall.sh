#!/bin/bash
# Rendered by the OpenClaw Pulumi program: the host rules for Docker's published ports and the
# gateway's network. Run by its systemd unit after Docker starts, and by the deploy.
set -euo pipefail

## The host's firewall script, which hostFirewall.ts reads. The deploy writes it without the `##`
## notes, and with a generated header in place of the line below: `readonly NAME=value` for each
## name on it.
readonly SOURCES_FILE RULE_COMMENT MAIN_CHAIN INGRESS_CHAIN PROXY_BRIDGE HTTP_PORT HTTPS_PORT

sources=()
if [ -f "$SOURCES_FILE" ]; then
    mapfile -t sources < <(grep -Ev '^[[:space:]]*(#|$)' "$SOURCES_FILE" || true)
fi

# chains FAMILY: iptables-restore input that replaces both chains.
chains() {
    local family=$1 source port
    echo "*filter"
    echo ":$MAIN_CHAIN - [0:0]"
    echo ":$INGRESS_CHAIN - [0:0]"
    if [ "$family" = 4 ]; then
        echo "-A $MAIN_CHAIN -i $PROXY_BRIDGE ! -o $PROXY_BRIDGE -m conntrack --ctstate NEW -j DROP"
    fi
    for port in "$HTTP_PORT" "$HTTPS_PORT"; do
        # ORIGINAL: only the visitor's packets; Caddy's replies are in the same connection.
        echo "-A $MAIN_CHAIN -p tcp -m conntrack --ctstate DNAT --ctdir ORIGINAL --ctorigdstport $port -j $INGRESS_CHAIN"
    done
    for source in "${sources[@]}"; do
        case $source in
            *:*) [ "$family" = 6 ] || continue ;;
            *) [ "$family" = 4 ] || continue ;;
        esac
        echo "-A $INGRESS_CHAIN -s $source -j RETURN"
    done
    echo "-A $INGRESS_CHAIN -j DROP"
    echo "COMMIT"
}

# docker_user TOOL FAMILY: installs the chains and the jump from DOCKER-USER.
docker_user() {
    local tool=$1 family=$2
    if ! "$tool" -w -n -L DOCKER-USER >/dev/null 2>&1; then
        if [ "$family" = 4 ]; then
            echo "iptables has no DOCKER-USER chain: is Docker running?" >&2
            return 1
        fi
        echo "ip6tables has no DOCKER-USER chain (Docker does not manage IPv6 here); skipped"
        return 0
    fi
    chains "$family" | "$tool-restore" -w --noflush
    if ! "$tool" -w -C DOCKER-USER -j "$MAIN_CHAIN" 2>/dev/null; then
        "$tool" -w -I DOCKER-USER 1 -j "$MAIN_CHAIN"
    fi
    echo "$tool: DOCKER-USER jumps to $MAIN_CHAIN"
}

# ufw_sources: the sources of the UFW rules this script added.
ufw_sources() {
    ufw show added | { grep -F "comment '$RULE_COMMENT'" || true; } | sed -E 's/.* from ([^ ]+) .*/\1/' | sort -u
}

sync_ufw() {
    local present wanted source
    present=$(ufw_sources)
    wanted=$(printf '%s\n' "${sources[@]}" | sed '/^$/d' | sort -u)
    while read -r source; do
        [ -n "$source" ] || continue
        ufw delete allow from "$source" to any port "$HTTP_PORT,$HTTPS_PORT" proto tcp >/dev/null
        echo "ufw: removed $HTTP_PORT,$HTTPS_PORT from $source"
    done < <(comm -23 <(echo "$present") <(echo "$wanted"))
    while read -r source; do
        [ -n "$source" ] || continue
        ufw allow from "$source" to any port "$HTTP_PORT,$HTTPS_PORT" proto tcp comment "$RULE_COMMENT" >/dev/null
        echo "ufw: allowed $HTTP_PORT,$HTTPS_PORT from $source"
    done < <(comm -13 <(echo "$present") <(echo "$wanted"))
}

docker_user iptables 4
docker_user ip6tables 6
sync_ufw
echo "ingress sources allowed on $HTTP_PORT and $HTTPS_PORT: ${#sources[@]}"
