// Which folder may import which: the host's files (cloud-init/) know nothing of the stack or its
// components, and the policy pack is published on its own, so it imports nothing outside policy/.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../fixtures";

/** The relative imports of every .ts file in `folder`, as repository paths. */
function importsOf(folder: string): { file: string; target: string }[] {
    return fs.readdirSync(path.join(ROOT, folder)).filter((name) => name.endsWith(".ts")).flatMap((name) => {
        const text = fs.readFileSync(path.join(ROOT, folder, name), "utf8");
        return [...text.matchAll(/^(?:import|export)[^;]*? from "(\.[^"]+)"/gm)].map((m) => ({
            file: `${folder}/${name}`,
            target: path.relative(ROOT, path.resolve(ROOT, folder, m[1])),
        }));
    });
}

describe("the layers", () => {
    it("cloud-init/ imports nothing from components/", () => {
        const imports = importsOf("cloud-init");
        assert.ok(imports.length > 5, "the check sees cloud-init's imports");
        assert.deepStrictEqual(imports.filter((i) => i.target.startsWith("components")), []);
    });

    it("policy/ imports nothing outside policy/", () => {
        const imports = importsOf("policy");
        assert.ok(imports.length > 5, "the check sees the pack's imports");
        assert.deepStrictEqual(imports.filter((i) => !i.target.startsWith("policy")), []);
    });
});
