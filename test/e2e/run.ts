// `npm run test:e2e`: boots the VM once, runs every e2e suite against it, and prints the
// boot-to-ready time as the very last line.
import { spawnSync } from "child_process";
import Mocha from "mocha";
import * as path from "path";

function qemuUnavailable(): string | undefined {
    for (const tool of ["qemu-system-x86_64", "qemu-img", "cloud-localds", "debootstrap", "mkfs.ext4"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
    }
    if (process.getuid?.() !== 0) return "building the image needs root (debootstrap, chroot)";
    return undefined;
}

const reason = qemuUnavailable();
if (reason) {
    console.log(`e2e skipped: this machine cannot run the QEMU VM test (${reason}).`);
    process.exit(0);
}

// Loaded after the check, so the fixture's imports cost nothing on a skip.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { mochaHooks, e2e, E2E_TARGET, E2E_STACK } = require("./fixture") as typeof import("./fixture");

const mocha = new Mocha({ timeout: 10 * 60 * 1000, rootHooks: mochaHooks, reporter: "spec" });
const filter = process.argv[2];
// An existing server is checked like a cloud's server (host.spec.ts), then for what is its own: the
// stack on it is the same stack, which the cloud run covers, but destroy removes it from the server.
// The harness's own check (a panicking guest) runs once, in the shorter of the two runs.
const suites = E2E_TARGET === "existing" ? ["host.spec.ts", "existing.spec.ts", "destroy.spec.ts", "harness.spec.ts"] : ["host.spec.ts", "stack.spec.ts", "ingress.spec.ts", "backup.spec.ts", "ops.spec.ts", ...(E2E_STACK ? ["running.spec.ts"] : [])];
for (const file of suites) mocha.addFile(path.join(__dirname, file));
if (filter) mocha.grep(filter);

mocha.run((failures) => {
    let readiness = "boot-to-ready: unknown (the VM did not become ready)";
    try {
        const { bootToReadySeconds, hostReady } = e2e();
        readiness = hostReady.status === 0 ? `boot-to-ready: ${bootToReadySeconds} s` : readiness;
    } catch {
        // Keep the "unknown" line; the hook's error is already reported above.
    }
    console.log(readiness);
    process.exit(failures > 0 ? 1 : 0);
});
