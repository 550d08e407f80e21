// A Debian 13 VM under QEMU (software emulation), booted from the program's own user data.
// One VM per test run, shared by every e2e suite; stopped on every exit path.
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "../ports";

const BUILD_SCRIPT = path.join(__dirname, "build-image.sh");
const CACHE_ROOT = process.env.OPENCLAW_E2E_CACHE ?? path.join(os.homedir(), ".cache", "openclaw-e2e");

/** The base image's files, built once per recipe. */
export interface BaseImage {
    readonly dir: string;
    readonly kernel: string;
    readonly initrd: string;
    readonly rootfs: string;
}

/** Builds the image unless one for the same recipe (hash of build-image.sh) is cached. */
export function ensureImage(log: (line: string) => void): BaseImage {
    const recipe = crypto.createHash("sha256").update(fs.readFileSync(BUILD_SCRIPT)).digest("hex").slice(0, 16);
    const dir = path.join(CACHE_ROOT, `debian13-${recipe}`);
    const files = { dir, kernel: path.join(dir, "vmlinuz"), initrd: path.join(dir, "initrd.img"), rootfs: path.join(dir, "root.img") };
    if (fs.existsSync(path.join(dir, "complete"))) {
        log(`reusing the cached image ${dir}`);
        return files;
    }
    const staging = `${dir}.partial`;
    fs.rmSync(staging, { recursive: true, force: true });
    log(`building the Debian 13 image into ${dir} (about two minutes)`);
    let lastError: unknown;
    // The build downloads packages; retry it, and only it, when the network hiccups.
    for (let attempt = 1; attempt <= 3; attempt++) {
        try {
            execFileSync("bash", [BUILD_SCRIPT, staging], { stdio: ["ignore", "inherit", "inherit"] });
            lastError = undefined;
            break;
        } catch (error) {
            lastError = error;
            log(`image build attempt ${attempt} failed`);
            fs.rmSync(staging, { recursive: true, force: true });
        }
    }
    if (lastError) throw lastError;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
    fs.writeFileSync(path.join(dir, "complete"), `${recipe}\n`);
    return files;
}


/** The guest kernel panicked: under software emulation it has, rarely, early in boot (seen once in CI, 18 s in). */
export class GuestPanicked extends Error {}

export interface VmOptions {
    readonly image: BaseImage;
    readonly userData: string;
    /** The guest's SSH port after hardening. */
    readonly sshPort: number;
    readonly memoryMiB?: number;
    /** More kernel arguments (the harness's own test makes the kernel panic with one). */
    readonly kernelArgs?: string;
    /**
     * The stand-ins (world.ts): QEMU's DNS answers from their resolv.conf, and a second network
     * card, on a QEMU user network that reaches nothing but its guestfwd address (`restrict=on`),
     * hands each guest connection to that address on port 443 to their command.
     */
    readonly world?: { readonly resolvConf: string; readonly network: string; readonly address: string; readonly guestfwdCommand: string };
    /** Raw disk images attached read-only after the root and seed disks (/dev/vdc, ...). */
    readonly readOnlyDisks?: readonly string[];
}

export interface CommandResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** A running VM with host ports forwarded on 127.0.0.1 only. */
export class Vm {
    readonly workDir: string;
    readonly startedAt: number;
    /** Host port forwarded to the guest's hardened SSH port. */
    readonly sshHostPort: number;
    /** Host port forwarded to the guest's port 22, to show nothing answers there. */
    readonly port22HostPort: number;
    readonly consoleLog: string;
    readonly privateKey: string;
    readonly publicKey: string;
    private readonly qemu: ChildProcess;
    private readonly controlPath: string;
    private stopped = false;

    static async start(options: VmOptions & { readonly keyDir: string }): Promise<Vm> {
        return new Vm(options, await freePort(), await freePort());
    }

