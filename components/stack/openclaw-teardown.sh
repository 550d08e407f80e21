## What `pulumi destroy` runs on a server the operator keeps (cloud existing): it removes what the
## deploy put there and leaves the hardening and the gateways' data. Rendered by teardown.ts as the
## delete of the stack's first step, so it runs after every other step is gone; run by deploy, whose
## own key it removes last. Each part goes on when an earlier one fails: a half-deployed stack still
## loses its secrets.
set -uo pipefail

readonly STACK_DIR COMPOSE_FILE COMPOSE_PROJECT SECRET_FILES REMOVED_PATHS UNITS FIREWALL_CHAINS RULE_COMMENT UFW_PORTS STACK_VOLUMES DATA_VOLUMES DEPLOY_KEY

## The header's lists are space-separated words (paths, names: none has a space).
read -ra secret_files <<<"$SECRET_FILES"
read -ra removed_paths <<<"$REMOVED_PATHS"
read -ra units <<<"$UNITS"
read -ra stack_volumes <<<"$STACK_VOLUMES"
read -r main_chain ingress_chain <<<"$FIREWALL_CHAINS"

failed=0
step() { echo "openclaw-teardown: $*"; }
warn() { echo "openclaw-teardown: $*" >&2; failed=1; }

# The containers, their networks and images (ours: the project's label), and the volumes that hold
# nothing of the operator's. The gateways' state volumes stay.
if command -v docker >/dev/null 2>&1; then
    if [ -f "$COMPOSE_FILE" ]; then
        sudo docker compose --project-directory "$STACK_DIR" -f "$COMPOSE_FILE" down --remove-orphans --rmi all --timeout 60 ||
            warn "docker compose down failed; removing the containers by their label"
    fi
    mapfile -t containers < <(sudo docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT")
    [ "${#containers[@]}" -eq 0 ] || sudo docker rm -f "${containers[@]}" >/dev/null || warn "could not remove containers ${containers[*]}"
    mapfile -t networks < <(sudo docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT")
    [ "${#networks[@]}" -eq 0 ] || sudo docker network rm "${networks[@]}" >/dev/null || warn "could not remove networks ${networks[*]}"
    mapfile -t images < <(sudo docker image ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" | sort -u)
    [ "${#images[@]}" -eq 0 ] || sudo docker image rm -f "${images[@]}" >/dev/null || warn "could not remove images ${images[*]}"
    for volume in "${stack_volumes[@]}"; do
        if sudo docker volume inspect "$volume" >/dev/null 2>&1; then
            sudo docker volume rm "$volume" >/dev/null || warn "could not remove volume $volume"
        fi
    done
    step "the stack's containers, networks and images are removed"
fi

# Our timers and services: stopped, disabled, and their unit files gone.
for unit in "${units[@]}"; do
    sudo systemctl disable --now "$unit" >/dev/null 2>&1 || true
    sudo rm -f "/etc/systemd/system/$unit"
done
sudo systemctl daemon-reload
sudo systemctl reset-failed "${units[@]}" >/dev/null 2>&1 || true
step "units removed: ${units[*]}"

# The firewall rules for Docker's published ports: the jump from DOCKER-USER and our chains, and
# UFW's ingress rules.
for tool in iptables ip6tables; do
    while sudo "$tool" -w -D DOCKER-USER -j "$main_chain" 2>/dev/null; do :; done
    for chain in "$main_chain" "$ingress_chain"; do
        if sudo "$tool" -w -n -L "$chain" >/dev/null 2>&1; then
            { sudo "$tool" -w -F "$chain" && sudo "$tool" -w -X "$chain"; } || warn "$tool: could not remove chain $chain"
        fi
    done
done
if command -v ufw >/dev/null 2>&1; then
    while read -r source; do
        [ -n "$source" ] || continue
        sudo ufw delete allow from "$source" to any port "$UFW_PORTS" proto tcp >/dev/null || warn "could not delete UFW's rule for $source"
    done < <(sudo ufw show added | { grep -F "comment '$RULE_COMMENT'" || true; } | sed -E 's/.* from ([^ ]+) .*/\1/' | sort -u)
fi
step "the stack's firewall rules are removed"

# Every file that held a secret is overwritten before it goes (on a journalling or copy-on-write
# filesystem the old blocks may survive; the containers that read them are gone too).
for file in "${secret_files[@]}"; do
    if sudo test -f "$file"; then
        sudo shred --force --zero --remove "$file" || warn "could not shred $file"
    fi
done
for path in "${removed_paths[@]}"; do
    sudo rm -rf "$path" || warn "could not remove $path"
done
step "removed the stack's files and every file holding its secrets"

# Last: the program's own deploy key. The operator's keys (sshPublicKeys) stay.
keys="$HOME/.ssh/authorized_keys"
if [ -f "$keys" ]; then
    grep -vxF "$DEPLOY_KEY" "$keys" >"$keys.new" || true
    chmod 0600 "$keys.new"
    mv -f "$keys.new" "$keys"
    step "the deploy key is removed; $(grep -c '^[^#]' "$keys" || true) operator key(s) in sshPublicKeys remain for deploy"
fi

step "left on this server: the hardening, and the gateways' data in the Docker volume(s) $DATA_VOLUMES (remove with: sudo docker volume rm $DATA_VOLUMES)"
exit "$failed"
