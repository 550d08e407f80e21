import { awsProvider } from "./aws";
import { digitaloceanProvider } from "./digitalocean";
import { hetznerProvider } from "./hetzner";
import { CloudName, CloudProvider } from "./types";

/** Every supported cloud. Adding one is a new file in this folder and one line here. */
export const clouds: Readonly<Record<CloudName, CloudProvider>> = {
    hetzner: hetznerProvider,
    digitalocean: digitaloceanProvider,
    aws: awsProvider,
};

export const CLOUD_NAMES = Object.keys(clouds) as CloudName[];

export * from "./types";
