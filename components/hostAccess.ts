import { FIRST_LOGIN_RULE_COMMENT, SSH_RULE_COMMENT } from "../cloud-init/firewall";
import { DEPLOY_USER, HOST_PATHS } from "../cloud-init/paths";
import { renderUnattendedUpgrades } from "../cloud-init/upgrades";
import type { HostSettings } from "./settings";

/** The comments of the per-source SSH rules an earlier version put in UFW at first boot. */
const EARLIER_SSH_RULE_COMMENTS = ["ssh from admin", "ssh from anywhere, rate-limited"];

/** The `deploy` user's `authorized_keys`: the program's deploy key first, then the operator's keys. */
export function renderAuthorizedKeys(deployPublicKey: string, operatorKeys: readonly string[]): string {
    return [deployPublicKey.trim(), ...operatorKeys].map((key) => `${key}\n`).join("");
}

/**
 * The step after host-ready: the operator's keys (on standard input, as `renderAuthorizedKeys`
 * gives them) and the reboot window, applied to the running host. It never locks the deploy out:
 * a file whose first line is not the deploy key the host already trusts is refused unwritten.
 * A host from an earlier version also gets UFW's one SSH rule, added before its per-source rules
 * are removed, so the connection doing it is allowed throughout.
 */
export function hostAccessScript(access: Pick<HostSettings, "autoRebootTime" | "sshPort">, sshSources?: readonly string[]): string {
    const keys = `/home/${DEPLOY_USER}/.ssh/authorized_keys`;
    const marker = "OPENCLAW_UPGRADES_END";
    return `set -euo pipefail
new=$(mktemp ${keys}.XXXXXX)
trap 'rm -f "$new"' EXIT
cat > "$new"
if [ "$(head -n 1 "$new")" != "$(head -n 1 ${keys})" ]; then
    echo "host-access: the new authorized_keys does not start with the deploy key this host trusts; it was left as it was" >&2
    exit 1
fi
chmod 0600 "$new"
mv -f "$new" ${keys}
trap - EXIT
echo "authorized_keys: the deploy key and $(($(grep -c . ${keys}) - 1)) operator key(s)"

staged=$(sudo mktemp /etc/apt/.openclaw-upgrades.XXXXXX)
sudo tee "$staged" >/dev/null <<'${marker}'
${renderUnattendedUpgrades(access.autoRebootTime).replace(/\n$/, "")}
${marker}
sudo chmod 0644 "$staged"
sudo mv -f "$staged" ${HOST_PATHS.unattendedUpgrades}
if ! apt-config dump | grep -qxF 'Unattended-Upgrade::Automatic-Reboot-Time "${access.autoRebootTime}";'; then
    echo "host-access: apt does not read the reboot window ${access.autoRebootTime} from ${HOST_PATHS.unattendedUpgrades}" >&2
    exit 1
fi
echo "unattended upgrades may reboot at ${access.autoRebootTime}"

${sshSources === undefined ? cloudFilteredSsh(access.sshPort) : ufwFilteredSsh(access.sshPort, sshSources)}`;
}

/** Behind a cloud firewall: UFW's one SSH rule, in place of an earlier version's per-source rules. */
function cloudFilteredSsh(sshPort: number): string {
    return `sudo ufw allow proto tcp to any port ${sshPort} comment '${SSH_RULE_COMMENT}' >/dev/null
while IFS= read -r rule; do
    rule=\${rule#ufw }
    rule=\${rule% comment *}
    # shellcheck disable=SC2086 # UFW's own words for the rule, split as it printed them
    sudo ufw delete $rule >/dev/null
    echo "ufw: removed the earlier SSH rule: $rule"
done < <(sudo ufw show added | grep -E "^ufw (allow|limit) .* comment '(${EARLIER_SSH_RULE_COMMENTS.join("|")})'$" || true)
`;
}

/** The comment on each SSH rule UFW holds for a source of `adminCidrs` (a server without a cloud firewall). */
export const ADMIN_SSH_RULE_COMMENT = "ssh from adminCidrs";

/**
 * No cloud firewall in front (an existing server): UFW admits SSH from `sources` alone. It refuses
 * a list without the address this very deploy comes from, which would lock it out; the new rules go
 * in before any other SSH rule goes, so the connection doing it is allowed throughout.
 */
function ufwFilteredSsh(sshPort: number, sources: readonly string[]): string {
    const managed = [SSH_RULE_COMMENT, ADMIN_SSH_RULE_COMMENT, FIRST_LOGIN_RULE_COMMENT, ...EARLIER_SSH_RULE_COMMENTS];
    return `sources=(${sources.join(" ")})
from=\${SSH_CONNECTION%% *}
if ! python3 - "$from" "\${sources[@]}" <<'OPENCLAW_IN_SOURCES'
import ipaddress, sys
address = ipaddress.ip_address(sys.argv[1])
sys.exit(0 if any(address in ipaddress.ip_network(block) for block in sys.argv[2:]) else 1)
OPENCLAW_IN_SOURCES
then
    echo "host-access: adminCidrs (\${sources[*]}) does not include $from, the address this deploy connects from; UFW was left as it was, so that it does not lock this deploy out: add that address to adminCidrs" >&2
    exit 1
fi
for source in "\${sources[@]}"; do
    sudo ufw allow proto tcp from "$source" to any port ${sshPort} comment '${ADMIN_SSH_RULE_COMMENT}' >/dev/null
done
# UFW prints a single address without its /32 or /128.
kept=" $(printf '%s ' "\${sources[@]}" | sed -E 's#/(32|128) # #g')"
while IFS= read -r rule; do
    source=$(sed -nE 's/.* from ([^ ]+) .*/\\1/p' <<<"$rule")
    if [[ $rule == *"comment '${ADMIN_SSH_RULE_COMMENT}'" && -n $source && $kept == *" $source "* ]]; then
        continue
    fi
    rule=\${rule#ufw }
    rule=\${rule% comment *}
    # shellcheck disable=SC2086 # UFW's own words for the rule, split as it printed them
    sudo ufw delete $rule >/dev/null
    echo "ufw: removed the SSH rule: $rule"
done < <(sudo ufw show added | grep -E "^ufw (allow|limit) .* comment '(${managed.join("|")})'$" || true)
echo "ufw: SSH on port ${sshPort} from \${sources[*]} only"
`;
}
