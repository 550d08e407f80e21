// The world outside the VM, as stand-ins on this machine's loopback: Anthropic's Messages API,
// Telegram's Bot API, one web page on an allowlisted host and one on a host that is not. The VM
// reaches them only through QEMU's user-mode networks:
//  - names: QEMU answers the guest's DNS (10.0.2.3) from the resolv.conf it reads, which for the
//    VM's QEMU is this file's: a resolver on loopback that gives every stand-in host WORLD_ADDRESS
//    (a documentation range, which the egress proxy allows as it would a public address) and
//    relays any other name (Debian's mirror, the Go module proxy) to this machine's resolver;
//  - packets: the VM's second network card is on WORLD_NETWORK, a QEMU user network that reaches
//    nothing but its guestfwd address, WORLD_ADDRESS:443, which QEMU hands to a local command that
//    connects to the router here; the router picks the stand-in by the TLS server name. The host
//    and its containers (through Docker's own masquerading) reach it by plain routing, with no
//    NAT rule of the test's in the VM, so the host's firewall sees what it would in production.
import * as dgram from "dgram";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import { ANTHROPIC_HOST, FakeProviders, startFakeProviders } from "../programs/fakeProviders";
import { FakeTelegram, startFakeTelegram, TELEGRAM_API_HOST } from "../programs/fakeTelegram";
import { StandInCertificate, standInCertificate } from "../programs/standInTls";

/** The VM's second network, TEST-NET-1: a documentation range, which no real host answers. */
export const WORLD_NETWORK = "192.0.2.0/24";
/** Where every stand-in host resolves for the VM and its containers: QEMU's guestfwd address on WORLD_NETWORK. */
export const WORLD_ADDRESS = "192.0.2.10";
/** The VM's own address on WORLD_NETWORK (its second card, eth1). */
export const WORLD_GUEST_ADDRESS = "192.0.2.15";
/** The stand-in resolver's address on this machine's loopback (port 53, which QEMU's DNS forwarder uses). */
const RESOLVER_ADDRESS = "127.0.2.53";

/** The page hosts: the first is in the e2e stack's egressDomains, the second in no allowlist. */
export const PAGE_HOSTS = { allowed: "docs.openclaw-e2e.example", refused: "example.com" } as const;
export const PAGE_TEXT = { allowed: "The allowlisted page says: lobster bisque at noon.", refused: "The page that must never be fetched." } as const;

export interface WorldKeys {
    readonly anthropic: string;
    readonly telegramBotToken: string;
}

export interface World {
    readonly providers: FakeProviders;
    readonly telegram: FakeTelegram;
    /** Every page request, by host and path. */
    readonly pageRequests: { readonly host: string; readonly path: string }[];
    /** Every TLS connection the router took, by server name: what the VM reached. */
    readonly connections: string[];
    readonly certificate: StandInCertificate;
    /** The resolv.conf QEMU must read (see vm.ts). */
    readonly resolvConf: string;
    /** The command QEMU runs for each guest connection to WORLD_ADDRESS:443. */
    readonly guestfwdCommand: string;
    close(): Promise<void>;
}

export async function startWorld(keys: WorldKeys, workDir: string): Promise<World> {
    const hosts = [ANTHROPIC_HOST, TELEGRAM_API_HOST, PAGE_HOSTS.allowed, PAGE_HOSTS.refused];
    const certificate = standInCertificate(hosts);
    const providers = await startFakeProviders(certificate, { anthropic: keys.anthropic, openai: "sk-unused-openai-key" });
    const telegram = await startFakeTelegram(keys.telegramBotToken, certificate);
    const pageRequests: { host: string; path: string }[] = [];
    const pages = https.createServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
        const host = (request.headers.host ?? "").replace(/:\d+$/, "");
        pageRequests.push({ host, path: request.url ?? "/" });
        const text = host === PAGE_HOSTS.allowed ? PAGE_TEXT.allowed : PAGE_TEXT.refused;
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end(`<!doctype html><html><head><title>${host}</title></head><body><p>${text}</p></body></html>`);
    });
    await listen(pages, 0);
    const upstream: Record<string, number> = {
        [ANTHROPIC_HOST]: providers.port,
        [TELEGRAM_API_HOST]: telegram.port,
        [PAGE_HOSTS.allowed]: (pages.address() as net.AddressInfo).port,
        [PAGE_HOSTS.refused]: (pages.address() as net.AddressInfo).port,
    };
    const connections: string[] = [];
    const router = startRouter(upstream, connections);
    await listen(router, 0);
    const resolver = await startResolver(hosts);

    const resolvConf = path.join(workDir, "resolv.conf");
    fs.writeFileSync(resolvConf, `nameserver ${RESOLVER_ADDRESS}\n`);
    const routerPort = (router.address() as net.AddressInfo).port;
    return {
        providers,
        telegram,
        pageRequests,
        connections,
        certificate,
        resolvConf,
        guestfwdCommand: `socat STDIO TCP:127.0.0.1:${routerPort}`,
        async close() {
            resolver.close();
            router.close();
            pages.closeAllConnections();
            pages.close();
            await Promise.all([providers.close(), telegram.close()]);
        },
    };
}

