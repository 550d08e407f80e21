import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ServerSize } from "../providers";
import { deployCommand, DeployStep } from "./deployStep";
import { AlertSettings, AppSettings, BackupSettings, IngressSettings, StateStore } from "./settings";
import { BackupTarget, BucketEndpoint, renderMaintenanceConfig, renderMaintenanceSecrets } from "./stack/maintenance";
import { egressProbe } from "./stack/egress";
import { egressRolesFor, renderStackFiles, stackEnv, StackFileSettings } from "./stack/files";
import { renderIngressSources } from "./stack/hostFirewall";
import { gatewayUrl } from "./stack/ingress";
import { containersFor, IngressStepsInput, MaintenanceStepsInput, stackSteps } from "./stack/steps";
import { gatewayUrlFromServeOutput, TAILSCALE_SERVE_STEP } from "./stack/tailscale";
import { KeptServer } from "./stack/teardown";

/** The state bucket as the host reaches it: where it is, and the host's own credentials for it. */
export interface BucketAccess {
    readonly endpoint: pulumi.Input<BucketEndpoint>;
    readonly accessKeyId: pulumi.Input<string>;
    readonly secretAccessKey: pulumi.Input<string>;
}

/** The backup settings, with the bucket that a store other than none has. */
export type StackBackups = Pick<BackupSettings, "backupSchedule" | "backupRetentionDays"> &
    ({ readonly stateStore: "none" } | { readonly stateStore: Exclude<StateStore, "none">; readonly bucket: BucketAccess });

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
    readonly gatewayTokens: Readonly<Record<string, pulumi.Input<string>>>;
    readonly litellmMasterKey: pulumi.Input<string>;
    /** How every step reaches the host: `deploy` on the hardened SSH port. */
    readonly connection: command.types.input.remote.ConnectionArgs;
    /** The server's id; a new server reruns every step. */
    readonly serverId: pulumi.Input<string>;
    /** Set when destroy leaves the server standing: the stack's teardown then runs there. */
    readonly keptServer?: KeptServer;
    /** The host's last step (host-access): the first stack step runs after it. */
    readonly hostReady: pulumi.Resource;
    /** The stack's name, as alerts and the backup settings file name it. */
    readonly stackName: string;
    /** Where backups go, when, and for how long. */
    readonly backups: StackBackups;
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
    const { backups, alerts } = args;
    const configFor = (target: BackupTarget) =>
        renderMaintenanceConfig({
            ...target,
            stack: args.stackName,
            retentionDays: backups.backupRetentionDays,
            schedule: backups.backupSchedule,
            containers: containersFor(args.ingress.mode),
            telegramChatId: alerts.telegramChatId,
        });
    const secretsFor = (bucket: BucketAccess | undefined) =>
        pulumi.secret(
            pulumi
                .all([bucket?.accessKeyId, bucket?.secretAccessKey, args.backupIdentity, alerts.webhookUrl, args.app.telegramBotToken])
                .apply(([accessKeyId, secretAccessKey, backupIdentity, alertWebhookUrl, telegramBotToken]) =>
                    renderMaintenanceSecrets({
                        accessKeyId,
                        secretAccessKey,
                        backupIdentity,
                        alertWebhookUrl,
                        // The bot token reaches the host only when alerts are sent through it.
                        telegramBotToken: alerts.telegramChatId !== undefined ? telegramBotToken : undefined,
                    }),
                ),
        );

    if (backups.stateStore === "none") {
        return { store: "none", schedule: backups.backupSchedule, config: configFor({ store: "none" }), secrets: secretsFor(undefined) };
    }
    const { stateStore: store, bucket } = backups;
    const endpoint = pulumi.output(bucket.endpoint);
    return {
        store,
        schedule: backups.backupSchedule,
        bucket: endpoint.bucket,
        config: endpoint.apply((e) => configFor({ store, bucket: e })),
        secrets: secretsFor(bucket),
    };
}

function ingressStepsInput(args: OpenClawStackArgs): IngressStepsInput {
    const { ingress } = args;
    const sources = pulumi.output(args.ingressSources ?? []).apply(renderIngressSources);
    return "authKey" in ingress
        ? { mode: ingress.mode, sources, tailscale: { authKey: ingress.authKey, hostName: args.hostName, sshPort: args.sshPort } }
        : { mode: ingress.mode, sources };
}

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

        this.steps = stackSteps({
            files: {
                ...renderStackFiles(app, args.ingress, args.serverSize),
                env: stackEnv(args.app, {
                    gatewayTokens: args.gatewayTokens,
                    litellmMasterKey: args.litellmMasterKey,
                    llmApiKeys: args.app.llmApiKeys,
                    telegramBotToken: args.app.telegramBotToken,
                    tunnelToken: args.tunnelToken,
                }),
            },
            serverId: args.serverId,
            keptServer: args.keptServer,
            egressProbe: egressProbe(egressRolesFor(app)),
            ingress: ingressStepsInput(args),
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
        this.gatewayUrl = pulumi.output(gatewayUrl(args.ingress, () => this.printedGatewayUrl()));

        this.registerOutputs({ gatewayUrl: this.gatewayUrl });
    }

    /** The URL the step that publishes the gateway in the tailnet printed (`tailscaleSteps`). */
    private printedGatewayUrl(): pulumi.Output<string> {
        const index = this.steps.findIndex((step) => step.name === TAILSCALE_SERVE_STEP);
        if (index < 0) throw new Error(`OpenClawStack: the gateway opens in the tailnet, but there is no ${TAILSCALE_SERVE_STEP} step to say where`);
        return this.commands[index].stdout.apply(gatewayUrlFromServeOutput);
    }
}
