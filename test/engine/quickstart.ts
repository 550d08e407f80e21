// The README's quickstart lines, as an operator types them: its sections, their `pulumi config set`
// lines with the placeholders filled in, and a way to run them in a project folder with the test's
// CLI. The engine test runs them up to a preview; the VM test of an existing server hardens the VM
// with the settings they make.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../fixtures";
import { EngineProject, PULUMI_CLI } from "./pulumiEngine";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** Values for the README's and the stack files' placeholders; an unknown placeholder fails the test. */
export const PLACEHOLDERS: Record<string, string> = {
    "<32-hex account id>": "0123456789abcdef0123456789abcdef",
    "<32-hex zone id>": "fedcba9876543210fedcba9876543210",
    "<the token made above>": "engine-test-cloudflare-token",
    "<token>": "engine-test-cloud-token",
    "<the token BotFather gave>": "1234567890:AAEngineTestTokenOnly_abcdefghijklm",
};
/** What the secrets a stack file asks for are set to (its lines give no value). */
export const DUMMY_SECRET = "engine-test-dummy-secret";

/** The `pulumi config set` lines of a text (code blocks or `#` comments), placeholders filled in. */
export function configSetLines(text: string): string[] {
    return [...text.matchAll(/^(?:#[ \t]+)?(pulumi config set .*?)(?:[ \t]+#.*)?$/gm)].map((m) => {
        let line = m[1];
        for (const [placeholder, value] of Object.entries(PLACEHOLDERS)) line = line.split(placeholder).join(value);
        assert.doesNotMatch(line, /<[^>]+>/, `a placeholder in \`${m[1]}\` has no test value`);
        return line;
    });
}

/** The text of the README under `### <heading>`, up to the next heading of any level up to 3. */
export function readmeSection(heading: string): string {
    const start = README.indexOf(`\n### ${heading}\n`);
    assert.ok(start >= 0, `the README has a "### ${heading}" section`);
    return README.slice(start + 1).split(/\n#{2,3} /)[0];
}

/** Runs shell lines as the user would, in the project folder, with the test's CLI first on PATH. */
export function runLines(project: EngineProject, lines: readonly string[]): void {
    const home = path.join(project.dir, ".home");
    fs.mkdirSync(path.join(home, ".ssh"), { recursive: true });
    if (!fs.existsSync(path.join(home, ".ssh", "id_ed25519"))) {
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "operator@example.com", "-f", path.join(home, ".ssh", "id_ed25519")]);
    }
    for (const line of lines) {
        const result = spawnSync("bash", ["-c", line], {
            cwd: project.dir,
            env: { ...process.env, ...project.env, HOME: home, PATH: `${path.dirname(PULUMI_CLI)}:${process.env.PATH}` },
            input: `${DUMMY_SECRET}\n`,
            encoding: "utf8",
        });
        assert.strictEqual(result.status, 0, `\`${line}\` failed:\n${result.stdout}${result.stderr}`);
    }
}


/** A stack's config as the program receives it: every value as text, and which keys are secret. */
export interface QuickstartConfig {
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
    /** The lines that made it, as run. */
    readonly lines: readonly string[];
}

/**
 * Follows the README's quickstart for `section` ("Create the stack", then that section) in a new
 * project folder with the test's CLI, and reads the stack's config back as the CLI hands it to the
 * program. `replace` swaps example values for the test's (an address), `then` adds lines after;
 * `privateKey` is the operator's `~/.ssh/id_ed25519` (one is made when it is not given).
 */
export async function quickstartConfig(
    section: string,
    options: { readonly replace?: Readonly<Record<string, string>>; readonly then?: readonly string[]; readonly privateKey?: string } = {},
): Promise<QuickstartConfig> {
    const project = new EngineProject(ROOT, ["Pulumi.yaml"]);
    try {
        const create = readmeSection("Create the stack");
        const init = /^pulumi stack init (\S+)/m.exec(create);
        assert.ok(init, "the README's quickstart creates a stack");
        if (options.privateKey) {
            const ssh = path.join(project.dir, ".home", ".ssh");
            fs.mkdirSync(ssh, { recursive: true });
            fs.writeFileSync(path.join(ssh, "id_ed25519"), options.privateKey, { mode: 0o600 });
            fs.writeFileSync(path.join(ssh, "id_ed25519.pub"), execFileSync("ssh-keygen", ["-y", "-f", path.join(ssh, "id_ed25519")], { encoding: "utf8" }));
        }
        const swap = (line: string) => Object.entries(options.replace ?? {}).reduce((text, [from, to]) => text.split(from).join(to), line);
        const lines = [init[0], ...[...configSetLines(create), ...configSetLines(readmeSection(section))].map(swap), ...(options.then ?? [])];
        runLines(project, lines);
        const read = await project.cli(["config", "--json", "--show-secrets"]);
        assert.strictEqual(read.code, 0, read.stderr);
        const config = JSON.parse(read.stdout) as Record<string, { value: string; secret: boolean }>;
        return {
            values: Object.fromEntries(Object.entries(config).map(([key, entry]) => [key, entry.value])),
            secretKeys: Object.entries(config).filter(([, entry]) => entry.secret).map(([key]) => key),
            lines,
        };
    } finally {
        project.remove();
    }
}