    private constructor(options: VmOptions & { readonly keyDir: string }, sshHostPort: number, port22HostPort: number) {
        this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-vm-"));
        this.sshHostPort = sshHostPort;
        this.port22HostPort = port22HostPort;
        this.privateKey = path.join(options.keyDir, "id_ed25519");
        this.publicKey = `${this.privateKey}.pub`;
        this.consoleLog = path.join(this.workDir, "console.log");
        this.controlPath = path.join(this.workDir, "ssh-control");

        fs.writeFileSync(path.join(this.workDir, "user-data"), options.userData);
        fs.writeFileSync(path.join(this.workDir, "meta-data"), "instance-id: openclaw-e2e\nlocal-hostname: openclaw-e2e\n");
        execFileSync("cloud-localds", [path.join(this.workDir, "seed.img"), path.join(this.workDir, "user-data"), path.join(this.workDir, "meta-data")]);
        // A copy-on-write overlay keeps the cached base image pristine.
        const overlay = path.join(this.workDir, "overlay.qcow2");
        execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", options.image.rootfs, overlay]);

        this.startedAt = Date.now();
        const qemuArgs = [
            "-accel", "tcg,thread=multi",
            "-cpu", "max",
            "-smp", "2",
            "-m", String(options.memoryMiB ?? 2048),
            "-nographic",
            "-serial", `file:${this.consoleLog}`,
            "-monitor", "none",
            "-kernel", options.image.kernel,
            "-initrd", options.image.initrd,
            "-append", `root=LABEL=oc-root rw console=ttyS0 net.ifnames=0${options.kernelArgs ? ` ${options.kernelArgs}` : ""}`,
            "-drive", `file=${overlay},if=virtio,format=qcow2`,
            "-drive", `file=${path.join(this.workDir, "seed.img")},if=virtio,format=raw,readonly=on`,
            ...(options.readOnlyDisks ?? []).flatMap((disk) => ["-drive", `file=${disk},if=virtio,format=raw,readonly=on`]),
            "-netdev", `user,id=net0,hostfwd=tcp:127.0.0.1:${sshHostPort}-:${options.sshPort},hostfwd=tcp:127.0.0.1:${port22HostPort}-:22`,
            "-device", "virtio-net-pci,netdev=net0",
            ...(options.world
                ? [
                      "-netdev", `user,id=net1,net=${options.world.network},restrict=on,guestfwd=tcp:${options.world.address}:443-cmd:${options.world.guestfwdCommand}`,
                      "-device", "virtio-net-pci,netdev=net1",
                  ]
                : []),
        ];
        // With the stand-ins, QEMU alone reads their resolv.conf: in a mount namespace of its own.
        this.qemu = options.world
            ? spawn("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"', options.world.resolvConf, "qemu-system-x86_64", ...qemuArgs], { stdio: ["ignore", "ignore", "pipe"] })
            : spawn("qemu-system-x86_64", qemuArgs, { stdio: ["ignore", "ignore", "pipe"] });
        this.qemu.stderr?.on("data", (chunk) => fs.appendFileSync(path.join(this.workDir, "qemu.log"), chunk));
        // Never leave a VM behind, whatever ends the process.
        const stop = () => this.stop();
        process.once("exit", stop);
        for (const signal of ["SIGINT", "SIGTERM"] as const) {
            process.once(signal, () => {
                stop();
                process.exit(130);
            });
        }
    }

    get running(): boolean {
        return !this.stopped && this.qemu.exitCode === null;
    }

    /** Base ssh arguments: the test's key (or `key`), no host key prompts. */
    sshArgs(user = "deploy", extra: readonly string[] = [], key = this.privateKey, hostPort = this.sshHostPort): string[] {
        return [
            "-i", key,
            "-p", String(hostPort),
            "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR",
            "-o", "ConnectTimeout=20",
            "-o", "BatchMode=yes",
            ...extra,
            `${user}@127.0.0.1`,
        ];
    }

    /**
     * Runs a command as `deploy` over the shared connection. UFW's `limit` would cut off many
     * separate connections; the tests keep to one multiplexed one, as a deploy should.
     */
    ssh(command: string, options: { input?: string; timeoutMs?: number } = {}): CommandResult {
        const mux = ["-o", "ControlMaster=auto", "-o", `ControlPath=${this.controlPath}`, "-o", "ControlPersist=600"];
        const result = spawnSync("ssh", [...this.sshArgs("deploy", mux), command], {
            encoding: "utf8",
            input: options.input,
            timeout: options.timeoutMs ?? 15 * 60 * 1000,
        });
        return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
    }

    /** Like `ssh`, but the command must succeed; returns its stdout. */
    sudo(command: string): string {
        const result = this.ssh(`sudo ${command}`);
        if (result.status !== 0) {
            throw new Error(`\`sudo ${command}\` exited ${result.status}:\n${result.stdout}${result.stderr}`);
        }
        return result.stdout;
    }

    /** A one-off connection attempt with its own options (for the refusal checks), with the test's key or `key`. */
    attempt(user: string, extra: readonly string[], command = "true", key = this.privateKey): CommandResult {
        const result = spawnSync("ssh", [...this.sshArgs(user, extra, key), command], { encoding: "utf8", timeout: 60000 });
        return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
    }

    /** Waits until `deploy` gets in on the hardened port. */
    async waitForSsh(timeoutMs: number): Promise<void> {
        await this.waitFor(() => this.ssh("true", { timeoutMs: 60000 }).status === 0, timeoutMs, "SSH on the hardened port");
    }

    /** Waits until root gets in on port 22 with `key`: a server as its operator has it, before hardening. */
    async waitForFirstLogin(key: string, timeoutMs: number): Promise<void> {
        await this.waitFor(() => this.firstLogin(key, "true").status === 0, timeoutMs, "root's SSH on port 22");
    }

    /** Runs `command` as `user` on port 22 with `key`, as the program's first login does. */
    firstLogin(key: string, command: string, user = "root"): CommandResult {
        const result = spawnSync("ssh", [...this.sshArgs(user, [], key, this.port22HostPort), command], { encoding: "utf8", timeout: 30 * 60 * 1000 });
        return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
    }

    private async waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            if (!this.running) throw new Error(`QEMU exited early; see ${this.workDir}/qemu.log and ${this.consoleLog}`);
            if (this.panicked()) throw new GuestPanicked(`the guest kernel panicked while waiting for ${what}; console: ${this.consoleLog}`);
            if (ready()) return;
            await new Promise((resolve) => setTimeout(resolve, 10000));
        }
        throw new Error(`${what} did not answer within ${timeoutMs / 1000} s; console: ${this.consoleLog}`);
    }

    /** The kernel said it panicked: nothing will answer any more. */
    private panicked(): boolean {
        return fs.existsSync(this.consoleLog) && fs.readFileSync(this.consoleLog, "utf8").includes("Kernel panic - not syncing");
    }

    /** Whatever the guest's serial console printed last (for failure messages). */
    consoleTail(lines = 40): string {
        if (!fs.existsSync(this.consoleLog)) return "";
        return fs.readFileSync(this.consoleLog, "utf8").split("\n").slice(-lines).join("\n");
    }

    stop(): void {
        if (this.stopped) return;
        this.stopped = true;
        spawnSync("ssh", ["-o", `ControlPath=${this.controlPath}`, "-O", "exit", "deploy@127.0.0.1"], { stdio: "ignore" });
        if (this.qemu.exitCode === null) this.qemu.kill("SIGKILL");
        if (!process.env.OPENCLAW_E2E_KEEP) fs.rmSync(this.workDir, { recursive: true, force: true });
    }
}
