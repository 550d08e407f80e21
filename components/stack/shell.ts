// Bash quoting is shared with the host's files, so it lives in cloud-init/shell.ts.
export { shellQuote } from "../../cloud-init/shell";
