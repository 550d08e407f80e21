// Pulumi Deployments settings for one target stack: where its source comes from, what triggers a
// deployment, the gate that runs before every operation, its credentials and its runner.
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import { DeploymentsSettings } from "./settings";

/**
 * Runs before every preview and update, in the repository's root: a clean install from the lock
 * file, the type check and the unit tests. Not `npm test`: its artifact and integration tests need
 * the Debian tools `.ci/run` installs (cloud-init, sshd, shellcheck, iptables, rclone, ...), which
 * the default executor image lacks, and `test/artifacts/tools.ts` fails a test whose tool is
 * missing rather than skipping it. `.ci/run` keeps running the whole suite on every change.
 */
export const GATE_COMMANDS: readonly string[] = ["npm ci", "npm run build", "npm run test:unit"];

/** One stack and the git events that deploy it. */
export interface StackTarget {
    readonly stack: string;
    /** The branch whose pushes `pulumi up` the stack. */
    readonly branch: string;
    /** Run `pulumi up` on every push to `branch`. */
    readonly deployCommits: boolean;
    /** Run `pulumi preview` on pull requests into `branch`, reported on the pull request. */
    readonly previewPullRequests: boolean;
}

/**
 * dev deploys every push to the main branch; prod deploys only what reaches the release branch.
 * Deployments' GitHub trigger is branch-based, so promotion to prod is a pull request from main
 * into release: reviewable, with its own branch protection, and previewed against prod.
 */
export function stackTargets(settings: DeploymentsSettings): StackTarget[] {
    return [
        { stack: settings.devStack, branch: settings.mainBranch, deployCommits: true, previewPullRequests: true },
        { stack: settings.prodStack, branch: settings.releaseBranch, deployCommits: true, previewPullRequests: true },
    ];
}

export interface StackDeploymentArgs {
    /** The Pulumi organization that owns the stack. */
    readonly organization: string;
    /** The target project, e.g. `openclaw`. */
    readonly project: string;
    /** The GitHub repository as `owner/name`, reached through the Pulumi GitHub app. */
    readonly repository: string;
    readonly target: StackTarget;
    /** Commands that must succeed before the Pulumi operation runs. */
    readonly preRunCommands: readonly string[];
    /** Environment variable name -> credential; every value reaches Pulumi Cloud as a secret. */
    readonly secretEnvironment: Readonly<Record<string, pulumi.Input<string>>>;
    /** An IAM role assumed through Pulumi's OIDC token for AWS. */
    readonly awsRoleArn?: string;
    /** A customer-managed agent pool to run on instead of Pulumi-hosted runners. */
    readonly agentPoolId?: string;
}

/** The resource's arguments, separate from the component so tests can inspect what is sent, secrets still wrapped. */
export function deploymentSettingsArgs(args: StackDeploymentArgs): pulumiservice.DeploymentSettingsArgs {
    const environmentVariables = Object.fromEntries(
        Object.entries(args.secretEnvironment).map(([name, value]) => [name, pulumi.secret(value)]),
    );
    return {
        organization: args.organization,
        project: args.project,
        stack: args.target.stack,
        // With the GitHub app as the source, the repository comes from `github` and git needs no URL or auth.
        sourceContext: { git: { branch: `refs/heads/${args.target.branch}` } },
        // `github` rather than its successor `vcs`: switching to `vcs` has been reported to stop
        // push-to-deploy from firing (pulumi/pulumi-pulumiservice#754, open).
        github: {
            repository: args.repository,
            deployCommits: args.target.deployCommits,
            previewPullRequests: args.target.previewPullRequests,
            pullRequestTemplate: false,
        },
        operationContext: {
            preRunCommands: [...args.preRunCommands],
            // The gate runs `npm ci` itself; the executor's own install would only repeat it.
            // Pushes that arrive while a deployment runs are folded into one deployment of the newest.
            options: { skipInstallDependencies: true, skipIntermediateDeployments: true },
            ...(Object.keys(environmentVariables).length > 0 ? { environmentVariables } : {}),
            ...(args.awsRoleArn ? { oidc: { aws: { roleARN: args.awsRoleArn, sessionName: `${args.project}-${args.target.stack}`.slice(0, 64) } } } : {}),
        },
        ...(args.agentPoolId ? { agentPoolId: args.agentPoolId } : {}),
    };
}

/** The Pulumi Deployments settings of one stack of the target project. */
export class StackDeployment extends pulumi.ComponentResource {
    /** `organization/project/stack`, the settings' id in Pulumi Cloud. */
    readonly stackRef: string;
    readonly settings: pulumiservice.DeploymentSettings;

    constructor(name: string, args: StackDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openclaw:deployments:StackDeployment", name, {}, opts);
        this.stackRef = `${args.organization}/${args.project}/${args.target.stack}`;
        this.settings = new pulumiservice.DeploymentSettings(`${name}-settings`, deploymentSettingsArgs(args), { parent: this });
        this.registerOutputs({ stackRef: this.stackRef });
    }
}

/** Deployments for the dev and prod stacks, as the config describes them. */
export function stackDeployments(settings: DeploymentsSettings, opts?: pulumi.ComponentResourceOptions): StackDeployment[] {
    return stackTargets(settings).map(
        (target) =>
            new StackDeployment(
                target.stack,
                {
                    organization: settings.organization,
                    project: settings.project,
                    repository: settings.repository,
                    target,
                    preRunCommands: GATE_COMMANDS,
                    secretEnvironment: settings.secretEnvironment,
                    awsRoleArn: settings.awsRoleArn,
                    agentPoolId: settings.agentPoolId,
                },
                opts,
            ),
    );
}
