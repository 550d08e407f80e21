// The engine rules the program is shaped by, shown by the real engine on dynamic resources (no
// cloud or provider plugin needed): what it deletes first, and what a replacement is given.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { EngineProject } from "./pulumiEngine";
import { recordedEvents } from "./programs/recorded";

describe("the real engine: deletion order and replacements", function () {
    this.timeout(5 * 60 * 1000);
    let project: EngineProject;
    let stack: Stack;
    let log: string;
    const events = () => recordedEvents(log);
    const serverCreations = () => events().filter((e) => e.op === "create" && e.name === "server").map((e) => [e.inputs.image, e.inputs.userData]);
    const setConfig = (values: Record<string, string>) => stack.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, v]) => [`check:${k}`, { value: v }])));

    before(async () => {
        ({ project, stack } = await EngineProject.forProgram("engine-rules", "rules", path.join(__dirname, "programs", "attachment.ts")));
        log = path.join(project.dir, "events.log");
        fs.writeFileSync(log, "");
        await setConfig({ log, image: "ami-first", userData: "first" });
        await stack.up({ onOutput: () => undefined });
    });
    after(() => project?.remove());

    it("records a dependency on the static IP's attachment for a step whose host comes from reachedThrough, and none for the bare address", async () => {
        const resources: any[] = (await stack.exportStack()).deployment.resources;
        const urnOf = (name: string) => resources.find((r) => r.urn.endsWith(`::${name}`))!.urn;
        const hostDependencies = (name: string): string[] => resources.find((r) => r.urn === urnOf(name)).propertyDependencies?.host ?? [];
        assert.ok(hostDependencies("step-through-attachment").includes(urnOf("ip-assignment")), JSON.stringify(hostDependencies("step-through-attachment")));
        assert.ok(!hostDependencies("step-to-bare-address").includes(urnOf("ip-assignment")), "a bare address carries no dependency on the attachment");
    });

    // The AWS instance ignores changes of its AMI, so a new AMI release does not replace it (docs/configuration.md).
    it("does not replace a resource for a change of an ignored input alone", async () => {
        await setConfig({ log, image: "ami-newer", userData: "first" });
        const result = await stack.up({ onOutput: () => undefined });
        assert.strictEqual(result.summary.resourceChanges?.replace, undefined, JSON.stringify(result.summary.resourceChanges));
        assert.deepStrictEqual(serverCreations(), [["ami-first", "first"]]);
    });

    it("gives a replacement the new value of an ignored input, whether another input or `--replace` replaced it", async () => {
        await setConfig({ log, image: "ami-newer", userData: "second" });
        await stack.up({ onOutput: () => undefined });
        await setConfig({ log, image: "ami-newest", userData: "second" });
        const server = (await stack.exportStack()).deployment.resources.find((r: any) => r.urn.endsWith("::server")).urn;
        await stack.up({ onOutput: () => undefined, replace: [server] });
        assert.deepStrictEqual(serverCreations(), [
            ["ami-first", "first"],
            ["ami-newer", "second"],
            ["ami-newest", "second"],
        ]);
    });

    it("on destroy, deletes the step that connects through the attachment before the attachment", async () => {
        await stack.destroy({ onOutput: () => undefined });
        const deletes = events().filter((e) => e.op === "delete").map((e) => e.name);
        assert.ok(deletes.includes("ip-assignment") && deletes.includes("step-through-attachment"), deletes.join(", "));
        assert.ok(deletes.indexOf("step-through-attachment") < deletes.indexOf("ip-assignment"), `deleted in the order ${deletes.join(", ")}`);
    });
});
