// `npm run synth -- <stack>`: runs the real program (index.ts) under Pulumi mocks with the stack's
// config, without credentials or network, and writes what `pulumi up` would create and put on the
// host to out/<stack>/: the user data, every deploy step's script, every file on the host, and
// plan.md / plan.json. Secrets are placeholders, and none can reach a written file: each value is
// replaced by <secret:NAME>, and the synth fails if any is left.
//
//   synth <stack> [--config-file FILE] [--out DIR] [--reveal-mock-secrets FILE]
//   synth <stack> --first-preview [--config-file FILE]
//
//   --first-preview             write nothing: run the program as a new stack's first preview
//                               does (every output a provider computes unknown) and fail on
//                               any input the engine or its provider could not carry then
//   --config-file FILE          read the config from FILE instead of Pulumi.<stack>.yaml
//   --out DIR                   write DIR/<stack> instead of out/<stack>
//   --reveal-mock-secrets FILE  also write the raw mock secret values (placeholders, never real
//                               secrets) to FILE as JSON, so a test can prove none reached out/
//
// Exit status: 0 written (or the first preview would pass); 1 the config is not valid (the same sentences as a preview) or the
// program failed, nothing written (or the first preview would fail); 2 usage.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../components/settings";
import { readStackConfig } from "./config";
import { hostContents, OutputFile } from "./files";
import { installMocks, reveal } from "./mocks";
import { firstPreviewProblems } from "./firstPreview";
import { buildPlan, renderPlan, StackOutput } from "./plan";
import { SecretBook } from "./secrets";

const ROOT = path.join(__dirname, "..");
const PROGRAM = path.join(ROOT, "index.ts");

interface Options {
    readonly stack: string;
    readonly configFile: string;
    readonly outRoot: string;
    readonly revealFile?: string;
    readonly firstPreview: boolean;
}

class UsageError extends Error {}

const USAGE = "usage: npm run synth -- <stack> [--config-file FILE] [--out DIR] [--reveal-mock-secrets FILE] [--first-preview]";

function parseArgs(argv: readonly string[]): Options {
    const positional: string[] = [];
    const flags: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (["--config-file", "--out", "--reveal-mock-secrets"].includes(arg)) {
            if (argv[i + 1] === undefined) throw new UsageError(`${arg} needs a value; ${USAGE}`);
            flags[arg] = argv[++i];
        } else if (arg === "--first-preview") {
            flags[arg] = "yes";
        } else if (arg.startsWith("-")) {
            throw new UsageError(`Unknown option ${arg}; ${USAGE}`);
        } else {
            positional.push(arg);
        }
    }
    if (positional.length !== 1) throw new UsageError(`Name exactly one stack to synthesize (such as dev); ${USAGE}`);
    const stack = positional[0];
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`"${stack}" is not a stack name (letters, digits, dots, dashes and underscores).`);
    const configFile = path.resolve(flags["--config-file"] ?? path.join(ROOT, `Pulumi.${stack}.yaml`));
    if (!fs.existsSync(configFile)) throw new UsageError(`There is no ${path.relative(process.cwd(), configFile) || configFile}: synth reads the stack's config from it.`);
    return { stack, configFile, outRoot: path.resolve(flags["--out"] ?? path.join(ROOT, "out")), revealFile: flags["--reveal-mock-secrets"], firstPreview: "--first-preview" in flags };
}

/** The value of a stack output and whether it is secret. */
async function outputOf(name: string, value: unknown): Promise<StackOutput> {
    if (!pulumi.Output.isInstance(value)) return { name, value, secret: false };
    const resolved = await new Promise((resolve) => (value as pulumi.Output<unknown>).apply(resolve));
    return { name, value: resolved, secret: await pulumi.isSecret(value as pulumi.Output<unknown>) };
}

/** Runs the program; returns its exports, or throws what it threw (a ConfigError for bad config). */
async function runProgram(): Promise<Record<string, unknown>> {
    let exported: Record<string, unknown> = {};
    // As Pulumi's Node.js host does: the program's module runs inside the root Stack resource.
    await pulumi.runtime.runInPulumiStack(async () => {
        exported = require(PROGRAM);
        return exported;
    });
    // Every registration the program started has been answered.
    await pulumi.runtime.disconnect();
    return exported;
}

