// The deploy key, handed to ssh through a private ssh-agent: it never touches the disk, and the
// agent dies with the command.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A running agent: ssh finds the key through `socket`. */
export interface KeyAgent {
    readonly socket: string;
    stop(): void;
}

/** Starts an agent on a socket in a new 0700 folder and adds `privateKey` on standard input. */
export function startKeyAgent(privateKey: string): KeyAgent {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-ops-"));
    const socket = path.join(dir, "agent.sock");
    const started = spawnSync("ssh-agent", ["-s", "-a", socket], { encoding: "utf8" });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(started.stdout ?? "")?.[1]);
    const stop = () => {
        if (pid) {
            try {
                process.kill(pid);
            } catch {
                // Already gone.
            }
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    if (started.status !== 0 || !pid) {
        stop();
        throw new Error(`ssh-agent did not start (${(started.stderr ?? "").trim() || `exit ${started.status}`}); install OpenSSH's client tools`);
    }
    const added = spawnSync("ssh-add", ["-q", "-"], { input: privateKey, encoding: "utf8", env: { ...process.env, SSH_AUTH_SOCK: socket } });
    if (added.status !== 0) {
        stop();
        throw new Error("ssh-add refused the stack's deploy key (is deployPrivateKey an OpenSSH private key?)");
    }
    return { socket, stop };
}
