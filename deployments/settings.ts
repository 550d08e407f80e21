// The deployments project's config contract: a pure parser that collects every problem first and
// reports each as one sentence naming the key, the value (never a secret's) and what is accepted.
import * as pulumi from "@pulumi/pulumi";
import { isWorldOpen, parseCidr } from "../components/cidr";
import { ConfigReader, InvalidConfigError, RawConfig } from "../components/configReader";

export type { RawConfig };

/** The project's config namespace (`openclaw-deployments:repository`, ...). */
export const PROJECT = "openclaw-deployments";

/** Defaults that do not depend on other keys. `deployments/Pulumi.yaml` declares the same values (a test keeps them equal). */
export const DEFAULTS = {
    project: "openclaw",
    mainBranch: "main",
    releaseBranch: "release",
    devStack: "dev",
    prodStack: "prod",
} as const;

/** Which secret config key becomes which environment variable of the deployments. */
export const SECRET_ENVIRONMENT = {
    hcloudToken: "HCLOUD_TOKEN",
    digitaloceanToken: "DIGITALOCEAN_TOKEN",
    cloudflareApiToken: "CLOUDFLARE_API_TOKEN",
    awsAccessKeyId: "AWS_ACCESS_KEY_ID",
    awsSecretAccessKey: "AWS_SECRET_ACCESS_KEY",
} as const;

export type SecretKey = keyof typeof SECRET_ENVIRONMENT;
export const SECRET_KEYS = Object.keys(SECRET_ENVIRONMENT) as SecretKey[];

/** Every key of the `openclaw-deployments:` namespace: its Pulumi.yaml's contract (a test checks they agree). */
export const CONFIG_KEYS = [
    "organization", "repository", ...Object.keys(DEFAULTS), ...SECRET_KEYS, "awsRoleArn", "agentPoolId", "runnerEgressCidrs",
] as readonly string[];

/** The validated config. Built once, at the entry, by `parseDeploymentsSettings`. */
export interface DeploymentsSettings {
    /** The Pulumi organization that owns the target stacks. */
    readonly organization: string;
    /** The target project (the OpenClaw program), `openclaw` unless set. */
    readonly project: string;
    /** The GitHub repository as `owner/name`; the Pulumi GitHub app must be installed on it. */
    readonly repository: string;
    /** The branch the dev stack deploys from on every push. */
    readonly mainBranch: string;
    /** The branch the prod stack deploys from: a deliberate promotion from mainBranch. */
    readonly releaseBranch: string;
    readonly devStack: string;
    readonly prodStack: string;
    /** Environment variable name -> credential, each wrapped in `pulumi.secret`. */
    readonly secretEnvironment: Readonly<Record<string, pulumi.Output<string>>>;
    /** An IAM role the deployments assume through Pulumi's OIDC token (no static AWS keys). */
    readonly awsRoleArn?: string;
    /** A customer-managed agent pool: deployments then run inside the operator's network. */
    readonly agentPoolId?: string;
    /** Canonical CIDR blocks the runners' SSH comes from; they belong in the target stacks' adminCidrs. */
    readonly runnerEgressCidrs: readonly string[];
    /** Things that deploy but need the operator's attention, one sentence each. */
    readonly warnings: readonly string[];
}

/** A config that cannot be deployed. The message lists every problem, one sentence each. */
export class DeploymentsConfigError extends InvalidConfigError {
    constructor(problems: readonly string[]) {
        super("deployments configuration", problems);
    }
}

