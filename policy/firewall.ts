// Cloud firewall rules, whatever the cloud: what each inbound rule opens, and to whom. The program
// opens the SSH port to the admin blocks, and (ingress caddy) 80/443 to Cloudflare's ranges; the
// rules below catch an edit that opens more.
import * as net from "net";
import { describe, fieldOf, isUnknown, listOf, refersTo, ResourceView, StackResourceView, StackViolation, Unknown, UNKNOWN } from "./values";

export const FIREWALL_TYPES = {
    hcloud: "hcloud:index/firewall:Firewall",
    digitalocean: "digitalocean:index/firewall:Firewall",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
} as const;

/** AWS rules that live outside their security group, attached by `securityGroupId`. */
const STANDALONE_TYPES: readonly string[] = [FIREWALL_TYPES.securityGroupRule, FIREWALL_TYPES.ingressRule];

/** The only ports that may be open beyond SSH, and only to restricted sources (Cloudflare's ranges). */
export const WEB_PORTS: readonly number[] = [80, 443];

export interface PortRange {
    readonly from: number;
    readonly to: number;
}

const EVERY_PORT: PortRange = { from: 0, to: 65535 };

/** One inbound rule, in the same shape for every cloud. */
export interface InboundRule {
    /** Where the rule sits in its resource, for messages: `rules[1]`, `ingress[0]`. */
    readonly at: string;
    /** Lower case: tcp, udp, icmp, icmpv6, all (every protocol), or another protocol's name or number. */
    readonly protocol: string | Unknown;
    /** The ports it opens; undefined for a protocol without ports (icmp, gre, esp). */
    readonly ports: PortRange | undefined | Unknown;
    /** IPv4 and IPv6 CIDR blocks it admits; other kinds of source (tags, security groups) are left out. */
    readonly sources: readonly string[] | Unknown;
}

const PROTOCOL_NUMBERS: Readonly<Record<string, string>> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "all" };
const PORTLESS = ["icmp", "icmpv6"];

function protocolOf(value: unknown): string | Unknown {
    if (isUnknown(value)) return UNKNOWN;
    const text = String(value ?? "").toLowerCase();
    return PROTOCOL_NUMBERS[text] ?? text;
}

/** Hetzner's `port` and DigitalOcean's `portRange`: "22", "80-85", "any"/"all"; missing means every port. */
function portsFromText(protocol: string | Unknown, text: unknown): PortRange | undefined | Unknown {
    if (isUnknown(protocol) || isUnknown(text)) return UNKNOWN;
    if (protocol === "all") return EVERY_PORT;
    if (protocol !== "tcp" && protocol !== "udp") return undefined;
    const match = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(String(text ?? ""));
    // Absent, "any", "all" or unreadable: count it as every port, the reading that never misses a hole.
    if (!match) return EVERY_PORT;
    return { from: Number(match[1]), to: Number(match[2] ?? match[1]) };
}

/** AWS's `fromPort`/`toPort`; for icmp they are the ICMP type and code, not ports. */
function portsFromNumbers(protocol: string | Unknown, from: unknown, to: unknown): PortRange | undefined | Unknown {
    if (isUnknown(protocol)) return UNKNOWN;
    if (protocol === "all") return EVERY_PORT;
    if (protocol !== "tcp" && protocol !== "udp") return undefined;
    if (isUnknown(from) || isUnknown(to)) return UNKNOWN;
    return { from: Number(from ?? EVERY_PORT.from), to: Number(to ?? EVERY_PORT.to) };
}

/** Known CIDR strings of several list properties; UNKNOWN if any of them is not known. */
function cidrs(...values: unknown[]): readonly string[] | Unknown {
    const out: string[] = [];
    for (const value of values) {
        const list = listOf(value);
        if (isUnknown(list)) return UNKNOWN;
        for (const item of list) {
            if (isUnknown(item)) return UNKNOWN;
            if (typeof item === "string" && item !== "") out.push(item);
        }
    }
    return out;
}

/** The AWS shape shared by inline `ingress` blocks and `SecurityGroupRule`. */
function awsRule(at: string, rule: unknown): InboundRule {
    const protocol = protocolOf(fieldOf(rule, "protocol"));
    return {
        at,
        protocol,
        ports: portsFromNumbers(protocol, fieldOf(rule, "fromPort"), fieldOf(rule, "toPort")),
        sources: cidrs(fieldOf(rule, "cidrBlocks"), fieldOf(rule, "ipv6CidrBlocks")),
    };
}

