// One self-signed certificate for every public host a test stands in for (Telegram's API, a model
// provider), made with openssl. The program under test trusts it through NODE_EXTRA_CA_CERTS (or
// its ecosystem's equivalent), the only thing a test adds to a service's environment.
import * as fs from "fs";
import * as path from "path";
import { ok } from "../artifacts/tools";
import { containerDir } from "../container";

export interface StandInCertificate {
    readonly key: string;
    readonly cert: string;
    /** The certificate as a PEM file, readable by any user (outside /tmp, which a container replaces). */
    readonly file: string;
}

export function standInCertificate(hosts: readonly string[]): StandInCertificate {
    const dir = containerDir("stand-in-tls");
    const keyFile = path.join(dir, "key.pem");
    const file = path.join(dir, "cert.pem");
    ok("/usr/bin/openssl", [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", keyFile, "-out", file,
        "-subj", `/CN=${hosts[0]}`, "-addext", `subjectAltName=${hosts.map((host) => `DNS:${host}`).join(",")}`,
    ]);
    fs.chmodSync(file, 0o644);
    const key = fs.readFileSync(keyFile, "utf8");
    fs.rmSync(keyFile);
    return { key, cert: fs.readFileSync(file, "utf8"), file };
}

/**
 * How long a stand-in keeps an idle keep-alive connection. Node's default (5 s) closes it sooner
 * than a public API does, and a client that sends its next request as the close is on its way
 * (through the egress proxy and, on the VM, QEMU's network) gets "Network request failed".
 */
export const STAND_IN_KEEP_ALIVE_MS = 120_000;
