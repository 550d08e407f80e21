// LiteLLM (PyPI, .ci/tools/litellm.sh) and Redis (Debian's server, .ci/tools/redis.sh) started
// from the compose model of the rendered stack: each service's own command line, environment and
// user, its container's /etc/hosts naming the other services, its read-only mounts read-only.
// Only what Docker's network and mounts would provide is adapted: the services' names resolve to
// loopback addresses of their own, LiteLLM listens on a free port, and the config path is the
// local copy of the file compose mounts there.
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { LITELLM_MASTER_KEY_ENV } from "../../components/stack/litellmConfig";
import { PORTS } from "../../components/stack/layout";
import { ContainerLike, containerDir, imagePath, inContainer } from "../container";
import { ROOT } from "../fixtures";
import { RunningProgram, startProgram, waitUntil } from "../processes";

export const LITELLM_VENV = process.env.OPENCLAW_LITELLM_TOOLS ?? path.join(ROOT, ".tools", "litellm");
export const REDIS_TOOLS = process.env.OPENCLAW_REDIS_TOOLS ?? path.join(ROOT, ".tools", "redis");
const LITELLM = path.join(LITELLM_VENV, "bin", "litellm");
const PYTHON = path.join(LITELLM_VENV, "bin", "python3");
const REDIS_SERVER = path.join(REDIS_TOOLS, "redis-server");

/** LiteLLM's start (imports, config, router) takes tens of seconds on a busy 2-core machine. */
export const LITELLM_START_MS = 240_000;

export function assertInstalled(): void {
    for (const file of [LITELLM, REDIS_SERVER]) {
        assert.ok(fs.existsSync(file), `${file} is missing; run \`bash .ci/install-tools\` first`);
    }
}

/** The installed LiteLLM's version, as its package metadata gives it. */
export function installedLitellmVersion(): string {
    const dist = fs.readdirSync(path.join(LITELLM_VENV, "lib")).flatMap((python) =>
        fs.readdirSync(path.join(LITELLM_VENV, "lib", python, "site-packages")).filter((name) => /^litellm-[\d.]+\.dist-info$/.test(name)),
    );
    assert.strictEqual(dist.length, 1, `one litellm dist-info in ${LITELLM_VENV}: ${dist.join(", ")}`);
    return /^litellm-([\d.]+)\.dist-info$/.exec(dist[0])![1];
}

const userOf = (service: any): [number, number] => {
    const [uid, gid] = String(service.user ?? "0:0").split(":").map(Number);
    return [uid, gid ?? uid];
};

/** A value of the compose model's string-array command, by its flag. */
export function flagValue(command: readonly string[], flag: string): string {
    const at = command.indexOf(flag);
    assert.ok(at >= 0 && at + 1 < command.length, `${flag} in ${JSON.stringify(command)}`);
    return command[at + 1];
}

export interface RedisServer {
    readonly address: string;
    readonly dataDir: string;
    readonly program: RunningProgram;
}

/**
 * Redis with the redis service's command line and user, in a data directory standing for its
 * volume (kept across restarts), listening on `address`: Docker gives the container an address of
 * its own, and `--bind` is that.
 */
export async function startRedis(service: any, address: string, dataDir: string): Promise<RedisServer> {
    const [uid, gid] = userOf(service);
    fs.chownSync(dataDir, uid, gid);
    const command: string[] = service.command;
    assert.strictEqual(command[0], "redis-server");
    const container: ContainerLike = { uid, gid, readOnly: [], hosts: {}, image: [REDIS_TOOLS] };
    const [program, args] = inContainer(container, [imagePath(REDIS_SERVER), ...command.slice(1), "--bind", address], dataDir);
    const redis = startProgram(program, args, { PATH: "/usr/bin:/bin" }, dataDir);
    await waitUntil(redis, `Redis answering PING on ${address}`, async () => (await redisCommand(address, ["PING"])) === "+PONG", 60_000);
    return { address, dataDir, program: redis };
}

/**
 * One command to Redis in its protocol: a status or error line (`+PONG`, `-LOADING ...`), or a
 * bulk string's value (null for none); "" when Redis cannot be reached.
 */
