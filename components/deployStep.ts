import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Trigger } from "./triggers";

/**
 * One step of the deploy, as data. `deployCommand` maps it to a `remote.Command`; the VM test runs
 * the same script over plain SSH. `triggers` name exactly what the step consumes, so the step
 * reruns when, and only when, one of them changes (a changed script reruns it as an update).
 */
export interface DeployStep {
    readonly name: string;
    /** Run by the `deploy` user's login shell (bash). Never contains a secret. */
    readonly script: string;
    /** Secrets reach the host only this way: on standard input, never on a command line. */
    readonly stdin?: pulumi.Input<string>;
    /** Made by `./triggers`: never a secret, so an unknown one previews (see there). */
    readonly triggers: readonly Trigger[];
    /**
     * Run when the step's resource is deleted: on `pulumi destroy`, and also after a trigger replaced
     * it, so such a script must check that it still acts on the host it belongs to.
     */
    readonly delete?: pulumi.Input<string>;
    /** The step pulls or builds images, or needs the running stack: it cannot run without a registry. */
    readonly needsRegistry?: boolean;
}

/** A script travels as one argument of bash, and Linux refuses one of more than 128 KiB. */
const MAX_SCRIPT_BYTES = 96 * 1024;

const INVOCATION = /^exec bash -c "\$\(head -c (\d+)\)" ([a-z0-9-]+)$/;

/**
 * How a step is run on the host: a one-line command that reads the script from the head of standard
 * input and runs it under the step's name, leaving the rest of standard input (the step's own) to
 * it. pulumi-command repeats the whole command in a failure's message (`running %q`), so a failure
 * names the step and shows what it printed, not its script.
 */
export function invocation(step: Pick<DeployStep, "name" | "script" | "stdin">): { readonly command: string; readonly stdin: pulumi.Output<string> } {
    const bytes = Buffer.byteLength(step.script, "utf8");
    if (bytes > MAX_SCRIPT_BYTES) throw new Error(`deploy step ${step.name}: its script has ${bytes} bytes, more than the ${MAX_SCRIPT_BYTES} one argument of bash may hold`);
    return {
        command: `exec bash -c "$(head -c ${bytes})" ${step.name}`,
        stdin: pulumi.all([step.script, step.stdin ?? ""]).apply(([script, input]) => `${script}${input}`),
    };
}

/**
 * The script and the step's own standard input (none when the step has none) back from what
 * `invocation` made; synth and the tests read them.
 */
export function fromInvocation(command: string, stdin: string): { readonly name: string; readonly script: string; readonly stdin?: string } | undefined {
    const match = INVOCATION.exec(command);
    if (!match) return undefined;
    const bytes = Buffer.from(stdin, "utf8");
    const length = Number(match[1]);
    const own = bytes.subarray(length).toString("utf8");
    return { name: match[2], script: bytes.subarray(0, length).toString("utf8"), stdin: own === "" ? undefined : own };
}

/**
 * The step as a `remote.Command` (pulumi-command: a changed trigger replaces it and runs `create`
 * on the host, any other changed input runs `create` again as an update, and an unchanged step
 * does nothing).
 */
export function deployCommand(
    name: string,
    step: DeployStep,
    connection: command.types.input.remote.ConnectionArgs,
    opts: pulumi.CustomResourceOptions,
): command.remote.Command {
    const run = invocation(step);
    return new command.remote.Command(
        name,
        {
            connection,
            create: run.command,
            delete: step.delete,
            stdin: run.stdin,
            triggers: [...step.triggers],
            // Scripts never print secrets, but standard input may hold them: never log it.
            logging: "stdoutAndStderr",
            // Otherwise every rerun asks sshd to accept PULUMI_COMMAND_STDOUT, which the hardened
            // sshd (no AcceptEnv) refuses with a warning; no step reads its previous output.
            addPreviousOutputInEnv: false,
        },
        { ...opts, additionalSecretOutputs: ["stdin"] },
    );
}
