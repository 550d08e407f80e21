// What replacedByUserData (the servers' options on every cloud) makes the real engine do.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { EngineProject } from "./pulumiEngine";
import { recordedEvents } from "./programs/recorded";

describe("the real engine: a server replaced by its user data's hash", function () {
    this.timeout(5 * 60 * 1000);
    let project: EngineProject;
    let stack: Stack;
    let log: string;
    const creations = () =>
        recordedEvents(log).filter((e) => e.op === "create").map((e) => [e.inputs.image, e.inputs.userData]);
    const up = async (values: { era: string; image: string; userData: string }) => {
        await stack.setAllConfig(Object.fromEntries(Object.entries({ log, ...values }).map(([k, v]) => [`check:${k}`, { value: v }])));
        return (await stack.up({ onOutput: () => undefined })).summary.resourceChanges ?? {};
    };

    before(async () => {
        ({ project, stack } = await EngineProject.forProgram("engine-user-data", "rules", path.join(__dirname, "programs", "userDataServer.ts")));
        log = path.join(project.dir, "events.log");
        fs.writeFileSync(log, "");
        await up({ era: "before", image: "debian-13", userData: "with the access settings" });
    });
    after(() => project?.remove());

    it("keeps a server deployed before the trigger existed, though its user data changed", async () => {
        const changes = await up({ era: "now", image: "debian-13", userData: "without them" });
        assert.strictEqual(changes.replace, undefined, JSON.stringify(changes));
        assert.deepStrictEqual(creations(), [["debian-13", "with the access settings"]]);
    });

    it("then changes nothing on a second up", async () => {
        const changes = await up({ era: "now", image: "debian-13", userData: "without them" });
        assert.deepStrictEqual(Object.keys(changes), ["same"], JSON.stringify(changes));
    });

    it("gives a server replaced for another input the program's user data, not the ignored one in the state", async () => {
        const changes = await up({ era: "now", image: "debian-12", userData: "without them" });
        assert.strictEqual(changes.replace, 1, JSON.stringify(changes));
        assert.deepStrictEqual(creations().at(-1), ["debian-12", "without them"]);
    });

    it("replaces the server when the user data changes again, and the new one boots from the new user data", async () => {
        const changes = await up({ era: "now", image: "debian-12", userData: "sshPort 2222" });
        assert.strictEqual(changes.replace, 1, JSON.stringify(changes));
        assert.deepStrictEqual(creations().at(-1), ["debian-12", "sshPort 2222"]);
    });
});
