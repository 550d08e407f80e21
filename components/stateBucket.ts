import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "crypto";
import { BackupStore } from "./settings";
import { BACKUP_PREFIX } from "./stack/layout";
import { BucketEndpoint } from "./stack/maintenance";

export interface StateBucketArgs {
    /** An S3 bucket in the AWS provider's region, or an R2 bucket in the Cloudflare account. */
    readonly store: Exclude<BackupStore, { readonly stateStore: "none" }>;
    /** Lower-case letters, digits and dashes that start the bucket's name, e.g. `openclaw-dev`. */
    readonly namePrefix: string;
    /** Objects (and, on S3, their old versions) expire this many days after they were written. */
    readonly retentionDays: number;
    /**
     * true: the bucket is protected, and kept even if the stack is destroyed. false: `pulumi
     * destroy` removes it, objects and all (S3 by `forceDestroy`, R2 by emptying it first).
     */
    readonly protect: boolean;
}

/** Cloudflare's name for the permission to read, write and delete the objects of chosen buckets. */
export const R2_OBJECT_WRITE_PERMISSION = "Workers R2 Storage Bucket Item Write";

/** Run from the project's directory (where Pulumi runs the program) by the R2 bucket's emptier. */
export const R2_EMPTIER_SCRIPT = "scripts/empty-bucket.js";

/** How a Cloudflare token policy names one R2 bucket (in the default jurisdiction). */
export function r2BucketResource(accountId: string, bucketName: string): string {
    return `com.cloudflare.edge.r2.bucket.${accountId}_default_${bucketName}`;
}

/**
 * Where backups go: a private, encrypted bucket, and credentials that reach that bucket only.
 * The credentials are secret outputs that the deploy hands to the host on standard input.
 */
export class StateBucket extends pulumi.ComponentResource {
    /** The bucket's name (the `stateBucket` output). */
    readonly bucketName: pulumi.Output<string>;
    /** What the host's S3 client needs besides the credentials. */
    readonly endpoint: pulumi.Output<BucketEndpoint>;
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
    /** The bucket resource itself, for tests and for `dependsOn`. */
    readonly bucket: aws.s3.Bucket | cloudflare.R2Bucket;

    constructor(name: string, args: StateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openclaw:index:StateBucket", name, {}, opts);
        if (args.retentionDays < 1) throw new Error(`StateBucket: retentionDays must be at least 1, not ${args.retentionDays}`);
        const made = args.store.stateStore === "s3" ? this.s3Bucket(name, args) : this.r2Bucket(name, args, args.store.cloudflareAccountId);
        this.bucket = made.bucket;
        this.bucketName = made.bucketName;
        this.endpoint = made.endpoint;
        this.accessKeyId = made.accessKeyId;
        this.secretAccessKey = pulumi.secret(made.secretAccessKey);
        this.registerOutputs({ bucketName: this.bucketName });
    }