/** Writes `files` into a fresh directory and moves it into place, so a failure leaves nothing half-written. */
function writeAtomically(target: string, files: readonly OutputFile[]): void {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.synth-`));
    try {
        // mkdtemp makes it private; the synth is for reading, like any other build output.
        fs.chmodSync(temp, 0o755);
        for (const file of files) {
            const full = path.join(temp, file.path);
            fs.mkdirSync(path.dirname(full), { recursive: true });
            fs.writeFileSync(full, file.content, { mode: file.executable ? 0o755 : 0o644 });
        }
        fs.rmSync(target, { recursive: true, force: true });
        fs.renameSync(temp, target);
    } catch (error) {
        fs.rmSync(temp, { recursive: true, force: true });
        throw error;
    }
}

async function synth(options: Options): Promise<string> {
    const book = new SecretBook();
    const config = readStackConfig(options.configFile, path.join(ROOT, "Pulumi.yaml"), book);
    const recorder = installMocks(options.stack, book);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);

    const exported = await runProgram();
    const outputs = await Promise.all(Object.entries(exported).filter(([, v]) => v !== undefined).map(([name, v]) => outputOf(name, v)));

    const host = hostContents(recorder.resources);
    const plan = buildPlan({
        stack: options.stack,
        stackFile: path.relative(ROOT, options.configFile).startsWith("..") ? options.configFile : path.relative(ROOT, options.configFile),
        config,
        resources: recorder.resources,
        standIns: recorder.standIns,
        host,
        files: host.files,
        outputs,
    });
    const files: OutputFile[] = [
        ...host.files,
        { path: "plan.md", content: renderPlan(plan), executable: false },
        { path: "plan.json", content: `${JSON.stringify(plan, null, 2)}\n`, executable: false },
    ].map((file) => ({ ...file, content: book.scrub(file.content) }));

    // The last line of defence: a secret the scrub missed stops everything.
    const leaks = files.flatMap((file) => book.leaks(file.content).map((name) => `${file.path} holds the secret ${name}`));
    if (leaks.length > 0) throw new Error(`synth: secrets would be written; nothing was:\n  - ${leaks.join("\n  - ")}`);

    const target = path.join(options.outRoot, options.stack);
    writeAtomically(target, files);
    if (options.revealFile) fs.writeFileSync(options.revealFile, `${JSON.stringify(reveal(book.entries()), null, 2)}\n`);
    const shown = path.relative(process.cwd(), target).startsWith("..") ? target : path.relative(process.cwd(), target);
    return `synth: wrote ${shown}: ${recorder.resources.length} resources, ${host.steps.length} deploy steps, ${host.hostFiles.length} host files; read ${path.join(shown, "plan.md")} first.`;
}

/** The program as a new stack's first preview runs it; throws a SynthError naming every input that would stop it. */
async function firstPreview(options: Options): Promise<string> {
    const config = readStackConfig(options.configFile, path.join(ROOT, "Pulumi.yaml"), new SecretBook());
    const recorder = installMocks(options.stack, new SecretBook(), "first-preview");
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    await runProgram();
    const problems = firstPreviewProblems(recorder.resources);
    if (problems.length > 0) throw new Error(`synth: a first preview of ${options.stack} would fail:\n  - ${problems.join("\n  - ")}`);
    return `synth: a first preview of ${options.stack} sends ${recorder.resources.length} resources, and no input the engine or its provider could not carry.`;
}

async function main(): Promise<number> {
    let options: Options;
    try {
        options = parseArgs(process.argv.slice(2));
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(error.message);
        return 2;
    }
    try {
        console.log(await (options.firstPreview ? firstPreview(options) : synth(options)));
        return 0;
    } catch (error) {
        // A preview prints the ConfigError's message (every problem, one line each): so does synth.
        if (error instanceof ConfigError) console.error(error.message);
        // synth's own failures say what is wrong; anything else gets its stack for whoever debugs it.
        else if (error instanceof Error) console.error(error.message.startsWith("synth:") ? error.message : (error.stack ?? error.message));
        else console.error(String(error));
        return 1;
    }
}

// A rejection inside an apply would otherwise end the process silently or half-way.
process.on("unhandledRejection", (error) => {
    console.error("synth: the program failed:", error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
});

main().then((code) => process.exit(code));
