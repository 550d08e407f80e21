// The compose file's caddy service run without Docker (no container registry is reachable here):
// the pinned Caddy binary, started the way its image starts it, in a network namespace of its own
// (loopback, and an interface at the service's proxy-net address) and a mount namespace where the
// root is read-only (`read_only: true`), the Caddyfile is a read-only bind mount, the named volume
// is a directory of the test's, the service's tmpfs mounts are fresh tmpfs, and /etc/hosts names the
// other containers. It runs as root with the service's capabilities only and no new privileges,
// as Docker runs it. Container paths live under one directory (`root`); the image's paths in its
// environment and command are rewritten to them. Needs root (CI has it); nothing outside the
// namespaces changes.
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { NETWORKS } from "../../components/stack/layout";
import { shellQuote } from "../../components/stack/steps";
import { CADDY, tempDir } from "../artifacts/tools";

/**
 * What the caddy image sets and the compose service does not override (caddyserver/caddy-docker,
 * 2.11/alpine/Dockerfile): `ENV XDG_CONFIG_HOME=/config`, `ENV XDG_DATA_HOME=/data`, no `USER`
 * (root, so HOME is /root), and `CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile",
 * "--adapter", "caddyfile"]`.
 */
export const CADDY_IMAGE = {
    env: { XDG_CONFIG_HOME: "/config", XDG_DATA_HOME: "/data", HOME: "/root" },
    args: ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
} as const;

/** A process that runs beside the service in its network namespace (a stand-in for another container). */
export interface Companion {
    readonly argv: readonly string[];
}

export interface ServiceInput {
    /** The service as `docker compose config --format json` gives it. */
    readonly service: any;
    /** Named volumes: volume name -> a directory holding the volume's contents. */
    readonly volumes: Readonly<Record<string, string>>;
    /** /etc/hosts entries: container name -> address (added to the namespace as proxy-net addresses). */
    readonly hosts: Readonly<Record<string, string>>;
    readonly companions: readonly Companion[];
}

export interface ProbeRequest {
    readonly address: string;
    readonly port: number;
    readonly path: string;
    readonly headers?: Readonly<Record<string, string>>;
    /** HTTPS with this SNI name, verified against `ca` only. */
    readonly tls?: { readonly servername: string; readonly ca: string };
}

export interface ProbeResponse {
    readonly status?: number;
    readonly headers: Readonly<Record<string, string | string[]>>;
    readonly body: string;
    /** Set when no response came (refused, TLS failure, timeout). */
    readonly error?: string;
}

export interface RunningService {
    /** The container's address on proxy-net. */
    readonly address: string;
    /** An HTTP(S) request made from inside the service's network namespace. */
    request(request: ProbeRequest): ProbeResponse;
    /** Everything the service printed so far. */
    log(): string;
    exited(): boolean;
    /** Ends the service and its companions. */
    stop(): Promise<void>;
}

/** Runs in the namespace (by nsenter): one request, its outcome as JSON on stdout. */
const PROBE = `
const spec = JSON.parse(process.argv[1]);
const client = spec.tls ? require("https") : require("http");
const options = { host: spec.address, port: spec.port, path: spec.path, headers: spec.headers, timeout: 10000,
    ...(spec.tls ? { servername: spec.tls.servername, ca: spec.tls.ca, rejectUnauthorized: true } : {}) };
const request = client.get(options, (response) => {
    let body = "";
    response.setEncoding("utf8");
    response.on("data", (chunk) => (body += chunk));
    response.on("end", () => console.log(JSON.stringify({ status: response.statusCode, headers: response.headers, body })));
});
request.on("timeout", () => request.destroy(new Error("timed out")));
request.on("error", (error) => console.log(JSON.stringify({ headers: {}, body: "", error: String(error) })));
`;

/** The proxy-net prefix length, from its subnet. */
const proxyPrefix = NETWORKS.proxy.subnet.split("/")[1];

/** The /etc/hosts the namespace sees, kept beside the container's directories. */
const HOSTS_FILE = "hosts";

/** Makes the container's directories under `root` (every mount target and the image's own paths) and its /etc/hosts. */
function layOut(input: ServiceInput, root: string): void {
    const entries = Object.entries(input.hosts).map(([name, peer]) => `${peer} ${name}`);
    fs.writeFileSync(path.join(root, HOSTS_FILE), ["127.0.0.1 localhost", ...entries, ""].join("\n"));
    const targets: string[] = [
        ...input.service.volumes.map((volume: any) => volume.target),
        ...(input.service.tmpfs ?? []).map((entry: string) => entry.split(":")[0]),
        ...Object.values(CADDY_IMAGE.env),
    ];
    for (const target of targets) {
        const at = path.join(root, target);
        const isFile = input.service.volumes.some((v: any) => v.target === target && v.type === "bind" && fs.statSync(v.source).isFile());
        fs.mkdirSync(isFile ? path.dirname(at) : at, { recursive: true });
        if (isFile) fs.writeFileSync(at, "");
    }
}

