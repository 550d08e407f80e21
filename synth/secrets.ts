// Every secret value synth hands the program (config secrets and what the mocks generate) is
// registered here under a name, so that before anything is written each value can be replaced by
// `<secret:NAME>`, and a value that slipped through stops the synth instead of reaching a file.

/** The marker a secret value is replaced with in every written file. */
export const placeholder = (name: string) => `<secret:${name}>`;

/**
 * A value as it appears in text: as it is, and escaped as in a JSON (or double-quoted YAML) string,
 * where a multi-line key's line breaks become `\n`.
 */
function forms(value: string): string[] {
    const escaped = JSON.stringify(value).slice(1, -1);
    return escaped === value ? [value] : [value, escaped];
}

/** A name for every secret value; replaces them in text and proves none is left. */
export class SecretBook {
    private readonly byValue = new Map<string, string>();

    /** Registers `value` as the secret `name` and returns it. A value registered twice keeps its first name. */
    add(name: string, value: string): string {
        // Short values (a 1-character hash of nothing) would match ordinary text.
        if (value.length < 8) throw new Error(`synth: the mock secret ${name} is too short to be found reliably`);
        if (!this.byValue.has(value)) this.byValue.set(value, name);
        return value;
    }

    /** Whether `value` is a registered secret. */
    has(value: string): boolean {
        return this.byValue.has(value);
    }

    /** The registered values by name (raw; only for `--reveal-mock-secrets`). */
    entries(): Record<string, string> {
        return Object.fromEntries([...this.byValue].map(([value, name]) => [name, value]));
    }

    /**
     * `text` with every registered value replaced by its placeholder, longest first, so a secret
     * that contains another (a PEM key holding base64, `sk-` plus a password) is replaced whole.
     */
    scrub(text: string): string {
        let result = text;
        for (const value of [...this.byValue.keys()].sort((a, b) => b.length - a.length)) {
            for (const form of forms(value)) {
                if (result.includes(form)) result = result.split(form).join(placeholder(this.byValue.get(value)!));
            }
        }
        return result;
    }

    /** The names of the registered secrets `text` still holds (empty after `scrub`). */
    leaks(text: string): string[] {
        return [...this.byValue].filter(([value]) => forms(value).some((form) => text.includes(form))).map(([, name]) => name);
    }
}
