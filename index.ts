// The entry point: read the config once, build one deployment, export its outputs. Nothing else.
import { OpenClawDeployment } from "./components/deployment";
import { parseSettings } from "./components/settings";
import { stackConfig } from "./components/stackConfig";

const deployment = new OpenClawDeployment("openclaw", { settings: parseSettings(stackConfig()) });

export const cloud = deployment.cloud;
/** What filters inbound traffic to the server: on an existing server, UFW alone. */
export const firewall = deployment.firewall;
export const serverIp = deployment.serverIp;
export const sshCommand = deployment.sshCommand;
export const gatewayUrl = deployment.gatewayUrl;
export const gatewayToken = deployment.gatewayToken;
export const litellmMasterKey = deployment.litellmMasterKey;
export const backupEncryptionKey = deployment.backupEncryptionKey;
export const deployPrivateKey = deployment.deployPrivateKey;
/** Ingress tunnel only; other stacks have no such output. */
export const tunnelId = deployment.tunnelId;
/** The bucket backups go to; stacks with stateStore none have no such output. */
export const stateBucket = deployment.stateBucketName;
