// How a committed .sh file becomes the script the host gets (cloud-init/scriptFile.ts).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readScriptFile } from "../../cloud-init/scriptFile";

const dirs: string[] = [];

/** A script file with this text, in a fresh directory. */
function scriptFile(text: string): { dir: string; name: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-script-file-"));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, "example.sh"), text);
    return { dir, name: "example.sh" };
}

const EXAMPLE = `#!/bin/bash
# A comment the host keeps.
set -euo pipefail

## A note for readers of the repository.
readonly DIR PATTERN COUNT

f() {
    ## An indented note.
    echo "$DIR $PATTERN $COUNT"
}
f
`;

describe("committed script files", () => {
    after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

    it("drop their notes and get their header in place of the declaration, quoted only where bash needs it", () => {
        const { dir, name } = scriptFile(EXAMPLE);
        const rendered = readScriptFile(dir, name).render({ COUNT: 3, DIR: "/var/lib/x", PATTERN: "^a b$" });
        assert.strictEqual(
            rendered,
            `#!/bin/bash
# A comment the host keeps.
set -euo pipefail

readonly DIR=/var/lib/x
readonly PATTERN='^a b$'
readonly COUNT=3

f() {
    echo "$DIR $PATTERN $COUNT"
}
f
`,
        );
    });

    it("without a declaration, render as they are, without their notes", () => {
        const { dir, name } = scriptFile("## A note.\nset -euo pipefail\necho hi\n");
        assert.strictEqual(readScriptFile(dir, name).render(), "set -euo pipefail\necho hi\n");
    });

    it("refuse settings other than the names they declare", () => {
        const { dir, name } = scriptFile(EXAMPLE);
        const file = readScriptFile(dir, name);
        assert.throws(() => file.render({ DIR: "/x", PATTERN: "p" }), /example\.sh: its header sets DIR PATTERN COUNT, but it was given DIR PATTERN/);
        assert.throws(() => file.render({ DIR: "/x", PATTERN: "p", COUNT: 1, EXTRA: 2 }), /but it was given/);
    });

    it("refuse a second declaration when read", () => {
        const { dir, name } = scriptFile("readonly A\nreadonly B\n");
        assert.throws(() => readScriptFile(dir, name), /example\.sh: more than one line declares the header's names/);
    });
});
