// The R2 bucket's emptier (scripts/empty-bucket.js), run as its `command.local.Command` delete
// runs it, against a real S3-compatible server; and its request signing against AWS's own example.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { R2_EMPTIER_SCRIPT } from "../../components/stateBucket";
import { ROOT } from "../fixtures";
import { S3_SERVER_CREDENTIALS, S3Server, startS3Server } from "../s3server";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { signV4 } = require(path.join(ROOT, R2_EMPTIER_SCRIPT));

/** rclone against the server, configured from the environment (AWS_CA_BUNDLE, if set here, breaks it). */
function rclone(server: S3Server, args: string[], input?: string): string {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        RCLONE_CONFIG: "/dev/null",
        RCLONE_CONFIG_T_TYPE: "s3",
        RCLONE_CONFIG_T_PROVIDER: "Other",
        RCLONE_CONFIG_T_ENDPOINT: server.endpoint,
        RCLONE_CONFIG_T_ACCESS_KEY_ID: S3_SERVER_CREDENTIALS.accessKeyId,
        RCLONE_CONFIG_T_SECRET_ACCESS_KEY: S3_SERVER_CREDENTIALS.secretAccessKey,
    };
    delete env.AWS_CA_BUNDLE;
    const result = spawnSync("rclone", args, { encoding: "utf8", env, input });
    assert.strictEqual(result.status, 0, `rclone ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
}

/** The emptier as Pulumi runs it on delete: `sh -c` in the project's directory, settings in the environment. */
function runEmptier(server: S3Server, emptyOnDelete: string, extra: NodeJS.ProcessEnv = {}) {
    return spawnSync("sh", ["-c", `node ./${R2_EMPTIER_SCRIPT}`], {
        cwd: ROOT,
        encoding: "utf8",
        env: {
            PATH: process.env.PATH,
            EMPTY_ON_DELETE: emptyOnDelete,
            BUCKET_ENDPOINT: server.endpoint,
            BUCKET_NAME: server.bucket,
            BUCKET_REGION: "auto",
            BUCKET_ACCESS_KEY_ID: S3_SERVER_CREDENTIALS.accessKeyId,
            BUCKET_SECRET_ACCESS_KEY: S3_SERVER_CREDENTIALS.secretAccessKey,
            ...extra,
        },
    });
}

const objects = (server: S3Server) => rclone(server, ["lsf", "-R", "--files-only", `t:${server.bucket}`]).split("\n").filter(Boolean);

describe("the R2 bucket's emptier (scripts/empty-bucket.js)", function () {
    this.timeout(120_000);
    let server: S3Server;
    const count = 1005; // more than one listing page (1000 keys)

    before(async () => {
        server = await startS3Server();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-objects-"));
        for (let i = 0; i < count; i++) fs.writeFileSync(path.join(dir, `backup ${i} & more.age`), `object ${i}`);
        rclone(server, ["copy", dir, `t:${server.bucket}/backups`, "--transfers", "16"]);
        fs.rmSync(dir, { recursive: true });
        rclone(server, ["rcat", `t:${server.bucket}/notes/ünïcode + plus.txt`], "x");
    });
    after(async () => server?.close());

    it("signs requests as AWS's own Signature Version 4 example does", () => {
        const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        const authorization = signV4({
            method: "GET",
            path: "/test.txt",
            headers: { Host: "examplebucket.s3.amazonaws.com", Range: "bytes=0-9", "x-amz-content-sha256": emptyHash, "x-amz-date": "20130524T000000Z" },
            payloadHash: emptyHash,
            region: "us-east-1",
            accessKeyId: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        });
        assert.strictEqual(
            authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        );
    });

    it("keeps every object when protect is on", () => {
        const result = runEmptier(server, "false");
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(result.stdout, /the state bucket and its backups are kept/);
        assert.strictEqual(objects(server).length, count + 1);
    });

    it("fails with a sentence naming what is missing, and deletes nothing", () => {
        const result = runEmptier(server, "true", { BUCKET_SECRET_ACCESS_KEY: "" });
        assert.notStrictEqual(result.status, 0);
        assert.match(result.stderr, /empty-bucket: BUCKET_SECRET_ACCESS_KEY not set/);
        assert.strictEqual(objects(server).length, count + 1);
    });

    it("fails when the bucket cannot be listed, and says what answered", () => {
        const result = runEmptier(server, "true", { BUCKET_NAME: "no-such-bucket" });
        assert.notStrictEqual(result.status, 0);
        assert.match(result.stderr, /GET \/no-such-bucket answered 404/);
    });

    it("deletes every object, across listing pages and with any characters in the names, so the bucket can go", () => {
        const result = runEmptier(server, "true");
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`${count + 1} objects deleted`));
        assert.deepStrictEqual(objects(server), []);
        // And the secret never shows in what the command prints (Pulumi logs it).
        assert.ok(!`${result.stdout}${result.stderr}`.includes(S3_SERVER_CREDENTIALS.secretAccessKey));
    });
});
