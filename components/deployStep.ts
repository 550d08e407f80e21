import * as pulumi from "@pulumi/pulumi";

/**
 * One step of the deploy, as data. A component maps it to a `remote.Command`; the VM test runs
 * the same script over plain SSH. `triggers` name exactly what the step consumes, so the step
 * reruns when, and only when, one of them changes (a changed script reruns it as an update).
 */
export interface DeployStep {
    readonly name: string;
    /** Run by the `deploy` user's login shell (bash). Never contains a secret. */
    readonly script: string;
    /** Secrets reach the host only this way: on standard input, never on a command line. */
    readonly stdin?: pulumi.Input<string>;
    readonly triggers: readonly pulumi.Input<unknown>[];
    /**
     * Run when the step's resource is deleted: on `pulumi destroy`, and also after a trigger replaced
     * it, so such a script must check that it still acts on the host it belongs to.
     */
    readonly delete?: pulumi.Input<string>;
    /** The step pulls or builds images, or needs the running stack: it cannot run without a registry. */
    readonly needsRegistry?: boolean;
}
