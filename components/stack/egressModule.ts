// The egress proxy's Go module, committed beside this file in egress-proxy/: our main.go, and the
// go.mod/go.sum that pin Smokescreen and every module it needs. The deploy copies these bytes into
// the image's build context and .ci/tools/smokescreen.sh builds the same directory for the tests,
// so the host and the tests build one module. Read once, as files, so `go mod tidy` keeps them.
import * as fs from "fs";
import * as path from "path";

/** Where the module lives in this repository. */
export const EGRESS_MODULE_DIR = path.join(__dirname, "egress-proxy");

const read = (name: string) => fs.readFileSync(path.join(EGRESS_MODULE_DIR, name), "utf8");

/** The module's files, by their names in the build context. */
export const EGRESS_MODULE = {
    mainGo: read("main.go"),
    goMod: read("go.mod"),
    goSum: read("go.sum"),
} as const;

/** The Smokescreen version go.mod requires: the one place it is pinned. */
export const SMOKESCREEN_VERSION = requiredVersion(EGRESS_MODULE.goMod, "github.com/stripe/smokescreen");

/** The version a go.mod requires of a module (in a `require` line or block). */
export function requiredVersion(goMod: string, modulePath: string): string {
    const escaped = modulePath.replace(/[.]/g, "\\.");
    const match = new RegExp(`^(?:require\\s+|\\s+)${escaped}\\s+(v\\S+)`, "m").exec(goMod);
    if (!match) throw new Error(`egress-proxy/go.mod does not require ${modulePath}`);
    return match[1];
}
