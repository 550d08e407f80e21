import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { InboundRule } from "../providers";
import { CloudflareFronted } from "./settings";
import { PRIMARY_GATEWAY } from "./stack/gateways";
import { PORTS } from "./stack/layout";

/** Shown next to every Cloudflare object this program manages. */
const MANAGED_BY = "managed by the openclaw Pulumi program";

/** Cloudflare's "automatic" TTL; proxied records always use it. */
const AUTOMATIC_TTL = 1;

/** How Cloudflare reaches the gateway (see `cloudflare` in stack/ingress.ts). */
export type CloudflareOrigin =
    /** A remotely managed Cloudflare Tunnel that cloudflared on the host dials out to, and a CNAME to it. */
    | { readonly tunnel: { readonly accountId: string; readonly name: string; readonly secret: pulumi.Input<string> } }
    /** A proxied A record to the server's static IPv4 address. */
    | { readonly address: pulumi.Input<string> };

export interface CloudflareIngressArgs {
    /** The public host name, the zone that holds it, and Access when asked for. */
    readonly site: CloudflareFronted;
    readonly origin: CloudflareOrigin;
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

        const { site, origin } = args;
        if ("tunnel" in origin) {
            const { accountId } = origin.tunnel;
            const tunnel = new cloudflare.ZeroTrustTunnelCloudflared(
                `${name}-tunnel`,
                { accountId, name: origin.tunnel.name, configSrc: "cloudflare", tunnelSecret: origin.tunnel.secret },
                { ...parent, additionalSecretOutputs: ["tunnelSecret"] },
            );
            new cloudflare.ZeroTrustTunnelCloudflaredConfig(
                `${name}-tunnel-config`,
                {
                    accountId,
                    tunnelId: tunnel.id,
                    config: {
                        ingresses: [
                            { hostname: site.domain, service: `http://${PRIMARY_GATEWAY.container}:${PRIMARY_GATEWAY.port}` },
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
                    zoneId: site.zoneId,
                    name: site.domain,
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
                cloudflare.getZeroTrustTunnelCloudflaredTokenOutput({ accountId, tunnelId: tunnel.id }, parent).token,
            );
        } else {
            this.dnsRecord = new cloudflare.DnsRecord(
                `${name}-dns`,
                { zoneId: site.zoneId, name: site.domain, type: "A", content: origin.address, proxied: true, ttl: AUTOMATIC_TTL, comment: MANAGED_BY },
                parent,
            );
        }

        if (site.access) {
            const { accountId, emails } = site.access;
            const policy = new cloudflare.ZeroTrustAccessPolicy(
                `${name}-access-policy`,
                {
                    accountId,
                    name: `openclaw ${site.domain}: allowed emails`,
                    decision: "allow",
                    includes: emails.map((email) => ({ email: { email } })),
                    sessionDuration: "24h",
                },
                parent,
            );
            new cloudflare.ZeroTrustAccessApplication(
                `${name}-access`,
                {
                    accountId,
                    name: `openclaw ${site.domain}`,
                    type: "self_hosted",
                    domain: site.domain,
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
