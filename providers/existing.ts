// A server the operator already has (`cloud: existing`): nothing is created at a cloud. The program
// logs in once through the operator's first login, checks the server (openclaw-preflight), and
// creates the deploy user; from then on it works as deploy on sshPort, as on the clouds, and the
// hardening comes from the same plan as the clouds' user data (cloud-init/sshHardening.ts).
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { DEPLOY_USER } from "../cloud-init/paths";
import { shellWord } from "../cloud-init/shell";
import { renderPreflight } from "../cloud-init/preflight";
import type { HostPlan } from "../cloud-init/hostPlan";
import { renderSshHardening } from "../cloud-init/sshHardening";
import { CloudCatalog, HostProvider, HostRequest, ProvisionedHost, reachedThrough, ServerSize } from "./types";

const GiB = 1024;

/** Run from the project's directory (where Pulumi runs the program) before the first login. */
export const FIRST_LOGIN_PROBE_SCRIPT = "scripts/first-login-probe.js";

/**
 * The sizes `serverType` may name on a server of the operator's: CPUs and memory, which the
 * containers' limits are computed from. Preflight refuses a server that has less.
 */
const SIZES: Readonly<Record<string, ServerSize>> = Object.fromEntries(
    [
        [2, 4], [2, 8], [4, 8], [4, 16], [8, 16], [8, 32], [16, 32], [16, 64],
    ].map(([vcpus, gb]) => [`${vcpus}vcpu-${gb}gb`, { vcpus, memoryMiB: gb * GiB }]),
);

export const existingCatalog: CloudCatalog = {
    region: { from: "none" },
    defaultStateStore: "none",
    defaultServerType: "2vcpu-4gb",
    serverTypes: SIZES,
};

/** Runs what follows on standard input as root: directly, or through passwordless sudo. */
const AS_ROOT = `as_root() { if [ "$(id -u)" = 0 ]; then bash -s; elif sudo -n true 2>/dev/null; then sudo -n bash -s; else bash -s; fi; }`;

/** The first login's command: the checks, then (only if they pass) the deploy user and sshd on sshPort. */
export function firstLoginCommand(preflight: string, firstLogin: string): string {
    // Without sudo the preflight runs as the login itself, and refuses it with its sentence.
    return `set -e
${AS_ROOT}
as_root <<'OPENCLAW_PREFLIGHT'
${preflight.trimEnd()}
OPENCLAW_PREFLIGHT
as_root <<'OPENCLAW_FIRST_LOGIN'
${firstLogin.trimEnd()}
OPENCLAW_FIRST_LOGIN
`;
}

/** The hardening, run by deploy through sudo. */
export function hardeningCommand(hardening: string): string {
    return `sudo -n bash -s <<'OPENCLAW_HARDEN'
${hardening.trimEnd()}
OPENCLAW_HARDEN
`;
}

/** The two commands, as the host's shells receive them: the first login's, then deploy's. */
export function existingServerCommands(
    plan: HostPlan,
    request: Pick<HostRequest, "serverType" | "stackPorts">,
    firstLoginPort: number,
): { readonly firstLogin: string; readonly hardening: string } {
    const { osImage, dockerSource } = plan.hardening;
    const checks = renderPreflight({ ports: request.stackPorts, osImage, dockerSource, serverType: request.serverType, serverSize: SIZES[request.serverType] });
    const scripts = renderSshHardening(plan, firstLoginPort);
    return { firstLogin: firstLoginCommand(checks, scripts.firstLogin), hardening: hardeningCommand(scripts.hardening) };
}

function createHost(request: HostRequest, parent: pulumi.Resource): ProvisionedHost {
    const { name, existingServer: server } = request;
    if (!server) throw new Error("cloud existing needs the server's address and first login (settings give them)");
    const commands = request.plan.apply((plan) => existingServerCommands(plan, request, server.port));
    const logging = { logging: "stdoutAndStderr", addPreviousOutputInEnv: false } as const;
    const sshPort = request.plan.apply((plan) => plan.hardening.sshPort);

    // From where Pulumi runs: an SSH server must answer where the first login goes, or the step
    // fails at once with a sentence saying what to check (the SSH client would retry for minutes,
    // and a server hardened before answers root on port 22 no more). Once per server, as the login.
    const probe = new command.local.Command(
        `${name}-first-login-probe`,
        {
            create: pulumi.interpolate`node ./${FIRST_LOGIN_PROBE_SCRIPT} ${shellWord(server.address)} ${server.port} ${shellWord(server.user)} ${sshPort}`,
            triggers: [server.address],
            ...logging,
        },
        { parent, ignoreChanges: ["create"] },
    );

    // Once per server: the first login stops working when the hardening is done, so a later
    // change to this script must not run it again (`ignoreChanges`). A new address is a new server.
    const firstLogin = new command.remote.Command(
        `${name}-first-login`,
        {
            // The probe found sshd there: a failure now is the key or the user, which retries do not fix.
            connection: { host: server.address, port: server.port, user: server.user, privateKey: pulumi.secret(server.privateKey), dialErrorLimit: 3, perDialTimeout: 10 },
            create: commands.firstLogin,
            triggers: [server.address],
            ...logging,
        },
        { parent, dependsOn: [probe], ignoreChanges: ["create", "connection"] },
    );

    // As deploy on sshPort, which the first login opened: a changed plan runs it again (an update).
    const hardening = new command.remote.Command(
        `${name}-harden`,
        {
            connection: { host: server.address, port: sshPort, user: DEPLOY_USER, privateKey: pulumi.secret(request.deployPrivateKey), dialErrorLimit: 10, perDialTimeout: 15 },
            create: commands.hardening,
            triggers: [firstLogin.id],
            ...logging,
        },
        { parent, dependsOn: [firstLogin] },
    );

    // "A new host" for the deploy steps: another server, or this one hardened anew (which resets
    // UFW and restarts Docker), so every step runs again, as on a replaced cloud server.
    const hardeningHash = hardening.create.apply((text) => createHash("sha256").update(text ?? "").digest("hex").slice(0, 12));
    return {
        publicIp: reachedThrough(pulumi.output(server.address), hardening),
        serverId: pulumi.interpolate`${firstLogin.id}/${hardeningHash}`,
        keptServerId: firstLogin.id,
    };
}

export const existingServerProvider: HostProvider = {
    title: "an existing server",
    catalog: existingCatalog,
    hasCloudFirewall: false,
    inboundFilter: "UFW on the server only: no cloud firewall is in front of it",
    createHost,
};
