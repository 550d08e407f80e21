// What a new stack's first `pulumi preview` sends the engine, and where it would fail: a secret
// around a value that is unknown in that preview (a generated password that does not exist yet),
// in an input whose provider cannot carry it. Pulumi's mocks have no unknowns unless asked: synth
// runs the program with every output a provider computes unknown (`installMocks(..., "first-preview")`),
// and this reads the inputs as the SDK put them on the wire.
import * as pulumi from "@pulumi/pulumi";
import { SynthResource } from "./mocks";

/**
 * Packages whose providers carry a secret that is unknown in a preview in every input: Terraform
 * bridged providers decode inputs by their schema types and give secrets back with the unknown in
 * them. A package missing here (a new provider) is refused until someone checks it.
 */
const BRIDGED = ["aws", "cloudflare", "digitalocean", "hcloud", "random", "tls"];

/**
 * pulumi-command 1.2.1 (pulumi-go-provider's `infer`) decodes typed inputs (stdin, connection,
 * environment) into string fields, which keep such a secret; `triggers` it takes as `any`, and its
 * answer to the engine's Check gives the secret back without its value: the engine stops the
 * preview with `triggers[1]: malformed secret: missing value` (seen under Pulumi CLI 3.276).
 */
const COMMAND_UNTYPED = ["triggers"];

/** Whether the provider of `type` carries a secret around an unknown at input `property`. */
export function carriesUnknownSecret(type: string, property: string): boolean {
    const pkg = type.split(":")[0];
    if (BRIDGED.includes(pkg)) return true;
    return pkg === "command" && !COMMAND_UNTYPED.includes(property);
}

const isSecretWrapper = (value: any) => value?.[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;

/** Paths (`triggers[1]`, `connection.privateKey`) under `value` where a secret wraps an unknown. */
export function unknownSecrets(value: unknown, path = ""): string[] {
    if (isSecretWrapper(value)) {
        const inner = (value as { value: unknown }).value;
        if (inner === pulumi.runtime.unknownValue) return [path];
        return unknownSecrets(inner, path);
    }
    if (Array.isArray(value)) return value.flatMap((item, i) => unknownSecrets(item, `${path}[${i}]`));
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([key, item]) => unknownSecrets(item, path ? `${path}.${key}` : key));
    }
    return [];
}

/** One sentence per input that would stop a first preview; none when it would pass. */
export function firstPreviewProblems(resources: readonly SynthResource[]): string[] {
    return resources.flatMap((resource) =>
        unknownSecrets(resource.sent)
            .filter((path) => !carriesUnknownSecret(resource.type, path.split(/[.[]/)[0]))
            .map((path) => `${resource.type} ${resource.name}: ${path} is a secret whose value is unknown in a first preview, and the provider cannot carry it (make it with components/triggers.ts, or keep it out of secrets)`),
    );
}
