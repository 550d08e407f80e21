// The real Pulumi CLI reads each stack the project ships or the README builds, checks it against
// Pulumi.yaml's config contract, and runs the program. With dummy secrets and no provider plugins
// (none is on the Go module proxy; see .ci/tools/pulumi.sh), a preview that gets that far ends at
// the first provider the program uses: no config problem of the CLI's or the program's stops it.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../fixtures";
import { EngineProject, PULUMI_CLI } from "./pulumiEngine";
import { configSetLines, DUMMY_SECRET, PLACEHOLDERS, readmeSection, runLines } from "./quickstart";

/** Everything `pulumi preview` printed, and whether it succeeded. */
async function preview(project: EngineProject, stackName: string, entry?: string): Promise<{ ok: boolean; output: string }> {
    const stack = await project.stack(stackName, entry);
    let output = "";
    try {
        await stack.preview({ onOutput: (text) => (output += text) });
        return { ok: true, output };
    } catch (error: any) {
        return { ok: false, output: `${output}\n${error.stderr ?? ""}\n${error.message ?? error}` };
    }
}

/** Asserts the preview passed the CLI's config check and the program's, and reached a provider. */
function assertReachedTheProviders(result: { ok: boolean; output: string }, secrets: readonly string[] = [DUMMY_SECRET]): void {
    assert.doesNotMatch(result.output, /missing configuration value|validating stack config|must be encrypted/, result.output);
    assert.doesNotMatch(result.output, /stack configuration has|configuration has \d+ problem|is not set;|it must be/, result.output);
    const plugin = /no resource plugin .pulumi-resource-([\w-]+). found/.exec(result.output);
    assert.ok(plugin, result.output);
    console.log(`      (the preview reached the ${plugin[1]} provider)`);
    for (const secret of secrets) assert.ok(!result.output.includes(secret), "the preview printed a secret");
}

describe("the real Pulumi CLI and the shipped and documented stacks", function () {
    this.timeout(5 * 60 * 1000);
    const projects: EngineProject[] = [];
    const newProject = (...args: ConstructorParameters<typeof EngineProject>) => {
        const project = new EngineProject(...args);
        projects.push(project);
        return project;
    };

    before(() => assert.ok(fs.existsSync(PULUMI_CLI), `${PULUMI_CLI} is missing; run \`bash .ci/tools/pulumi.sh\` (or \`bash .ci/install-tools\`) first`));
    after(() => projects.forEach((project) => project.remove()));

    for (const stackName of ["dev", "prod"]) {
        it(`accepts Pulumi.${stackName}.yaml with the secrets its header asks for, and runs the program`, async () => {
            const project = newProject(ROOT, ["Pulumi.yaml", `Pulumi.${stackName}.yaml`]);
            assert.strictEqual((await project.cli(["stack", "init", stackName])).code, 0);
            const stackFile = fs.readFileSync(path.join(ROOT, `Pulumi.${stackName}.yaml`), "utf8");
            runLines(project, configSetLines(stackFile.split("\nconfig:")[0]));
            assertReachedTheProviders(await preview(project, stackName));
        });
    }

    for (const cloud of ["Hetzner", "DigitalOcean", "AWS", "A server you already have"]) {
        it(`accepts a stack made by the README's quickstart for ${cloud}, and runs the program`, async () => {
            // A clone holds the example stack files too: the README's stack must not pick one up.
            const project = newProject(ROOT, ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
            const init = /^pulumi stack init (\S+)/m.exec(readmeSection("Create the stack"));
            assert.ok(init, "the README's quickstart creates a stack");
            runLines(project, [init[0]]);
            const lines = [...configSetLines(readmeSection("Create the stack")), ...configSetLines(readmeSection(cloud))];
            assert.ok(lines.some((line) => line.includes("config set cloud ")), `the ${cloud} quickstart sets the cloud`);
            runLines(project, lines);
            assertReachedTheProviders(await preview(project, init[1]), [DUMMY_SECRET, ...Object.values(PLACEHOLDERS).filter((v) => /token/.test(v))]);
        });
    }

    it("accepts the deployments project's Pulumi.main.yaml, and runs that program", async () => {
        // index.ts too, only because the CLI checks that the project's `main` exists; the program runs from the repository.
        const project = newProject(path.join(ROOT, "deployments"), ["Pulumi.yaml", "Pulumi.main.yaml", "index.ts"]);
        assert.strictEqual((await project.cli(["stack", "init", "main"])).code, 0);
        const stackFile = fs.readFileSync(path.join(ROOT, "deployments", "Pulumi.main.yaml"), "utf8");
        runLines(project, configSetLines(stackFile.split("\nconfig:")[0]));
        assertReachedTheProviders(await preview(project, "main", path.join(ROOT, "deployments", "index.ts")));
    });

    // The Automation API's language server both logs the error and returns it, so here the message
    // shows twice; the CLI's own Node.js host exits with "already reported" after logging it once.
    it("stops a preview of a bad config (here a mistyped key) with its problems' sentences, and no stack trace", async () => {
        const project = newProject(ROOT, ["Pulumi.yaml", "Pulumi.dev.yaml"]);
        assert.strictEqual((await project.cli(["stack", "init", "dev"])).code, 0);
        runLines(project, ["pulumi config set sshport 2222"]);
        const result = await preview(project, "dev");
        assert.ok(!result.ok);
        const sentences = new Set(result.output.split("\n").filter((line) => /^\s*- openclaw:/.test(line)).map((line) => line.trim().split(" ")[1]));
        assert.deepStrictEqual([...sentences].sort(), ["openclaw:llmApiKeys", "openclaw:sshport"], result.output);
        assert.match(result.output, /did you mean openclaw:sshPort\?/);
        assert.doesNotMatch(result.output, /Unhandled exception|^\s+at /m, "no stack trace");
    });

    it("refuses a CLI older than Pulumi.yaml's requiredPulumiVersion, with the CLI's own sentence", async () => {
        const project = newProject(ROOT, ["Pulumi.yaml", "Pulumi.dev.yaml"]);
        const file = path.join(project.dir, "Pulumi.yaml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^requiredPulumiVersion: .*$/m, 'requiredPulumiVersion: ">=99.0.0"'));
        assert.strictEqual((await project.cli(["stack", "init", "dev"])).code, 0);
        const result = await preview(project, "dev");
        assert.match(result.output, /Pulumi CLI version 3\.\d+\.\d+ does not satisfy the version range ">=99\.0\.0"/);
    });

    it("still requires every key Pulumi.yaml declares without a default (the rule the contract is shaped by)", async () => {
        const project = newProject(ROOT, ["Pulumi.yaml", "Pulumi.dev.yaml"]);
        fs.appendFileSync(path.join(project.dir, "Pulumi.yaml"), "  secretsRotation:\n    type: string\n    description: declared without a default\n");
        assert.strictEqual((await project.cli(["stack", "init", "dev"])).code, 0);
        const result = await preview(project, "dev");
        assert.match(result.output, /Stack 'dev' is missing configuration value 'secretsRotation'/);
    });
});
