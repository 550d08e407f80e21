import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { DEPLOY_USER } from "../cloud-init/paths";
import { hostPlan } from "../cloud-init/hostPlan";
import { renderCloudConfig } from "../cloud-init/userData";
import { HostProvider, InboundRule } from "../providers";
import { deployCommand, DeployStep } from "./deployStep";
import { hostAccessScript, renderAuthorizedKeys } from "./hostAccess";
import { hostReadyScript } from "./hostReady";
import { plainTrigger } from "./triggers";
import { HostSettings } from "./settings";
import { GATEWAYS } from "./stack/gateways";

export interface HardenedHostArgs {
    /** Where the server comes from (from `providers/`): a cloud, or the operator's own. */
    readonly provider: HostProvider;
    /** The validated host settings. */
    readonly host: HostSettings;
    /** Host name the server gives itself. */
    readonly hostName: string;
    /** Protect the server and its static IP from deletion. */
    readonly protect: boolean;
    /** The program's deploy key: the public half goes into user data, the private half into SSH connections. */
    readonly deployKey: { readonly publicKey: pulumi.Input<string>; readonly privateKey: pulumi.Input<string> };
    /** Inbound rules an ingress mode needs beyond SSH (none by default). */
    readonly extraInboundRules?: readonly InboundRule[];
}

/** The only inbound traffic every host accepts: SSH on its port, from the admin blocks. */
export function sshInboundRule(host: Pick<HostSettings, "sshPort" | "adminCidrs">): InboundRule {
    return { description: "SSH from admin", protocol: "tcp", port: host.sshPort, sourceCidrs: host.adminCidrs };
}

/**
 * A server hardened by cloud-init, behind a cloud firewall, on a static IP (or, on a server the
 * operator already has, hardened over SSH from the same plan, behind UFW alone), and confirmed ready:
 * `ready` completes only when the hardening marker is there, so every later step depends on it.
 * Who may reach SSH is the cloud firewall's to say (UFW's, without one), and the operator's keys
 * and the reboot window are applied to the running host (`access`): none of them is in the user
 * data, so changing them never replaces the server.
 */
export class HardenedHost extends pulumi.ComponentResource {
    /** The static public IPv4 address. */
    readonly publicIp: pulumi.Output<string>;
    /** The server's id at the cloud; it changes only when the server is replaced. */
    readonly serverId: pulumi.Output<string>;
    /** Set when destroy leaves the server standing (the operator's own): what identifies it. */
    readonly keptServerId?: pulumi.Output<string>;
    /** The rendered user data (no secrets in it); a server the operator already has gets the same plan over SSH. */
    readonly userData: pulumi.Output<string>;
    /** How remote commands reach the host: `deploy` on the hardened SSH port. */
    readonly connection: command.types.input.remote.ConnectionArgs;
    /** The first deploy step, as data. */
    readonly readyStep: DeployStep;
    /** Completes once cloud-init finished and the hardening marker exists. */
    readonly ready: command.remote.Command;
    /** The second step, as data: the operator's keys and the reboot window. */
    readonly accessStep: DeployStep;
    readonly access: command.remote.Command;

    constructor(name: string, args: HardenedHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openclaw:index:HardenedHost", name, {}, opts);
        const { host } = args;

        const tunnelPorts = GATEWAYS.map((gateway) => gateway.port);
        const plan = pulumi.output(args.deployKey.publicKey).apply((deployPublicKey) => hostPlan({ hostName: args.hostName, host, deployPublicKey, tunnelPorts }));
        this.userData = plan.apply(renderCloudConfig);

        const provisioned = args.provider.createHost(
            {
                name,
                region: host.region,
                serverType: host.serverType,
                osImage: host.osImage,
                plan,
                userData: this.userData,
                deployPublicKey: args.deployKey.publicKey,
                deployPrivateKey: args.deployKey.privateKey,
                stackPorts: [host.sshPort, ...tunnelPorts, 80, 443],
                existingServer: host.existingServer,
                inboundRules: [sshInboundRule(host), ...(args.extraInboundRules ?? [])],
                ipv6: host.ipv6,
                protect: args.protect,
            },
            this,
        );
        this.publicIp = provisioned.publicIp;
        this.serverId = pulumi.output(provisioned.serverId);
        this.keptServerId = provisioned.keptServerId;

        this.connection = {
            host: provisioned.publicIp,
            port: host.sshPort,
            user: DEPLOY_USER,
            privateKey: pulumi.secret(args.deployKey.privateKey),
            // First boot installs packages before SSH moves to its port: minutes, not seconds.
            dialErrorLimit: 120,
            perDialTimeout: 15,
        };

        // The static IP stays when the server is replaced, so the server id is what says "new host".
        this.readyStep = { name: "host-ready", script: hostReadyScript(), triggers: [plainTrigger(provisioned.serverId)] };
        this.ready = deployCommand(`${name}-${this.readyStep.name}`, this.readyStep, this.connection, { parent: this });

        this.accessStep = {
            name: "host-access",
            script: hostAccessScript(host, args.provider.hasCloudFirewall ? undefined : host.adminCidrs),
            stdin: pulumi.output(args.deployKey.publicKey).apply((key) => renderAuthorizedKeys(key, host.sshPublicKeys)),
            triggers: [plainTrigger(provisioned.serverId)],
        };
        this.access = deployCommand(`${name}-${this.accessStep.name}`, this.accessStep, this.connection, { parent: this, dependsOn: [this.ready] });

        this.registerOutputs({ publicIp: this.publicIp });
    }
}
