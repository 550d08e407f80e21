import * as pulumi from "@pulumi/pulumi";
import { targets } from "../providers";
import { CloudflareIngress, cloudflareInboundRules, cloudflareOriginRanges } from "./cloudflareIngress";
import { HardenedHost } from "./hardenedHost";
import { OpenClawStack, StackBackups } from "./openclawStack";
import { StackSecrets } from "./secrets";
import { StateBucket } from "./stateBucket";
import { Settings } from "./settings";
import { PRIMARY_GATEWAY } from "./stack/gateways";
import { INGRESS } from "./stack/ingress";

export interface OpenClawDeploymentArgs {
    /** The validated stack settings (see `parseSettings`). */
    readonly settings: Settings;
    /** Host name of the server; defaults to `openclaw-<stack>`. */
    readonly hostName?: string;
}

/** `openclaw-<stack>`, reduced to what a host name may contain. */
export function defaultHostName(stack: string): string {
    const label = `openclaw-${stack}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+$/, "");
    return label.slice(0, 63).replace(/-+$/, "");
}

/** The whole deployment: secrets, a hardened host on the chosen cloud, then the container stack on it. */
export class OpenClawDeployment extends pulumi.ComponentResource {
    readonly cloud: string;
    /** What filters inbound traffic to the server: a cloud firewall and UFW, or UFW alone. */
    readonly firewall: string;
    readonly serverIp: pulumi.Output<string>;
    readonly sshCommand: pulumi.Output<string>;
    /** Where the Control UI opens: the public domain, the tailnet name, or the local end of an SSH tunnel. */
    readonly gatewayUrl: pulumi.Output<string>;
    /** The Cloudflare Tunnel's id (ingress tunnel only). */
    readonly tunnelId?: pulumi.Output<string>;
    readonly gatewayToken: pulumi.Output<string>;
    readonly litellmMasterKey: pulumi.Output<string>;
    readonly backupEncryptionKey: pulumi.Output<string>;
    readonly deployPrivateKey: pulumi.Output<string>;
    /** The state bucket's name (a store other than none). */
    readonly stateBucketName?: pulumi.Output<string>;
    readonly secrets: StackSecrets;
    readonly host: HardenedHost;
    /** Cloudflare's side of ingress tunnel or caddy. */
    readonly cloudflare?: CloudflareIngress;
    /** Where backups go (stateStore s3 or r2). */
    readonly stateBucket?: StateBucket;
    readonly stack: OpenClawStack;

    constructor(name: string, args: OpenClawDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openclaw:index:Deployment", name, {}, opts);
        const { settings } = args;
        const { ingress } = settings;
        const hostName = args.hostName ?? defaultHostName(pulumi.getStack());

        this.secrets = new StackSecrets(`${name}-secrets`, { rotation: settings.secretsRotation }, { parent: this });
        // Cloudflare proxying to the server: ports 80 and 443 open to its ranges only, at the cloud firewall and on the host.
        const originSources = INGRESS[ingress.mode].cloudflare === "proxy" ? cloudflareOriginRanges(settings.host.ipv6, this) : undefined;
        this.host = new HardenedHost(
            name,
            {
                provider: targets[settings.cloud],
                host: settings.host,
                hostName,
                protect: settings.protect,
                deployKey: { publicKey: this.secrets.deployPublicKey, privateKey: this.secrets.deployPrivateKey },
                extraInboundRules: originSources ? cloudflareInboundRules(originSources) : [],
            },
            { parent: this },
        );

        // The modes Cloudflare fronts are those with a public domain; a tunnel's also name its account.
        if ("domain" in ingress) {
            this.cloudflare = new CloudflareIngress(
                name,
                {
                    site: ingress,
                    origin:
                        "accountId" in ingress
                            ? { tunnel: { accountId: ingress.accountId, name: hostName, secret: this.secrets.tunnelSecret } }
                            : { address: this.host.publicIp },
                },
                { parent: this },
            );
        }

        const { backupSchedule, backupRetentionDays, ...store } = settings.backups;
        let backups: StackBackups = { backupSchedule, backupRetentionDays, stateStore: "none" };
        if (store.stateStore !== "none") {
            this.stateBucket = new StateBucket(name, { store, namePrefix: hostName, retentionDays: backupRetentionDays, protect: settings.protect }, { parent: this });
            backups = { backupSchedule, backupRetentionDays, stateStore: store.stateStore, bucket: this.stateBucket };
        }

        this.stack = new OpenClawStack(
            name,
            {
                app: settings.app,
                ingress,
                ingressSources: originSources,
                tunnelToken: this.cloudflare?.tunnelToken,
                hostName,
                sshPort: settings.host.sshPort,
                serverSize: settings.host.serverSize,
                gatewayTokens: this.secrets.gatewayTokens,
                litellmMasterKey: this.secrets.litellmMasterKey,
                connection: this.host.connection,
                serverId: this.host.serverId,
                keptServer: this.host.keptServerId ? { serverId: this.host.keptServerId, deployPublicKey: this.secrets.deployPublicKey } : undefined,
                hostReady: this.host.access,
                stackName: pulumi.getStack(),
                backups,
                backupIdentity: this.secrets.backupEncryptionKey,
                alerts: settings.alerts,
                uses: this.cloudflare ? [this.cloudflare] : [],
            },
            { parent: this },
        );

        this.cloud = settings.cloud;
        this.firewall = targets[settings.cloud].inboundFilter;
        this.gatewayUrl = this.stack.gatewayUrl;
        this.tunnelId = this.cloudflare?.tunnelId;
        this.serverIp = this.host.publicIp;
        this.sshCommand = pulumi.interpolate`ssh -p ${settings.host.sshPort} deploy@${this.host.publicIp}`;
        this.gatewayToken = pulumi.secret(this.secrets.gatewayTokens[PRIMARY_GATEWAY.name]);
        this.litellmMasterKey = pulumi.secret(this.secrets.litellmMasterKey);
        this.backupEncryptionKey = pulumi.secret(this.secrets.backupEncryptionKey);
        this.deployPrivateKey = pulumi.secret(this.secrets.deployPrivateKey);
        this.stateBucketName = this.stateBucket?.bucketName;

        this.registerOutputs({ serverIp: this.serverIp, sshCommand: this.sshCommand, gatewayUrl: this.gatewayUrl, tunnelId: this.tunnelId, stateBucket: this.stateBucketName });
    }
}
