// Typed reads from one config namespace, shared by the program (`openclaw:`) and the deployments
// project (`openclaw-deployments:`). Nothing throws here: each problem becomes one sentence naming
// the key, the value (never a secret's) and what is accepted, and the caller reports them all.
import * as pulumi from "@pulumi/pulumi";

/** Read access to the stack's config, as Pulumi hands it to the program. */
export interface RawConfig {
    /** The raw text of a fully qualified key (`openclaw:sshPort`, `aws:region`); lists and maps are JSON. */
    get(fullKey: string): string | undefined;
    /** Whether the stack stores the key encrypted. */
    isSecret(fullKey: string): boolean;
    /** Every fully qualified key the stack sets, in any namespace. */
    keys(): readonly string[];
}

/** Edits (insertions, deletions, substitutions) between two strings. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

/**
 * The known key a mistyped one most likely meant: the same letters in another case, or a key at
 * most two edits away (one for short names); undefined when none is that close.
 */
export function nearestKey(name: string, known: readonly string[]): string | undefined {
    const lower = name.toLowerCase();
    const sameLetters = known.find((key) => key.toLowerCase() === lower);
    if (sameLetters) return sameLetters;
    const allowed = name.length < 6 ? 1 : 2;
    const [best] = known.map((key) => ({ key, distance: editDistance(lower, key.toLowerCase()) })).sort((x, y) => x.distance - y.distance);
    return best && best.distance <= allowed ? best.key : undefined;
}

/** Shapes of credentials: a private key block, well-known token prefixes, a Telegram bot token. */
const CREDENTIAL_SHAPES = [
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
    /(^|[^A-Za-z0-9])(sk-|sk_|rk_|tskey-|dop_v1_|ghp_|gho_|ghs_|github_pat_|glpat-|xox[abprs]-|AGE-SECRET-KEY-)/,
    /(^|[^A-Za-z0-9])AKIA[0-9A-Z]{16}/,
    /(^|[^0-9])\d{6,}:[A-Za-z0-9_-]{30,}/,
];

/**
 * Whether a value could be a credential: one of the shapes above, or an opaque run of 24 or more
 * token characters in both cases with digits (API tokens, passwords), or of 40 or more hex digits.
 * Public material that looks alike is let through: an OpenSSH public key's body, an image digest.
 * Such values never appear in a sentence.
 */
export function looksLikeSecret(text: string): boolean {
    if (CREDENTIAL_SHAPES.some((shape) => shape.test(text))) return true;
    const publicParts = /(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) AAAA[A-Za-z0-9+/=]+|sha256:[a-f0-9]{64}/g;
    const runs = text.replace(publicParts, " ").match(/[A-Za-z0-9_\-+/=]{24,}/g) ?? [];
    return runs.some((run) => (/[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run)) || /[a-fA-F0-9]{40,}/.test(run));
}

