// The stack's `.env`: every secret the containers need, read by compose from the stack directory.
// It reaches the host only on a deploy step's standard input and is written with mode 0600.

/**
 * Renders `NAME='value'` lines, sorted. Single quotes make compose take each value literally (no
 * `$` interpolation); a value that holds a quote or a line break cannot be written that way.
 */
export function renderEnvFile(values: Readonly<Record<string, string>>): string {
    const lines = Object.keys(values)
        .sort()
        .map((name) => {
            const value = values[name];
            if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`${name} is not an environment variable name.`);
            // The value itself is never part of an error message.
            if (value === "" || /['\r\n]/.test(value)) {
                throw new Error(`The secret for ${name} is empty or holds a quote or a line break, which .env cannot carry.`);
            }
            return `${name}='${value}'`;
        });
    return `${lines.join("\n")}\n`;
}
