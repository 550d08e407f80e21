// `npm run --silent ops -- <command>`: day-2 helpers that read the stack's outputs and reach the
// host as `deploy` with the stack's deploy key, held by a private ssh-agent for the command's life.
import { spawnSync } from "child_process";
import { startKeyAgent } from "./agent";
import { accessPointFrom, readStackOutputs } from "./outputs";
import { backupNowCommand, logsCommand, openclawCommand, SERVICE_NAMES, statusCommand } from "./remote";

const USAGE = `usage: npm run --silent ops -- [--stack <name>] [-o <ssh option>]... <command>

  ssh [command...]         SSH in as deploy (or run one command there)
  logs [service] [-f] [-n <lines>]
                           a service's container logs (${SERVICE_NAMES.join(", ")}), or every container's
  status                   containers and their health, the last good backup, the timers, the disk
  backup-now               run a backup now and wait for it
  openclaw <args...>       the OpenClaw CLI in the gateway's container (pairing, doctor, ...)`;

interface Invocation {
    readonly stack?: string;
    readonly sshOptions: string[];
    readonly command: string;
    readonly args: string[];
}

/** Splits the global options from the command and its arguments. */
export function parseInvocation(argv: readonly string[]): Invocation {
    const sshOptions: string[] = [];
    let stack: string | undefined;
    let i = 0;
    for (; i < argv.length; i++) {
        if (argv[i] === "--stack" && i + 1 < argv.length) stack = argv[++i];
        else if (argv[i] === "-o" && i + 1 < argv.length) sshOptions.push(argv[++i]);
        else break;
    }
    if (i >= argv.length) throw new Error(USAGE);
    return { stack, sshOptions, command: argv[i], args: argv.slice(i + 1) };
}

/** What a helper runs on the host (undefined: an interactive login), and whether it needs a terminal. */
interface Remote {
    readonly remote?: string;
    readonly tty: boolean;
}

/** Each helper, by command name: its remote command from its arguments. */
const COMMANDS: Readonly<Record<string, (args: readonly string[], interactive: boolean) => Remote>> = {
    ssh: (args) => (args.length === 0 ? { tty: true } : { remote: args.join(" "), tty: false }),
    logs: (args) => {
        let follow = false;
        let lines = 200;
        const rest: string[] = [];
        for (let i = 0; i < args.length; i++) {
            if (args[i] === "-f" || args[i] === "--follow") follow = true;
            else if ((args[i] === "-n" || args[i] === "--lines") && /^\d+$/.test(args[i + 1] ?? "")) lines = Number(args[++i]);
            else rest.push(args[i]);
        }
        if (rest.length > 1) throw new Error(`logs takes one service at most; got ${rest.join(", ")}`);
        return { remote: logsCommand(rest[0], { follow, lines }), tty: false };
    },
    status: () => ({ remote: statusCommand(), tty: false }),
    "backup-now": () => ({ remote: backupNowCommand(), tty: false }),
    openclaw: (args, interactive) => {
        if (args.length === 0) throw new Error("openclaw needs the OpenClaw CLI's arguments, e.g. `openclaw doctor`");
        return { remote: openclawCommand(args, interactive), tty: interactive };
    },
};

/** The helper's commands (the docs are checked against this list). */
export const OPS_COMMANDS = Object.keys(COMMANDS);

/** The remote command for a helper, and whether it needs a terminal. */
export function remoteCommandFor(command: string, args: readonly string[], interactive: boolean): Remote {
    const helper = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!helper) throw new Error(`"${command}" is not a command of this helper.\n${USAGE}`);
    return helper(args, interactive);
}

function main(argv: readonly string[]): number {
    const invocation = parseInvocation(argv);
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const { remote, tty } = remoteCommandFor(invocation.command, invocation.args, interactive);
    const access = accessPointFrom(readStackOutputs(process.cwd(), invocation.stack));
    const agent = startKeyAgent(access.deployPrivateKey);
    try {
        const sshArgs = [
            "-p", String(access.port),
            "-o", `IdentityAgent=${agent.socket}`,
            // First contact records the host key; a changed one (a replaced server) stops here.
            "-o", "StrictHostKeyChecking=accept-new",
            ...invocation.sshOptions.flatMap((option) => ["-o", option]),
            ...(tty && interactive ? ["-t"] : []),
            `${access.user}@${access.host}`,
            ...(remote === undefined ? [] : [remote]),
        ];
        const result = spawnSync("ssh", sshArgs, { stdio: "inherit", env: { ...process.env, SSH_AUTH_SOCK: agent.socket } });
        return result.status ?? 1;
    } finally {
        agent.stop();
    }
}

if (require.main === module) {
    try {
        process.exitCode = main(process.argv.slice(2));
    } catch (error) {
        console.error(error instanceof Error ? error.message : String(error));
        process.exitCode = 2;
    }
}
