// The deployments project's entry: read the config once, configure Pulumi Deployments for the
// target project's dev and prod stacks, export what the operator needs next. Nothing else.
import * as pulumi from "@pulumi/pulumi";
import { stackConfig } from "../components/stackConfig";
import { stackDeployments } from "./deploymentSettings";
import { parseDeploymentsSettings } from "./settings";

const settings = parseDeploymentsSettings(stackConfig());
settings.warnings.forEach((warning) => pulumi.log.warn(warning));
const deployments = stackDeployments(settings);

/** The stacks whose deployments this project configures, as `organization/project/stack`. */
export const stacks = deployments.map((d) => d.stackRef);
/** Where the deployments run. */
export const runner = settings.agentPoolId ? `agent pool ${settings.agentPoolId}` : "Pulumi-hosted (no fixed egress address)";
/** Blocks to add to the target stacks' adminCidrs, so the runners' SSH reaches the hosts. */
export const adminCidrsToAdd = settings.runnerEgressCidrs;
