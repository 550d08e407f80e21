// What each cloud calls its parts, for tests that assert the same thing on every cloud: from the
// providers' own registry, so a new cloud gets the same tests.
import { CloudName, CloudParts, clouds, RegisteredInboundRule } from "../providers";

/** What each cloud calls its parts, so one set of assertions covers all of them. */
export const parts = Object.fromEntries(Object.entries(clouds).map(([name, provider]) => [name, provider.parts])) as Record<CloudName, CloudParts>;

/** Inbound rules of a cloud firewall, as {port, protocol, sources} whatever the cloud's shape. */
export function inboundRules(cloud: CloudName, firewall: Record<string, any>): RegisteredInboundRule[] {
    return clouds[cloud].inboundRulesOf(firewall);
}
