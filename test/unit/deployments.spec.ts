import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { deploymentSettingsArgs, GATE_COMMANDS, StackDeployment, stackDeployments } from "../../deployments/deploymentSettings";
import { CONFIG_KEYS, DEFAULTS, DeploymentsSettings, parseDeploymentsSettings, PROJECT, SECRET_KEYS } from "../../deployments/settings";
import { assertOneProblem as assertOne, problemsOf as configProblems } from "../configProblems";
import { ConfigMap, rawConfig, ROOT } from "../fixtures";
import { ofType, RecordedResource, resetMocks, settled, valueOf } from "../mocks";
import { readProjectFile } from "../projectFile";

const DIR = path.join(ROOT, "deployments");
const SETTINGS_TYPE = "pulumiservice:index:DeploymentSettings";

/** Fake credentials; tests look for them where they must not be. */
const HCLOUD_TOKEN = "hcloud-test-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";
const CLOUDFLARE_TOKEN = "cf-test-0123456789abcdefghijklmnopqrstuvw";
const AWS_KEY_ID = "AKIAEXAMPLETEST00000";
const AWS_SECRET_KEY = "aws-secret-test-0123456789abcdefghijklmnopqrstuv";
const ROLE_ARN = "arn:aws:iam::123456789012:role/openclaw-deployments";

const key = (name: string) => `${PROJECT}:${name}`;
const ALL_SECRET_KEYS = SECRET_KEYS.map(key);

/** The smallest valid config; each test adds or changes keys (undefined removes one). */
function config(overrides: Record<string, string | undefined> = {}): ConfigMap {
    const values: Record<string, string | undefined> = { [key("organization")]: "acme", [key("repository")]: "acme/openclaw" };
    for (const [name, value] of Object.entries(overrides)) values[key(name)] = value;
    return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as ConfigMap;
}

function parse(values: ConfigMap, secretKeys: readonly string[] = ALL_SECRET_KEYS): DeploymentsSettings {
    return parseDeploymentsSettings(rawConfig(values, secretKeys));
}

function problemsOf(values: ConfigMap, secretKeys: readonly string[] = ALL_SECRET_KEYS): readonly string[] {
    return configProblems(() => parse(values, secretKeys));
}

/** Asserts the config fails with exactly one sentence containing every fragment. */
function assertOneProblem(values: ConfigMap, ...fragments: string[]): string {
    return assertOne(problemsOf(values), fragments);
}

/** Registers the deployments of a config and returns the DeploymentSettings resources, dev first. */
async function deploy(values: ConfigMap): Promise<{ deployments: StackDeployment[]; dev: RecordedResource; prod: RecordedResource }> {
    resetMocks();
    const deployments = stackDeployments(parse(values));
    await settled();
    const registered = ofType(SETTINGS_TYPE);
    assert.strictEqual(registered.length, 2, "one DeploymentSettings per stack");
    return { deployments, dev: registered[0], prod: registered[1] };
}

