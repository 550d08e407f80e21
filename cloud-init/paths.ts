/** Where the host keeps what cloud-init stages; the first deploy step and the VM test read the same paths. */
export const HOST_PATHS = {
    /** Written last by the hardening script; its presence means every hardening step succeeded. */
    hardenedMarker: "/var/lib/openclaw/host-hardened",
    /** The hardening script cloud-init runs once. */
    hardenScript: "/usr/local/sbin/openclaw-harden-host",
    /** The SSH drop-in as staged by cloud-init, before `sshd -t` accepts it. */
    sshdStaged: "/etc/openclaw/sshd-hardening.conf",
    /** The SSH drop-in once installed. `10-` sorts before cloud-init's `50-cloud-init.conf`, and the first value wins. */
    sshdDropIn: "/etc/ssh/sshd_config.d/10-openclaw-hardening.conf",
    fail2banJail: "/etc/fail2ban/jail.d/openclaw-sshd.local",
    sysctl: "/etc/sysctl.d/90-openclaw.conf",
    dockerDaemon: "/etc/docker/daemon.json",
    dockerKeyring: "/etc/apt/keyrings/docker.asc",
    dockerSource: "/etc/apt/sources.list.d/docker.sources",
    unattendedUpgrades: "/etc/apt/apt.conf.d/52openclaw-unattended-upgrades",
} as const;

/** The only user that can log in. */
export const DEPLOY_USER = "deploy";
