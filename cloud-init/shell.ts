// Bash quoting, for every file this program writes on a host. It lives here, not in components/,
// because the host's files (cloud-init/) may import nothing from the stack, and the stack may
// import from them.

/** Single-quotes a word for bash. */
export const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** A word as bash reads it back unchanged: bare when it has no character bash treats specially. */
export const shellWord = (word: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : shellQuote(word));
