import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { HostPlan } from "../cloud-init/hostPlan";

/** The base images the hardening is written and tested for. */
export type OsImage = "debian-13" | "debian-12" | "ubuntu-24.04";

export const OS_IMAGES: readonly OsImage[] = ["debian-13", "debian-12", "ubuntu-24.04"];

/** Size of one server type, as the cloud sells it. Container limits are derived from it. */
export interface ServerSize {
    readonly vcpus: number;
    readonly memoryMiB: number;
}

/** Where a stack's region comes from. */
export type RegionSource =
    /** `openclaw:region`, one of `accepted`, `default` when unset. */
    | { readonly from: "program"; readonly default: string; readonly accepted: readonly string[] }
    /** The provider's own config `key` (validated by the provider); `openclaw:region` may only repeat it. */
    | { readonly from: "provider"; readonly key: string; readonly provider: string; readonly example: string }
    /** A server the operator already has: it is where it is, and `openclaw:region` must stay unset. */
    | { readonly from: "none" };

/** What the settings parser needs to know about a cloud, without creating anything. */
export interface CloudCatalog {
    readonly region: RegionSource;
    /** The state store when no Cloudflare account is set: the cloud's own object storage (s3), or none. */
    readonly defaultStateStore: "s3" | "none";
    /** The smallest type with 4 GB of memory. */
    readonly defaultServerType: string;
    /** Every accepted type. Only x86-64 types of at least 4 GB: the stack does not fit in less. */
    readonly serverTypes: Readonly<Record<string, ServerSize>>;
}

/** How the program first logs in to a server the operator already has (`cloud: existing`). */
export interface ExistingServer {
    /** Its public IPv4 address or DNS name (`openclaw:serverAddress`). */
    readonly address: string;
    /** The login the operator has today: root, or a user with passwordless sudo. */
    readonly user: string;
    readonly port: number;
    /** That login's private key (secret): it goes to the SSH connection only. */
    readonly privateKey: pulumi.Output<string>;
}

/** One inbound allowance at the cloud firewall. Everything not listed is dropped. */
export interface InboundRule {
    /** Shown in the cloud console next to the rule. */
    readonly description: string;
    readonly protocol: "tcp" | "udp";
    readonly port: number;
    /** Canonical CIDR blocks, IPv4 and IPv6 mixed; an Output where they are read at deploy time (Cloudflare's ranges). */
    readonly sourceCidrs: pulumi.Input<readonly string[]>;
}

/** Everything a provider needs to create the host. */
export interface HostRequest {
    /** Resource names derive from it (`<name>-server`, `<name>-firewall`, ...). */
    readonly name: string;
    readonly region: string;
    readonly serverType: string;
    readonly osImage: OsImage;
    /** What hardening the host means; `userData` is its `#cloud-config` rendering. */
    readonly plan: pulumi.Output<HostPlan>;
    /** The rendered `#cloud-config`. Changing it replaces the server (`replacedByUserData`). */
    readonly userData: pulumi.Input<string>;
    /** OpenSSH public key of the program's deploy key, registered with the cloud. */
    readonly deployPublicKey: pulumi.Input<string>;
    /** Its private half: a server the program did not create is hardened over SSH as deploy. */
    readonly deployPrivateKey: pulumi.Input<string>;
    /** The ports the stack will listen on, on the host (SSH's, the gateways' loopback ports, 80, 443). */
    readonly stackPorts: readonly number[];
    /** Set for `cloud: existing` only: the server and its first login. */
    readonly existingServer?: ExistingServer;
    /** The complete inbound policy of the cloud firewall. */
    readonly inboundRules: readonly InboundRule[];
    /** Give the server a public IPv6 address too. */
    readonly ipv6: boolean;
    /** Protect the server and its address from deletion (Pulumi `protect` plus the cloud's own locks). */
    readonly protect: boolean;
}

/** What a provider hands back: the addresses the rest of the program connects to. */
export interface ProvisionedHost {
    /**
     * The static public IPv4 address: survives a server replacement. Built with `reachedThrough`,
     * so whatever connects to it depends on every resource that makes it lead to the server.
     */
    readonly publicIp: pulumi.Output<string>;
    /** The cloud's id of the current server; changes when the server is replaced (or, on an existing server, hardened anew). */
    readonly serverId: pulumi.Output<string>;
    /**
     * Set when the server outlives the stack (a server the operator already has): what identifies
     * that server. `pulumi destroy` then removes the stack from it rather than deleting it.
     */
    readonly keptServerId?: pulumi.Output<string>;
}

