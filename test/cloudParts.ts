// What each cloud calls its parts, for tests that assert the same thing on every cloud: from the
// providers' own registry, so a new cloud gets the same tests.
import { CloudName, CloudParts, clouds, RegisteredInboundRule } from "../providers";

/** What each cloud calls its parts, so one set of assertions covers all of them. */
export const parts = Object.fromEntries(Object.entries(clouds).map(([name, provider]) => [name, provider.parts])) as Record<CloudName, CloudParts>;

/** The user data of a cloud's server, from its registered inputs. */
export function userDataOf(cloud: CloudName, server: Record<string, any>): string {
    return clouds[cloud].userDataOf(server);
}

/**
 * A server's registered inputs with its user data as plain text under `userData`, wherever and
 * however (plain or base64) the cloud keeps it: what the tests compare and mask the deploy key in.
 */
export function serverInputs(cloud: CloudName, server: Record<string, any>): Record<string, any> {
    const userData = clouds[cloud].userDataOf(server);
    if (typeof userData !== "string") return server;
    const forms = [userData, Buffer.from(userData, "utf8").toString("base64")];
    return { ...JSON.parse(JSON.stringify(server, (_key, value) => (forms.includes(value) ? undefined : value))), userData };
}

/** The static IP the mocks give a cloud's server: the IPv4 address in its static IP's mock outputs. */
export function mockStaticIp(cloud: CloudName): string {
    const outputs = clouds[cloud].mockOutputs[clouds[cloud].parts.staticIp]({}, "id", "name");
    const addresses = Object.values(outputs).filter((value): value is string => typeof value === "string" && /^\d+\.\d+\.\d+\.\d+$/.test(value));
    if (addresses.length !== 1) throw new Error(`${cloud}: the static IP's mock outputs hold ${addresses.length} IPv4 addresses, not one`);
    return addresses[0];
}

/** Inbound rules of a cloud firewall, as {port, protocol, sources} whatever the cloud's shape. */
export function inboundRules(cloud: CloudName, firewall: Record<string, any>): RegisteredInboundRule[] {
    return clouds[cloud].inboundRulesOf(firewall);
}
