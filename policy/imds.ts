// The instance metadata service hands out the instance's credentials. IMDSv1 answers any plain GET,
// so a request forged through a container or the egress proxy could read them; IMDSv2 needs a
// session token obtained with a PUT first.
import { describe, fieldOf, isUnknown, ResourceView, show } from "./values";

export const IMDS_TYPES: readonly string[] = ["aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"];

/**
 * imdsv2-required: EC2 instances and launch templates set `metadataOptions.httpTokens` to
 * "required". Unset counts as a violation: the default then depends on the AMI and account
 * settings. Disabling the endpoint as well is fine; a value not known yet is skipped.
 */
export function imdsViolations(resource: ResourceView): string[] {
    if (!IMDS_TYPES.includes(resource.type)) return [];
    const tokens = fieldOf(resource.props.metadataOptions, "httpTokens");
    if (isUnknown(tokens) || tokens === "required") return [];
    const actual = tokens === undefined ? "is not set" : `is ${show(tokens)}`;
    return [`${describe(resource)}: metadataOptions.httpTokens ${actual}; it must be "required" (IMDSv2 only), so a forged request can't read the instance's credentials.`];
}
