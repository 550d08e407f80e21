// A real S3-compatible server (s3rver, from npm) on loopback, for the backup round trips: the
// host's own S3 client (rclone) talks to it exactly as it talks to S3 or R2. It runs in a child
// process, so tests may call the client synchronously (spawnSync) while it serves.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { freePort } from "./ports";

const S3RVER_BIN = path.join(__dirname, "..", "node_modules", "s3rver", "bin", "s3rver.js");

/** Its default credentials. */
export const S3_SERVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface S3Server {
    /** http://127.0.0.1:<port> */
    readonly endpoint: string;
    readonly port: number;
    readonly bucket: string;
    /** Where it keeps objects: `<directory>/<bucket>/<key>._S3rver_object` and their metadata. */
    readonly directory: string;
    close(): Promise<void>;
}


async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`s3rver exited with ${child.exitCode}:\n${output()}`);
        const open = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, "127.0.0.1", () => {
                socket.destroy();
                resolve(true);
            });
            socket.once("error", () => resolve(false));
        });
        if (open) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`s3rver did not listen on 127.0.0.1:${port} within 20 s:\n${output()}`);
}

/** Starts a server with one empty bucket on a free loopback port. */
export async function startS3Server(bucket = "openclaw-test-state"): Promise<S3Server> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-s3-"));
    const port = await freePort();
    // s3rver makes its list-type=2 continuation tokens with DES, which OpenSSL 3 keeps in its
    // legacy provider: without it, any listing longer than one page fails with a 500.
    const child = spawn(process.execPath, ["--openssl-legacy-provider", S3RVER_BIN, "--directory", directory, "--address", "127.0.0.1", "--port", String(port), "--silent", "--configure-bucket", bucket], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    await waitForPort(port, child, () => output);
    return {
        endpoint: `http://127.0.0.1:${port}`,
        port,
        bucket,
        directory,
        close: async () => {
            if (child.exitCode === null) {
                const exited = new Promise((resolve) => child.once("exit", resolve));
                child.kill();
                await exited;
            }
            fs.rmSync(directory, { recursive: true, force: true });
        },
    };
}
