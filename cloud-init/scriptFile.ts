// The bash scripts this program writes on a host are committed as .sh files beside the code that
// renders them, so that ShellCheck and editors read them as bash; the code reads each one once,
// when it loads. What a script needs from the program (paths, names, limits) reaches it through a
// header: one `readonly NAME=value` line per setting.
//
// In such a file:
//  - lines that start with `##` (after any indent) are notes for readers of this repository: what
//    the file is, what renders it, why a line is the way it is. The rendered script drops them;
//  - one line, `readonly NAME ...` (names, no values), declares what the header sets, so that
//    ShellCheck sees those names assigned; the rendered script has the header in its place.
import * as fs from "fs";
import * as path from "path";
import { shellWord } from "./shell";

/** A header's values, by name. */
export type ScriptSettings = Readonly<Record<string, string | number>>;

export interface ScriptFile {
    /** The script as the host gets it: without its notes, and the header of `settings` in place of its declaration. */
    render(settings?: ScriptSettings): string;
}

const isNote = (line: string) => /^\s*##(?: |$)/.test(line);

/** The line that declares the header's names. */
const DECLARATION = /^readonly ([A-Z][A-Z0-9_]*(?: [A-Z][A-Z0-9_]*)*)$/;

/** The `dir/name` script, read and checked now, so that a malformed file stops the program at load. */
export function readScriptFile(dir: string, name: string): ScriptFile {
    const lines = fs.readFileSync(path.join(dir, name), "utf8").split("\n").filter((line) => !isNote(line));
    const declarations = lines.filter((line) => DECLARATION.test(line));
    if (declarations.length > 1) throw new Error(`${name}: more than one line declares the header's names`);
    const declaration = declarations[0];
    const headerNames = declaration === undefined ? [] : declaration.slice("readonly ".length).split(" ");
    return {
        render(settings = {}) {
            checkSettings(name, headerNames, Object.keys(settings));
            const header = headerNames.map((setting) => `readonly ${setting}=${shellWord(String(settings[setting]))}`);
            return lines.flatMap((line) => (line === declaration ? header : [line])).join("\n");
        },
    };
}

function checkSettings(name: string, headerNames: readonly string[], given: readonly string[]): void {
    const sorted = (names: readonly string[]) => [...names].sort().join(" ");
    if (sorted(given) !== sorted(headerNames)) {
        throw new Error(`${name}: its header sets ${headerNames.join(" ") || "nothing"}, but it was given ${given.join(" ") || "nothing"}`);
    }
}
