// Backups under mocks: the state bucket each store registers (private, encrypted, expiring,
// scoped credentials, protect/forceDestroy), where its credentials and the backup key go, the
// maintenance steps, and secret rotation through `secretsRotation`.
import * as assert from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { parts } from "../cloudParts";
import { asStep, generatedSecrets, MOCK_PERMISSION_GROUPS, named, ofType, recorded, single, valueOf } from "../mocks";
import { OpenClawDeployment } from "../../components/deployment";
import { deployUnderMocks } from "../deployUnderMocks";
import { ConfigError, parseSettings, Settings } from "../../components/settings";
import { CloudName } from "../../providers";
import { ConfigMap, devConfigFor, rawConfig, HOST_STEP_NAMES, SECRET_KEYS, stackStepNames, TEST_TELEGRAM_TOKEN } from "../fixtures";

const S3 = {
    bucket: "aws:s3/bucket:Bucket",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    user: "aws:iam/user:User",
    userPolicy: "aws:iam/userPolicy:UserPolicy",
    accessKey: "aws:iam/accessKey:AccessKey",
};
const R2 = {
    bucket: "cloudflare:index/r2Bucket:R2Bucket",
    lifecycle: "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle",
    token: "cloudflare:index/accountToken:AccountToken",
    emptier: "command:local:Command",
};
const BUCKET_TYPES = [...Object.values(S3), ...Object.values(R2)];

const ALERT_URL = "https://ntfy.example.net/openclaw-alerts-Zq8xTopicSecret";

function settingsFor(cloud: CloudName, extra: ConfigMap = {}): Settings {
    return parseSettings(rawConfig(devConfigFor(cloud, extra), SECRET_KEYS));
}

/** The account of an R2 store's bucket. */
function r2AccountId(settings: Settings): string {
    if (settings.backups.stateStore !== "r2") assert.fail(`the store is ${settings.backups.stateStore}, not r2`);
    return settings.backups.cloudflareAccountId;
}

const deploy = deployUnderMocks;

const step = (name: string) => asStep(named("command:remote:Command", `openclaw-${name}`).inputs);
/**
 * Every input of every registered resource, as text, except one step's standard input and the R2
 * emptier's environment (which runs where Pulumi runs, not on the host).
 */
function everywhereBut(stepName: string): string {
    return JSON.stringify(
        recorded.map((r) =>
            r.name === `openclaw-${stepName}` ? { ...r.inputs, stdin: "" } : r.type === R2.emptier ? { ...r.inputs, environment: {} } : r.inputs,
        ),
    );
}
const policyOf = (resource: { inputs: Record<string, any> }) => JSON.parse(resource.inputs.policy);
const isProtected = (resource: pulumi.Resource) => (resource as unknown as { __protect: boolean }).__protect;