/** Long values are cut in sentences, so that a pasted key or list does not drown the message. */
export function abbreviate(text: string): string {
    return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * A config that cannot be deployed. The message lists every problem, one sentence each. A
 * `RunError`, so `pulumi preview` prints the message without a stack trace.
 */
export class InvalidConfigError extends pulumi.RunError {
    constructor(
        /** What was read, for the message: "stack configuration", "deployments configuration". */
        subject: string,
        readonly problems: readonly string[],
    ) {
        super(`The ${subject} is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = new.target.name;
    }
}

export class ConfigReader {
    readonly problems: string[] = [];

    constructor(
        readonly raw: RawConfig,
        /** The project's namespace, `openclaw` or `openclaw-deployments`. */
        readonly namespace: string,
    ) {}

    /** The raw text of `<namespace>:<key>`, undefined when unset. */
    protected text(key: string): string | undefined {
        return this.raw.get(`${this.namespace}:${key}`);
    }

    has(key: string): boolean {
        return this.text(key) !== undefined;
    }

    /**
     * A sentence for every key of this namespace that is not in `known`: a typo would otherwise be
     * ignored silently. `elsewhere` names the right key for settings that belong to another
     * namespace (a provider's token set as one of ours).
     */
    refuseUnknownKeys(known: readonly string[], elsewhere: Readonly<Record<string, string>> = {}): void {
        for (const fullKey of this.raw.keys()) {
            const separator = fullKey.indexOf(":");
            const [namespace, name] = [fullKey.slice(0, separator), fullKey.slice(separator + 1)];
            if (namespace !== this.namespace || known.includes(name)) continue;
            const remove = `pulumi config rm ${name}`;
            const home = elsewhere[name];
            if (home) {
                const secret = /token|key/i.test(home) ? "--secret " : "";
                this.problems.push(`${fullKey} is not a setting of this program; that value belongs in ${home} (\`${remove}\`, then \`pulumi config set ${secret}${home} <value>\`).`);
                continue;
            }
            const guess = nearestKey(name, known);
            this.problems.push(
                guess
                    ? `${fullKey} is not a setting of this program; did you mean ${this.namespace}:${guess}? (\`${remove}\`, then \`pulumi config set ${guess} <value>\`).`
                    : `${fullKey} is not a setting of this program; its settings are the keys of Pulumi.yaml (\`${remove}\` if it is left over).`,
            );
        }
    }

    /** "namespace:key is "value"; why and what is accepted." A value that could be a credential is not repeated. */
    problem(key: string, value: string, accepted: string): void {
        if (looksLikeSecret(value)) {
            this.problems.push(`${this.namespace}:${key} (value hidden: it looks like a credential) is not accepted; ${accepted}.`);
            return;
        }
        this.problems.push(`${this.namespace}:${key} is ${JSON.stringify(value)}; ${accepted}.`);
    }

    /** The same, for a secret: the value never appears in the sentence. */
    hiddenProblem(key: string, accepted: string): void {
        this.problems.push(`${this.namespace}:${key} (value hidden) is not accepted; ${accepted}.`);
    }

    /** Trimmed text; `fallback` when unset, and a problem (then `fallback`) when empty. */
    string(key: string, fallback?: string): string | undefined {
        const text = this.text(key);
        if (text === undefined) return fallback;
        if (text.trim() === "") {
            this.problem(key, text, "it must not be empty; remove it to use the default");
            return fallback;
        }
        return text.trim();
    }

    /** A list or map: Pulumi passes it as JSON text. Null (with a problem) when it is not JSON. */
    json(key: string): unknown {
        const text = this.text(key);
        if (text === undefined) return undefined;
        try {
            return JSON.parse(text);
        } catch {
            this.problem(key, this.shown(key, text), "it must be a list or map, not plain text");
            return null;
        }
    }

    /** A list of trimmed strings; `example` is a `pulumi config set` line for the sentence. */
    stringList(key: string, fallback: readonly string[], example?: string): string[];
    stringList(key: string, fallback: readonly string[] | undefined, example?: string): string[] | undefined;
    stringList(key: string, fallback: readonly string[] | undefined, example?: string): string[] | undefined {
        const text = this.text(key);
        if (text === undefined) return fallback === undefined ? undefined : [...fallback];
        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch {
            value = undefined;
        }
        if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
            this.problem(key, this.shown(key, text), `it must be a list of strings${example ? ` (${example})` : ""}`);
            return [];
        }
        return value.map((item: string) => item.trim());
    }

    /** A value that must be stored encrypted: in plain text it is still read, and reported. */
    secretString(key: string): string | undefined {
        const text = this.text(key);
        if (text === undefined) return undefined;
        if (!this.raw.isSecret(`${this.namespace}:${key}`)) {
            this.problems.push(
                `${this.namespace}:${key} is stored in plain text in the stack file; set it again with \`pulumi config set --secret ${key}\`.`,
            );
        }
        return text.trim();
    }

    /** How a value may appear in a sentence: hidden when secret, cut when long. */
    private shown(key: string, text: string): string {
        return this.raw.isSecret(`${this.namespace}:${key}`) ? "(value hidden)" : abbreviate(text);
    }
}
