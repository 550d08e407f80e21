// ShellCheck on the bash scripts committed as .sh files (cloud-init/scriptFile.ts): the files
// themselves, as they are in the repository. The other artifact tests check them once more as the
// host gets them, with their headers.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../fixtures";
import { run, tempDir } from "./tools";

const SHELLCHECK = "/usr/bin/shellcheck";
const SHELLCHECK_ARGS = ["--shell=bash", "--severity=style"];

/** Every .sh file under `folder`, as a repository path. */
function scriptsUnder(folder: string): string[] {
    return fs
        .readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
        .filter((name) => name.endsWith(".sh"))
        .map((name) => path.posix.join(folder, name))
        .sort();
}

describe("the .sh files in components/ and cloud-init/, through ShellCheck", () => {
    const scripts = ["components", "cloud-init"].flatMap(scriptsUnder);

    it("the check sees the scripts", () => {
        for (const script of ["components/stack/openclaw-backup.sh", "components/stack/step-prelude.sh", "cloud-init/openclaw-harden-host.sh"]) {
            assert.ok(scripts.includes(script), `${script} is not among ${scripts.join(", ")}`);
        }
    });

    for (const script of scripts) {
        it(`shellcheck ${SHELLCHECK_ARGS.join(" ")} accepts ${script}`, () => {
            const result = run(SHELLCHECK, [...SHELLCHECK_ARGS, path.join(ROOT, script)]);
            assert.strictEqual(result.status, 0, result.output);
        });
    }

    it("shellcheck, so called, rejects an unquoted expansion", () => {
        const file = path.join(tempDir("broken-script"), "broken.sh");
        fs.writeFileSync(file, "## A note.\nreadonly STATE_DIR\nrm -rf $STATE_DIR/*\n");
        assert.notStrictEqual(run(SHELLCHECK, [...SHELLCHECK_ARGS, file]).status, 0);
    });
});
