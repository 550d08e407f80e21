// The pack's policies: names, descriptions and enforcement, wired to the pure rules next to this
// file. Loading this module starts nothing, so tests import it; `index.ts` hands it to the engine.
import { Policies, PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { bucketCoverageViolations, bucketViolations } from "./buckets";
import { ingressPortViolations, securityGroupPortViolations, SshOptions, worldOpenSshViolations } from "./firewall";
import { imagePinViolations } from "./images";
import { imdsViolations } from "./imds";
import { unknownTypeViolations } from "./knownTypes";
import { userDataViolations } from "./userData";
import { plain, Props, ResourceView, StackResourceView, StackViolation } from "./values";

export const POLICY_PACK_NAME = "openclaw-hardening";

/** A resource as the engine hands it to a policy, turned into plain data (unknowns as UNKNOWN). */
export function resourceView(resource: { readonly type: string; readonly name: string; readonly props: Record<string, any> }): ResourceView {
    return { type: resource.type, name: resource.name, props: plain(resource.props) as Props };
}

/** A stack resource as plain data, its property dependencies as URNs. */
export function stackResourceView(resource: PolicyResource): StackResourceView {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, deps] of Object.entries(resource.propertyDependencies ?? {})) propertyDependencies[key] = deps.map((d) => d.urn);
    return { ...resourceView(resource), urn: resource.urn, propertyDependencies };
}

type ResourceRule = (resource: ResourceView, args: ResourceValidationArgs) => string[];

function validateWith(rule: ResourceRule): (args: ResourceValidationArgs, reportViolation: ReportViolation) => void {
    return (args, reportViolation) => {
        for (const message of rule(resourceView(args), args)) reportViolation(message);
    };
}

function validateStackWith(rule: (resources: StackResourceView[]) => StackViolation[]): (args: StackValidationArgs, reportViolation: ReportViolation) => void {
    return (args, reportViolation) => {
        for (const { message, urn } of rule(args.resources.map(stackResourceView))) reportViolation(message, urn);
    };
}

/**
 * The seven policies, each mandatory: a violation fails `pulumi preview` and stops `pulumi up`.
 * Two also check across the stack (`validateStack`) what one resource can't show.
 */
export const policies: Policies = [
    {
        name: "no-world-open-ssh",
        description:
            "No cloud firewall rule opens SSH (any port but 80/443) to 0.0.0.0/0, ::/0 or a comparably wide block, unless allowSshFromAnywhere is set in this policy's config.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                allowSshFromAnywhere: {
                    type: "boolean",
                    default: false,
                    description: "Set to true only for a stack with openclaw:allowSshFromAnywhere true: SSH open to the internet on purpose.",
                },
            },
        },
        validateResource: validateWith((resource, args) => {
            const config = args.getConfig<Partial<SshOptions>>();
            return worldOpenSshViolations(resource, { allowSshFromAnywhere: config.allowSshFromAnywhere === true });
        }),
    },
    {
        name: "only-ingress-ports",
        description:
            "Cloud firewalls open only the SSH port and 80/443, the latter never to the whole internet: no port ranges, no protocol but TCP, UDP and ICMP, one port besides 80/443.",
        enforcementLevel: "mandatory",
        validateResource: validateWith(ingressPortViolations),
        validateStack: validateStackWith(securityGroupPortViolations),
    },
    {
        name: "no-secrets-in-user-data",
        description: "Server user data carries no private key, API key, bot token, tunnel or gateway token, or AWS secret key.",
        enforcementLevel: "mandatory",
        validateResource: validateWith(userDataViolations),
    },
    {
        name: "private-encrypted-buckets",
        description:
            "S3 buckets are private (no public ACL, grant or Allow for Principal \"*\") with their own full public access block and default encryption; no R2 bucket is served on a public domain.",
        enforcementLevel: "mandatory",
        validateResource: validateWith(bucketViolations),
        validateStack: validateStackWith(bucketCoverageViolations),
    },
    {
        name: "pinned-images",
        description: "Every image the deploy steps hand the host (compose services, Dockerfile FROM lines) is pinned to a version tag other than latest, or a sha256 digest.",
        enforcementLevel: "mandatory",
        validateResource: validateWith(imagePinViolations),
    },
    {
        name: "imdsv2-required",
        description: "EC2 instances and launch templates require IMDSv2 session tokens (metadataOptions.httpTokens \"required\").",
        enforcementLevel: "mandatory",
        validateResource: validateWith(imdsViolations),
    },
    {
        name: "known-server-and-firewall-types",
        description: "Every server and firewall is of a type the pack reads: one it does not know fails, rather than passing every check unseen.",
        enforcementLevel: "mandatory",
        validateResource: validateWith(unknownTypeViolations),
    },
];
