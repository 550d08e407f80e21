// age's X25519 identities are 32 secret bytes in Bech32 (BIP 173) with the human-readable part
// "age-secret-key-", upper-cased. The program derives one from the stack's backup key, so
// `pulumi stack output backupEncryptionKey` is an identity file `age -d -i` accepts as it is.

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
    let checksum = 1;
    for (const value of values) {
        const top = checksum >>> 25;
        checksum = ((checksum & 0x1ffffff) << 5) ^ value;
        GENERATORS.forEach((generator, i) => {
            if ((top >>> i) & 1) checksum ^= generator;
        });
    }
    return checksum >>> 0;
}

function expandPrefix(prefix: string): number[] {
    const codes = [...prefix].map((c) => c.charCodeAt(0));
    return [...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31)];
}

/** Regroups 8-bit bytes into 5-bit words, zero-padding the last one. */
function toWords(bytes: Uint8Array): number[] {
    const words: number[] = [];
    let accumulator = 0;
    let bits = 0;
    for (const byte of bytes) {
        accumulator = (accumulator << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            words.push((accumulator >> bits) & 31);
        }
    }
    if (bits > 0) words.push((accumulator << (5 - bits)) & 31);
    return words;
}

/** Bech32 of `data` under a lower-case human-readable prefix (no length limit, as age uses it). */
export function bech32(prefix: string, data: Uint8Array): string {
    const words = toWords(data);
    const check = polymod([...expandPrefix(prefix), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
    const checksum = [25, 20, 15, 10, 5, 0].map((shift) => (check >>> shift) & 31);
    return `${prefix}1${[...words, ...checksum].map((w) => CHARSET[w]).join("")}`;
}

/** The age identity (`AGE-SECRET-KEY-1...`) of 32 secret bytes. */
export function ageIdentity(secretKey: Uint8Array): string {
    if (secretKey.length !== 32) throw new Error(`ageIdentity: an X25519 key is 32 bytes, not ${secretKey.length}`);
    return bech32("age-secret-key-", secretKey).toUpperCase();
}