/** Entries of a list property with their index; a list that is not known yet gives one rule that is unknown throughout. */
function entries(value: unknown, name: string): [string, unknown][] {
    const list = listOf(value);
    if (isUnknown(list)) return [[name, UNKNOWN]];
    return list.map((item, i) => [`${name}[${i}]`, item]);
}

/**
 * The inbound rules of a firewall-like resource, or undefined when the resource is not one.
 * Outbound rules are left out: the program allows all outbound traffic at the cloud firewall
 * and restricts it on the host.
 */
export function inboundRules(resource: ResourceView): readonly InboundRule[] | undefined {
    const { props } = resource;
    switch (resource.type) {
        case FIREWALL_TYPES.hcloud:
            return entries(props.rules, "rules")
                .filter(([, rule]) => {
                    const direction = fieldOf(rule, "direction");
                    return isUnknown(direction) || direction === "in";
                })
                .map(([at, rule]) => {
                    const protocol = protocolOf(fieldOf(rule, "protocol"));
                    return { at, protocol, ports: portsFromText(protocol, fieldOf(rule, "port")), sources: cidrs(fieldOf(rule, "sourceIps")) };
                });
        case FIREWALL_TYPES.digitalocean:
            return entries(props.inboundRules, "inboundRules").map(([at, rule]) => {
                const protocol = protocolOf(fieldOf(rule, "protocol"));
                return { at, protocol, ports: portsFromText(protocol, fieldOf(rule, "portRange")), sources: cidrs(fieldOf(rule, "sourceAddresses")) };
            });
        case FIREWALL_TYPES.securityGroup:
            return entries(props.ingress, "ingress").map(([at, rule]) => awsRule(at, rule));
        case FIREWALL_TYPES.securityGroupRule:
            return isUnknown(props.type) || props.type === "ingress" ? [awsRule("rule", props)] : [];
        case FIREWALL_TYPES.ingressRule: {
            const protocol = protocolOf(props.ipProtocol);
            return [{ at: "rule", protocol, ports: portsFromNumbers(protocol, props.fromPort, props.toPort), sources: cidrs(props.cidrIpv4, props.cidrIpv6) }];
        }
        default:
            return undefined;
    }
}

/**
 * True when a CIDR block amounts to "anyone on the internet": 0.0.0.0/0 and ::/0, and also
 * blocks too wide to mean a particular network (shorter than /8 for IPv4, /16 for IPv6), as the
 * program's own `adminCidrs` check counts them. Not imported from `components/cidr.ts`, like
 * nothing in this pack: it checks edits to the program, so it must not change when they do. It also
 * reads any text, host bits set or not, where the program's parser refuses such blocks first.
 */
export function isWorldOpen(cidr: string): boolean {
    const [address, prefixText] = cidr.trim().split("/");
    if (prefixText === undefined || !/^\d+$/.test(prefixText)) return false;
    const prefix = Number(prefixText);
    if (net.isIPv4(address)) return prefix < 8;
    if (net.isIPv6(address)) return prefix < 16;
    return false;
}

const isWebPort = (ports: PortRange) => ports.from === ports.to && WEB_PORTS.includes(ports.from);

function opens(rule: InboundRule): string {
    const { protocol, ports } = rule;
    if (protocol === "all") return "all traffic";
    if (isUnknown(ports) || ports === undefined) return `protocol ${String(protocol)}`;
    return ports.from === ports.to ? `${String(protocol)} port ${ports.from}` : `${String(protocol)} ports ${ports.from}-${ports.to}`;
}

function worldOpenSources(rule: InboundRule): readonly string[] {
    return isUnknown(rule.sources) ? [] : rule.sources.filter(isWorldOpen);
}

/** Options of `no-world-open-ssh`, from the policy's config. */
export interface SshOptions {
    /** The stack deliberately opens SSH to the internet (`openclaw:allowSshFromAnywhere`). */
    readonly allowSshFromAnywhere: boolean;
}

/**
 * no-world-open-ssh: no inbound rule opens a port other than 80/443 (that is, SSH, the only other
 * port the program opens) to the whole internet, unless the stack allows it deliberately. A rule
 * whose ports or sources are not known yet is skipped; it is checked again by `pulumi up`.
 */
