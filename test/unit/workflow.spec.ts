import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ROOT } from "../fixtures";

interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly if?: string;
    readonly with?: Record<string, unknown>;
    readonly env?: Record<string, string>;
}

interface Job {
    readonly if?: string;
    readonly needs?: string | string[];
    readonly container?: { image: string; options?: string };
    readonly "runs-on": string;
    readonly environment?: string;
    readonly permissions?: Record<string, string>;
    readonly concurrency?: { group: string; "cancel-in-progress": boolean };
    readonly strategy?: { matrix: Record<string, unknown[]> };
    readonly steps: Step[];
}

const FILE = path.join(ROOT, ".github", "workflows", "pulumi.yml");
const text = fs.readFileSync(FILE, "utf8");
// YAML 1.2 (the yaml package's default) keeps `on` a string key, as GitHub reads it.
const workflow = YAML.parse(text) as { on: Record<string, { branches?: string[] }>; permissions: unknown; jobs: Record<string, Job> };
const jobs = Object.entries(workflow.jobs);
/** The jobs that run Pulumi; the other one is the test job that gates them. */
const pulumiJobs = jobs.filter(([name]) => name !== "test");
const ciRun = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");

const isPulumi = (step: Step) => step.uses?.startsWith("pulumi/actions@") === true;
const pulumiStep = (job: Job) => {
    const found = job.steps.filter(isPulumi);
    assert.strictEqual(found.length, 1, "one Pulumi step per job");
    return found[0];
};

/** Every `${{ secrets.X }}` in a value, with where it was found. */
function secretRefs(value: unknown, where: string): string[] {
    if (typeof value === "string") return [...value.matchAll(/\$\{\{\s*secrets\.(\w+)\s*\}\}/g)].map(() => where);
    if (Array.isArray(value)) return value.flatMap((v, i) => secretRefs(v, `${where}[${i}]`));
    if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => secretRefs(v, `${where}.${k}`));
    return [];
}

