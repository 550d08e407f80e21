import { awsProvider } from "./aws";
import { digitaloceanProvider } from "./digitalocean";
import { existingServerProvider } from "./existing";
import { hetznerProvider } from "./hetzner";
import { CloudProvider, HostProvider } from "./types";

/** Every supported cloud. Adding one is a new file in this folder and one line here. */
export const clouds = {
    hetzner: hetznerProvider,
    digitalocean: digitaloceanProvider,
    aws: awsProvider,
} as const satisfies Readonly<Record<string, CloudProvider>>;

/** The clouds a stack can run on: the registry's keys. */
export type CloudName = keyof typeof clouds;

export const CLOUD_NAMES = Object.keys(clouds) as CloudName[];

/** Where a stack's host can come from (`openclaw:cloud`): a cloud, or a server the operator already has. */
export const targets = { ...clouds, existing: existingServerProvider } as const satisfies Readonly<Record<string, HostProvider>>;

export type TargetName = keyof typeof targets;

export const TARGET_NAMES = Object.keys(targets) as TargetName[];

/** The registered outputs a cloud's resource of `type` gets under mocks (synth and the tests), if it is a cloud's. */
export function cloudMockOutputs(type: string, inputs: Record<string, any>, id: string, name: string): Record<string, unknown> | undefined {
    for (const cloud of CLOUD_NAMES) {
        const outputs = clouds[cloud].mockOutputs[type];
        if (outputs) return outputs(inputs, id, name);
    }
    return undefined;
}

export * from "./types";
