// The VM harness itself: a guest whose kernel panics is told apart from a slow boot at once, so
// that the fixture can start a new VM instead of waiting out its 40-minute limit.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { ensureImage, GuestPanicked, Vm } from "./vm";

describe("the VM harness", () => {
    it("reports a guest kernel panic as GuestPanicked within a minute or two, not at its time limit", async function () {
        this.timeout(10 * 60 * 1000);
        const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-e2e-panic-"));
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(keyDir, "id_ed25519")]);
        // A real panic: without the initramfs's init, the kernel cannot mount its root (the disk drivers are modules).
        const vm = await Vm.start({ image: ensureImage(() => undefined), userData: "#cloud-config\n", sshPort: 22, keyDir, memoryMiB: 512, kernelArgs: "rdinit=/no/such/init" });
        const started = Date.now();
        try {
            await assert.rejects(vm.waitForSsh(8 * 60 * 1000), (error) => error instanceof GuestPanicked);
            assert.ok(Date.now() - started < 5 * 60 * 1000, `took ${Math.round((Date.now() - started) / 1000)} s`);
            assert.match(fs.readFileSync(vm.consoleLog, "utf8"), /Kernel panic - not syncing/);
        } finally {
            vm.stop();
            fs.rmSync(keyDir, { recursive: true, force: true });
        }
    });
});
