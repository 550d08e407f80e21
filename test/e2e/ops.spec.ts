// The day-2 helpers (`npm run ops`) against the VM, reading a real stack's outputs. A stand-in
// gateway container (an image made from the VM's own bash, since no registry is reachable) answers
// for the container helpers; backup-now is in the backup suite, where a bucket is configured.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { e2e } from "./fixture";
import { ops } from "./ops";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";

const STANDIN_IMAGE = "openclaw-e2e-standin:1";

/** An image of bash, sleep and a stand-in `openclaw` that prints its arguments, from the VM's own files. */
const STANDIN = `
root=$(mktemp -d)
for bin in /usr/bin/bash /usr/bin/sleep; do
    for file in "$bin" $(ldd "$bin" | grep -o '/[^ ]*'); do cp --parents -L "$file" "$root"; done
done
install -d "$root/usr/local/bin"
printf '#!/usr/bin/bash\\nprintf "openclaw argument: %%s\\\\n" "$@"\\n' > "$root/usr/local/bin/openclaw"
chmod 0755 "$root/usr/local/bin/openclaw"
tar -C "$root" -c . | docker import - ${STANDIN_IMAGE} >/dev/null
rm -rf "$root"
docker run -d --name ${PRIMARY_GATEWAY.container} --label com.docker.compose.project=openclaw ${STANDIN_IMAGE} \\
    /usr/bin/bash -c 'echo "stand-in gateway started"; exec sleep infinity' >/dev/null
`;

const agentFolders = () => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("openclaw-ops-"));

describe("the day-2 helpers (npm run ops) against the VM", function () {
    this.timeout(10 * 60 * 1000);

    before(() => {
        const result = e2e().vm.ssh("sudo bash -s", { input: `set -euo pipefail\n${STANDIN}` });
        assert.strictEqual(result.status, 0, `the stand-in gateway did not start:\n${result.stdout}${result.stderr}`);
    });
    after(() => {
        e2e().vm.ssh(`sudo docker rm -f ${PRIMARY_GATEWAY.container} >/dev/null; sudo docker rmi ${STANDIN_IMAGE} >/dev/null`);
    });

    it("ssh: runs a command as deploy with the stack's deploy key, and leaves no agent or key folder behind", async () => {
        const before = agentFolders();
        const result = await ops("ssh", "id -un; hostname");
        assert.strictEqual(result.status, 0, result.stderr);
        assert.strictEqual(result.stdout, "deploy\nopenclaw-e2e\n");
        assert.deepStrictEqual(agentFolders(), before, "the agent's folder is still there");
        assert.strictEqual(spawnSync("pgrep", ["-f", "ssh-agent -s -a .*openclaw-ops-"]).status, 1, "an ssh-agent of the helper still runs");
    });

    it("status: the stack's containers and their state, the last good backup, the timers and the disk", async () => {
        const result = await ops("status");
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`^== containers\\n${PRIMARY_GATEWAY.container}\\tUp `, "m"));
        assert.match(result.stdout, /^== last good backup\n(none recorded on this host|\S+, \d+ h ago)$/m);
        assert.match(result.stdout, /^== timers\n/m);
        assert.match(result.stdout, /^== disk\nMounted on +Size +Used +Avail +Use%\n\/ +\S+/m);
    });

    it("logs gateway: the gateway container's output; an unknown service is refused before any SSH", async () => {
        const result = await ops("logs", "gateway", "-n", "5");
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(result.stdout, /^\S+ stand-in gateway started$/m);
        const refused = await ops("logs", "gatway");
        assert.strictEqual(refused.status, 2);
        assert.match(refused.stderr, /^logs: "gatway" is not a service of the stack; it must be one of gateway, /);
    });

    it("openclaw: every argument reaches the CLI in the gateway's container as one word", async () => {
        const result = await ops("openclaw", "pairing", "approve", "telegram", "AB CD'1");
        assert.strictEqual(result.status, 0, result.stderr);
        assert.strictEqual(
            result.stdout,
            ["pairing", "approve", "telegram", "AB CD'1"].map((word) => `openclaw argument: ${word}\n`).join(""),
        );
    });
});
