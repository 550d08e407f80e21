// A stand-in for the egress proxy where the internet is out of reach: an HTTP CONNECT proxy that
// applies the rendered ACL's allowlist of the client's role as Smokescreen does (exact hosts and
// `*.` prefixes, else 407), and tunnels an allowed host to a local server standing in for it.
// Smokescreen tells a client's role by the client's address; every process here speaks from
// 127.0.0.1, so the stand-in listens on one address per client (each client's container resolves
// the proxy's name to its own) and the address a client reached stands for the client's. It
// records every request, and logs each decision with the fields the deploy's check reads from
// Smokescreen's log. Smokescreen itself is run by smokescreen.spec.ts.
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import * as YAML from "yaml";
import { tempDir } from "../artifacts/tools";

export interface ProxiedRequest {
    readonly host: string;
    readonly port: number;
    readonly allowed: boolean;
    /** The role of the client that asked. */
    readonly role: string;
}

/** One client of the stand-in: the address it reaches the proxy at, and its role's allowlist. */
export interface StandInClient {
    readonly address: string;
    readonly role: string;
    readonly allowedDomains: readonly string[];
}

export interface StandInEgress {
    readonly requests: ProxiedRequest[];
    /** Smokescreen's decision log, as far as the deploy's check reads it: one JSON line per request, in this file. */
    readonly logFile: string;
    close(): Promise<void>;
}

/** A role's allowlist in the rendered ACL: its rule's hosts, or the default rule's when it has none. */
export function aclRoleDomains(aclYaml: string, role: string): string[] {
    const acl = YAML.parse(aclYaml);
    const rule = (acl.services as { name: string; allowed_domains: string[] }[]).find((s) => s.name === role) ?? acl.default;
    return rule?.allowed_domains ?? [];
}

/** Whether an ACL `allowed_domains` entry matches `host`, by Smokescreen's rule. */
export function aclAllows(allowedDomains: readonly string[], host: string): boolean {
    return allowedDomains.some((glob) => (glob.startsWith("*.") ? host.endsWith(glob.slice(1)) : host === glob));
}

/**
 * Listens on each client's `address:port`; a CONNECT to a host the client's role allows is
 * tunnelled to `upstreams[host]` (a local port), or refused with 502 when the test has no stand-in for it.
 */
export async function startStandInEgress(
    port: number,
    clients: readonly StandInClient[],
    upstreams: Readonly<Record<string, number>>,
): Promise<StandInEgress> {
    const requests: ProxiedRequest[] = [];
    const logFile = path.join(tempDir("egress-log"), "smokescreen.log");
    fs.writeFileSync(logFile, "");
    const sockets = new Set<net.Socket>();
    const serve = (client: StandInClient) => (socket: net.Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
        socket.once("data", (head) => {
            const request = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString("latin1"));
            if (!request) {
                socket.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                return;
            }
            const [host, targetPort] = [request[1].toLowerCase(), Number(request[2])];
            const allowed = aclAllows(client.allowedDomains, host);
            requests.push({ host, port: targetPort, allowed, role: client.role });
            const decision = { allow: allowed, msg: "CANONICAL-PROXY-DECISION", requested_host: `${host}:${targetPort}`, role: client.role };
            fs.appendFileSync(logFile, `${JSON.stringify(decision)}\n`);
            const upstreamPort = upstreams[host];
            if (!allowed || upstreamPort === undefined) {
                socket.end(allowed ? "HTTP/1.1 502 Bad Gateway\r\n\r\n" : "HTTP/1.1 407 Request Rejected by Proxy\r\nX-Smokescreen-Error: not in the allowlist\r\n\r\n");
                return;
            }
            const upstream = net.connect(upstreamPort, "127.0.0.1", () => {
                socket.write("HTTP/1.1 200 Connection established\r\n\r\n");
                socket.pipe(upstream).pipe(socket);
            });
            sockets.add(upstream);
            upstream.on("close", () => sockets.delete(upstream));
            upstream.on("error", () => socket.destroy());
        });
    };
    const servers = await Promise.all(
        clients.map(
            (client) =>
                new Promise<net.Server>((resolve, reject) => {
                    const server = net.createServer(serve(client));
                    server.once("error", reject);
                    server.listen(port, client.address, () => resolve(server));
                }),
        ),
    );
    return {
        requests,
        logFile,
        close: async () => {
            sockets.forEach((socket) => socket.destroy());
            await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
        },
    };
}
