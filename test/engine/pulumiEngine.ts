// The real Pulumi engine for tests: the CLI that .ci/tools/pulumi.sh builds, a local file backend,
// the passphrase secrets provider, no plugin downloads and no update check, so nothing reaches for
// the internet. The program runs as an inline Automation API program: the CLI drives it through
// @pulumi/pulumi's own language server (the Node.js language host's Go module is not on the Go
// module proxy), in this process, with every module of the program loaded afresh for each run.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "yaml";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { ROOT } from "../fixtures";

const CLI_ROOT = path.join(ROOT, ".tools");
export const PULUMI_CLI = path.join(CLI_ROOT, "bin", "pulumi");

/** A project folder of its own, with its own Pulumi home and state backend. */
export class EngineProject {
    readonly dir: string;
    readonly env: Record<string, string>;

    /** Copies the project file (and the named stack files) from `source` into a new folder. */
    constructor(source: string, files: readonly string[] = ["Pulumi.yaml"]) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-engine-"));
        for (const file of files) fs.copyFileSync(path.join(source, file), path.join(this.dir, file));
        fs.mkdirSync(path.join(this.dir, ".state"));
        fs.mkdirSync(path.join(this.dir, ".pulumi-home"));
        this.env = {
            PULUMI_HOME: path.join(this.dir, ".pulumi-home"),
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, ".state")}`,
            PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
        };
    }

    /** Runs the CLI in the project folder, as a user would type it; never throws. */
    async cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        try {
            const { stdout, stderr } = await promisify(execFile)(PULUMI_CLI, [...args, "--non-interactive"], {
                cwd: this.dir,
                env: { ...process.env, ...this.env },
                maxBuffer: 64 * 1024 * 1024,
            });
            return { code: 0, stdout, stderr };
        } catch (error: any) {
            return { code: typeof error.code === "number" ? error.code : 1, stdout: error.stdout ?? "", stderr: error.stderr ?? String(error) };
        }
    }

    /** The stack, with the program at `entry` (the repository's index.ts by default) as its inline program. */
    async stack(name: string, entry = path.join(ROOT, "index.ts")): Promise<Stack> {
        const pulumiCommand = await PulumiCommand.get({ root: CLI_ROOT, skipVersionCheck: false });
        return LocalWorkspace.selectStack(
            { stackName: name, projectName: YAML.parse(fs.readFileSync(path.join(this.dir, "Pulumi.yaml"), "utf8")).name, program: async () => freshRequire(entry) },
            { workDir: this.dir, pulumiCommand, envVars: this.env },
        );
    }

    /**
     * A project of its own named `projectName`, with one stack running the test program at `entry`
     * (resources of its own, dynamic ones included: their plugin finds @pulumi/pulumi through NODE_PATH).
     */
    static async forProgram(projectName: string, stackName: string, entry: string): Promise<{ project: EngineProject; stack: Stack }> {
        if (!fs.existsSync(PULUMI_CLI)) throw new Error(`${PULUMI_CLI} is missing; run \`bash .ci/tools/pulumi.sh\` (or \`bash .ci/install-tools\`) first`);
        const project = new EngineProject(ROOT, []);
        fs.writeFileSync(path.join(project.dir, "Pulumi.yaml"), `name: ${projectName}\nruntime: nodejs\n`);
        project.env.NODE_PATH = path.join(ROOT, "node_modules");
        const init = await project.cli(["stack", "init", stackName]);
        if (init.code !== 0) throw new Error(`pulumi stack init ${stackName} failed: ${init.stderr}`);
        return { project, stack: await project.stack(stackName, entry) };
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Loads the program's entry with every module of this repository (not node_modules) loaded anew. */
function freshRequire(entry: string): Record<string, unknown> {
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(ROOT) && !id.includes(`${path.sep}node_modules${path.sep}`) && id !== __filename) delete require.cache[id];
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(entry);
}
