import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { CloudCatalog, CloudProvider, HostRequest, OsImage, providerConfig, ProvisionedHost, reachedThrough, replacedByUserData } from "./types";

const GiB = 1024;

export const digitaloceanCatalog: CloudCatalog = {
    region: { from: "program", default: "fra1", accepted: ["nyc1", "nyc3", "sfo2", "sfo3", "tor1", "atl1", "ams3", "fra1", "lon1", "sgp1", "blr1", "syd1"] },
    defaultStateStore: "none",
    defaultServerType: "s-2vcpu-4gb",
    serverTypes: {
        "s-2vcpu-4gb": { vcpus: 2, memoryMiB: 4 * GiB },
        "s-2vcpu-4gb-amd": { vcpus: 2, memoryMiB: 4 * GiB },
        "s-4vcpu-8gb": { vcpus: 4, memoryMiB: 8 * GiB },
        "s-4vcpu-8gb-amd": { vcpus: 4, memoryMiB: 8 * GiB },
        "s-8vcpu-16gb": { vcpus: 8, memoryMiB: 16 * GiB },
        "s-8vcpu-16gb-amd": { vcpus: 8, memoryMiB: 16 * GiB },
        "c-2": { vcpus: 2, memoryMiB: 4 * GiB },
        "c-4": { vcpus: 4, memoryMiB: 8 * GiB },
        "c-8": { vcpus: 8, memoryMiB: 16 * GiB },
        "g-2vcpu-8gb": { vcpus: 2, memoryMiB: 8 * GiB },
        "g-4vcpu-16gb": { vcpus: 4, memoryMiB: 16 * GiB },
        "g-8vcpu-32gb": { vcpus: 8, memoryMiB: 32 * GiB },
        "m-2vcpu-16gb": { vcpus: 2, memoryMiB: 16 * GiB },
        "m-4vcpu-32gb": { vcpus: 4, memoryMiB: 32 * GiB },
        "m-8vcpu-64gb": { vcpus: 8, memoryMiB: 64 * GiB },
    },
};

const images: Record<OsImage, string> = {
    "debian-13": "debian-13-x64",
    "debian-12": "debian-12-x64",
    "ubuntu-24.04": "ubuntu-24-04-x64",
};

/** DigitalOcean drops all outbound traffic that no rule allows, so outbound is spelled out. */
const ANYWHERE = ["0.0.0.0/0", "::/0"];
const allOutbound = [
    { protocol: "tcp", portRange: "1-65535", destinationAddresses: ANYWHERE },
    { protocol: "udp", portRange: "1-65535", destinationAddresses: ANYWHERE },
    { protocol: "icmp", destinationAddresses: ANYWHERE },
];

function createHost(request: HostRequest, parent: pulumi.Resource): ProvisionedHost {
    const { name } = request;
    const opts: pulumi.CustomResourceOptions = { parent };
    const kept: pulumi.CustomResourceOptions = { parent, protect: request.protect };

    const sshKey = new digitalocean.SshKey(`${name}-deploy-key`, { publicKey: request.deployPublicKey }, opts);

    const droplet = new digitalocean.Droplet(
        `${name}-server`,
        {
            image: images[request.osImage],
            size: request.serverType,
            region: request.region,
            sshKeys: [sshKey.fingerprint],
            userData: request.userData,
            ipv6: request.ipv6,
            gracefulShutdown: true,
            monitoring: false,
        },
        { ...kept, ...replacedByUserData(request.userData) },
    );
    const dropletId = droplet.id.apply(Number);

    new digitalocean.Firewall(
        `${name}-firewall`,
        {
            dropletIds: [dropletId],
            inboundRules: request.inboundRules.map((rule) => ({
                protocol: rule.protocol,
                portRange: String(rule.port),
                sourceAddresses: pulumi.output(rule.sourceCidrs).apply((cidrs) => [...cidrs]),
            })),
            outboundRules: allOutbound,
        },
        opts,
    );

    const reservedIp = new digitalocean.ReservedIp(`${name}-ipv4`, { region: request.region }, kept);
    const assignment = new digitalocean.ReservedIpAssignment(
        `${name}-ipv4-assignment`,
        { ipAddress: reservedIp.ipAddress, dropletId },
        // Unassign from the old droplet before assigning to its replacement, never the other way round.
        { parent, deleteBeforeReplace: true },
    );

    return { publicIp: reachedThrough(reservedIp.ipAddress, assignment), serverId: droplet.id };
}

export const digitaloceanProvider: CloudProvider = {
    title: "DigitalOcean",
    hasCloudFirewall: true,
    inboundFilter: "the DigitalOcean cloud firewall, then UFW on the server",
    catalog: digitaloceanCatalog,
    config: providerConfig("digitalocean", digitalocean.config),
    parts: {
        server: "digitalocean:index/droplet:Droplet",
        firewall: "digitalocean:index/firewall:Firewall",
        staticIp: "digitalocean:index/reservedIp:ReservedIp",
        key: "digitalocean:index/sshKey:SshKey",
        attachments: ["digitalocean:index/reservedIpAssignment:ReservedIpAssignment"],
    },
    inboundRulesOf: (firewall) => firewall.inboundRules.map((r: any) => ({ port: r.portRange, protocol: r.protocol, sources: r.sourceAddresses })),
    userDataOf: (droplet) => droplet.userData,
    deployKeyOf: (key) => key.publicKey,
    mockOutputs: {
        "digitalocean:index/reservedIp:ReservedIp": () => ({ ipAddress: "198.51.100.20" }),
        "digitalocean:index/sshKey:SshKey": (_inputs, id) => ({ fingerprint: `stand-in-fingerprint-${id}` }),
    },
    createHost,
};
