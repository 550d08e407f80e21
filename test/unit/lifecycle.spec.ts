// What the engine does with the program beyond a first `pulumi up`: a replaced server and a
// destroy. The engine and provider rules these tests stand for (no cloud is reachable here):
// - pulumi-command 1.2.1 (provider/pkg/provider/common/inputs.go): only `triggers` is
//   `replaceOnChanges`; a command runs `create` again when any input changed, and does nothing
//   when none did.
// - The engine deletes a resource only after every resource that depends on it, and its
//   dependencies are those the SDK sends with its registration (`dependsOn`, and the resources
//   behind the Outputs among its inputs).
import * as assert from "assert";
import { newIdsFor, ofType, recorded, RecordedResource } from "../mocks";
import { deployUnderMocks } from "../deployUnderMocks";
import { parseSettings } from "../../components/settings";
import { CLOUD_NAMES, clouds } from "../../providers";
import { parts } from "../cloudParts";
import { devConfigFor, rawConfig, SECRET_KEYS } from "../fixtures";

const COMMAND = "command:remote:Command";


const key = (r: RecordedResource) => `${r.type}::${r.name}`;

/** Everything a resource depends on, directly or through others. */
function dependencyClosure(resource: RecordedResource): Set<string> {
    const byKey = new Map(recorded.map((r) => [key(r), r]));
    const seen = new Set<string>();
    const pending = [...resource.dependencies];
    while (pending.length > 0) {
        const next = pending.pop()!;
        if (seen.has(next)) continue;
        seen.add(next);
        pending.push(...(byKey.get(next)?.dependencies ?? []));
    }
    return seen;
}

for (const cloud of CLOUD_NAMES) {
    describe(`the lifecycle on ${cloud}`, () => {
        const settings = () => parseSettings(rawConfig(devConfigFor(cloud), SECRET_KEYS));

        it("a replaced server (a new id behind the same static IP) gets every deploy step again, as a new command", async () => {
            await deployUnderMocks(settings());
            const before = new Map(ofType(COMMAND).map((c) => [c.name, c.inputs]));
            newIdsFor.add(parts[cloud].server);
            try {
                await deployUnderMocks(settings());
            } finally {
                newIdsFor.delete(parts[cloud].server);
            }
            const after = ofType(COMMAND);
            assert.deepStrictEqual(after.map((c) => c.name), [...before.keys()], "the same steps");
            const kept = after.filter((c) => JSON.stringify(c.inputs.triggers) === JSON.stringify(before.get(c.name)!.triggers)).map((c) => c.name);
            assert.deepStrictEqual(kept, [], "steps whose triggers did not change are not run on the new server");
        });

        it("deletes every deploy step before what makes the static IP lead to the server, so no step's delete dials a detached address", async () => {
            await deployUnderMocks(settings());
            const commands = ofType(COMMAND);
            assert.ok(commands.length > 10, "the deploy steps are registered");
            for (const command of commands) {
                const closure = dependencyClosure(command);
                for (const type of clouds[cloud].parts.attachments) {
                    const attachment = recorded.find((r) => r.type === type);
                    assert.ok(attachment, `${cloud} has a ${type}`);
                    assert.ok(closure.has(key(attachment)), `${command.name} does not depend on ${type}, so the engine may delete that first`);
                }
            }
        });
    });
}
