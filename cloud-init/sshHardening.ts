// The host's plan as a root script, for a server the program did not create: run over SSH by the
// first login (root, or a user with passwordless sudo), it does what cloud-init does with the
// user data, in cloud-init's order: the host name and the deploy user, the files, the packages,
// then the hardening script. Every step may run again: the user and the files are put in place
// whether or not they were there, and the hardening script is itself idempotent.
import { HostPlan } from "./hostPlan";
import { shellWord } from "./shell";

/** The sudoers drop-in that gives the deploy user what cloud-init's `sudo:` gives it. */
export const DEPLOY_SUDOERS = "/etc/sudoers.d/90-openclaw-deploy";

const quote = (word: string) => shellWord(word);

/** `install`s a file from base64 on standard input: its bytes arrive whole, whatever they hold. */
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

export function renderSshHardening(plan: HostPlan): string {
    const user = plan.deployUser;
    const home = `/home/${user.name}`;
    return `#!/bin/bash
# Managed by the openclaw Pulumi program: hardens a server it did not create, as cloud-init
# hardens the ones it does. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { echo "openclaw-harden: $*"; }

log "host name ${plan.hostName}"
hostnamectl set-hostname ${quote(plan.hostName)}
if ! grep -Eq ${quote(`^127\\.0\\.1\\.1[[:space:]]+${plan.hostName}$`)} /etc/hosts; then
    sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts
    printf '127.0.1.1 %s\\n' ${quote(plan.hostName)} >>/etc/hosts
fi

log "the ${user.name} user"
if ! id -u ${quote(user.name)} >/dev/null 2>&1; then
    useradd --create-home --shell ${quote(user.shell)} --comment ${quote(user.gecos)} ${quote(user.name)}
fi
passwd -l ${quote(user.name)} >/dev/null
install -d -m 0700 -o ${quote(user.name)} -g ${quote(user.name)} ${quote(`${home}/.ssh`)}
${writeFile(`${home}/.ssh/authorized_keys`, `${user.authorizedKeys.join("\n")}\n`, "0600", `${user.name}:${user.name}`)}
printf '%s %s\\n' ${quote(user.name)} ${quote(user.sudo)} >"$work/sudoers"
visudo -cqf "$work/sudoers"
install -m 0440 -o root -g root "$work/sudoers" ${DEPLOY_SUDOERS}

log "files"
${plan.files.map((file) => writeFile(file.path, file.content, file.permissions)).join("\n")}

log "packages"
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 upgrade -y -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=300 install -y -qq ${plan.packages.map(quote).join(" ")} >/dev/null

${plan.run.map(quote).join("\n")}
`;
}
