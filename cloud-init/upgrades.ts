/**
 * Unattended security upgrades with a reboot window. The distribution's own
 * 50unattended-upgrades already limits upgrades to the security archive; this file only
 * switches the timers on and allows the reboot a kernel update needs. Docker's live-restore
 * keeps containers running across the daemon restart an upgrade causes.
 *
 * Without a time, upgrades run and no reboot happens: the user data writes it so at first boot,
 * and the `host-access` step rewrites it with `autoRebootTime`, which thus never replaces a server.
 */
export function renderUnattendedUpgrades(autoRebootTime?: string): string {
    const settings: [string, string][] = [
        ["APT::Periodic::Update-Package-Lists", "1"],
        ["APT::Periodic::Download-Upgradeable-Packages", "1"],
        ["APT::Periodic::Unattended-Upgrade", "1"],
        ["APT::Periodic::AutocleanInterval", "7"],
        ["Unattended-Upgrade::AutoFixInterruptedDpkg", "true"],
        ["Unattended-Upgrade::Remove-Unused-Kernel-Packages", "true"],
        ["Unattended-Upgrade::Remove-Unused-Dependencies", "true"],
        ...(autoRebootTime === undefined
            ? ([["Unattended-Upgrade::Automatic-Reboot", "false"]] as [string, string][])
            : ([
                  ["Unattended-Upgrade::Automatic-Reboot", "true"],
                  ["Unattended-Upgrade::Automatic-Reboot-WithUsers", "true"],
                  ["Unattended-Upgrade::Automatic-Reboot-Time", autoRebootTime],
              ] as [string, string][])),
    ];
    const lines = settings.map(([key, value]) => `${key} "${value}";`);
    return ["// Managed by the openclaw Pulumi program.", ...lines, ""].join("\n");
}
