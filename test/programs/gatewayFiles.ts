// The gateway container's files, laid out here as the deploy and Docker leave them: the config
// directory (0700, openclaw.json 0600, both the gateway's), mounted read-only; the state volume
// and the cache tmpfs, the gateway's own; HOME as in the image, its `node`'s (0755), not the
// gateway's. Container paths live under one local root, so the service's environment needs only
// that root in front of its paths.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { IMAGE_NODE_ID } from "../../components/stack/layout";
import { ContainerLike, containerDir } from "../container";

export interface GatewayFiles {
    /** The config directory (the `:ro` bind mount) and the state volume, here. */
    readonly configDir: string;
    readonly stateDir: string;
    /** HOME, here: the image's, its `node`'s. */
    readonly home: string;
    /** The service's user and read-only mount; `hosts` as the caller's network needs. */
    container(hosts: Readonly<Record<string, string>>): ContainerLike;
    /** The service's environment, its container paths (HOME, the mounts) made local. */
    readonly environment: Readonly<Record<string, string>>;
}

/** Lays out the files of the compose `service` (the gateway's) with `config` as openclaw.json. */
export function gatewayFiles(service: any, config: string, configMode = 0o600): GatewayFiles {
    const [uid, gid] = String(service.user).split(":").map(Number);
    const root = containerDir("gateway");
    const local = (containerPath: string) => path.join(root, containerPath);
    const bind = service.volumes.find((v: any) => v.type === "bind");
    const volume = service.volumes.find((v: any) => v.type === "volume");
    assert.ok(bind?.read_only && volume, `the gateway's mounts: ${JSON.stringify(service.volumes)}`);
    const homePath: string = service.environment.HOME;
    const [home, configDir, stateDir, cache] = [homePath, bind.target, volume.target, path.posix.join(homePath, ".cache")].map(local);
    for (const dir of [home, configDir, stateDir, cache]) fs.mkdirSync(dir, { recursive: true });
    // Every directory between the root and a mount is traversable, as in an image.
    for (const dir of [home, configDir]) {
        for (let up = path.dirname(dir); up.startsWith(root) && up !== root; up = path.dirname(up)) fs.chmodSync(up, 0o755);
    }
    const file = path.join(configDir, "openclaw.json");
    fs.writeFileSync(file, config);
    fs.chmodSync(file, configMode);
    fs.chmodSync(configDir, 0o700);
    fs.chmodSync(stateDir, 0o700);
    fs.chmodSync(home, 0o755);
    fs.chownSync(home, IMAGE_NODE_ID, IMAGE_NODE_ID);
    for (const owned of [cache, stateDir, configDir, file]) fs.chownSync(owned, uid, gid);

    const environment = Object.fromEntries(
        Object.entries(service.environment as Record<string, string>).map(([name, value]) => [
            name,
            value.startsWith(homePath) || value.startsWith(bind.target) ? local(value) : value,
        ]),
    );
    return { configDir, stateDir, home, environment, container: (hosts) => ({ uid, gid, readOnly: [configDir], hosts }) };
}
