// A long-running program under test (the gateway, LiteLLM, Redis): started in a process group of
// its own (a gateway starts workers), its output kept for failure messages and in a file (what
// `docker logs` would read), stopped by signal with a deadline, and killed with its group if the
// test process exits first, so a failed or timed-out test leaves nothing listening.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tempDir } from "./artifacts/tools";

export interface RunningProgram {
    /** Everything the program printed so far. */
    log(): string;
    /** A file that receives everything the program prints, as it prints it. */
    readonly logFile: string;
    exited(): boolean;
    /** SIGTERM (what `docker stop` sends), then SIGKILL after `graceMs`; safe to call more than once. */
    stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => running.forEach((child) => signalGroup(child, "SIGKILL")));

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
        // The group is gone already.
    }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startProgram(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): RunningProgram {
    const child = spawn(command, [...args], { env, cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let output = "";
    let done = false;
    const logFile = path.join(tempDir("program-log"), "output.log");
    fs.writeFileSync(logFile, "");
    const record = (chunk: Buffer | string) => {
        output += chunk;
        fs.appendFileSync(logFile, chunk);
    };
    child.stdout!.on("data", record);
    child.stderr!.on("data", record);
    const exit = new Promise<void>((resolve) => {
        child.on("exit", (code, signal) => {
            done = true;
            output += `\n[exited: ${signal ?? code}]\n`;
            resolve();
        });
        child.on("error", (error) => {
            done = true;
            output += `\n[failed to start: ${error.message}]\n`;
            resolve();
        });
    });
    return {
        log: () => output,
        logFile,
        exited: () => done,
        async stop(graceMs = 30_000) {
            if (!done) {
                signalGroup(child, "SIGTERM");
                await Promise.race([exit, sleep(graceMs)]);
            }
            signalGroup(child, "SIGKILL");
            await Promise.race([exit, sleep(5_000)]);
            running.delete(child);
        },
    };
}

/**
 * Polls `probe` every half second until it returns true; fails with the program's output when
 * the program exits or `timeoutMs` passes. `what` names the awaited condition in the message.
 */
export async function waitUntil(program: RunningProgram, what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !program.exited()) {
        if (await probe()) return;
        await sleep(500);
    }
    assert.fail(`${what}: not ${program.exited() ? "before the program exited" : `within ${timeoutMs / 1000} s`}:\n${program.log().slice(-4000)}`);
}
