/**
 * The comment UFW shows next to the SSH rule. The hardening script (openclaw-harden-host.sh) denies
 * every inbound port but SSH, and says there why SSH's sources are left to the cloud firewall.
 */
export const SSH_RULE_COMMENT = "ssh; sources are filtered at the cloud firewall";

/** The rule that lets deploy reach sshPort on an existing server whose UFW was already on, until the hardening resets UFW. */
export const FIRST_LOGIN_RULE_COMMENT = "openclaw first login";
