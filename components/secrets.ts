import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { ageIdentity } from "./stack/ageIdentity";
import { GATEWAYS } from "./stack/gateways";

export interface StackSecretsArgs {
    /**
     * The `secretsRotation` label. Changing it replaces the gateway tokens, the LiteLLM master key
     * and the tunnel secret (their keepers), and the deploy carries the new values to the host. The
     * backup key and the deploy key never rotate with it: old backups must stay readable, and the
     * deploy must keep reaching the host.
     */
    readonly rotation?: string;
}

/**
 * Every secret the program generates, kept secret in state and in outputs. They live as long as
 * the stack: replacing the server keeps them, so the same secrets and bucket give the same gateway.
 */
export class StackSecrets extends pulumi.ComponentResource {
    /** Each gateway's bearer token for its Control UI and API, by the gateway's name. */
    readonly gatewayTokens: Readonly<Record<string, pulumi.Output<string>>>;
    /** LiteLLM's master key; LiteLLM requires the `sk-` prefix. */
    readonly litellmMasterKey: pulumi.Output<string>;
    /** An age identity (`AGE-SECRET-KEY-1...`) from 32 random bytes: backups are encrypted to it. */
    readonly backupEncryptionKey: pulumi.Output<string>;
    /** 32 random bytes, base64: the Cloudflare Tunnel secret. */
    readonly tunnelSecret: pulumi.Output<string>;
    /** The program's SSH key for the `deploy` user, OpenSSH private key format. */
    readonly deployPrivateKey: pulumi.Output<string>;
    /** Its public half, an OpenSSH `authorized_keys` line. */
    readonly deployPublicKey: pulumi.Output<string>;

    constructor(name: string, args: StackSecretsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("openclaw:index:StackSecrets", name, {}, opts);
        const parent = { parent: this };
        // Without a label there are no keepers at all, so stacks that never rotate see no change.
        const keepers = args.rotation === undefined ? undefined : { secretsRotation: args.rotation };

        const gatewayTokens = GATEWAYS.map(
            (gateway) => [gateway.name, new random.RandomPassword(`${name}-${gateway.tokenSecret}`, { length: 48, special: false, keepers }, parent)] as const,
        );
        const litellmKey = new random.RandomPassword(`${name}-litellm-master-key`, { length: 48, special: false, keepers }, parent);
        const backupKey = new random.RandomBytes(`${name}-backup-key`, { length: 32 }, parent);
        const tunnelSecret = new random.RandomBytes(`${name}-tunnel-secret`, { length: 32, keepers }, parent);
        const deployKey = new tls.PrivateKey(`${name}-deploy-key`, { algorithm: "ED25519" }, parent);


        this.gatewayTokens = Object.fromEntries(gatewayTokens.map(([gateway, token]) => [gateway, pulumi.secret(token.result)]));
        this.litellmMasterKey = pulumi.secret(pulumi.interpolate`sk-${litellmKey.result}`);
        this.backupEncryptionKey = pulumi.secret(backupKey.base64.apply((bytes) => ageIdentity(Buffer.from(bytes, "base64"))));
        this.tunnelSecret = pulumi.secret(tunnelSecret.base64);
        this.deployPrivateKey = pulumi.secret(deployKey.privateKeyOpenssh);
        this.deployPublicKey = deployKey.publicKeyOpenssh;

        this.registerOutputs({});
    }
}
