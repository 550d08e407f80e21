import * as pulumi from "@pulumi/pulumi";
import { RawConfig } from "./settings";

/** `isConfigSecret` is exported by the runtime but left out of its type declarations. */
const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (fullKey: string) => boolean };

/**
 * The stack's config as the Pulumi engine hands it to the program. Read raw, because the settings
 * parser validates every value itself and wraps secrets in `pulumi.secret` before anything uses them.
 */
export function stackConfig(): RawConfig {
    return {
        get: (fullKey) => pulumi.runtime.getConfig(fullKey),
        isSecret: (fullKey) => runtime.isConfigSecret?.(fullKey) ?? false,
        keys: () => Object.keys(pulumi.runtime.allConfig()),
    };
}