describe(".github/workflows/pulumi.yml", () => {
    it("runs on pull requests into and pushes to main and release, and nothing else", () => {
        assert.deepStrictEqual(Object.keys(workflow.on).sort(), ["pull_request", "push"]);
        assert.deepStrictEqual(workflow.on.pull_request.branches, ["main", "release"]);
        assert.deepStrictEqual(workflow.on.push.branches, ["main", "release"]);
        assert.ok(!/pull_request_target|workflow_run/.test(text), "never runs pull request code with the base repository's privileges");
    });

    it("grants nothing by default and each job only what it needs", () => {
        assert.deepStrictEqual(workflow.permissions, {});
        const allowed: Record<string, string> = { contents: "read", "id-token": "write", "pull-requests": "write" };
        for (const [name, job] of jobs) {
            assert.ok(job.permissions, `${name} declares its permissions`);
            for (const [scope, level] of Object.entries(job.permissions)) {
                assert.strictEqual(level, allowed[scope], `${name}: ${scope}: ${level} is more than it needs`);
            }
            assert.strictEqual(job.permissions["pull-requests"] === "write", name === "preview", `${name}: only previews comment on pull requests`);
        }
    });

    it("pins every action to a release tag or a commit SHA, never a branch", () => {
        const uses = jobs.flatMap(([, job]) => job.steps.map((s) => s.uses).filter((u): u is string => u !== undefined));
        assert.ok(uses.length >= 12);
        for (const ref of uses) {
            assert.match(ref, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${ref} is not pinned to a tag or SHA`);
        }
        assert.ok(uses.some((u) => /^pulumi\/actions@v6\b/.test(u)));
    });

    it("tests like this repository's CI: the test tools on Debian 12 as root, then npm ci and npm test, with no secret", () => {
        const test = workflow.jobs.test;
        assert.ok(test, "a test job");
        assert.strictEqual(test.if, undefined, "it runs on every pull request and push, forks' too");
        assert.match(test.container?.image ?? "", /^node:24-bookworm$/, "Debian 12 (bookworm) with Node 24, the Node .ci/run tests on");
        assert.match(test.container?.options ?? "", /--privileged/, "the firewall tests need network namespaces and iptables");
        const runs = test.steps.filter((step) => step.run).map((step) => step.run?.trim());
        assert.deepStrictEqual(runs, ["bash .ci/install-tools", "npm ci", "npm test"]);
        const setupGo = test.steps.findIndex((step) => /^actions\/setup-go@/.test(step.uses ?? ""));
        assert.ok(setupGo >= 0 && setupGo < test.steps.findIndex((step) => step.run?.trim() === "bash .ci/install-tools"), "Go is set up before .ci/tools builds the stack's Go programs");
        for (const command of ["bash .ci/install-tools", "npm test"]) assert.ok(ciRun.includes(`\n${command}\n`), `.ci/run runs \`${command}\` too`);
        assert.deepStrictEqual(secretRefs(test, "test"), []);
        assert.deepStrictEqual(test.permissions, { contents: "read" });
    });

    it("runs no Pulumi job before the tests pass, and installs dependencies before the Pulumi step", () => {
        for (const [name, job] of pulumiJobs) {
            assert.deepStrictEqual([job.needs].flat(), ["test"], `${name} needs the test job`);
            const runs = job.steps.map((s) => s.run?.trim());
            const pulumiAt = job.steps.findIndex(isPulumi);
            const ciAt = runs.indexOf("npm ci");
            assert.ok(ciAt >= 0 && ciAt < pulumiAt, `${name}: npm ci runs before the Pulumi step`);
            assert.strictEqual(job.steps[ciAt].env, undefined, `${name}: npm ci gets no credentials`);
            const awsAt = job.steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
            assert.ok(awsAt > ciAt && awsAt < pulumiAt, `${name}: AWS credentials arrive after npm ci, right before the Pulumi step`);
        }
    });

    it("previews dev and prod on pull requests, with the result on the pull request", () => {
        const preview = workflow.jobs.preview;
        assert.match(preview.if ?? "", /github\.event_name == 'pull_request'/);
        assert.deepStrictEqual(preview.strategy?.matrix.stack, ["dev", "prod"]);
        const step = pulumiStep(preview);
        assert.deepStrictEqual(step.with, { command: "preview", "stack-name": "${{ vars.PULUMI_ORG }}/${{ matrix.stack }}", "comment-on-pr": true });
    });

    it("updates dev on pushes to main and prod on pushes to release, one update per stack at a time", () => {
        for (const [name, branch, stack] of [
            ["up-dev", "main", "dev"],
            ["up-prod", "release", "prod"],
        ]) {
            const job = workflow.jobs[name];
            assert.ok(job, `job ${name}`);
            assert.strictEqual(job.if, `github.event_name == 'push' && github.ref == 'refs/heads/${branch}'`);
            assert.deepStrictEqual(pulumiStep(job).with, { command: "up", "stack-name": `\${{ vars.PULUMI_ORG }}/${stack}` });
            assert.deepStrictEqual(job.concurrency, { group: `pulumi-up-${stack}`, "cancel-in-progress": false });
            assert.strictEqual(job.environment, stack, "protection rules (reviewers for prod) attach to the environment");
            assert.match(job["runs-on"], /vars\.PULUMI_DEPLOY_RUNNER/, "updates SSH to the host, so they run where adminCidrs allow");
            assert.ok(!/ubuntu-/.test(job["runs-on"]), "GitHub-hosted runners have no fixed address to put in adminCidrs");
        }
        const groups = pulumiJobs.map(([, job]) => job.concurrency?.group);
        assert.strictEqual(new Set(groups).size, groups.length, "a preview never queues behind or cancels an update");
    });

    it("takes AWS credentials through OIDC from a variable, never static keys", () => {
        for (const [name, job] of pulumiJobs) {
            const aws = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
            assert.ok(aws, `${name} configures AWS`);
            assert.strictEqual(aws.with?.["role-to-assume"], "${{ vars.AWS_ROLE_ARN }}");
            assert.strictEqual(job.permissions?.["id-token"], "write");
        }
        assert.ok(!/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/.test(text));
    });

    it("hands secrets only to the Pulumi step's environment and never prints one", () => {
        for (const [name, job] of pulumiJobs) {
            const pulumi = pulumiStep(job);
            const elsewhere = job.steps.filter((s) => s !== pulumi).flatMap((s, i) => secretRefs(s, `${name}.steps[${i}]`));
            assert.deepStrictEqual(elsewhere, [], `${name}: secrets outside the Pulumi step`);
            assert.deepStrictEqual(secretRefs(pulumi.with, "with"), [], `${name}: secrets only in env`);
            assert.deepStrictEqual(Object.keys(pulumi.env ?? {}).sort(), ["CLOUDFLARE_API_TOKEN", "DIGITALOCEAN_TOKEN", "HCLOUD_TOKEN", "PULUMI_ACCESS_TOKEN"]);
            for (const [variable, value] of Object.entries(pulumi.env ?? {})) assert.strictEqual(value, `\${{ secrets.${variable} }}`);
            assert.deepStrictEqual(secretRefs({ env: (job as { env?: unknown }).env }, name), [], `${name}: no job-wide secrets`);
            for (const step of job.steps.filter((s) => s.run)) {
                assert.ok(!/secrets\.|TOKEN|set -x|printenv|\benv\b/.test(step.run ?? ""), `${name}: \`${step.run}\` could print a secret`);
            }
        }
        assert.ok(!/ACTIONS_STEP_DEBUG|ACTIONS_RUNNER_DEBUG/.test(text));
    });

    it("checks out without leaving the GitHub token in the working copy", () => {
        for (const [name, job] of jobs) {
            const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
            assert.strictEqual(checkout?.with?.["persist-credentials"], false, name);
        }
    });
});
