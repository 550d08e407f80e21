import * as crypto from "crypto";

/** An ed25519 public key in OpenSSH's one-line form, as the tls provider's `publicKeyOpenssh` gives it. */
export function openSshPublicKey(publicKey: crypto.KeyObject): string {
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const type = Buffer.from("ssh-ed25519");
    const blob = Buffer.concat([u32(type.length), type, u32(raw.length), raw]);
    return `ssh-ed25519 ${blob.toString("base64")}\n`;
}

/** SSH's length prefix: a big-endian 32-bit integer. */
function u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
}
