import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ServerSize } from "../providers";
import { deployCommand, DeployStep } from "./deployStep";
import { AlertSettings, AppSettings, BackupSettings, IngressSettings } from "./settings";
import { BucketEndpoint, renderMaintenanceConfig, renderMaintenanceSecrets } from "./stack/maintenance";
import { egressAllowlistFor, renderStackFiles, stackEnv, StackFileSettings } from "./stack/files";
import { renderIngressSources } from "./stack/hostFirewall";
import { staticGatewayUrl } from "./stack/ingress";
import { containersFor, MaintenanceStepsInput, stackSteps } from "./stack/steps";
import { gatewayUrlFromServeOutput } from "./stack/tailscale";

export interface OpenClawStackArgs {
    /** The validated app settings (image, models, egress, channel secrets). */
    readonly app: AppSettings;
    /** How the gateway is reached; decides the ingress container, origins, trusted proxies and loopback publishing. */
    readonly ingress: IngressSettings;
    /** Sources allowed to reach ports 80/443 (Cloudflare's ranges, ingress caddy); none otherwise. */
    readonly ingressSources?: pulumi.Input<readonly string[]>;
    /** cloudflared's token (ingress tunnel). */
    readonly tunnelToken?: pulumi.Input<string>;
    /** The host's name, which it also takes in the tailnet (ingress tailscale). */
    readonly hostName: string;
    /** The hardened SSH port, which tailnet peers may reach too (ingress tailscale). */
    readonly sshPort: number;
    /** The server's memory and CPUs; the containers' limits derive from them. */
    readonly serverSize: ServerSize;
    /** The generated secrets the `.env` carries. */
    readonly gatewayToken: pulumi.Input<string>;
    readonly litellmMasterKey: pulumi.Input<string>;
    /** How every step reaches the host: `deploy` on the hardened SSH port. */
    readonly connection: command.types.input.remote.ConnectionArgs;
    /** The server's id; a new server reruns every step. */
    readonly serverId: pulumi.Input<string>;
    /** The host's last step (host-access): the first stack step runs after it. */
    readonly hostReady: pulumi.Resource;
    /** The stack's name, as alerts and the backup settings file name it. */
    readonly stackName: string;
    /** Where backups go, when, and for how long. */
    readonly backups: BackupSettings;
    /** The state bucket and the host's credentials for it (a store other than none). */
    readonly stateBucket?: {
        readonly endpoint: pulumi.Input<BucketEndpoint>;
        readonly accessKeyId: pulumi.Input<string>;
        readonly secretAccessKey: pulumi.Input<string>;
    };
    /** The age identity backups are encrypted to. */
    readonly backupIdentity: pulumi.Input<string>;
    /** Where the watchdog sends alerts. */
    readonly alerts: AlertSettings;
    /**
     * Resources the stack uses that must outlive it on destroy: the first step (whose delete stops
     * the containers) depends on them, so the Cloudflare tunnel goes only after cloudflared stopped.
     */
    readonly uses?: readonly pulumi.Resource[];
}

function maintenanceInput(args: OpenClawStackArgs): MaintenanceStepsInput {
    const { backups, stateBucket } = args;
    if (backups.stateStore !== "none" && !stateBucket) throw new Error(`OpenClawStack: stateStore ${backups.stateStore} needs its bucket`);
    const endpoint: pulumi.Output<BucketEndpoint | undefined> = stateBucket ? pulumi.output(stateBucket.endpoint) : pulumi.output(undefined);
    return {
        store: backups.stateStore,
        schedule: backups.backupSchedule,
        bucket: endpoint.apply((e) => e?.bucket ?? ""),
        config: endpoint.apply((bucket) =>
            renderMaintenanceConfig({
                stack: args.stackName,
                store: backups.stateStore,
                bucket,
                retentionDays: backups.backupRetentionDays,
                schedule: backups.backupSchedule,
                containers: containersFor(args.ingress.mode),
                telegramChatId: args.alerts.telegramChatId,
            }),
        ),
        secrets: pulumi.secret(
            pulumi
                .all([stateBucket?.accessKeyId, stateBucket?.secretAccessKey, args.backupIdentity, args.alerts.webhookUrl, args.app.telegramBotToken])
                .apply(([accessKeyId, secretAccessKey, backupIdentity, alertWebhookUrl, telegramBotToken]) =>
                    renderMaintenanceSecrets({
                        accessKeyId,
                        secretAccessKey,
                        backupIdentity,
                        alertWebhookUrl,
                        // The bot token reaches the host only when alerts are sent through it.
                        telegramBotToken: args.alerts.telegramChatId !== undefined ? telegramBotToken : undefined,
                    }),
                ),
        ),
    };
}

/** Hosts the egress check expects the proxy to refuse: the first one the allowlist does not name. */
const REFUSED_PROBE_HOSTS = ["example.com", "example.net", "example.org"];

/**
 * The container stack on the host: its files, its secrets and its lifecycle, as an ordered chain
 * of remote commands. Each reruns only when what it consumes changes.
 */
export class OpenClawStack extends pulumi.ComponentResource {
    readonly steps: readonly DeployStep[];
    readonly commands: readonly command.remote.Command[];
    /** The public domain, the SSH tunnel's local end, or (tailscale) the URL Tailscale Serve reports. */
    readonly gatewayUrl: pulumi.Output<string>;

    constructor(name: string, args: OpenClawStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openclaw:index:Stack", name, {}, opts);
        const app: StackFileSettings = { ...args.app, telegram: args.app.telegramBotToken !== undefined };
        const allowlist = egressAllowlistFor(app);

        this.steps = stackSteps({
            files: {
                ...renderStackFiles(app, args.ingress, args.serverSize),
                env: stackEnv(args.app, {
                    gatewayToken: args.gatewayToken,
                    litellmMasterKey: args.litellmMasterKey,
                    llmApiKeys: args.app.llmApiKeys,
                    telegramBotToken: args.app.telegramBotToken,
                    tunnelToken: args.tunnelToken,
                }),
            },
            serverId: args.serverId,
            egressProbe: { allowed: allowlist.find((host) => !host.startsWith("*."))!, refused: REFUSED_PROBE_HOSTS.find((host) => !allowlist.includes(host))! },
            ingress: {
                mode: args.ingress.mode,
                sources: pulumi.output(args.ingressSources ?? []).apply(renderIngressSources),
                tailscale:
                    args.ingress.mode === "tailscale" && args.app.tailscaleAuthKey !== undefined
                        ? { authKey: args.app.tailscaleAuthKey, hostName: args.hostName, sshPort: args.sshPort }
                        : undefined,
            },
            maintenance: maintenanceInput(args),
        });

        const commands: command.remote.Command[] = [];
        let previous: pulumi.Resource[] = [args.hostReady, ...(args.uses ?? [])];
        for (const step of this.steps) {
            const cmd = deployCommand(`${name}-${step.name}`, step, args.connection, { parent: this, dependsOn: previous });
            commands.push(cmd);
            previous = [cmd];
        }
        this.commands = commands;
        const url = staticGatewayUrl(args.ingress);
        const serve = commands.find((_, i) => this.steps[i].name === "tailscale-serve");
        this.gatewayUrl = url !== undefined ? pulumi.output(url) : serve!.stdout.apply(gatewayUrlFromServeOutput);

        this.registerOutputs({ gatewayUrl: this.gatewayUrl });
    }
}