/** The shell script that sets up both namespaces, starts the companions, then becomes Caddy. */
function setupScript(input: ServiceInput, root: string): string {
    const { service } = input;
    const inRoot = (containerPath: string) => path.join(root, containerPath);
    const address: string = service.networks[NETWORKS.proxy.name].ipv4_address;
    const lines = [
        "set -e",
        "ip link set lo up",
        // Both ends of one veth pair carry proxy-net addresses: the service's and the stand-ins'.
        "ip link add eth0 type veth peer name eth1",
        `ip addr add ${address}/${proxyPrefix} dev eth0`,
        ...Object.values(input.hosts).map((peer) => `ip addr add ${peer}/${proxyPrefix} dev eth1`),
        "ip link set eth0 up",
        "ip link set eth1 up",
    ];
    for (const volume of service.volumes) {
        const target = inRoot(volume.target);
        if (volume.type === "bind") {
            lines.push(`mount --bind ${shellQuote(volume.source)} ${shellQuote(target)}`);
            if (volume.read_only) lines.push(`mount -o remount,bind,ro ${shellQuote(target)}`);
        } else {
            const source = input.volumes[volume.source];
            assert.ok(source, `no directory given for the volume ${volume.source}`);
            lines.push(`mount --bind ${shellQuote(source)} ${shellQuote(target)}`);
        }
    }
    lines.push(`mount --bind ${shellQuote(path.join(root, HOSTS_FILE))} /etc/hosts`);
    // read_only: the whole root, this machine's included, as the image's root would be; the bind
    // mounts made above are mounts of their own and keep their modes.
    if (service.read_only) lines.push("mount -o remount,bind,ro /");
    for (const entry of service.tmpfs ?? []) {
        const [target, options] = String(entry).split(":");
        lines.push(`mount -t tmpfs -o ${shellQuote(options ?? "size=16m")} tmpfs ${shellQuote(inRoot(target))}`);
    }
    // The stand-ins are other containers: they share the network namespace, not the restrictions below.
    for (const companion of input.companions) lines.push(`${companion.argv.map(shellQuote).join(" ")} &`);

    // cap_drop ALL and cap_add: the bounding set; root's exec then holds exactly those.
    assert.deepStrictEqual(service.cap_drop, ["ALL"], "the service must drop every capability");
    const caps = (service.cap_add ?? []).map((cap: string) => `+${cap.toLowerCase()}`);
    const noNewPrivileges = (service.security_opt ?? []).includes("no-new-privileges:true");
    const env = Object.entries({ ...CADDY_IMAGE.env, TMPDIR: "/tmp" }).map(([name, value]) => `${name}=${inRoot(value)}`);
    const args = CADDY_IMAGE.args.map((arg) => (arg.startsWith("/") ? inRoot(arg) : arg));
    lines.push(
        [
            "exec setpriv",
            `--bounding-set=-all${caps.length ? `,${caps.join(",")}` : ""}`,
            "--inh-caps=-all",
            ...(noNewPrivileges ? ["--no-new-privs"] : []),
            "--",
            "env -i PATH=/usr/bin:/bin",
            ...env.map(shellQuote),
            shellQuote(CADDY),
            ...args.map(shellQuote),
        ].join(" "),
    );
    return lines.join("\n");
}

/** Polls `check` until it returns true; fails early when the service has exited. */
export async function waitFor(what: string, check: () => boolean, service: RunningService, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        assert.ok(!service.exited(), `the service exited while waiting for ${what}:\n${service.log()}`);
        assert.ok(Date.now() < deadline, `${what}: not within ${timeoutMs / 1000} s\n${service.log()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/** Starts the service; waiting until it is ready is the caller's (see `waitFor`). */
export function startCaddyService(input: ServiceInput): RunningService {
    assert.ok(process.getuid?.() === 0, "running the service as its container does needs root");
    assert.ok(fs.existsSync(CADDY), `${CADDY} is missing; run \`bash .ci/install-tools\` first`);
    const root = tempDir("caddy-root");
    layOut(input, root);
    const script = setupScript(input, root);
    // Its own process group, so stop() also ends the companions.
    const child: ChildProcess = spawn("/usr/bin/unshare", ["--net", "--mount", "--propagation", "private", "/bin/sh", "-c", script], {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let exited = false;
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const done = new Promise<void>((resolve) => child.on("exit", () => ((exited = true), resolve())));
    const pid = child.pid;
    assert.ok(pid, "unshare did not start");
    // The companions outlive Caddy if it dies on its own: end the whole group, quietly if it is gone.
    const signalGroup = (signal: NodeJS.Signals) => {
        try {
            process.kill(-pid, signal);
        } catch {
            // nothing left in the group
        }
    };
    return {
        address: input.service.networks[NETWORKS.proxy.name].ipv4_address,
        log: () => output,
        exited: () => exited,
        request(request: ProbeRequest): ProbeResponse {
            assert.ok(!exited, `the service has exited:\n${output}`);
            const result = spawnSync("/usr/bin/nsenter", [`--net=/proc/${pid}/ns/net`, "--", process.execPath, "-e", PROBE, JSON.stringify(request)], {
                encoding: "utf8",
                timeout: 30_000,
            });
            assert.strictEqual(result.status, 0, `the probe failed: ${result.stderr}${result.error ?? ""}`);
            return JSON.parse(result.stdout);
        },
        async stop(): Promise<void> {
            signalGroup("SIGTERM");
            const killed = setTimeout(() => signalGroup("SIGKILL"), 15_000);
            await done;
            clearTimeout(killed);
            signalGroup("SIGKILL");
        },
    };
}