export function worldOpenSshViolations(resource: ResourceView, options: SshOptions): string[] {
    if (options.allowSshFromAnywhere) return [];
    const violations: string[] = [];
    for (const rule of inboundRules(resource) ?? []) {
        if (isUnknown(rule.ports) || rule.ports === undefined || isWebPort(rule.ports)) continue;
        const open = worldOpenSources(rule);
        if (open.length === 0) continue;
        violations.push(
            `${describe(resource)}: ${rule.at} opens ${opens(rule)} to ${open.join(", ")}. SSH (and any port but 80/443) must admit ` +
                "only the admin CIDR blocks (openclaw:adminCidrs); if the stack opens SSH to the internet on purpose " +
                "(openclaw:allowSshFromAnywhere), set allowSshFromAnywhere: true in this policy's config.",
        );
    }
    return violations;
}

/** A single non-web port a rule opens, as `9922/tcp`; undefined when it opens no such port (or a range). */
function extraPort(rule: InboundRule): string | undefined {
    const { protocol, ports } = rule;
    if (isUnknown(protocol) || isUnknown(ports) || ports === undefined || isWebPort(ports) || ports.from !== ports.to) return undefined;
    return `${ports.from}/${protocol}`;
}

/**
 * only-ingress-ports: inbound rules open the SSH port, and 80/443 only to restricted sources
 * (Cloudflare's ranges, ingress caddy); no port range, no other protocol but ICMP, no 80/443
 * from the whole internet, and at most one port besides 80/443 per firewall. Standalone AWS rules
 * are counted with their security group by `securityGroupPortViolations`.
 */
export function ingressPortViolations(resource: ResourceView): string[] {
    const rules = inboundRules(resource);
    if (rules === undefined) return [];
    const violations: string[] = [];
    const extra = new Set<string>();
    for (const rule of rules) {
        const { protocol, ports } = rule;
        if (isUnknown(protocol) || isUnknown(ports)) continue;
        if (ports === undefined) {
            if (!PORTLESS.includes(protocol)) {
                violations.push(`${describe(resource)}: ${rule.at} opens protocol ${protocol}; only TCP/UDP ports (SSH, 80, 443) and ICMP may be open.`);
            }
            continue;
        }
        if (isWebPort(ports)) {
            const open = worldOpenSources(rule);
            if (open.length > 0) {
                violations.push(
                    `${describe(resource)}: ${rule.at} opens ${opens(rule)} to ${open.join(", ")}; 80 and 443 may admit only ` +
                        "Cloudflare's ranges (ingress caddy), never the whole internet.",
                );
            }
        } else if (ports.from !== ports.to) {
            violations.push(`${describe(resource)}: ${rule.at} opens ${opens(rule)}; only the SSH port and 80/443 may be open, one port per rule.`);
        } else {
            extra.add(extraPort(rule)!);
        }
    }
    if (extra.size > 1) violations.push(tooManyPorts(resource, extra));
    return violations;
}

function tooManyPorts(resource: ResourceView, ports: ReadonlySet<string>): string {
    return `${describe(resource)}: opens ${ports.size} ports besides 80 and 443 (${[...ports].join(", ")}); only one, the SSH port, may be open.`;
}

/**
 * only-ingress-ports, across resources: a security group and the standalone AWS rules attached to
 * it (by `securityGroupId`) together open at most one port besides 80/443. Groups without
 * standalone rules are left to `ingressPortViolations`; a rule whose group can't be told yet is skipped.
 */
export function securityGroupPortViolations(resources: readonly StackResourceView[]): StackViolation[] {
    const groups = resources.filter((r) => r.type === FIREWALL_TYPES.securityGroup);
    const tally = new Map<string, { readonly owner: StackResourceView; readonly ports: Set<string>; standalone: boolean }>();
    for (const group of groups) {
        tally.set(group.urn, { owner: group, ports: new Set(inboundRules(group)!.map(extraPort).filter((p): p is string => p !== undefined)), standalone: false });
    }
    for (const rule of resources.filter((r) => STANDALONE_TYPES.includes(r.type))) {
        const group = groups.find((g) => refersTo(rule, "securityGroupId", g, [g.props.id]) === true);
        const groupId = rule.props.securityGroupId;
        const key = group ? group.urn : typeof groupId === "string" ? `id:${groupId}` : undefined;
        if (key === undefined) continue;
        const entry = tally.get(key) ?? { owner: rule, ports: new Set<string>(), standalone: false };
        entry.standalone = true;
        for (const port of inboundRules(rule)!.map(extraPort)) if (port !== undefined) entry.ports.add(port);
        tally.set(key, entry);
    }
    return [...tally.values()]
        .filter((entry) => entry.standalone && entry.ports.size > 1)
        .map((entry) => ({ urn: entry.owner.urn, message: `${tooManyPorts(entry.owner, entry.ports)} (counting its standalone ingress rules)` }));
}
