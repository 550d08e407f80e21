// Ingress tailscale: the host joins the operator's tailnet and Tailscale Serve publishes the
// gateway's loopback port over HTTPS inside the tailnet only. Installed by deploy steps, not user
// data, so choosing this mode never replaces the server; the auth key arrives on standard input.
import { PRIMARY_GATEWAY } from "./gateways";

/** Tailscale's package signing key, as Tailscale documents it; the install refuses any other. */
export const TAILSCALE_KEY_FINGERPRINT = "2596A99EAAB33821893C0A79458CA832957F5868";

export const TAILSCALE_KEYRING = "/usr/share/keyrings/tailscale-archive-keyring.gpg";
export const TAILSCALE_SOURCE = "/etc/apt/sources.list.d/tailscale.sources";

/** UFW rules this program adds for the tailnet carry this comment. */
export const TAILNET_SSH_COMMENT = "ssh over tailscale";

/** The step that publishes the gateway in the tailnet; it prints where. */
export const TAILSCALE_SERVE_STEP = "tailscale-serve";

/** The line the serve step prints; the program reads `gatewayUrl` from it. */
export const GATEWAY_URL_PREFIX = "gateway-url: ";

/**
 * Installs tailscale from Tailscale's own apt repository for this OS release. The key is fetched
 * over HTTPS and installed only when it is exactly the documented key (no other key in the file).
 */
export function tailscaleInstallBody(): string {
    return `
if command -v tailscale >/dev/null 2>&1 && [ -f ${TAILSCALE_SOURCE} ]; then
    echo "tailscale is installed: $(tailscale version | head -n 1)"
else
    # shellcheck source=/dev/null
    . /etc/os-release
    case $ID in
        debian | ubuntu) ;;
        *) echo "no Tailscale repository is known for $ID" >&2; exit 1 ;;
    esac
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl gnupg ca-certificates >/dev/null
    key=$(mktemp)
    trap 'rm -f "$key"' EXIT
    curl -fsSL --proto '=https' --tlsv1.2 "https://pkgs.tailscale.com/stable/$ID/$VERSION_CODENAME.noarmor.gpg" -o "$key"
    fingerprints=$(gpg --show-keys --with-colons "$key" 2>/dev/null | awk -F: '$1 == "pub" { want = 1; next } $1 == "fpr" && want { print $10; want = 0 }')
    if [ "$fingerprints" != ${TAILSCALE_KEY_FINGERPRINT} ]; then
        echo "Tailscale's signing key has fingerprint(s) '$fingerprints', not ${TAILSCALE_KEY_FINGERPRINT}; refusing it" >&2
        exit 1
    fi
    sudo install -m 0644 -o root -g root "$key" ${TAILSCALE_KEYRING}
    printf 'Types: deb\\nURIs: https://pkgs.tailscale.com/stable/%s\\nSuites: %s\\nComponents: main\\nSigned-By: ${TAILSCALE_KEYRING}\\n' "$ID" "$VERSION_CODENAME" |
        write_file ${TAILSCALE_SOURCE} 0644 root:root
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tailscale >/dev/null
    echo "installed $(tailscale version | head -n 1)"
fi
sudo systemctl enable --now tailscaled.service
`;
}

/**
 * Joins the tailnet with the auth key from standard input, unless the host already is in it (an
 * auth key is often single-use). Tailnet peers may then reach SSH; the tailnet's ACLs decide which.
 */
export function tailscaleUpBody(hostName: string, sshPort: number): string {
    if (!/^[a-z0-9-]+$/.test(hostName)) throw new Error(`tailscaleUpBody: ${JSON.stringify(hostName)} is not a host name label`);
    return `
state=$(sudo tailscale status --json 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin).get("BackendState", ""))' || true)
if [ "$state" = Running ]; then
    echo "this host is already in the tailnet; the auth key is not used again"
else
    sudo tailscale up --auth-key=file:/dev/stdin --hostname=${hostName} --accept-dns=false --timeout=120s
    echo "joined the tailnet as ${hostName}"
fi
sudo ufw allow in on tailscale0 to any port ${sshPort} proto tcp comment '${TAILNET_SSH_COMMENT}' >/dev/null
echo "SSH answers on the tailnet too"
`;
}

/**
 * Serves the gateway's loopback port over HTTPS in the tailnet (never Funnel: nothing public), and
 * prints the URL. Tailscale Serve needs MagicDNS and HTTPS certificates enabled in the tailnet.
 */
export function tailscaleServeBody(): string {
    return `
sudo tailscale serve --bg --yes --https=443 http://127.0.0.1:${PRIMARY_GATEWAY.port} >/dev/null
sudo tailscale serve status
name=$(sudo tailscale status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["Self"]["DNSName"].rstrip("."))')
echo "${GATEWAY_URL_PREFIX}https://$name"
`;
}

/** The URL the serve step printed, or "" before it ran (preview). */
export function gatewayUrlFromServeOutput(stdout: string | undefined): string {
    const line = (stdout ?? "").split("\n").find((l) => l.startsWith(GATEWAY_URL_PREFIX));
    return line ? line.slice(GATEWAY_URL_PREFIX.length).trim() : "";
}
