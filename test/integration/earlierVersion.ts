// What a state volume of an earlier version may hold, which a deploy or a restore must not follow
// out of the volume: a symbolic link, of the image's `node`, to a file of `node`'s elsewhere on the host.
import * as fs from "fs";
import * as path from "path";
import { IMAGE_NODE_ID } from "../../components/stack/layout";

/** Makes, in `dir`, a file of `node`'s (on a host, a login's) and, in `volume`, a link of `node`'s named `link` to it; returns the file. */
export function linkToNodesFileOutside(volume: string, link: string, dir: string): string {
    const outside = path.join(dir, "a login's file");
    fs.writeFileSync(outside, "not the gateway's\n");
    fs.lchownSync(outside, IMAGE_NODE_ID, IMAGE_NODE_ID);
    fs.symlinkSync(outside, path.join(volume, link));
    fs.lchownSync(path.join(volume, link), IMAGE_NODE_ID, IMAGE_NODE_ID);
    return outside;
}
