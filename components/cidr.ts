import * as net from "net";

/** A parsed, normalised CIDR block. */
export interface Cidr {
    /** The block as written back in canonical form, e.g. `203.0.113.0/24`. */
    readonly text: string;
    readonly family: 4 | 6;
    readonly prefix: number;
}

/** Result of parsing: a block, or the reason the text is not one. */
export type CidrParse = { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly reason: string };

/**
 * Parses `a.b.c.d/n` or `h:h::h/n`. Host bits must be zero: cloud firewalls reject
 * `10.0.0.1/8`, and it usually means the operator meant a single address (`/32`).
 */
export function parseCidr(text: string): CidrParse {
    const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
    if (!match) {
        return { ok: false, reason: "it is not in address/prefix form" };
    }
    const [, address, prefixText] = match;
    const family = net.isIPv4(address) ? 4 : net.isIPv6(address) ? 6 : 0;
    if (family === 0) {
        return { ok: false, reason: `${address} is not an IPv4 or IPv6 address` };
    }
    const bits = family === 4 ? 32 : 128;
    const prefix = Number(prefixText);
    if (prefix > bits) {
        return { ok: false, reason: `the prefix /${prefix} is longer than ${bits} bits` };
    }
    const value = family === 4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
    const hostMask = (1n << BigInt(bits - prefix)) - 1n;
    if ((value & hostMask) !== 0n) {
        const network = value & ~hostMask;
        const suggestion = family === 4 ? bigIntToIpv4(network) : bigIntToIpv6(network);
        return { ok: false, reason: `it has host bits set (the network is ${suggestion}/${prefix})` };
    }
    const canonical = family === 4 ? bigIntToIpv4(value) : bigIntToIpv6(value);
    return { ok: true, cidr: { text: `${canonical}/${prefix}`, family, prefix } };
}

/**
 * True when a block is so wide that it amounts to "anyone on the internet":
 * `0.0.0.0/0`, `::/0`, and also tricks such as `0.0.0.0/1` (shorter than /8 or /16).
 */
export function isWorldOpen(cidr: Cidr): boolean {
    return cidr.family === 4 ? cidr.prefix < 8 : cidr.prefix < 16;
}

function ipv4ToBigInt(address: string): bigint {
    return address.split(".").reduce((acc, octet) => (acc << 8n) + BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(value: bigint): string {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
}

function ipv6ToBigInt(address: string): bigint {
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets first.
    let text = address;
    const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4Tail) {
        const v4 = ipv4ToBigInt(v4Tail[1]);
        text = text.slice(0, -v4Tail[1].length) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
    }
    const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
    const headParts = head ? head.split(":") : [];
    const tailParts = tail ? tail.split(":") : [];
    const missing = 8 - headParts.length - tailParts.length;
    const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(missing).fill("0"), ...tailParts];
    return parts.reduce((acc, part) => (acc << 16n) + BigInt(parseInt(part, 16)), 0n);
}

function bigIntToIpv6(value: bigint): string {
    const hextets = [...Array(8).keys()].map((i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
    // Compress the longest run of zero hextets (RFC 5952).
    let bestStart = -1;
    let bestLength = 0;
    for (let i = 0; i < 8; ) {
        if (hextets[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && hextets[j] === 0) j++;
        if (j - i > bestLength && j - i > 1) {
            bestStart = i;
            bestLength = j - i;
        }
        i = j;
    }
    const hex = hextets.map((h) => h.toString(16));
    if (bestStart < 0) {
        return hex.join(":");
    }
    return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
