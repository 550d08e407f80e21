// The pack checks servers and firewalls by their type token. A server or firewall of a type it
// does not know (a new cloud, a new resource of an old one) would pass every check unseen, so the
// pack fails closed: such a resource is a violation until the pack learns to read it.
import { FIREWALL_TYPES } from "./firewall";
import { IMDS_TYPES } from "./imds";
import { USER_DATA_PROPERTIES } from "./userData";
import { describe, ResourceView } from "./values";

/** The server and firewall types the pack reads. */
export const KNOWN_TYPES: readonly string[] = [...new Set([...Object.keys(USER_DATA_PROPERTIES), ...IMDS_TYPES, ...Object.values(FIREWALL_TYPES)])];

/**
 * What a server or firewall is called in a type token's resource name (after the last `:`), in
 * the providers' own words: Linode's `Instance` and `Firewall`, GCP's `compute/instance:Instance`,
 * Azure's `VirtualMachine` and `NetworkSecurityGroup`, Vultr's `Instance`, OVH's `Instance`.
 */
const SERVER_OR_FIREWALL = /(server|instance|launchtemplate|droplet|virtualmachine|machine|firewall|securitygroup|securityrule|grouprule|firewallrule|ingressrule)$/i;

/** True when the token names a server or a firewall by the words above. */
export function isServerOrFirewallType(type: string): boolean {
    if (type.startsWith("pulumi:")) return false;
    const name = type.slice(type.lastIndexOf(":") + 1);
    return SERVER_OR_FIREWALL.test(name);
}

/** known-server-and-firewall-types: a server or firewall of a type the pack can't read fails. */
export function unknownTypeViolations(resource: ResourceView): string[] {
    if (KNOWN_TYPES.includes(resource.type) || !isServerOrFirewallType(resource.type)) return [];
    return [
        `${describe(resource)}: the pack does not know the type ${resource.type}, so it can't check its firewall rules or user data; ` +
            "teach the pack to read it (policy/firewall.ts, policy/userData.ts) before deploying it.",
    ];
}
