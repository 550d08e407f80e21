/** Single-quotes a word for bash. */
export const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
