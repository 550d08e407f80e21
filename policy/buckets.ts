// The state bucket holds encrypted backups of the gateway's state: it must stay private, and S3
// buckets must carry their own public access block and default encryption, so an account-level
// setting changed later can't expose it. R2 buckets are private unless a domain is attached.
import { describe, fieldOf, isUnknown, listOf, refersTo, ResourceView, show, StackResourceView, StackViolation } from "./values";

export const BUCKET_TYPES = {
    bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
    acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    encryption: [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ],
    r2Domains: ["cloudflare:index/r2CustomDomain:R2CustomDomain", "cloudflare:index/r2ManagedDomain:R2ManagedDomain"],
} as const;

/** Canned ACLs that let someone outside the account read or write. */
export const PUBLIC_ACLS: readonly string[] = ["public-read", "public-read-write", "authenticated-read"];
/** Grantee groups that mean "anyone" and "anyone with an AWS account". */
const PUBLIC_GRANTEES = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;
const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

const isOneOf = (types: readonly string[], type: string) => types.includes(type);

function isPublicPrincipal(principal: unknown): boolean {
    if (principal === "*") return true;
    const aws = fieldOf(principal, "AWS");
    return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
}

/**
 * The statements of a bucket policy (JSON text or an object) that allow anyone: `Principal: "*"`
 * or `{"AWS": "*"}`, or an Allow with `NotPrincipal` (everyone but a few). Conditions are not
 * weighed: a public Allow is refused whatever narrows it.
 */
export function publicAllowStatements(policy: unknown): string[] {
    let doc = policy;
    if (typeof policy === "string") {
        try {
            doc = JSON.parse(policy);
        } catch {
            return [];
        }
    }
    const statements = listOf(fieldOf(doc, "Statement"));
    if (isUnknown(statements)) return [];
    return statements.flatMap((statement, i) => {
        const allows = fieldOf(statement, "Effect") === "Allow";
        const isPublic = isPublicPrincipal(fieldOf(statement, "Principal")) || fieldOf(statement, "NotPrincipal") !== undefined;
        const sid = fieldOf(statement, "Sid");
        return allows && isPublic ? [typeof sid === "string" ? `statement ${sid}` : `statement ${i}`] : [];
    });
}

function publicAclViolation(resource: ResourceView): string[] {
    const { acl } = resource.props;
    return typeof acl === "string" && PUBLIC_ACLS.includes(acl) ? [`${describe(resource)}: acl is ${show(acl)}; the bucket must stay private.`] : [];
}

function publicPolicyViolation(resource: ResourceView): string[] {
    const found = publicAllowStatements(resource.props.policy);
    return found.length > 0 ? [`${describe(resource)}: policy ${found.join(", ")} allows Principal "*"; the bucket must stay private.`] : [];
}

function publicGrantViolation(resource: ResourceView, grants: unknown, uriOf: (grant: unknown) => unknown): string[] {
    const list = listOf(grants);
    if (isUnknown(list)) return [];
    const uris = list.map(uriOf).filter((uri): uri is string => typeof uri === "string" && PUBLIC_GRANTEES.test(uri));
    return uris.length > 0 ? [`${describe(resource)}: grants access to ${uris.join(", ")}; the bucket must stay private.`] : [];
}

/**
 * private-encrypted-buckets, one resource at a time: no public canned ACL, grant or bucket policy
 * on S3; every public access block flag true; default encryption set; no public R2 domain.
 */
export function bucketViolations(resource: ResourceView): string[] {
    const { type, props } = resource;
    if (isOneOf(BUCKET_TYPES.bucket, type)) {
        return [
            ...publicAclViolation(resource),
            ...publicPolicyViolation(resource),
            ...publicGrantViolation(resource, props.grants, (grant) => fieldOf(grant, "uri")),
        ];
    }
    if (isOneOf(BUCKET_TYPES.acl, type)) {
        const grants = fieldOf(props.accessControlPolicy, "grants");
        return [...publicAclViolation(resource), ...publicGrantViolation(resource, grants, (grant) => fieldOf(fieldOf(grant, "grantee"), "uri"))];
    }
    if (type === BUCKET_TYPES.policy) return publicPolicyViolation(resource);
    if (type === BUCKET_TYPES.publicAccessBlock) {
        const off = PUBLIC_ACCESS_FLAGS.filter((flag) => !isUnknown(props[flag]) && props[flag] !== true);
        return off.map((flag) => `${describe(resource)}: ${flag} is ${show(props[flag])}; all four public access block flags must be true.`);
    }
    if (isOneOf(BUCKET_TYPES.encryption, type)) {
        const rules = listOf(props.rules);
        if (isUnknown(rules)) return [];
        const algorithms = rules.map((rule) => fieldOf(fieldOf(rule, "applyServerSideEncryptionByDefault"), "sseAlgorithm"));
        if (algorithms.some(isUnknown)) return [];
        return algorithms.length > 0 && algorithms.every((a) => typeof a === "string" && SSE_ALGORITHMS.includes(a))
            ? []
            : [`${describe(resource)}: default encryption is ${show(algorithms)}; each rule must set sseAlgorithm to one of ${SSE_ALGORITHMS.join(", ")}.`];
    }
    if (isOneOf(BUCKET_TYPES.r2Domains, type)) {
        // An R2 managed domain with `enabled: false` is how r2.dev access is switched off: that one is fine.
        if (props.enabled === false || isUnknown(props.enabled)) return [];
        return [`${describe(resource)}: serves bucket ${show(props.bucketName)} to the public; the state bucket must be reached only with credentials.`];
    }
    return [];
}

/**
 * private-encrypted-buckets, across the stack: each S3 bucket has a public access block and a
 * default encryption configuration of its own. A configuration belongs to a bucket when its
 * `bucket` input was computed from the bucket (the engine's property dependencies, which preview
 * knows even while ids are unknown) or equals the bucket's id or name. While that can't be told
 * yet for some configuration, the bucket is given the benefit of the doubt until `pulumi up`.
 */
export function bucketCoverageViolations(resources: readonly StackResourceView[]): StackViolation[] {
    const required: readonly { readonly types: readonly string[]; readonly what: string }[] = [
        { types: [BUCKET_TYPES.publicAccessBlock], what: "aws.s3.BucketPublicAccessBlock" },
        { types: BUCKET_TYPES.encryption, what: "aws.s3.BucketServerSideEncryptionConfiguration" },
    ];
    const violations: StackViolation[] = [];
    for (const bucket of resources.filter((r) => isOneOf(BUCKET_TYPES.bucket, r.type))) {
        const names = [bucket.props.id, bucket.props.bucket];
        for (const { types, what } of required) {
            const matches = resources.filter((r) => types.includes(r.type)).map((r) => refersTo(r, "bucket", bucket, names));
            if (matches.includes(true) || matches.some(isUnknown)) continue;
            violations.push({ urn: bucket.urn, message: `${describe(bucket)}: has no ${what} of its own (matched by its bucket input); every S3 bucket needs one.` });
        }
    }
    return violations;
}