function listen(server: net.Server, port: number, address = "127.0.0.1"): Promise<void> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, address, () => resolve());
    });
}

/** Routes each TLS connection to the stand-in for its server name (SNI), without terminating TLS. */
function startRouter(upstream: Readonly<Record<string, number>>, connections: string[]): net.Server {
    return net.createServer((client) => {
        client.on("error", () => undefined);
        client.once("data", (hello) => {
            const name = serverName(hello);
            const port = name === undefined ? undefined : upstream[name];
            connections.push(name ?? "(no server name)");
            if (port === undefined) {
                client.destroy();
                return;
            }
            const server = net.connect(port, "127.0.0.1", () => {
                server.write(hello);
                client.pipe(server).pipe(client);
            });
            server.on("error", () => client.destroy());
        });
    });
}

/** The server name of a TLS ClientHello that arrived in one piece (it does: a few hundred bytes). */
export function serverName(hello: Buffer): string | undefined {
    try {
        // record header (5), handshake header (4), version (2), random (32)
        let at = 5 + 4 + 2 + 32;
        at += 1 + hello[at]; // session id
        at += 2 + hello.readUInt16BE(at); // cipher suites
        at += 1 + hello[at]; // compression methods
        const end = at + 2 + hello.readUInt16BE(at);
        at += 2;
        while (at + 4 <= end) {
            const type = hello.readUInt16BE(at);
            const length = hello.readUInt16BE(at + 2);
            if (type === 0) {
                // server_name: list length (2), name type (1), name length (2), name
                const nameLength = hello.readUInt16BE(at + 4 + 3);
                return hello.subarray(at + 4 + 5, at + 4 + 5 + nameLength).toString("ascii").toLowerCase();
            }
            at += 4 + length;
        }
    } catch {
        // A malformed hello: no name.
    }
    return undefined;
}

/** The first nameserver of this machine's own resolv.conf, for every name that is not a stand-in's. */
function systemResolver(): string {
    const line = fs.readFileSync("/etc/resolv.conf", "utf8").split("\n").find((l) => /^\s*nameserver\s+\d+\.\d+\.\d+\.\d+/.test(l));
    if (!line) throw new Error("/etc/resolv.conf names no IPv4 nameserver, which the VM's other names need");
    return line.trim().split(/\s+/)[1];
}

/**
 * A DNS resolver on RESOLVER_ADDRESS:53 (UDP): A queries for the stand-in hosts are answered with
 * WORLD_ADDRESS, their other types with no record; any other query is relayed to this machine's resolver.
 */
async function startResolver(hosts: readonly string[]): Promise<dgram.Socket> {
    const ours = new Set(hosts.map((h) => h.toLowerCase()));
    const forwarder = systemResolver();
    const socket = dgram.createSocket("udp4");
    const relays = new Set<dgram.Socket>();
    socket.on("message", (query, client) => {
        const question = parseQuestion(query);
        if (question && ours.has(question.name)) {
            socket.send(answer(query, question), client.port, client.address);
            return;
        }
        const relay = dgram.createSocket("udp4");
        relays.add(relay);
        const done = () => {
            relays.delete(relay);
            relay.close();
        };
        const timer = setTimeout(done, 5000);
        relay.on("message", (reply) => {
            clearTimeout(timer);
            socket.send(reply, client.port, client.address);
            done();
        });
        relay.on("error", done);
        relay.send(query, 53, forwarder);
    });
    await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(53, RESOLVER_ADDRESS, () => resolve());
    });
    const close = socket.close.bind(socket);
    return Object.assign(socket, {
        close: () => {
            relays.forEach((relay) => relay.close());
            return close();
        },
    });
}

interface Question {
    readonly name: string;
    readonly type: number;
    /** Offset just past the question. */
    readonly end: number;
}

function parseQuestion(query: Buffer): Question | undefined {
    if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
        const length = query[at];
        if (length > 63) return undefined;
        labels.push(query.subarray(at + 1, at + 1 + length).toString("ascii"));
        at += 1 + length;
    }
    if (at + 5 > query.length) return undefined;
    return { name: labels.join(".").toLowerCase(), type: query.readUInt16BE(at + 1), end: at + 5 };
}

/** The reply to `query`: an A record of WORLD_ADDRESS for type A, no record (NOERROR) for any other type. */
function answer(query: Buffer, question: Question): Buffer {
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100), 2); // response, recursion available, RD copied
    header.writeUInt16BE(1, 4);
    const a = question.type === 1;
    header.writeUInt16BE(a ? 1 : 0, 6);
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the question's name
    record.writeUInt16BE(1, 2); // A
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(4, 10);
    WORLD_ADDRESS.split(".").forEach((octet, i) => (record[12 + i] = Number(octet)));
    return Buffer.concat([header, query.subarray(12, question.end), ...(a ? [record] : [])]);
}