describe("stateStore s3 (aws)", () => {
    for (const protect of [false, true]) {
        describe(`protect ${protect}`, () => {
            let deployment: OpenClawDeployment;
            before(async () => {
                deployment = await deploy(
                    settingsFor("aws", { "openclaw:stateStore": "s3", "openclaw:backupRetentionDays": "30", "openclaw:protect": String(protect) }),
                );
            });

            it("registers one private bucket: owner-enforced, every public access blocked, encrypted, versioned", () => {
                const bucket = single(S3.bucket);
                assert.ok(bucket.inputs.bucketPrefix.startsWith("openclaw-dev-state-"), bucket.inputs.bucketPrefix);
                assert.strictEqual(bucket.inputs.acl, undefined, "no canned ACL");
                assert.strictEqual(single(S3.ownership).inputs.rule.objectOwnership, "BucketOwnerEnforced");
                const block = single(S3.publicAccess).inputs;
                for (const setting of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
                    assert.strictEqual(block[setting], true, setting);
                }
                const [rule] = single(S3.encryption).inputs.rules;
                assert.strictEqual(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
                assert.strictEqual(single(S3.versioning).inputs.versioningConfiguration.status, "Enabled");
                const bucketId = bucket.id;
                for (const type of [S3.ownership, S3.publicAccess, S3.encryption, S3.versioning, S3.lifecycle, S3.policy]) {
                    assert.strictEqual(single(type).inputs.bucket, bucketId, `${type} applies to the state bucket`);
                }
            });

            it("expires backups and their old versions after backupRetentionDays", () => {
                const rules = single(S3.lifecycle).inputs.rules;
                const expiry = rules.find((r: any) => r.expiration?.days !== undefined);
                assert.strictEqual(expiry.status, "Enabled");
                assert.strictEqual(expiry.expiration.days, 30);
                assert.strictEqual(expiry.noncurrentVersionExpiration.noncurrentDays, 30);
                assert.deepStrictEqual(expiry.filter, { prefix: "" }, "the rule covers the whole bucket");
            });

            it("has a bucket policy that only denies: any request without TLS", () => {
                const policy = policyOf(single(S3.policy));
                assert.ok(policy.Statement.every((s: any) => s.Effect === "Deny"), "no statement allows anything");
                const [deny] = policy.Statement;
                assert.deepStrictEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
                assert.strictEqual(deny.Action, "s3:*");
                const arn = `arn:aws:s3:::${single(S3.bucket).inputs.bucketPrefix}0a1b2c3d`;
                assert.deepStrictEqual(deny.Resource, [arn, `${arn}/*`]);
            });

            it("gives the host an IAM user that reaches only the backups in this bucket, and no old versions", () => {
                const policy = policyOf(single(S3.userPolicy));
                const arn = `arn:aws:s3:::${single(S3.bucket).inputs.bucketPrefix}0a1b2c3d`;
                const actions = policy.Statement.flatMap((s: any) => [s.Action].flat());
                const resources = policy.Statement.flatMap((s: any) => [s.Resource].flat());
                assert.ok(policy.Statement.every((s: any) => s.Effect === "Allow"));
                assert.deepStrictEqual([...new Set(resources)].sort(), [arn, `${arn}/backups/*`].sort(), "this bucket only");
                assert.ok(!actions.some((a: string) => a.includes("*")), `no wildcard action: ${actions}`);
                assert.ok(!actions.some((a: string) => /Version|Bucket(Policy|Acl)|PutLifecycle|DeleteBucket/.test(a)), `no version or bucket-settings action: ${actions}`);
                assert.strictEqual(single(S3.accessKey).inputs.user, single(S3.userPolicy).inputs.user);
            });

            it(protect ? "protects the bucket and refuses to empty it on destroy" : "lets pulumi destroy remove the bucket with its objects", () => {
                const bucket = deployment.stateBucket!.bucket;
                assert.strictEqual(isProtected(bucket), protect);
                assert.strictEqual(single(S3.bucket).inputs.forceDestroy, !protect);
            });

            it("exports the bucket's name as stateBucket", async () => {
                assert.strictEqual(await valueOf(deployment.stateBucketName!), `${single(S3.bucket).inputs.bucketPrefix}0a1b2c3d`);
            });
        });
    }

    it("is also available to a server on another cloud", async () => {
        await deploy(settingsFor("hetzner", { "openclaw:stateStore": "s3", "aws:region": "eu-west-1" }));
        assert.strictEqual(ofType(S3.bucket).length, 1);
        assert.strictEqual(ofType(R2.bucket).length, 0);
        assert.strictEqual(ofType(parts.hetzner.server).length, 1);
    });
});

describe("stateStore r2 (the dev stack's default: it names a Cloudflare account)", () => {
    let deployment: OpenClawDeployment;
    let settings: Settings;
    before(async () => {
        settings = settingsFor("hetzner");
        assert.strictEqual(settings.backups.stateStore, "r2");
        deployment = await deploy(settings);
    });

    it("registers an R2 bucket in the account, expiring objects after backupRetentionDays, and nothing on AWS", () => {
        const bucket = single(R2.bucket).inputs;
        assert.strictEqual(bucket.accountId, r2AccountId(settings));
        assert.match(bucket.name, /^openclaw-dev-state-[0-9a-f]{8}$/);
        const lifecycle = single(R2.lifecycle).inputs;
        assert.strictEqual(lifecycle.bucketName, bucket.name);
        const [rule] = lifecycle.rules;
        assert.strictEqual(rule.enabled, true);
        assert.strictEqual(rule.conditions.prefix, "");
        assert.deepStrictEqual(rule.deleteObjectsTransition.condition, { type: "Age", maxAge: 14 * 86400 });
        assert.deepStrictEqual(recorded.filter((r) => r.type.startsWith("aws:")), []);
    });

    it("creates a token whose only permission is object read/write on this one bucket", () => {
        const token = single(R2.token).inputs;
        const bucketName = single(R2.bucket).inputs.name;
        assert.strictEqual(token.policies.length, 1);
        const [policy] = token.policies;
        assert.strictEqual(policy.effect, "allow");
        const itemWrite = MOCK_PERMISSION_GROUPS.find((g) => g.name === "Workers R2 Storage Bucket Item Write")!;
        assert.deepStrictEqual(policy.permissionGroups, [{ id: itemWrite.id }]);
        assert.deepStrictEqual(JSON.parse(policy.resources), {
            [`com.cloudflare.edge.r2.bucket.${r2AccountId(settings)}_default_${bucketName}`]: "*",
        });
    });

    it("with protect false, empties the R2 bucket before pulumi destroy deletes it (Cloudflare refuses a bucket with objects)", async () => {
        assert.strictEqual(isProtected(deployment.stateBucket!.bucket), false);
        const emptier = single(R2.emptier).inputs;
        assert.strictEqual(emptier.create, undefined, "nothing runs on create");
        assert.strictEqual(emptier.delete, "node ./scripts/empty-bucket.js");
        assert.strictEqual(emptier.triggers, undefined, "no trigger can replace it, which would run its delete");
        const bucketName = single(R2.bucket).inputs.name;
        assert.deepStrictEqual({ ...emptier.environment, BUCKET_SECRET_ACCESS_KEY: "<secret>" }, {
            EMPTY_ON_DELETE: "true",
            BUCKET_ENDPOINT: `https://${r2AccountId(settings)}.r2.cloudflarestorage.com`,
            BUCKET_NAME: bucketName,
            BUCKET_REGION: "auto",
            BUCKET_ACCESS_KEY_ID: ofType(R2.token)[0].id,
            BUCKET_SECRET_ACCESS_KEY: "<secret>",
        });
        assert.strictEqual(emptier.environment.BUCKET_SECRET_ACCESS_KEY, await valueOf(deployment.stateBucket!.secretAccessKey));
    });

    it("with protect true, protects the R2 bucket and keeps its objects: the emptier's delete empties nothing", async () => {
        const protectedDeployment = await deploy(settingsFor("hetzner", { "openclaw:protect": "true" }));
        assert.strictEqual(isProtected(protectedDeployment.stateBucket!.bucket), true);
        assert.strictEqual(single(R2.emptier).inputs.environment.EMPTY_ON_DELETE, "false");
        deployment = await deploy(settings);
    });

    it("hands the host S3 credentials derived from the token, only in the maintenance secrets' standard input", async () => {
        const secretKey = await valueOf(deployment.stateBucket!.secretAccessKey);
        assert.strictEqual(await pulumi.isSecret(deployment.stateBucket!.secretAccessKey), true);
        assert.strictEqual(await valueOf(deployment.stateBucket!.accessKeyId), ofType(R2.token)[0].id, "the access key id is the token's id");
        const stdin: string = step("maintenance-secrets").stdin;
        assert.ok(stdin.includes(`S3_SECRET_ACCESS_KEY='${secretKey}'`), "the secret key reaches the host");
        // R2 derives the secret access key from the token: the SHA-256 of its value.
        const tokenValues = generatedSecrets.filter((s) => createHash("sha256").update(s).digest("hex") === secretKey);
        assert.strictEqual(tokenValues.length, 1, "the secret key is the SHA-256 of the token's value");
        const elsewhere = everywhereBut("maintenance-secrets");
        assert.ok(!elsewhere.includes(secretKey), "the secret key appears in no other input, user data included");
        assert.ok(!JSON.stringify(recorded.map((r) => r.inputs)).includes(tokenValues[0]), "the token's value is in no input at all");
    });

    it("tells the host where the bucket is, in the non-secret settings file", async () => {
        const config: string = step("maintenance").stdin;
        const bucketName = single(R2.bucket).inputs.name;
        assert.ok(config.includes(`BACKUP_BUCKET='${bucketName}'`), config);
        assert.ok(config.includes(`S3_PROVIDER='Cloudflare'`));
        assert.ok(config.includes(`S3_ENDPOINT='https://${r2AccountId(settings)}.r2.cloudflarestorage.com'`));
        assert.ok(config.includes(`STATE_STORE='r2'`));
        assert.ok(!config.includes("S3_SECRET_ACCESS_KEY"), "no credential in the non-secret file");
    });

    it("installs the backup timer on the schedule and restores before the stack's first start", () => {
        const names = ofType("command:remote:Command").map((c) => c.name.replace(/^openclaw-/, ""));
        assert.deepStrictEqual(names, [...HOST_STEP_NAMES, ...stackStepNames("tunnel", "r2")]);
        assert.ok(names.indexOf("state-restore") < names.indexOf("stack-up"));
        assert.ok(step("maintenance").create.includes(`OnCalendar=${settings.backups.backupSchedule}`));
        assert.ok(step("maintenance").create.includes("systemctl enable --now openclaw-backup.timer"));
        assert.match(step("state-restore").create, /openclaw-backup restore --if-empty latest/);
    });

    it("reruns the restore check on a new server or a new bucket, and only then", async () => {
        const triggers = step("state-restore").triggers;
        const serverId = ofType(parts.hetzner.server)[0].id;
        assert.deepStrictEqual(triggers, [serverId, single(R2.bucket).inputs.name]);
    });

    it("encrypts backups to an age identity that reaches the host only in the maintenance secrets", async () => {
        const identity = await valueOf(deployment.backupEncryptionKey);
        assert.match(identity, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
        assert.strictEqual(await pulumi.isSecret(deployment.backupEncryptionKey), true);
        assert.ok(step("maintenance-secrets").stdin.includes(`BACKUP_IDENTITY='${identity}'`));
        assert.ok(!everywhereBut("maintenance-secrets").includes(identity.slice(16)), "the identity is in no other input");
    });
});

describe("stateStore none", () => {
    before(async () => {
        await deploy(settingsFor("hetzner", { "openclaw:stateStore": "none" }));
    });

    it("registers no bucket and no credentials, and skips the restore", () => {
        assert.deepStrictEqual(recorded.filter((r) => BUCKET_TYPES.includes(r.type)), []);
        const names = ofType("command:remote:Command").map((c) => c.name.replace(/^openclaw-/, ""));
        assert.deepStrictEqual(names, [...HOST_STEP_NAMES, ...stackStepNames("tunnel", "none")]);
    });

    it("still installs the watchdog, and turns scheduled backups off", () => {
        const script: string = step("maintenance").create;
        assert.ok(script.includes("systemctl disable --now openclaw-backup.timer"));
        assert.ok(script.includes("systemctl restart openclaw-watchdog.timer"));
        assert.ok(step("maintenance").stdin.includes("STATE_STORE='none'"));
        assert.match(step("maintenance-tools").create, /for package in curl;/, "only curl: nothing to upload");
    });
});

describe("alerts", () => {
    it("sends the webhook URL and the Telegram bot token to the host only in the maintenance secrets", async () => {
        await deploy(
            settingsFor("hetzner", {
                "openclaw:alertWebhookUrl": ALERT_URL,
                "openclaw:alertTelegramChatId": "-1001234567890",
                "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN,
            }),
        );
        const secrets: string = step("maintenance-secrets").stdin;
        assert.ok(secrets.includes(`ALERT_WEBHOOK_URL='${ALERT_URL}'`));
        assert.ok(secrets.includes(`ALERT_TELEGRAM_BOT_TOKEN='${TEST_TELEGRAM_TOKEN}'`));
        assert.ok(step("maintenance").stdin.includes(`ALERT_TELEGRAM_CHAT_ID='-1001234567890'`));
        assert.ok(!everywhereBut("maintenance-secrets").includes(ALERT_URL), "the webhook URL is in no other input");
    });

    it("keeps the bot token off the maintenance secrets when no alert chat is set", async () => {
        await deploy(settingsFor("hetzner", { "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN }));
        assert.ok(step("maintenance-secrets").stdin.includes("ALERT_TELEGRAM_BOT_TOKEN=''"));
    });
});

describe("secretsRotation", () => {
    const rotating = ["openclaw-secrets-gateway-token", "openclaw-secrets-litellm-master-key", "openclaw-secrets-tunnel-secret"];
    const stable = ["openclaw-secrets-backup-key"];
    const random = () => recorded.filter((r) => r.type.startsWith("random:index/random") && r.name.startsWith("openclaw-secrets-"));

    it("puts no keepers on the secrets while unset, so they live as long as the stack", async () => {
        await deploy(settingsFor("hetzner"));
        for (const secret of random()) assert.strictEqual(secret.inputs.keepers, undefined, secret.name);
    });

    it("keys the gateway token, LiteLLM key and tunnel secret to the label, never the backup key", async () => {
        await deploy(settingsFor("hetzner", { "openclaw:secretsRotation": "2026-11" }));
        for (const name of rotating) assert.deepStrictEqual(random().find((r) => r.name === name)!.inputs.keepers, { secretsRotation: "2026-11" }, name);
        for (const name of stable) assert.strictEqual(random().find((r) => r.name === name)!.inputs.keepers, undefined, `${name} must not rotate: old backups must stay readable`);
    });

    it("delivers the values the outputs show: the exported gateway token and LiteLLM key are the ones in the host's .env", async () => {
        const deployment = await deploy(settingsFor("hetzner", { "openclaw:secretsRotation": "2026-12" }));
        const env: string = step("stack-secrets").stdin;
        assert.ok(env.includes(`='${await valueOf(deployment.gatewayToken)}'\n`), "the gateway token output is the one the host gets");
        assert.ok(env.includes(`='${await valueOf(deployment.litellmMasterKey)}'\n`), "the LiteLLM key output is the one the host gets");
        assert.deepStrictEqual(step("stack-up").triggers, step("stack-verify").triggers.slice(0, step("stack-up").triggers.length), "stack-up reruns whenever the .env changes");
    });
});

describe("settings for backups and alerts", () => {
    const problems = (extra: ConfigMap, secretKeys = SECRET_KEYS) => {
        try {
            parseSettings(rawConfig(devConfigFor("hetzner", extra), secretKeys));
            return [];
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            return error.problems;
        }
    };

    it("refuses an alert webhook stored in plain text, or one that is not https", () => {
        assert.deepStrictEqual(problems({ "openclaw:alertWebhookUrl": ALERT_URL }, SECRET_KEYS.filter((k) => k !== "openclaw:alertWebhookUrl")), [
            "openclaw:alertWebhookUrl is stored in plain text in the stack file; set it again with `pulumi config set --secret alertWebhookUrl`.",
        ]);
        const [problem] = problems({ "openclaw:alertWebhookUrl": "http://ntfy.example.net/topic-Zq8x" });
        assert.match(problem, /^openclaw:alertWebhookUrl \(value hidden\) is not accepted; it must be an https:\/\/ URL/);
        assert.ok(!problem.includes("topic-Zq8x"), "the secret value is not repeated");
    });

    it("refuses a Telegram chat id that is not one, and one without a bot to send through", () => {
        assert.deepStrictEqual(problems({ "openclaw:alertTelegramChatId": "my chat", "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN }), [
            'openclaw:alertTelegramChatId is "my chat"; it must be a Telegram chat id (a number, negative for groups) or a channel\'s @name.',
        ]);
        assert.deepStrictEqual(problems({ "openclaw:alertTelegramChatId": "123456789" }), [
            "openclaw:telegramBotToken is not set; alertTelegramChatId sends alerts through that bot.",
        ]);
    });

    it("refuses a rotation label with spaces or quotes", () => {
        assert.deepStrictEqual(problems({ "openclaw:secretsRotation": "next month" }), [
            'openclaw:secretsRotation is "next month"; it must be a short label of letters, digits, dots, dashes, colons or underscores, such as 2026-11.',
        ]);
    });

    it("refuses stateStore s3 on another cloud without aws:region", () => {
        assert.deepStrictEqual(problems({ "openclaw:stateStore": "s3" }), [
            "aws:region is not set; stateStore s3 creates the state bucket in that AWS region, so set it with `pulumi config set aws:region eu-central-1` (or another AWS region) and provide AWS credentials.",
        ]);
        assert.deepStrictEqual(problems({ "openclaw:stateStore": "s3", "aws:region": "eu-west-1" }), []);
    });

    it("refuses stateStore r2 without a Cloudflare account", () => {
        const config = devConfigFor("hetzner", { "openclaw:stateStore": "r2", "openclaw:ingress": "none" });
        delete config["openclaw:cloudflareAccountId"];
        assert.throws(() => parseSettings(rawConfig(config, SECRET_KEYS)), /openclaw:cloudflareAccountId is not set; stateStore r2 keeps backups in an R2 bucket of that account\./);
    });
});
