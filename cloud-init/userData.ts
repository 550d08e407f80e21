import * as YAML from "yaml";
import { HostPlan, hostPlan, HostPlanInput } from "./hostPlan";

export type { HostHardening } from "./hostPlan";

/** What the user data is rendered from (see `HostPlanInput`). */
export type UserDataInput = HostPlanInput;

/**
 * Renders the `#cloud-config` user data from the host's plan. Pure: the same input gives the same
 * bytes, so a second `pulumi up` does not replace the server. User data is readable in the cloud's
 * metadata and in state, so it carries only the host's hardening, never a secret or the app's
 * configuration.
 */
export function renderUserData(input: UserDataInput): string {
    return renderCloudConfig(hostPlan(input));
}

/** The plan's `#cloud-config` rendering. */
export function renderCloudConfig(plan: HostPlan): string {
    const user = plan.deployUser;
    const config = {
        hostname: plan.hostName,
        manage_etc_hosts: true,
        disable_root: true,
        ssh_pwauth: false,
        users: [
            {
                name: user.name,
                gecos: user.gecos,
                shell: user.shell,
                lock_passwd: true,
                sudo: user.sudo,
                ssh_authorized_keys: [...user.authorizedKeys],
            },
        ],
        package_update: true,
        package_upgrade: true,
        packages: [...plan.packages],
        write_files: plan.files.map((file) => ({ ...file, owner: "root:root" })),
        runcmd: plan.run.map((command) => [command]),
    };

    return `#cloud-config\n${YAML.stringify(config, { lineWidth: 0 })}`;
}