export function redisCommand(address: string, args: readonly string[]): Promise<string | null> {
    return new Promise((resolve) => {
        const socket = net.connect(PORTS.redis, address);
        let answer = "";
        const done = (reply: string | null) => {
            socket.destroy();
            resolve(reply);
        };
        socket.setTimeout(10_000, () => done(""));
        socket.on("error", () => done(""));
        socket.on("connect", () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`));
        socket.on("data", (chunk) => {
            answer += chunk;
            const end = answer.indexOf("\r\n");
            if (end < 0) return;
            const head = answer.slice(0, end);
            if (!head.startsWith("$")) return done(head);
            const length = Number(head.slice(1));
            if (length < 0) return done(null);
            if (Buffer.byteLength(answer) >= end + 2 + length + 2) done(answer.slice(end + 2, end + 2 + length));
        });
    });
}

/** A key's value, or null. */
export const redisGet = (address: string, key: string) => redisCommand(address, ["GET", key]);

export interface LitellmServer {
    readonly url: string;
    readonly program: RunningProgram;
}

export interface LitellmRun {
    /** The compose model's litellm service (environment interpolated from `.env`). */
    readonly service: any;
    /** Container name -> loopback address of the services LiteLLM talks to. */
    readonly hosts: Readonly<Record<string, string>>;
    /** A CA file the test's stand-in providers chain to (what the image's CA store is for real ones). */
    readonly caFile: string;
    readonly port: number;
}

/** The liveness URL of the litellm service's compose healthcheck, at `port`. */
export function livenessUrl(service: any, port: number): string {
    const url = /'(http:\/\/127\.0\.0\.1:\d+\/[^']+)'/.exec(service.healthcheck.test.join(" "))?.[1];
    assert.ok(url, `a URL in the litellm healthcheck: ${JSON.stringify(service.healthcheck.test)}`);
    const parsed = new URL(url);
    assert.strictEqual(parsed.port, flagValue(service.command, "--port"), "the healthcheck probes the port LiteLLM listens on");
    parsed.port = String(port);
    return parsed.toString();
}

/** Starts LiteLLM as the litellm service runs, and waits for its healthcheck's URL to answer 200. */
export async function startLitellm(run: LitellmRun): Promise<LitellmServer> {
    const command: string[] = run.service.command;
    const configMount = (run.service.volumes as any[]).find((v) => v.target === flagValue(command, "--config"));
    assert.ok(configMount && configMount.read_only, `the file given to --config is a read-only mount: ${JSON.stringify(run.service.volumes)}`);
    // The mounted file, copied outside /tmp (the container gets a tmpfs there).
    const configDir = containerDir("litellm-config");
    const config = path.join(configDir, path.basename(configMount.source));
    fs.copyFileSync(configMount.source, config);
    const args = command.map((arg, i) => (command[i - 1] === "--config" ? config : command[i - 1] === "--port" ? String(run.port) : arg));
    // The image runs as root; compose drops every capability.
    const container: ContainerLike = { uid: 0, gid: 0, readOnly: [configDir], hosts: run.hosts, image: [LITELLM_VENV] };
    // The venv's python runs the script, as its #! line would: that line names where the venv was made.
    const cwd = containerDir("litellm-cwd");
    const [program, argv] = inContainer(container, [imagePath(PYTHON), imagePath(LITELLM), ...args], cwd);
    const env = {
        ...run.service.environment,
        PATH: `${imagePath(path.join(LITELLM_VENV, "bin"))}:/usr/bin:/bin`,
        HOME: containerDir("litellm-home"),
        SSL_CERT_FILE: run.caFile,
    };
    const litellm = startProgram(program, argv, env, cwd);
    const url = `http://127.0.0.1:${run.port}`;
    const liveness = livenessUrl(run.service, run.port);
    await waitUntil(litellm, `LiteLLM answering ${liveness} with 200`, async () => (await call(liveness)).status === 200, LITELLM_START_MS);
    return { url, program: litellm };
}

export interface Answer {
    readonly status: number;
    readonly body: string;
}

/** A request with a generous deadline (a busy machine is slow, not broken); status 0 when nothing answers. */
export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
    try {
        const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
        return { status: response.status, body: await response.text() };
    } catch (error) {
        return { status: 0, body: String(error) };
    }
}

/** POST /v1/chat/completions for `model` with `key` as the bearer token; `stream` as the gateway sends it. */
export function chat(server: LitellmServer, model: string, key: string, stream = false): Promise<Answer> {
    const streaming = stream ? { stream: true, stream_options: { include_usage: true } } : {};
    return call(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "Say hello." }], ...streaming }),
    });
}

/** The text of a streamed chat completion (server-sent events), its deltas joined; fails on a stream that does not end with [DONE]. */
export function streamedText(body: string): string {
    const events = body.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice("data: ".length).trim());
    assert.strictEqual(events[events.length - 1], "[DONE]", `a stream that ends with [DONE]:\n${body}`);
    return events
        .slice(0, -1)
        .map((event) => JSON.parse(event))
        .map((chunk) => (chunk.choices ?? []).map((choice: any) => choice.delta?.content ?? "").join(""))
        .join("");
}

/** The master key compose gives LiteLLM (from `.env`). */
export const masterKeyOf = (service: any): string => service.environment[LITELLM_MASTER_KEY_ENV];