/** The type tokens of a cloud's parts, by role: what tests and synth look up. */
export interface CloudParts {
    readonly server: string;
    readonly firewall: string;
    readonly staticIp: string;
    readonly key: string;
    /** What the static IP is reached through (the resources `reachedThrough` waits for). */
    readonly attachments: readonly string[];
}

/** A provider's own config namespace (`hcloud`) and the keys its SDK reads there. */
export interface ProviderConfig {
    readonly namespace: string;
    readonly keys: readonly string[];
}

/** The keys an SDK's `config` module reads: its getters (`hcloud.config.token`, ...). */
export function providerConfig(namespace: string, sdkConfig: object): ProviderConfig {
    const getters = Object.entries(Object.getOwnPropertyDescriptors(sdkConfig)).filter(([, d]) => d.get);
    return { namespace, keys: getters.map(([key]) => key) };
}

/** One inbound rule of a cloud firewall as registered, in one shape for every cloud (for tests and review). */
export interface RegisteredInboundRule {
    readonly port: string;
    readonly protocol: string;
    readonly sources: readonly string[];
}

/**
 * What the cloud computes that the program reads (addresses, key names), by type token, as synth
 * and the tests' mocks answer it: `name` and `id` are the mock's.
 */
export type MockOutputs = Readonly<Record<string, (inputs: Record<string, any>, id: string, name: string) => Record<string, unknown>>>;

/** Where the host comes from: a cloud that creates it, or the operator's own server. */
export interface HostProvider {
    /** Its name as people write it ("DigitalOcean"): the README's and the cost table's. */
    readonly title: string;
    readonly catalog: CloudCatalog;
    /** A cloud firewall in front admits SSH from `adminCidrs`; without one, UFW on the host does. */
    readonly hasCloudFirewall: boolean;
    /** What filters inbound traffic to the host: the `firewall` output says it to the operator. */
    readonly inboundFilter: string;
    /** Brings a hardened host into being as children of `parent`, and says where it is. */
    createHost(request: HostRequest, parent: pulumi.Resource): ProvisionedHost;
}

/** One cloud behind the common interface: it creates key, firewall, static IP and server. */
export interface CloudProvider extends HostProvider {
    /** Its provider's config: the settings parser refuses our keys put there by mistake. */
    readonly config: ProviderConfig;
    readonly parts: CloudParts;
    /** The inbound rules of this cloud's firewall, from its registered inputs. */
    inboundRulesOf(firewallInputs: Record<string, any>): RegisteredInboundRule[];
    /** The user data, as text, from the server's registered inputs. */
    userDataOf(serverInputs: Record<string, any>): string;
    /** The deploy key's OpenSSH line, from the registered key's inputs. */
    deployKeyOf(keyInputs: Record<string, any>): string;
    readonly mockOutputs: MockOutputs;
}

/**
 * The address, as an Output that depends on the resources the server is reached through (the
 * static IP's attachment, a route table's association). Every deploy step connects to it, so the
 * engine runs none of them before those exist and, on destroy or replacement, deletes each step
 * before them: a step's delete never dials an address that no longer leads to its server.
 */
export function reachedThrough(address: pulumi.Output<string>, ...attachments: pulumi.Resource[]): pulumi.Output<string> {
    return pulumi.all([address, ...attachments.map((attachment) => attachment.urn)]).apply(([value]) => value);
}

/**
 * The server's options for its user data: its hash is the server's replacement trigger, and the
 * provider's own diff of it is ignored. A changed user data replaces the server as before, except
 * on the first `pulumi up` over a state without a trigger (the engine ignores a null trigger): a
 * stack deployed before the access settings left the user data keeps its server then. Whatever
 * replaces the server, the new one gets the new user data: the engine re-checks a replacement from
 * the program's inputs, ignored ones included (pkg/resource/deploy/step_generator.go).
 */
export function replacedByUserData(
    userData: pulumi.Input<string>,
    otherIgnoredChanges: readonly string[] = [],
): Pick<pulumi.CustomResourceOptions, "ignoreChanges" | "replacementTrigger"> {
    return {
        ignoreChanges: [...otherIgnoredChanges, "userData"],
        replacementTrigger: pulumi.output(userData).apply((text) => createHash("sha256").update(text).digest("hex")),
    };
}