    private s3Bucket(name: string, args: StateBucketArgs) {
        const parent = { parent: this };
        const bucket = new aws.s3.Bucket(
            `${name}-state`,
            { bucketPrefix: `${args.namePrefix.slice(0, 30)}-state-`, forceDestroy: !args.protect, tags: { "openclaw:purpose": "state-backups" } },
            { parent: this, protect: args.protect, retainOnDelete: args.protect },
        );
        const bucketId = bucket.id;
        const ownership = new aws.s3.BucketOwnershipControls(
            `${name}-state`,
            { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
            parent,
        );
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-state`,
            { bucket: bucketId, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            parent,
        );
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-state`,
            { bucket: bucketId, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
            parent,
        );
        // Versions keep what the host deletes or overwrites for the retention period: a host that
        // was broken into can remove backups from view, not destroy them.
        const versioning = new aws.s3.BucketVersioning(`${name}-state`, { bucket: bucketId, versioningConfiguration: { status: "Enabled" } }, parent);
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-state`,
            {
                bucket: bucketId,
                rules: [
                    {
                        id: "expire-backups",
                        status: "Enabled",
                        filter: { prefix: "" },
                        expiration: { days: args.retentionDays },
                        noncurrentVersionExpiration: { noncurrentDays: args.retentionDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                    { id: "remove-expired-delete-markers", status: "Enabled", filter: { prefix: "" }, expiration: { expiredObjectDeleteMarker: true } },
                ],
            },
            { parent: this, dependsOn: [versioning] },
        );
        new aws.s3.BucketPolicy(
            `${name}-state`,
            {
                bucket: bucketId,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "DenyInsecureTransport",
                            Effect: "Deny",
                            Principal: "*",
                            Action: "s3:*",
                            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
                            Condition: { Bool: { "aws:SecureTransport": "false" } },
                        },
                    ],
                }),
            },
            // S3 refuses a bucket policy while ownership and the public access block are being set.
            { parent: this, dependsOn: [ownership, publicAccess] },
        );

        // The host's own identity: it may list, read, write and delete current backups in this
        // bucket, and nothing else (no versions, no bucket settings, no other bucket).
        const user = new aws.iam.User(`${name}-backup`, { path: "/openclaw/", forceDestroy: true, tags: { "openclaw:purpose": "state-backups" } }, parent);
        new aws.iam.UserPolicy(
            `${name}-backup`,
            {
                user: user.name,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "ListBackups",
                            Effect: "Allow",
                            Action: "s3:ListBucket",
                            Resource: bucket.arn,
                            Condition: { StringLike: { "s3:prefix": [`${BACKUP_PREFIX}*`, BACKUP_PREFIX] } },
                        },
                        {
                            Sid: "ReadWriteBackups",
                            Effect: "Allow",
                            Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                            Resource: pulumi.interpolate`${bucket.arn}/${BACKUP_PREFIX}*`,
                        },
                    ],
                }),
            },
            parent,
        );
        const key = new aws.iam.AccessKey(`${name}-backup`, { user: user.name }, parent);

        return {
            bucket,
            bucketName: bucket.bucket,
            endpoint: pulumi.all([bucket.bucket, bucket.region]).apply(([b, region]): BucketEndpoint => ({ provider: "AWS", region, endpoint: "", bucket: b })),
            accessKeyId: key.id,
            secretAccessKey: key.secret,
        };
    }

    private r2Bucket(name: string, args: StateBucketArgs, accountId: string) {
        const parent = { parent: this };
        // R2 names are unique per account and never generated: a random suffix keeps two stacks
        // (or two projects) with the same name apart.
        const suffix = new random.RandomId(`${name}-state-suffix`, { byteLength: 4 }, parent);
        const bucket = new cloudflare.R2Bucket(
            `${name}-state`,
            { accountId, name: pulumi.interpolate`${args.namePrefix.slice(0, 45)}-state-${suffix.hex}` },
            { parent: this, protect: args.protect, retainOnDelete: args.protect },
        );
        new cloudflare.R2BucketLifecycle(
            `${name}-state`,
            {
                accountId,
                bucketName: bucket.name,
                rules: [
                    {
                        id: "expire-backups",
                        enabled: true,
                        conditions: { prefix: "" },
                        deleteObjectsTransition: { condition: { type: "Age", maxAge: args.retentionDays * 86400 } },
                        abortMultipartUploadsTransition: { condition: { type: "Age", maxAge: 86400 } },
                    },
                ],
            },
            parent,
        );

        // An account token whose only permission is object read/write on this one bucket. R2's S3
        // credentials are derived from it: the token's id, and the SHA-256 of its value.
        const permission = cloudflare
            .getAccountApiTokenPermissionGroupsListOutput({ accountId, name: encodeURIComponent(R2_OBJECT_WRITE_PERMISSION) }, parent)
            .results.apply((groups) => {
                const group = groups.find((g) => g.name === R2_OBJECT_WRITE_PERMISSION);
                if (!group) throw new Error(`Cloudflare lists no permission group named "${R2_OBJECT_WRITE_PERMISSION}" for account ${accountId}`);
                return group.id;
            });
        const token = new cloudflare.AccountToken(
            `${name}-backup`,
            {
                accountId,
                name: pulumi.interpolate`${bucket.name} backups`,
                policies: [
                    {
                        effect: "allow",
                        permissionGroups: [{ id: permission }],
                        resources: bucket.name.apply((b) => JSON.stringify({ [r2BucketResource(accountId, b)]: "*" })),
                    },
                ],
            },
            parent,
        );

        const endpoint = `https://${accountId}.r2.cloudflarestorage.com`;
        const secretAccessKey = pulumi.secret(token.value.apply((value) => createHash("sha256").update(value).digest("hex")));

        // Cloudflare refuses to delete an R2 bucket that holds objects, so with protect false this
        // command's delete empties it first (it goes before the bucket and the token it uses).
        // It exists with protect true too, where its delete keeps everything: switching protect
        // on is then an update, never the removal that would run an emptying delete.
        new command.local.Command(
            `${name}-state-emptier`,
            {
                delete: `node ./${R2_EMPTIER_SCRIPT}`,
                environment: {
                    EMPTY_ON_DELETE: String(!args.protect),
                    BUCKET_ENDPOINT: endpoint,
                    BUCKET_NAME: bucket.name,
                    BUCKET_REGION: "auto",
                    BUCKET_ACCESS_KEY_ID: token.id,
                    BUCKET_SECRET_ACCESS_KEY: secretAccessKey,
                },
                addPreviousOutputInEnv: false,
                logging: "stdoutAndStderr",
            },
            { parent: this, additionalSecretOutputs: ["environment"] },
        );

        return {
            bucket,
            bucketName: bucket.name,
            endpoint: bucket.name.apply((b): BucketEndpoint => ({ provider: "Cloudflare", region: "auto", endpoint, bucket: b })),
            accessKeyId: token.id,
            secretAccessKey,
        };
    }
}
