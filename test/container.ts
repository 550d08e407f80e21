// A process run the way compose runs a service's container, without Docker: in a private mount
// namespace with the service's read-only bind mounts really read-only, a fresh tmpfs on /tmp, an
// /etc/hosts that resolves the other services' container names, and the service's uid and gid
// with no capabilities. It needs root (CI has it); nothing outside the namespace changes.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { shellQuote } from "../components/stack/steps";
import { tempDir } from "./artifacts/tools";

export interface ContainerLike {
    /** The service's `user:` (uid and gid). */
    readonly uid: number;
    readonly gid: number;
    /** Directories bind-mounted `:ro` in the compose file, here at their local copies. */
    readonly readOnly: readonly string[];
    /** Container names and the local addresses they stand for. */
    readonly hosts: Readonly<Record<string, string>>;
}

/** Where a container's directories live: not under /tmp, which the namespace replaces with a tmpfs. */
export function containerDir(prefix: string): string {
    const dir = tempDir(prefix, "/var/tmp");
    fs.chmodSync(dir, 0o755);
    return dir;
}

/**
 * The command and arguments that run `argv` as `container` describes. The script sets up the
 * namespace, then `setpriv` drops to the uid with no capabilities and no new privileges.
 */
export function inContainer(container: ContainerLike, argv: readonly string[]): [string, string[]] {
    assert.ok(process.getuid?.() === 0, "running a process as a container runs it needs root");
    const hostsFile = path.join(containerDir("hosts"), "hosts");
    const entries = Object.entries(container.hosts).map(([name, address]) => `${address} ${name}`);
    fs.writeFileSync(hostsFile, ["127.0.0.1 localhost", ...entries, ""].join("\n"), { mode: 0o644 });
    const script = [
        "set -e",
        ...container.readOnly.map((dir) => `mount --bind ${shellQuote(dir)} ${shellQuote(dir)} && mount -o remount,bind,ro ${shellQuote(dir)}`),
        `mount --bind ${shellQuote(hostsFile)} /etc/hosts`,
        "mount -t tmpfs -o mode=1777,size=256m tmpfs /tmp",
        `exec setpriv --reuid=${container.uid} --regid=${container.gid} --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"`,
    ].join("\n");
    return ["/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "container", ...argv]];
}

/** A loopback address of its own for a service (all of 127/8 reaches lo), so its fixed port collides with nothing. */
export function loopbackAddress(): string {
    const byte = () => 1 + Math.floor(Math.random() * 254);
    return `127.${byte()}.${byte()}.${byte()}`;
}
