import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { CloudCatalog, CloudProvider, HostRequest, OsImage, providerConfig, ProvisionedHost, reachedThrough, replacedByUserData } from "./types";

const GiB = 1024;

export const hetznerCatalog: CloudCatalog = {
    region: { from: "program", default: "nbg1", accepted: ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"] },
    defaultStateStore: "none",
    defaultServerType: "cx23",
    serverTypes: {
        cx23: { vcpus: 2, memoryMiB: 4 * GiB },
        cx33: { vcpus: 4, memoryMiB: 8 * GiB },
        cx43: { vcpus: 8, memoryMiB: 16 * GiB },
        cx53: { vcpus: 16, memoryMiB: 32 * GiB },
        cpx22: { vcpus: 2, memoryMiB: 4 * GiB },
        cpx32: { vcpus: 4, memoryMiB: 8 * GiB },
        cpx42: { vcpus: 8, memoryMiB: 16 * GiB },
        cpx52: { vcpus: 12, memoryMiB: 24 * GiB },
        cpx62: { vcpus: 16, memoryMiB: 32 * GiB },
        ccx13: { vcpus: 2, memoryMiB: 8 * GiB },
        ccx23: { vcpus: 4, memoryMiB: 16 * GiB },
        ccx33: { vcpus: 8, memoryMiB: 32 * GiB },
        ccx43: { vcpus: 16, memoryMiB: 64 * GiB },
        ccx53: { vcpus: 32, memoryMiB: 128 * GiB },
        ccx63: { vcpus: 48, memoryMiB: 192 * GiB },
    },
};

/** Hetzner's own image names happen to match ours. */
const images: Record<OsImage, string> = {
    "debian-13": "debian-13",
    "debian-12": "debian-12",
    "ubuntu-24.04": "ubuntu-24.04",
};

function createHost(request: HostRequest, parent: pulumi.Resource): ProvisionedHost {
    const { name } = request;
    const opts: pulumi.CustomResourceOptions = { parent };
    const kept: pulumi.CustomResourceOptions = { parent, protect: request.protect };

    const sshKey = new hcloud.SshKey(`${name}-deploy-key`, { publicKey: request.deployPublicKey }, opts);

    const firewall = new hcloud.Firewall(
        `${name}-firewall`,
        {
            // No rule for outbound traffic means Hetzner allows all of it.
            rules: request.inboundRules.map((rule) => ({
                direction: "in",
                description: rule.description,
                protocol: rule.protocol,
                port: String(rule.port),
                sourceIps: pulumi.output(rule.sourceCidrs).apply((cidrs) => [...cidrs]),
            })),
        },
        opts,
    );

    // A primary IP that is not auto-deleted outlives the server it is attached to.
    const ipv4 = new hcloud.PrimaryIp(
        `${name}-ipv4`,
        {
            type: "ipv4",
            assigneeType: "server",
            location: request.region,
            autoDelete: false,
            deleteProtection: request.protect,
        },
        kept,
    );

    const server = new hcloud.Server(
        `${name}-server`,
        {
            image: images[request.osImage],
            serverType: request.serverType,
            location: request.region,
            sshKeys: [sshKey.id],
            userData: request.userData,
            firewallIds: [firewall.id.apply(Number)],
            publicNets: [{ ipv4Enabled: true, ipv4: ipv4.id.apply(Number), ipv6Enabled: request.ipv6 }],
            deleteProtection: request.protect,
            rebuildProtection: request.protect,
            // Let the OS stop cleanly (Docker's live-restore, journald) before the server goes.
            shutdownBeforeDeletion: true,
        },
        // The primary IP can be attached to one server at a time, so a replacement
        // must release it (delete the old server) before the new one can take it.
        { ...kept, deleteBeforeReplace: true, ...replacedByUserData(request.userData) },
    );

    // The primary IP is attached through the server's own public network settings.
    return { publicIp: reachedThrough(ipv4.ipAddress, server), serverId: server.id };
}

export const hetznerProvider: CloudProvider = {
    title: "Hetzner",
    hasCloudFirewall: true,
    inboundFilter: "the Hetzner cloud firewall, then UFW on the server",
    catalog: hetznerCatalog,
    config: providerConfig("hcloud", hcloud.config),
    parts: {
        server: "hcloud:index/server:Server",
        firewall: "hcloud:index/firewall:Firewall",
        staticIp: "hcloud:index/primaryIp:PrimaryIp",
        key: "hcloud:index/sshKey:SshKey",
        attachments: ["hcloud:index/server:Server"],
    },
    inboundRulesOf: (firewall) =>
        firewall.rules.filter((r: any) => r.direction === "in").map((r: any) => ({ port: r.port, protocol: r.protocol, sources: r.sourceIps })),
    userDataOf: (server) => server.userData,
    deployKeyOf: (key) => key.publicKey,
    mockOutputs: {
        "hcloud:index/primaryIp:PrimaryIp": () => ({ ipAddress: "198.51.100.10" }),
    },
    createHost,
};
