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
    return new command.remote.Command(
        name,
        {
            connection,
            create: step.script,
            delete: step.delete,
            stdin: step.stdin,
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
