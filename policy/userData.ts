// Server user data is readable by anyone who reaches the cloud's metadata service or console, and
// it sits in plain text in the state; the program puts only the host's hardening there and hands
// secrets over SSH on standard input. These patterns catch a secret that found its way in anyway.
import * as zlib from "zlib";
import { parse } from "yaml";
import { describe, fieldOf, isUnknown, listOf, ResourceView } from "./values";

/** The user data properties of each server type; those marked base64 hold encoded bytes. */
export const USER_DATA_PROPERTIES: Readonly<Record<string, readonly { readonly key: string; readonly base64: boolean }[]>> = {
    "hcloud:index/server:Server": [{ key: "userData", base64: false }],
    "digitalocean:index/droplet:Droplet": [{ key: "userData", base64: false }],
    "aws:ec2/instance:Instance": [
        { key: "userData", base64: false },
        { key: "userDataBase64", base64: true },
    ],
    "aws:ec2/launchTemplate:LaunchTemplate": [{ key: "userData", base64: true }],
};

/**
 * What a secret looks like, by name for the message. Each is specific enough not to match the
 * hardening itself. Group 1 is the part that is safe to show (a prefix, a variable name).
 */
export const SECRET_PATTERNS: readonly { readonly name: string; readonly pattern: RegExp }[] = [
    { name: "a private key block", pattern: /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)/ },
    { name: "an age secret key", pattern: /(AGE-SECRET-KEY-1)[0-9A-Z]{10,}/ },
    // `sk-`, `sk-ant-`, `sk-proj-` keys (Anthropic, OpenAI, LiteLLM's master key); not inside a word ("disk-...").
    { name: "an sk- API key", pattern: /(?<![A-Za-z0-9])(sk-(?:ant-|proj-)?)[A-Za-z0-9_-]{20,}/ },
    { name: "a Tailscale auth key", pattern: /(tskey-)[A-Za-z0-9-]{8,}/ },
    // The bot's numeric id, a colon, then the secret part.
    { name: "a Telegram bot token", pattern: /(?<![0-9])(\d{5,}:)[A-Za-z0-9_-]{30,}/ },
    { name: "a Cloudflare tunnel token", pattern: /\b(TUNNEL_TOKEN\s*=)/ },
    { name: "the gateway token", pattern: /\b(OPENCLAW_GATEWAY_TOKEN\s*=)/ },
    { name: "an AWS secret access key", pattern: /\b((?:aws_)?secret_access_key["']?\s*[:=])\s*["']?[^\s"']{16,}/i },
];

/** Base64 text decoded, or undefined when the text is not base64. */
function fromBase64(text: string): Buffer | undefined {
    const compact = text.replace(/\s+/g, "");
    if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
    return Buffer.from(compact, "base64");
}

/** Bytes as text, gunzipped first when they are gzip (cloud-init accepts gzipped user data). */
function asText(bytes: Buffer): string {
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
        try {
            return zlib.gunzipSync(bytes).toString("utf8");
        } catch {
            return bytes.toString("utf8");
        }
    }
    return bytes.toString("utf8");
}

/**
 * The texts to scan in one user data value: the value itself, and what cloud-init would decode
 * from it (a base64 or gzipped whole, and `write_files` entries with a b64/gzip encoding), so an
 * encoded secret is found too.
 */
export function userDataTexts(value: string, base64: boolean): string[] {
    const decoded = base64 ? fromBase64(value) : undefined;
    const text = decoded ? asText(decoded) : value;
    const texts = [value, text];
    if (text.startsWith("#cloud-config")) {
        let config: unknown;
        try {
            config = parse(text);
        } catch {
            config = undefined;
        }
        const files = listOf(fieldOf(config, "write_files"));
        for (const file of isUnknown(files) ? [] : files) {
            const content = fieldOf(file, "content");
            const encoding = String(fieldOf(file, "encoding") ?? "");
            if (typeof content !== "string" || !/^(b64|base64|gz\+b64|gzip\+base64|gz\+base64|gzip\+b64)$/i.test(encoding)) continue;
            const bytes = fromBase64(content);
            if (bytes) texts.push(asText(bytes));
        }
    }
    return texts;
}

/** The secrets a text appears to hold, each named with its harmless part: `an sk- API key ("sk-ant-…")`. */
export function secretsIn(text: string): string[] {
    return SECRET_PATTERNS.flatMap(({ name, pattern }) => {
        const match = pattern.exec(text);
        return match ? [`${name} ("${match[1]}…")`] : [];
    });
}

/**
 * no-secrets-in-user-data: a server's user data carries nothing that looks like a secret. A value
 * not known yet (it depends on another resource's outputs, as the deploy key does) is skipped in
 * preview and checked by `pulumi up`, when it is known.
 */
export function userDataViolations(resource: ResourceView): string[] {
    const violations: string[] = [];
    for (const { key, base64 } of USER_DATA_PROPERTIES[resource.type] ?? []) {
        const value = resource.props[key];
        if (typeof value !== "string") continue;
        const found = new Set(userDataTexts(value, base64).flatMap(secretsIn));
        if (found.size > 0) {
            violations.push(
                `${describe(resource)}: ${key} contains ${[...found].join(", ")}. User data is readable through the cloud's ` +
                    "metadata service and console and is stored in plain text in the state; send secrets to the host on a deploy step's standard input instead.",
            );
        }
    }
    return violations;
}
