// A stand-in for the egress proxy where the internet is out of reach: an HTTP CONNECT proxy that
// applies the rendered ACL's allowlist as Smokescreen does (exact hosts and `*.` prefixes, else
// 407), and tunnels an allowed host to a local server standing in for it. It records every
// request, so a test sees what went through the proxy. Smokescreen itself is run by
// smokescreen.spec.ts.
import * as net from "net";

export interface ProxiedRequest {
    readonly host: string;
    readonly port: number;
    readonly allowed: boolean;
}

export interface StandInEgress {
    readonly requests: ProxiedRequest[];
    close(): Promise<void>;
}

/** Whether an ACL `allowed_domains` entry matches `host`, by Smokescreen's rule. */
export function aclAllows(allowedDomains: readonly string[], host: string): boolean {
    return allowedDomains.some((glob) => (glob.startsWith("*.") ? host.endsWith(glob.slice(1)) : host === glob));
}

/**
 * Listens on `address:port`; a CONNECT to an allowed host is tunnelled to `upstreams[host]`
 * (a local port), or refused with 502 when the test has no stand-in for it.
 */
export async function startStandInEgress(
    address: string,
    port: number,
    allowedDomains: readonly string[],
    upstreams: Readonly<Record<string, number>>,
): Promise<StandInEgress> {
    const requests: ProxiedRequest[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
        sockets.add(client);
        client.on("close", () => sockets.delete(client));
        client.on("error", () => undefined);
        client.once("data", (head) => {
            const request = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString("latin1"));
            if (!request) {
                client.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                return;
            }
            const [host, targetPort] = [request[1].toLowerCase(), Number(request[2])];
            const allowed = aclAllows(allowedDomains, host);
            requests.push({ host, port: targetPort, allowed });
            const upstreamPort = upstreams[host];
            if (!allowed || upstreamPort === undefined) {
                client.end(allowed ? "HTTP/1.1 502 Bad Gateway\r\n\r\n" : "HTTP/1.1 407 Request Rejected by Proxy\r\nX-Smokescreen-Error: not in the allowlist\r\n\r\n");
                return;
            }
            const upstream = net.connect(upstreamPort, "127.0.0.1", () => {
                client.write("HTTP/1.1 200 Connection established\r\n\r\n");
                client.pipe(upstream).pipe(client);
            });
            sockets.add(upstream);
            upstream.on("close", () => sockets.delete(upstream));
            upstream.on("error", () => client.destroy());
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, address, resolve);
    });
    return {
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                sockets.forEach((socket) => socket.destroy());
                server.close(() => resolve());
            }),
    };
}
