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

/**
 * The uid and gid the gateway runs as, and that its files on the host (its config directory, its
 * state volume) belong to: an id no account of the host has, so no login owns the gateway's files
 * or shares its processes (the same uid could read its tokens in /proc/<pid>/environ and signal
 * it). 65600 is outside every range an account takes its id from: Debian's system accounts
 * (100-999) and logins (1000-59999: login.defs' UID_MIN/UID_MAX, adduser's FIRST_UID/LAST_UID),
 * the ids Debian keeps for its packages (60000-64999) and reserves (65000-65533), nobody (65534),
 * systemd's homed users (60001-60513) and DynamicUser services (61184-65519), distroless images'
 * nonroot (65532), and rootless containers' subordinate ids (/etc/subuid, from 100000); systemd
 * lists 65536-524287 as unused. On a server the operator already has, preflight refuses one where
 * an account or a group has it. Docker's userns-remap, with its default 65536 subordinate ids,
 * could not map it; the daemon.json this program writes does not remap.
 */
export const GATEWAY_ID = 65600;