const ORGANIZATION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const PROJECT_OR_STACK = /^[A-Za-z0-9_.-]{1,100}$/;
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
const AGENT_POOL_ID = /^[A-Za-z0-9_-]{1,100}$/;
const AWS_ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** Credentials are one word: no spaces, quotes or backslashes (a pasted line break is the usual mistake). */
const CREDENTIAL = /^[^\s"'\\]{8,}$/;

/** Parses and validates the config; throws one `DeploymentsConfigError` listing every problem. */
export function parseDeploymentsSettings(raw: RawConfig): DeploymentsSettings {
    const r = new Reader(raw);
    r.refuseUnknownKeys(CONFIG_KEYS);

    const organization = r.required("organization", ORGANIZATION, "it must be the name of your Pulumi organization, such as acme");
    const project = r.matching("project", DEFAULTS.project, PROJECT_OR_STACK, "it must be a Pulumi project name such as openclaw");
    const repository = r.required("repository", REPOSITORY, "it must be the GitHub repository as owner/name, such as acme/openclaw");
    if (repository?.endsWith(".git")) r.problem("repository", repository, "give it as owner/name without .git, such as acme/openclaw");

    const mainBranch = r.branch("mainBranch", DEFAULTS.mainBranch);
    const releaseBranch = r.branch("releaseBranch", DEFAULTS.releaseBranch);
    if (mainBranch && mainBranch === releaseBranch) {
        r.problem("releaseBranch", releaseBranch, `it must differ from mainBranch, or prod would deploy every push that dev deploys`);
    }
    const devStack = r.matching("devStack", DEFAULTS.devStack, PROJECT_OR_STACK, "it must be a Pulumi stack name such as dev");
    const prodStack = r.matching("prodStack", DEFAULTS.prodStack, PROJECT_OR_STACK, "it must be a Pulumi stack name such as prod");
    if (devStack !== undefined && devStack === prodStack) r.problem("prodStack", prodStack, "it must differ from devStack");

    const secrets = readSecrets(r);
    const awsRoleArn = r.matching("awsRoleArn", undefined, AWS_ROLE_ARN, "it must be an IAM role ARN such as arn:aws:iam::123456789012:role/openclaw-deployments");
    const hasKeyId = secrets.AWS_ACCESS_KEY_ID !== undefined || r.has("awsAccessKeyId");
    const hasSecretKey = secrets.AWS_SECRET_ACCESS_KEY !== undefined || r.has("awsSecretAccessKey");
    if (r.has("awsRoleArn") && (hasKeyId || hasSecretKey)) {
        r.problems.push(
            `${PROJECT}:awsRoleArn and static AWS keys (awsAccessKeyId, awsSecretAccessKey) are both set; keep awsRoleArn (short-lived OIDC credentials) and remove the keys with \`pulumi config rm\`.`,
        );
    } else if (hasKeyId !== hasSecretKey) {
        const missing = hasKeyId ? "awsSecretAccessKey" : "awsAccessKeyId";
        r.problems.push(`${PROJECT}:${missing} is not set; static AWS keys need both awsAccessKeyId and awsSecretAccessKey (or use awsRoleArn instead).`);
    }

    const agentPoolId = r.matching("agentPoolId", undefined, AGENT_POOL_ID, "it must be the id of a customer-managed agent pool, as Pulumi Cloud shows it");
    const runnerEgressCidrs = readRunnerEgressCidrs(r);

    if (r.problems.length > 0 || !organization || !repository || !mainBranch || !releaseBranch) {
        throw new DeploymentsConfigError(r.problems);
    }
    return {
        organization,
        project: project ?? DEFAULTS.project,
        repository,
        mainBranch,
        releaseBranch,
        devStack: devStack ?? DEFAULTS.devStack,
        prodStack: prodStack ?? DEFAULTS.prodStack,
        secretEnvironment: Object.fromEntries(Object.entries(secrets).map(([name, value]) => [name, pulumi.secret(value)])),
        awsRoleArn,
        agentPoolId,
        runnerEgressCidrs,
        warnings: reachabilityWarnings(agentPoolId, runnerEgressCidrs, [devStack ?? DEFAULTS.devStack, prodStack ?? DEFAULTS.prodStack]),
    };
}

/** The credentials, by environment variable name; each must be stored encrypted. */
function readSecrets(r: Reader): Record<string, string> {
    const found: Record<string, string> = {};
    for (const key of SECRET_KEYS) {
        const value = r.secretString(key);
        if (value === undefined) continue;
        if (!CREDENTIAL.test(value)) {
            r.hiddenProblem(key, "it must be the credential as one word, without spaces, quotes or line breaks");
            continue;
        }
        found[SECRET_ENVIRONMENT[key]] = value;
    }
    return found;
}

function readRunnerEgressCidrs(r: Reader): string[] {
    const list = r.stringList("runnerEgressCidrs", [], "pulumi config set --path 'runnerEgressCidrs[0]' 203.0.113.64/28");
    const canonical: string[] = [];
    for (const text of list) {
        const parsed = parseCidr(text);
        if (!parsed.ok) {
            r.problem("runnerEgressCidrs", text, `${parsed.reason}; each entry must be a CIDR block such as 203.0.113.64/28`);
        } else if (isWorldOpen(parsed.cidr)) {
            r.problem(
                "runnerEgressCidrs",
                text,
                "it would open the hosts' SSH to the whole internet once added to adminCidrs; list the runners' own egress addresses, such as 203.0.113.64/28",
            );
        } else if (!canonical.includes(parsed.cidr.text)) {
            canonical.push(parsed.cidr.text);
        }
    }
    return canonical;
}

/**
 * `pulumi up` runs the deploy steps over SSH from the runner, and the hosts accept SSH only from
 * their stack's adminCidrs: say what the operator has to do for that to work.
 */
function reachabilityWarnings(agentPoolId: string | undefined, cidrs: readonly string[], stacks: readonly string[]): string[] {
    const warnings: string[] = [];
    if (agentPoolId === undefined) {
        warnings.push(
            "Deployments run on Pulumi-hosted runners, which have no fixed egress address, so the SSH deploy steps of `pulumi up` cannot reach the hosts through adminCidrs; set agentPoolId to a customer-managed agent pool whose egress address is in adminCidrs (previews work either way).",
        );
        if (cidrs.length > 0) {
            warnings.push(`runnerEgressCidrs is set, but without agentPoolId the deployments do not come from those addresses.`);
        }
    }
    if (cidrs.length > 0) {
        const commands = stacks.map((stack) => `\`pulumi config set --path 'adminCidrs[N]' <block> --stack ${stack}\``).join(" and ");
        warnings.push(`Add runnerEgressCidrs (${cidrs.join(", ")}) to the adminCidrs of stacks ${stacks.join(" and ")} in the main project, e.g. ${commands}.`);
    }
    return warnings;
}

/** Why a branch name is not one git accepts (`git check-ref-format --branch`), or undefined. */
export function branchNameProblem(name: string): string | undefined {
    if (name.startsWith("refs/")) return "give the branch name without refs/heads/, such as main";
    const bad =
        name === "" ||
        name === "@" ||
        /[\x00-\x20\x7f~^:?*[\\]/.test(name) ||
        name.includes("..") ||
        name.includes("@{") ||
        name.includes("//") ||
        /^[-/]/.test(name) ||
        /(\/|\.|\.lock)$/.test(name) ||
        name.split("/").some((part) => part.startsWith("."));
    return bad ? "it must be a git branch name such as main or release" : undefined;
}

/** The shared typed reads plus the ones only this project's keys need. */
class Reader extends ConfigReader {
    constructor(raw: RawConfig) {
        super(raw, PROJECT);
    }

    /** An optional value that must match `pattern`; `fallback` when unset. */
    matching(key: string, fallback: string | undefined, pattern: RegExp, accepted: string): string | undefined {
        const text = this.string(key);
        if (text === undefined) return this.has(key) ? undefined : fallback;
        if (!pattern.test(text)) {
            this.problem(key, text, accepted);
            return undefined;
        }
        return text;
    }

    required(key: string, pattern: RegExp, accepted: string): string | undefined {
        if (!this.has(key)) {
            this.problems.push(`${PROJECT}:${key} is not set; ${accepted} (pulumi config set ${key} <value>).`);
            return undefined;
        }
        return this.matching(key, undefined, pattern, accepted);
    }

    branch(key: string, fallback: string): string | undefined {
        const text = this.string(key);
        if (text === undefined) return this.has(key) ? undefined : fallback;
        const reason = branchNameProblem(text);
        if (reason) {
            this.problem(key, text, reason);
            return undefined;
        }
        return text;
    }
}
