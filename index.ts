// The entry point: read the config once, build one deployment, export its outputs. Nothing else.
import { OpenClawDeployment } from "./components/deployment";
import { parseSettings } from "./components/settings";
import { stackConfig } from "./components/stackConfig";

const deployment = new OpenClawDeployment("openclaw", { settings: parseSettings(stackConfig()) });

/** Only the outputs that are set: Pulumi warns of every exported `undefined` on every preview. */
const ifSet = <T extends object>(outputs: T) => Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined)) as Partial<T>;

// The stack's outputs (docs/configuration.md lists them).
export = {
    cloud: deployment.cloud,
    /** What filters inbound traffic to the server: on an existing server, UFW alone. */
    firewall: deployment.firewall,
    serverIp: deployment.serverIp,
    sshCommand: deployment.sshCommand,
    gatewayUrl: deployment.gatewayUrl,
    gatewayToken: deployment.gatewayToken,
    litellmMasterKey: deployment.litellmMasterKey,
    backupEncryptionKey: deployment.backupEncryptionKey,
    deployPrivateKey: deployment.deployPrivateKey,
    ...ifSet({
        /** Ingress tunnel only. */
        tunnelId: deployment.tunnelId,
        /** The bucket backups go to; stacks with stateStore none have none. */
        stateBucket: deployment.stateBucketName,
    }),
};
