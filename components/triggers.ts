// What a deploy step's `triggers` may hold. A trigger is compared by the engine and stored in plain
// text; it must never be a secret, because a secret around a value that is unknown in a preview
// (anything derived from a password that does not exist yet, or is being rotated) reaches
// pulumi-command 1.2.1 as a secret without a value, and its answer to the engine's Check fails the
// whole preview: `triggers[1]: malformed secret: missing value`. `triggers` is the one input that
// provider takes as `any`; its typed inputs (stdin, connection) carry such secrets. So every trigger
// is made here, and the brand keeps anything else (a `pulumi.secret(...)`, a raw Output) out.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

declare const triggerBrand: unique symbol;
/** A trigger's value: a content hash, or a value that is not secret (an id, a bucket name). */
export type TriggerValue = string & { readonly [triggerBrand]: true };
export type Trigger = TriggerValue | pulumi.Output<TriggerValue>;

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The hash of a text known when the program runs (a script, a rendered file). */
export const contentTrigger = (text: string): TriggerValue => sha256(text) as TriggerValue;

/**
 * The hash of a value that may be secret and may be unknown in a preview. The hash itself is not
 * secret: every secret input it is taken of holds a generated 256-bit secret or a provider-issued
 * key, so the hash reveals nothing that could be guessed and checked against it.
 */
export const hashTrigger = (input: pulumi.Input<string>): pulumi.Output<TriggerValue> =>
    pulumi.unsecret(pulumi.output(input).apply((text) => sha256(text) as TriggerValue));

/** A value that is not secret, as it is: a server's or a command's id, a bucket's name. */
export const plainTrigger = (value: pulumi.Input<string>): pulumi.Output<TriggerValue> => pulumi.output(value) as pulumi.Output<TriggerValue>;
