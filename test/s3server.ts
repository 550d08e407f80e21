// A real S3-compatible server (s3rver, from npm) on loopback, for the backup round trips: the
// host's own S3 client (rclone) talks to it exactly as it talks to S3 or R2. It runs in a child
// process, so tests may call the client synchronously (spawnSync) while it serves.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

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


// s3rver's own CLI prints this once its HTTP server listens (bin/s3rver.js, after `run()`
// resolves), whatever `--silent` says: the test waits for that line, not for a fixed time.
const LISTENING = /S3rver listening on [^\s]+:(\d+)/;

/** Resolves with the port s3rver says it listens on; rejects if it exits first. */
function listeningPort(child: ChildProcess, output: () => string): Promise<number> {
    return new Promise((resolve, reject) => {
        const onData = () => {
            const m = LISTENING.exec(output());
            if (m) {
                child.off("exit", onExit);
                resolve(Number(m[1]));
            }
        };
        const onExit = (code: number | null) => reject(new Error(`s3rver exited with ${code} before it listened:\n${output()}`));
        child.stdout!.on("data", onData);
        child.once("exit", onExit);
    });
}

/** Starts a server with one empty bucket on a free loopback port. */
export async function startS3Server(bucket = "openclaw-test-state"): Promise<S3Server> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-s3-"));
    // s3rver makes its list-type=2 continuation tokens with DES, which OpenSSL 3 keeps in its
    // legacy provider: without it, any listing longer than one page fails with a 500.
    const child = spawn(process.execPath, ["--openssl-legacy-provider", S3RVER_BIN, "--directory", directory, "--address", "127.0.0.1", "--port", "0", "--silent", "--configure-bucket", bucket], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    // Port 0: the kernel picks a free port and s3rver reports it, so no other process can
    // take it between choosing and binding.
    const port = await listeningPort(child, () => output);
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
