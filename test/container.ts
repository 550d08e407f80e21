// A process run the way compose runs a service's container, without Docker: in a private mount
// namespace with the service's read-only bind mounts really read-only, its image's programs
// mounted read-only where any uid reaches them, a fresh tmpfs on /tmp, an /etc/hosts that resolves
// the other services' container names, and the service's uid and gid with no capabilities. It
// needs root (CI has it); nothing outside the namespace changes.
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
    /**
     * The image's directories: the installed programs it runs, seen in the container at
     * `imagePath(dir)`. Where this checkout keeps them may be unreachable there: under /tmp,
     * which the container's tmpfs hides, or under a 0700 home its uid cannot traverse.
     */
    readonly image?: readonly string[];
}

/** Where a container's directories live: not under /tmp, which the namespace replaces with a tmpfs. */
export function containerDir(prefix: string): string {
    const dir = tempDir(prefix, "/var/tmp");
    fs.chmodSync(dir, 0o755);
    return dir;
}

let imageRoot: string | undefined;

/** Where a container finds `file`, a path in one of its image's directories: the same path under one root every uid traverses. */
export function imagePath(file: string): string {
    imageRoot ??= containerDir("image");
    return path.join(imageRoot, file);
}

/** Makes `dir` under the image root, each directory on the way mode 0755 whatever the umask. */
function makeMountPoint(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    for (let up = dir; up !== imageRoot; up = path.dirname(up)) fs.chmodSync(up, 0o755);
}

/**
 * The command and arguments that run `argv` as `container` describes, in `workdir`, as a container
 * always has one: the caller's may be hidden (under /tmp), and a program that spawns another in its
 * own cwd would then fail. The script sets up the namespace, then `setpriv` drops to the uid with
 * no capabilities and no new privileges. Paths in `argv` and `workdir` are the container's:
 * `imagePath` gives them for the image's files.
 */
export function inContainer(container: ContainerLike, argv: readonly string[], workdir: string): [string, string[]] {
    assert.ok(process.getuid?.() === 0, "running a process as a container runs it needs root");
    const hostsFile = path.join(containerDir("hosts"), "hosts");
    const entries = Object.entries(container.hosts).map(([name, address]) => `${address} ${name}`);
    fs.writeFileSync(hostsFile, ["127.0.0.1 localhost", ...entries, ""].join("\n"), { mode: 0o644 });
    const readOnlyBind = (source: string, target: string) =>
        `mount --bind ${shellQuote(source)} ${shellQuote(target)} && mount -o remount,bind,ro ${shellQuote(target)}`;
    const image = (container.image ?? []).map((dir) => {
        makeMountPoint(imagePath(dir));
        return readOnlyBind(dir, imagePath(dir));
    });
    const script = [
        "set -e",
        ...container.readOnly.map((dir) => readOnlyBind(dir, dir)),
        // Before the tmpfs goes over /tmp, which may hold them.
        ...image,
        `mount --bind ${shellQuote(hostsFile)} /etc/hosts`,
        "mount -t tmpfs -o mode=1777,size=256m tmpfs /tmp",
        `cd ${shellQuote(workdir)}`,
        `exec setpriv --reuid=${container.uid} --regid=${container.gid} --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"`,
    ].join("\n");
    return ["/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "container", ...argv]];
}

/** A loopback address of its own for a service (all of 127/8 reaches lo), so its fixed port collides with nothing. */
export function loopbackAddress(): string {
    const byte = () => 1 + Math.floor(Math.random() * 254);
    return `127.${byte()}.${byte()}.${byte()}`;
}