describe("deployments", () => {
    describe("settings", () => {
        it("applies the defaults to the smallest config", () => {
            const s = parse(config());
            assert.deepStrictEqual(
                [s.organization, s.project, s.repository, s.mainBranch, s.releaseBranch, s.devStack, s.prodStack],
                ["acme", "openclaw", "acme/openclaw", "main", "release", "dev", "prod"],
            );
            assert.deepStrictEqual(s.secretEnvironment, {});
            assert.strictEqual(s.awsRoleArn, undefined);
            assert.strictEqual(s.agentPoolId, undefined);
            assert.deepStrictEqual(s.runnerEgressCidrs, []);
        });

        it("warns that Pulumi-hosted runners cannot reach SSH through adminCidrs when no agent pool is set", () => {
            const s = parse(config());
            assert.strictEqual(s.warnings.length, 1);
            assert.match(s.warnings[0], /no fixed egress address/);
            assert.match(s.warnings[0], /agentPoolId/);
        });

        it("parses the example stack file and reminds the operator to add the runners to adminCidrs", () => {
            const file = YAML.parse(fs.readFileSync(path.join(DIR, "Pulumi.main.yaml"), "utf8")).config as Record<string, unknown>;
            const values = Object.fromEntries(Object.entries(file).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
            const s = parse(values);
            assert.strictEqual(s.agentPoolId, "00000000-0000-4000-8000-000000000000");
            assert.deepStrictEqual(s.runnerEgressCidrs, ["203.0.113.64/28"]);
            assert.strictEqual(s.warnings.length, 1, JSON.stringify(s.warnings));
            assert.match(s.warnings[0], /Add runnerEgressCidrs \(203\.0\.113\.64\/28\) to the adminCidrs of stacks dev and prod/);
            assert.match(s.warnings[0], /--stack dev/);
            assert.match(s.warnings[0], /--stack prod/);
        });

        it("canonicalises and de-duplicates runnerEgressCidrs", () => {
            const s = parse(config({ agentPoolId: "pool-1", runnerEgressCidrs: JSON.stringify(["203.0.113.64/28", "2001:DB8:0::/48", "203.0.113.64/28"]) }));
            assert.deepStrictEqual(s.runnerEgressCidrs, ["203.0.113.64/28", "2001:db8::/48"]);
        });

        it("says that runnerEgressCidrs do not apply to Pulumi-hosted runners", () => {
            const s = parse(config({ runnerEgressCidrs: JSON.stringify(["203.0.113.64/28"]) }));
            assert.ok(s.warnings.some((w) => /without agentPoolId the deployments do not come from those addresses/.test(w)), JSON.stringify(s.warnings));
        });

        it("wraps every credential in a secret, under its environment variable name", async () => {
            const s = parse(config({ hcloudToken: HCLOUD_TOKEN, cloudflareApiToken: CLOUDFLARE_TOKEN }));
            assert.deepStrictEqual(Object.keys(s.secretEnvironment).sort(), ["CLOUDFLARE_API_TOKEN", "HCLOUD_TOKEN"]);
            for (const value of Object.values(s.secretEnvironment)) assert.strictEqual(await pulumi.isSecret(value), true);
            assert.strictEqual(await valueOf(s.secretEnvironment.HCLOUD_TOKEN), HCLOUD_TOKEN);
        });

        describe("refuses", () => {
            it("a config without organization and repository, one sentence each", () => {
                const problems = problemsOf({});
                assert.deepStrictEqual(problems, [
                    `${PROJECT}:organization is not set; it must be the name of your Pulumi organization, such as acme (pulumi config set organization <value>).`,
                    `${PROJECT}:repository is not set; it must be the GitHub repository as owner/name, such as acme/openclaw (pulumi config set repository <value>).`,
                ]);
            });

            it("a repository that is not owner/name", () => {
                assertOneProblem(config({ repository: "openclaw" }), `${PROJECT}:repository is "openclaw"`, "owner/name");
                assertOneProblem(config({ repository: "https://github.com/acme/openclaw" }), "owner/name");
                assertOneProblem(config({ repository: "acme/openclaw.git" }), "without .git");
            });

            it("a branch name git would not accept", () => {
                assertOneProblem(config({ mainBranch: "feature..x" }), `${PROJECT}:mainBranch is "feature..x"`, "git branch name");
                assertOneProblem(config({ releaseBranch: "release branch" }), `${PROJECT}:releaseBranch is "release branch"`);
                assertOneProblem(config({ releaseBranch: "-release" }), "git branch name");
                assertOneProblem(config({ mainBranch: "main.lock" }), "git branch name");
                assertOneProblem(config({ mainBranch: "refs/heads/main" }), "without refs/heads/");
            });

            it("a release branch equal to the main branch", () => {
                assertOneProblem(config({ releaseBranch: "main" }), `${PROJECT}:releaseBranch is "main"`, "must differ from mainBranch");
            });

            it("the same stack for dev and prod", () => {
                assertOneProblem(config({ prodStack: "dev" }), `${PROJECT}:prodStack is "dev"`, "must differ from devStack");
            });

            it("two invalid stack names, each once, and no sentence about an undefined value", () => {
                const problems = problemsOf(config({ devStack: "my stack", prodStack: "your stack" }));
                assert.strictEqual(problems.length, 2, problems.join("\n"));
                assert.ok(problems[0].startsWith(`${PROJECT}:devStack is "my stack"`) && problems[1].startsWith(`${PROJECT}:prodStack is "your stack"`), problems.join("\n"));
                assert.ok(!problems.some((p) => p.includes("undefined")), problems.join("\n"));
            });

            it("a world-open runner CIDR", () => {
                for (const open of ["0.0.0.0/0", "::/0", "0.0.0.0/1"]) {
                    assertOneProblem(
                        config({ agentPoolId: "pool-1", runnerEgressCidrs: JSON.stringify(["203.0.113.64/28", open]) }),
                        `${PROJECT}:runnerEgressCidrs is "${open}"`,
                        "whole internet",
                    );
                }
            });

            it("a runner CIDR that is not a block, or not a list", () => {
                assertOneProblem(config({ runnerEgressCidrs: JSON.stringify(["203.0.113.7"]) }), "address/prefix", "203.0.113.64/28");
                assertOneProblem(config({ runnerEgressCidrs: JSON.stringify(["203.0.113.7/24"]) }), "host bits");
                assertOneProblem(config({ runnerEgressCidrs: "203.0.113.64/28" }), "list of strings");
            });

            it("both awsRoleArn and static AWS keys", () => {
                assertOneProblem(
                    config({ awsRoleArn: ROLE_ARN, awsAccessKeyId: AWS_KEY_ID, awsSecretAccessKey: AWS_SECRET_KEY }),
                    `${PROJECT}:awsRoleArn and static AWS keys`,
                    "pulumi config rm",
                );
            });

            it("half a static AWS key pair", () => {
                assertOneProblem(config({ awsAccessKeyId: AWS_KEY_ID }), `${PROJECT}:awsSecretAccessKey is not set`);
                assertOneProblem(config({ awsSecretAccessKey: AWS_SECRET_KEY }), `${PROJECT}:awsAccessKeyId is not set`);
            });

            it("an awsRoleArn that is not an IAM role ARN", () => {
                assertOneProblem(config({ awsRoleArn: "arn:aws:iam::123456789012:user/ci" }), `${PROJECT}:awsRoleArn is "arn:aws:iam::123456789012:user/ci"`, "IAM role ARN");
            });

            it("a credential stored in plain text", () => {
                const problems = problemsOf(config({ hcloudToken: HCLOUD_TOKEN }), []);
                assert.deepStrictEqual(problems, [
                    `${PROJECT}:hcloudToken is stored in plain text in the stack file; set it again with \`pulumi config set --secret hcloudToken\`.`,
                ]);
            });

            it("a malformed credential without showing it", () => {
                const bad = "hcloud token with spaces 0123456789";
                const problem = assertOneProblem(config({ hcloudToken: bad }), `${PROJECT}:hcloudToken (value hidden)`, "one word");
                assert.ok(!problem.includes(bad));
            });

            it("an agent pool id with spaces", () => {
                assertOneProblem(config({ agentPoolId: "my pool" }), `${PROJECT}:agentPoolId is "my pool"`);
            });

            it("every problem at once", () => {
                const problems = problemsOf({ [key("mainBranch")]: "a..b", [key("runnerEgressCidrs")]: JSON.stringify(["::/0"]) });
                assert.strictEqual(problems.length, 4, JSON.stringify(problems, null, 2));
                for (const problem of problems) assert.ok(problem.startsWith(`${PROJECT}:`) && problem.endsWith("."), problem);
            });
        });
    });

    describe("Pulumi.yaml", () => {
        const project = YAML.parse(fs.readFileSync(path.join(DIR, "Pulumi.yaml"), "utf8"));

        it("is its own TypeScript project whose entry is deployments/index.ts, not the root program", () => {
            assert.strictEqual(project.name, PROJECT);
            assert.deepStrictEqual(project.runtime, { name: "nodejs", options: { typescript: true } });
            assert.strictEqual(project.main, "index.ts");
            assert.ok(fs.existsSync(path.join(DIR, project.main)));
            assert.ok(!fs.existsSync(path.join(DIR, "package.json")), "the dependencies come from the repository root");
        });

        it("declares every key the parser reads, with the parser's defaults, credentials as secrets, or documents it in its comments", () => {
            const read = new Set<string>();
            const values = config({ hcloudToken: HCLOUD_TOKEN, agentPoolId: "pool-1" });
            parseDeploymentsSettings({
                get: (fullKey) => {
                    read.add(fullKey);
                    return values[fullKey];
                },
                isSecret: () => true,
                keys: () => Object.keys(values),
            });
            const { declaredKeys, commentedKeys, contractKeys } = readProjectFile(path.join(DIR, "Pulumi.yaml"));
            const keys = [...read].map((k) => k.slice(PROJECT.length + 1));
            assert.deepStrictEqual(keys.sort(), [...contractKeys].sort());
            for (const [name, entry] of Object.entries(declaredKeys)) {
                assert.ok(entry.description, `${name} has a description`);
                assert.strictEqual(entry.secret === true, (SECRET_KEYS as string[]).includes(name), `${name} is secret exactly when it is a credential`);
            }
            for (const [name, description] of Object.entries(commentedKeys)) {
                assert.strictEqual(/^secret\b/.test(description), (SECRET_KEYS as string[]).includes(name), `${name} is documented as secret exactly when it is a credential`);
            }
            for (const [name, value] of Object.entries(DEFAULTS)) assert.strictEqual(declaredKeys[name].default, value, name);
        });

        it("holds exactly the keys the parser knows (CONFIG_KEYS), and a key outside them is refused with the one it most likely meant", () => {
            assert.deepStrictEqual([...CONFIG_KEYS].sort(), [...readProjectFile(path.join(DIR, "Pulumi.yaml")).contractKeys].sort());
            const problems = configProblems(() => parseDeploymentsSettings(rawConfig({ ...config(), [`${PROJECT}:hcloudtoken`]: HCLOUD_TOKEN }, [])));
            assert.ok(problems.includes(`${PROJECT}:hcloudtoken is not a setting of this program; did you mean ${PROJECT}:hcloudToken? (\`pulumi config rm hcloudtoken\`, then \`pulumi config set hcloudToken <value>\`).`), problems.join("\n"));
        });

        it("declares under config: only keys with a default or that the program requires, since the CLI requires every key declared without a default", () => {
            const { declaredKeys } = readProjectFile(path.join(DIR, "Pulumi.yaml"));
            const required = Object.entries(declaredKeys).filter(([, spec]) => spec.default === undefined).map(([key]) => key);
            assert.deepStrictEqual(required.sort(), ["organization", "repository"]);
        });
    });

    describe("DeploymentSettings", () => {
        it("registers one StackDeployment per stack with organization, project and stack", async () => {
            const { deployments, dev, prod } = await deploy(config({ project: "claw", devStack: "staging", prodStack: "production" }));
            assert.deepStrictEqual(
                [dev, prod].map((r) => [r.inputs.organization, r.inputs.project, r.inputs.stack]),
                [
                    ["acme", "claw", "staging"],
                    ["acme", "claw", "production"],
                ],
            );
            assert.deepStrictEqual(
                deployments.map((d) => d.stackRef),
                ["acme/claw/staging", "acme/claw/production"],
            );
            assert.strictEqual(ofType("openclaw:deployments:StackDeployment").length, 2);
        });

        it("deploys dev from every push to main and previews its pull requests", async () => {
            const { dev } = await deploy(config());
            assert.deepStrictEqual(dev.inputs.sourceContext, { git: { branch: "refs/heads/main" } });
            assert.deepStrictEqual(dev.inputs.github, {
                repository: "acme/openclaw",
                deployCommits: true,
                previewPullRequests: true,
                pullRequestTemplate: false,
            });
        });

        it("deploys prod from the release branch only and previews pull requests into it", async () => {
            const { prod } = await deploy(config({ releaseBranch: "stable" }));
            assert.deepStrictEqual(prod.inputs.sourceContext, { git: { branch: "refs/heads/stable" } });
            assert.deepStrictEqual(prod.inputs.github, {
                repository: "acme/openclaw",
                deployCommits: true,
                previewPullRequests: true,
                pullRequestTemplate: false,
            });
        });

        it("gates every operation on a clean install, the type check and the unit tests", async () => {
            const { dev, prod } = await deploy(config());
            assert.deepStrictEqual(GATE_COMMANDS, ["npm ci", "npm run build", "npm run test:unit"]);
            for (const r of [dev, prod]) {
                assert.deepStrictEqual(r.inputs.operationContext.preRunCommands, GATE_COMMANDS);
                assert.deepStrictEqual(r.inputs.operationContext.options, { skipInstallDependencies: true, skipIntermediateDeployments: true });
            }
            const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
            assert.strictEqual(scripts.build, "tsc --noEmit", "npm run build is the type check");
            assert.ok(!/artifacts|integration/.test(scripts["test:unit"]), "the unit tests need no Debian tools");
        });

        it("passes credentials only as secret environment variables", async () => {
            const { deployments, dev, prod } = await deploy(config({ hcloudToken: HCLOUD_TOKEN, cloudflareApiToken: CLOUDFLARE_TOKEN }));
            for (const r of [dev, prod]) {
                assert.deepStrictEqual(r.inputs.operationContext.environmentVariables, { HCLOUD_TOKEN, CLOUDFLARE_API_TOKEN: CLOUDFLARE_TOKEN });
                const text = JSON.stringify(r.inputs);
                for (const token of [HCLOUD_TOKEN, CLOUDFLARE_TOKEN]) {
                    assert.strictEqual(text.split(token).length - 1, 1, "each token appears once, as its variable's value");
                }
            }
            // They reached the engine wrapped as secrets (the mock monitor lifts a nested secret to its top-level
            // property, so operationContext comes back secret); github, with no credential in it, does not.
            for (const d of deployments) {
                assert.strictEqual(await pulumi.isSecret(d.settings.operationContext), true);
                assert.strictEqual(await pulumi.isSecret(d.settings.github), false);
            }
        });

        it("builds secret values even from plain inputs", async () => {
            const args = deploymentSettingsArgs({
                organization: "acme",
                project: "openclaw",
                repository: "acme/openclaw",
                target: { stack: "dev", branch: "main", deployCommits: true, previewPullRequests: true },
                preRunCommands: GATE_COMMANDS,
                secretEnvironment: { HCLOUD_TOKEN },
            });
            const env = (args.operationContext as { environmentVariables: Record<string, pulumi.Output<string>> }).environmentVariables;
            assert.strictEqual(await pulumi.isSecret(env.HCLOUD_TOKEN), true);
        });

        it("uses OIDC for AWS when awsRoleArn is set, with no AWS keys in the environment", async () => {
            const { dev, prod } = await deploy(config({ awsRoleArn: ROLE_ARN, cloudflareApiToken: CLOUDFLARE_TOKEN }));
            for (const [r, stack] of [
                [dev, "dev"],
                [prod, "prod"],
            ] as const) {
                assert.deepStrictEqual(r.inputs.operationContext.oidc, { aws: { roleARN: ROLE_ARN, sessionName: `openclaw-${stack}` } });
                assert.deepStrictEqual(Object.keys(r.inputs.operationContext.environmentVariables), ["CLOUDFLARE_API_TOKEN"]);
                assert.ok(!/AWS_/.test(JSON.stringify(r.inputs.operationContext.environmentVariables)));
            }
        });

        it("passes static AWS keys as secret variables only when explicitly given, without OIDC", async () => {
            const { deployments, prod } = await deploy(config({ awsAccessKeyId: AWS_KEY_ID, awsSecretAccessKey: AWS_SECRET_KEY }));
            assert.deepStrictEqual(prod.inputs.operationContext.environmentVariables, { AWS_ACCESS_KEY_ID: AWS_KEY_ID, AWS_SECRET_ACCESS_KEY: AWS_SECRET_KEY });
            assert.strictEqual(prod.inputs.operationContext.oidc, undefined);
            assert.strictEqual(await pulumi.isSecret(deployments[1].settings.operationContext), true);
        });

        it("sets no environment at all without credentials", async () => {
            const { dev } = await deploy(config());
            assert.strictEqual(dev.inputs.operationContext.environmentVariables, undefined);
            assert.strictEqual(dev.inputs.operationContext.oidc, undefined);
        });

        it("runs on the customer-managed agent pool when agentPoolId is set, and on Pulumi's runners otherwise", async () => {
            const pooled = await deploy(config({ agentPoolId: "00000000-0000-4000-8000-000000000000" }));
            for (const r of [pooled.dev, pooled.prod]) assert.strictEqual(r.inputs.agentPoolId, "00000000-0000-4000-8000-000000000000");
            const hosted = await deploy(config());
            for (const r of [hosted.dev, hosted.prod]) assert.strictEqual(r.inputs.agentPoolId, undefined);
        });
    });
});
