import * as pulumi from "@pulumi/pulumi";
import { OpenClawDeployment } from "../components/deployment";
import { Settings } from "../components/settings";
import { resetMocks, settled, valueOf } from "./mocks";

/**
 * The whole deployment under the mocks, from a clean record: resolves once the gateway URL and
 * every deploy step are known and nothing more is being registered.
 */
export async function deployUnderMocks(settings: Settings): Promise<OpenClawDeployment> {
    resetMocks();
    const deployment = new OpenClawDeployment("openclaw", { settings, hostName: "openclaw-dev" });
    await valueOf(pulumi.all([deployment.gatewayUrl, ...deployment.stack.commands.map((c) => c.id)]));
    await settled();
    return deployment;
}
