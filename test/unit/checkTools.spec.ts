// `npm test` on a clone without the test tools says what to run, in one line, instead of failing
// dozens of tests one by one.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../fixtures";

describe("npm test without the test tools", () => {
    it("stops first, with one line naming what is missing and `bash .ci/install-tools`", () => {
        const bare = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-no-tools-"));
        try {
            const result = spawnSync("bash", [path.join(ROOT, ".ci", "check-tools"), bare], { encoding: "utf8" });
            assert.strictEqual(result.status, 1);
            assert.strictEqual(result.stdout, "");
            const lines = result.stderr.trim().split("\n");
            assert.strictEqual(lines.length, 1, result.stderr);
            assert.match(lines[0], /^npm test needs the test tools, and \d+ are missing \(\.tools\/debian13\/\.complete .*\): run `bash \.ci\/install-tools` as root on Debian 12 first, or `npm run test:unit` for the tests that need none\.$/);
        } finally {
            fs.rmSync(bare, { recursive: true, force: true });
        }
    });

    it("is the first thing `npm test` runs", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
        assert.match(scripts.test, /^bash \.ci\/check-tools && /);
    });
});
