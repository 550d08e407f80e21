// The stack outputs the day-2 helpers need, read from `pulumi stack output` in the project folder.
import { spawnSync } from "child_process";

/** Where and as whom the helpers connect, and the key they connect with (kept in memory only). */
export interface HostAccessPoint {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly deployPrivateKey: string;
}

/**
 * Reads the access point from the stack's outputs (the JSON `pulumi stack output --json
 * --show-secrets` prints). `sshCommand` names the user and port; one sentence when anything is
 * missing, and never a secret's value.
 */
export function accessPointFrom(outputs: Record<string, unknown>): HostAccessPoint {
    const missing = ["serverIp", "sshCommand", "deployPrivateKey"].filter((key) => typeof outputs[key] !== "string" || outputs[key] === "");
    if (missing.length > 0) {
        throw new Error(`the stack has no ${missing.join(", ")} output; run \`pulumi up\` for this stack first`);
    }
    const sshCommand = outputs.sshCommand as string;
    const parsed = /^ssh -p (\d+) ([a-z_][a-z0-9_-]*)@(\S+)$/.exec(sshCommand);
    if (!parsed) throw new Error(`the stack's sshCommand output is "${sshCommand}"; expected "ssh -p <port> <user>@<address>"`);
    return { host: parsed[3], port: Number(parsed[1]), user: parsed[2], deployPrivateKey: outputs.deployPrivateKey as string };
}

/** Runs `pulumi stack output --json --show-secrets` (for `stack`, or the selected one) in `cwd`. */
export function readStackOutputs(cwd: string, stack?: string): Record<string, unknown> {
    const args = ["stack", "output", "--json", "--show-secrets", ...(stack ? ["--stack", stack] : [])];
    const result = spawnSync("pulumi", args, { cwd, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    if (result.error) throw new Error(`could not run pulumi (${result.error.message}); install the Pulumi CLI and run this in the project folder`);
    if (result.status !== 0) throw new Error(`\`pulumi ${args.join(" ")}\` failed: ${result.stderr.trim().split("\n").pop()}`);
    return JSON.parse(result.stdout);
}
