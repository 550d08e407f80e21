// The host's plan as root scripts, for a server the program did not create. They do what cloud-init
// does with the user data, in cloud-init's order, split where the login changes:
// - `firstLogin`, run once through the operator's first login (root, or a user with passwordless
//   sudo): the host name, the deploy user with the program's key and its sudo rule, and sshd
//   listening on sshPort beside the first login's port, so the next script can log in as deploy;
// - `hardening`, run as deploy on sshPort: the files, the packages, then the hardening script,
//   which moves sshd to sshPort alone, refuses root and passwords, and resets UFW.
// Both may run again: the user and the files are put in place whether or not they were there, and
// the hardening script is idempotent. An interrupted `hardening` leaves sshd on sshPort for deploy.
import { FIRST_LOGIN_RULE_COMMENT } from "./firewall";
import { HostPlan } from "./hostPlan";
import { HOST_PATHS } from "./paths";
import { shellWord } from "./shell";

/** The sudoers drop-in that gives the deploy user what cloud-init's `sudo:` gives it. */
export const DEPLOY_SUDOERS = "/etc/sudoers.d/90-openclaw-deploy";

/**
 * sshd's extra listener until the hardening is done: sshPort beside the first login's port. Sorted
 * before the hardening drop-in; sshd listens on every `Port` it reads, so it goes before the end.
 */
export const FIRST_LOGIN_LISTENER = "/etc/ssh/sshd_config.d/05-openclaw-first-login.conf";

const quote = (word: string) => shellWord(word);

/** `install`s a file from base64: its bytes arrive whole, whatever they hold. */
function writeFile(path: string, content: string, permissions: string, owner = "root:root"): string {
    const [user, group] = owner.split(":");
    const base64 = Buffer.from(content, "utf8").toString("base64").replace(/(.{76})/g, "$1\n");
    return [
        // mkdir, not install -d: a directory that exists keeps its mode (~deploy/.ssh stays 0700).
        `mkdir -p ${quote(path.slice(0, path.lastIndexOf("/")) || "/")}`,
        `base64 --decode >"$work/file" <<'OPENCLAW_BASE64'`,
        base64.trimEnd(),
        "OPENCLAW_BASE64",
        `install -m ${permissions} -o ${user} -g ${group} "$work/file" ${quote(path)}`,
    ].join("\n");
}

const PRELUDE = `#!/bin/bash
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { echo "openclaw-harden: $*"; }
# As the hardening script does it: Ubuntu 24.04's sshd is socket-activated, its ports in ssh.socket.
restart_sshd() {
    if systemctl is-active --quiet ssh.socket || systemctl is-enabled --quiet ssh.socket 2>/dev/null; then
        systemctl daemon-reload
        systemctl stop ssh.service || true
        systemctl restart ssh.socket
    else
        systemctl restart ssh.service
    fi
}
`;

export interface ExistingServerScripts {
    /** Root script for the first login. */
    readonly firstLogin: string;
    /** Root script for deploy on sshPort, once `firstLogin` ran. */
    readonly hardening: string;
}

export function renderSshHardening(plan: HostPlan, firstLoginPort: number): ExistingServerScripts {
    const user = plan.deployUser;
    const home = `/home/${user.name}`;
    const { sshPort } = plan.hardening;
    const listener = [...new Set([firstLoginPort, sshPort])].map((port) => `Port ${port}\n`).join("");
    const firstLogin = `${PRELUDE}
log "host name ${plan.hostName}"
hostnamectl set-hostname ${quote(plan.hostName)}
if ! grep -Eq ${quote(`^127\\.0\\.1\\.1[[:space:]]+${plan.hostName}$`)} /etc/hosts; then
    sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts
    printf '127.0.1.1 %s\\n' ${quote(plan.hostName)} >>/etc/hosts
fi

log "the ${user.name} user"
if ! command -v sudo >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq sudo >/dev/null
fi
if ! id -u ${quote(user.name)} >/dev/null 2>&1; then
    useradd --create-home --shell ${quote(user.shell)} --comment ${quote(user.gecos)} ${quote(user.name)}
fi
passwd -l ${quote(user.name)} >/dev/null
install -d -m 0700 -o ${quote(user.name)} -g ${quote(user.name)} ${quote(`${home}/.ssh`)}
${writeFile(`${home}/.ssh/authorized_keys`, `${user.authorizedKeys.join("\n")}\n`, "0600", `${user.name}:${user.name}`)}
printf '%s %s\\n' ${quote(user.name)} ${quote(user.sudo)} >"$work/sudoers"
visudo -cqf "$work/sudoers"
install -m 0440 -o root -g root "$work/sudoers" ${DEPLOY_SUDOERS}

log "sshd on port ${sshPort} too, until the hardening moves it there"
${writeFile(FIRST_LOGIN_LISTENER, listener, "0644")}
install -d -m 0755 /run/sshd
if ! sshd -t; then
    rm -f ${FIRST_LOGIN_LISTENER}
    log "sshd rejected listening on port ${sshPort}; SSH was left as it was" >&2
    exit 1
fi
restart_sshd
if ufw status 2>/dev/null | grep -q '^Status: active'; then
    ufw allow proto tcp to any port ${sshPort} comment '${FIRST_LOGIN_RULE_COMMENT}' >/dev/null
fi
`;

    const hardening = `${PRELUDE}
log "files"
${plan.files.map((file) => writeFile(file.path, file.content, file.permissions)).join("\n")}

log "packages"
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 upgrade -y -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=300 install -y -qq ${plan.packages.map(quote).join(" ")} >/dev/null

# The hardening script restarts sshd, now without the first login's port.
rm -f ${FIRST_LOGIN_LISTENER}
${plan.run.map(quote).join("\n")}

# What sshd now does, as it reads its whole configuration (a host's own files may set more).
effective=$(sshd -T)
for expected in "port ${sshPort}" "permitrootlogin no" "passwordauthentication no" "allowusers ${user.name}"; do
    if [ "$(grep -ci "^\${expected%% *} " <<<"$effective")" != 1 ] || ! grep -qix "$expected" <<<"$effective"; then
        log "sshd does not have '$expected' alone: another file of its configuration sets \${expected%% *}; remove that line (sshd -T shows what is in effect) and run pulumi up again" >&2
        exit 1
    fi
done
log "sshd answers on port ${sshPort} only, to ${user.name} only, by key only"
test -f ${HOST_PATHS.hardenedMarker}
`;
    return { firstLogin, hardening };
}
