// What each cloud calls its parts, for tests that assert the same thing on all three clouds.
import * as assert from "assert";
import { CloudName } from "../providers";

/** What each cloud calls its parts, so one set of assertions covers all three. */
export const parts: Record<CloudName, { server: string; firewall: string; staticIp: string; key: string }> = {
    hetzner: {
        server: "hcloud:index/server:Server",
        firewall: "hcloud:index/firewall:Firewall",
        staticIp: "hcloud:index/primaryIp:PrimaryIp",
        key: "hcloud:index/sshKey:SshKey",
    },
    digitalocean: {
        server: "digitalocean:index/droplet:Droplet",
        firewall: "digitalocean:index/firewall:Firewall",
        staticIp: "digitalocean:index/reservedIp:ReservedIp",
        key: "digitalocean:index/sshKey:SshKey",
    },
    aws: {
        server: "aws:ec2/instance:Instance",
        firewall: "aws:ec2/securityGroup:SecurityGroup",
        staticIp: "aws:ec2/eip:Eip",
        key: "aws:ec2/keyPair:KeyPair",
    },
};

/** Inbound rules of a cloud firewall, as {port, sources} whatever the cloud's shape. */
export function inboundRules(cloud: CloudName, firewall: Record<string, any>): { port: string; protocol: string; sources: string[] }[] {
    switch (cloud) {
        case "hetzner":
            return firewall.rules.map((r: any) => {
                assert.strictEqual(r.direction, "in", "Hetzner firewall rules here are inbound only");
                return { port: r.port, protocol: r.protocol, sources: r.sourceIps };
            });
        case "digitalocean":
            return firewall.inboundRules.map((r: any) => ({ port: r.portRange, protocol: r.protocol, sources: r.sourceAddresses }));
        case "aws":
            return firewall.ingress.map((r: any) => {
                assert.strictEqual(r.fromPort, r.toPort, "one port per rule");
                return { port: String(r.fromPort), protocol: r.protocol, sources: [...(r.cidrBlocks ?? []), ...(r.ipv6CidrBlocks ?? [])] };
            });
    }
}
