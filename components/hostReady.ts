import { HOST_PATHS } from "../cloud-init/paths";

/**
 * The first deploy step: wait for cloud-init to finish and check that the hardening completed.
 * `cloud-init status --wait` exits 2 on recoverable errors in newer releases, so its exit code
 * alone does not decide; the marker the hardening script writes last does.
 */
export function hostReadyScript(): string {
    return `set -u
sudo cloud-init status --wait >/dev/null 2>&1
status=$?
if sudo test -f ${HOST_PATHS.hardenedMarker}; then
    echo "host hardened (cloud-init exit status $status)"
    exit 0
fi
echo "Host hardening did not complete (cloud-init exit status $status); the server is not ready for the stack." >&2
echo "cloud-init reports:" >&2
sudo cloud-init status --long >&2 || true
echo "Last lines of /var/log/cloud-init-output.log:" >&2
sudo tail -n 40 /var/log/cloud-init-output.log >&2 || true
exit 1
`;
}
