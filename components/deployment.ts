import * as pulumi from "@pulumi/pulumi";
import { clouds } from "../providers";
import { HardenedHost } from "./hardenedHost";
import { OpenClawStack } from "./openclawStack";
import { StackSecrets } from "./secrets";
import { Settings } from "./settings";

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
    readonly serverIp: pulumi.Output<string>;
    readonly sshCommand: pulumi.Output<string>;
    /** Where the Control UI opens: the public domain, or the local end of an SSH tunnel. */
    readonly gatewayUrl: string;
    readonly gatewayToken: pulumi.Output<string>;
    readonly litellmMasterKey: pulumi.Output<string>;
    readonly backupEncryptionKey: pulumi.Output<string>;
    readonly deployPrivateKey: pulumi.Output<string>;
    readonly secrets: StackSecrets;
    readonly host: HardenedHost;
    readonly stack: OpenClawStack;

    constructor(name: string, args: OpenClawDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openclaw:index:Deployment", name, {}, opts);
        const { settings } = args;

        this.secrets = new StackSecrets(`${name}-secrets`, { parent: this });
        this.host = new HardenedHost(
            name,
            {
                provider: clouds[settings.cloud],
                host: settings.host,
                hostName: args.hostName ?? defaultHostName(pulumi.getStack()),
                protect: settings.protect,
                deployKey: { publicKey: this.secrets.deployPublicKey, privateKey: this.secrets.deployPrivateKey },
            },
            { parent: this },
        );

        this.stack = new OpenClawStack(
            name,
            {
                app: settings.app,
                ingress: settings.ingress,
                serverSize: settings.host.serverSize,
                gatewayToken: this.secrets.gatewayToken,
                litellmMasterKey: this.secrets.litellmMasterKey,
                connection: this.host.connection,
                serverId: this.host.serverId,
                hostReady: this.host.ready,
            },
            { parent: this },
        );

        this.cloud = settings.cloud;
        this.gatewayUrl = this.stack.gatewayUrl;
        this.serverIp = this.host.publicIp;
        this.sshCommand = pulumi.interpolate`ssh -p ${settings.host.sshPort} deploy@${this.host.publicIp}`;
        this.gatewayToken = pulumi.secret(this.secrets.gatewayToken);
        this.litellmMasterKey = pulumi.secret(this.secrets.litellmMasterKey);
        this.backupEncryptionKey = pulumi.secret(this.secrets.backupEncryptionKey);
        this.deployPrivateKey = pulumi.secret(this.secrets.deployPrivateKey);

        this.registerOutputs({ serverIp: this.serverIp, sshCommand: this.sshCommand, gatewayUrl: this.gatewayUrl });
    }
}
