import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { InboundRule } from "../providers";
import { PORTS, SERVICES } from "./stack/layout";

/** Shown next to every Cloudflare object this program manages. */
const MANAGED_BY = "managed by the openclaw Pulumi program";

/** Cloudflare's "automatic" TTL; proxied records always use it. */
const AUTOMATIC_TTL = 1;

export interface CloudflareIngressArgs {
    /** tunnel: a remotely managed Cloudflare Tunnel and a CNAME to it; caddy: a proxied A record to the server. */
    readonly mode: "tunnel" | "caddy";
    /** The gateway's public host name. */
    readonly domain: string;
    /** The account that holds the tunnel and the Access application (required for tunnel and Access). */
    readonly accountId?: string;
    /** The zone that holds `domain`. */
    readonly zoneId: string;
    /** Tunnel name shown in the Zero Trust dashboard. */
    readonly tunnelName: string;
    /** Base64 of 32 random bytes (tunnel only). */
    readonly tunnelSecret?: pulumi.Input<string>;
    /** The server's static IPv4 address (caddy only). */
    readonly originIp?: pulumi.Input<string>;
    /** When non-empty, Cloudflare Access lets only these emails reach `domain`. */
    readonly accessEmails: readonly string[];
}

/**
 * Cloudflare in front of the gateway. With a tunnel, cloudflared on the host dials out to
 * Cloudflare and no inbound port is needed; with Caddy, Cloudflare proxies to the server's 443.
 * Destroy order follows the dependencies: the DNS record and the tunnel's configuration go before
 * the tunnel they name.
 */
export class CloudflareIngress extends pulumi.ComponentResource {
    /** The tunnel's id (tunnel only). */
    readonly tunnelId?: pulumi.Output<string>;
    /** The token cloudflared runs with (tunnel only); the provider does not mark it secret, so it is wrapped. */
    readonly tunnelToken?: pulumi.Output<string>;
    readonly dnsRecord: cloudflare.DnsRecord;

    constructor(name: string, args: CloudflareIngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openclaw:index:CloudflareIngress", name, {}, opts);
        const parent = { parent: this };

        if (args.mode === "tunnel") {
            if (!args.accountId || args.tunnelSecret === undefined) {
                throw new Error("CloudflareIngress: a tunnel needs accountId and tunnelSecret");
            }
            const tunnel = new cloudflare.ZeroTrustTunnelCloudflared(
                `${name}-tunnel`,
                { accountId: args.accountId, name: args.tunnelName, configSrc: "cloudflare", tunnelSecret: args.tunnelSecret },
                { ...parent, additionalSecretOutputs: ["tunnelSecret"] },
            );
            new cloudflare.ZeroTrustTunnelCloudflaredConfig(
                `${name}-tunnel-config`,
                {
                    accountId: args.accountId,
                    tunnelId: tunnel.id,
                    config: {
                        ingresses: [
                            { hostname: args.domain, service: `http://${SERVICES.gateway.container}:${PORTS.gateway}` },
                            // Anything else that reaches the tunnel gets a 404, never the gateway.
                            { service: "http_status:404" },
                        ],
                    },
                },
                parent,
            );
            this.dnsRecord = new cloudflare.DnsRecord(
                `${name}-dns`,
                {
                    zoneId: args.zoneId,
                    name: args.domain,
                    type: "CNAME",
                    content: pulumi.interpolate`${tunnel.id}.cfargotunnel.com`,
                    proxied: true,
                    ttl: AUTOMATIC_TTL,
                    comment: MANAGED_BY,
                },
                parent,
            );
            this.tunnelId = tunnel.id;
            this.tunnelToken = pulumi.secret(
                cloudflare.getZeroTrustTunnelCloudflaredTokenOutput({ accountId: args.accountId, tunnelId: tunnel.id }, parent).token,
            );
        } else {
            if (args.originIp === undefined) throw new Error("CloudflareIngress: caddy needs originIp");
            this.dnsRecord = new cloudflare.DnsRecord(
                `${name}-dns`,
                { zoneId: args.zoneId, name: args.domain, type: "A", content: args.originIp, proxied: true, ttl: AUTOMATIC_TTL, comment: MANAGED_BY },
                parent,
            );
        }

        if (args.accessEmails.length > 0) {
            if (!args.accountId) throw new Error("CloudflareIngress: Access needs accountId");
            const policy = new cloudflare.ZeroTrustAccessPolicy(
                `${name}-access-policy`,
                {
                    accountId: args.accountId,
                    name: `openclaw ${args.domain}: allowed emails`,
                    decision: "allow",
                    includes: args.accessEmails.map((email) => ({ email: { email } })),
                    sessionDuration: "24h",
                },
                parent,
            );
            new cloudflare.ZeroTrustAccessApplication(
                `${name}-access`,
                {
                    accountId: args.accountId,
                    name: `openclaw ${args.domain}`,
                    type: "self_hosted",
                    domain: args.domain,
                    sessionDuration: "24h",
                    appLauncherVisible: false,
                    policies: [{ id: policy.id, precedence: 1 }],
                },
                parent,
            );
        }

        this.registerOutputs({ tunnelId: this.tunnelId });
    }
}

/**
 * Cloudflare's published ranges, read at deploy time: the only sources that may reach ports 80
 * and 443 with ingress caddy. IPv6 ranges only when the host has IPv6.
 */
export function cloudflareOriginRanges(ipv6: boolean, parent: pulumi.Resource): pulumi.Output<string[]> {
    return cloudflare
        .getIpRangesOutput({}, { parent })
        .apply((ranges) => [...ranges.ipv4Cidrs, ...(ipv6 ? ranges.ipv6Cidrs : [])].sort());
}

/** The cloud firewall's rules for ingress caddy: 80 (ACME and redirects) and 443, from those ranges only. */
export function cloudflareInboundRules(sources: pulumi.Input<readonly string[]>): InboundRule[] {
    return [
        { description: "HTTP from Cloudflare", protocol: "tcp", port: PORTS.http, sourceCidrs: sources },
        { description: "HTTPS from Cloudflare", protocol: "tcp", port: PORTS.https, sourceCidrs: sources },
    ];
}
