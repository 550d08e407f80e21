// The policy pack (policy/): each policy fails what it must and passes what it must; the resources
// this program really registers pass every policy on every cloud, ingress mode and state store, and
// fail once mutated the way a careless edit would; unknown (preview) values are skipped; and the
// pack loads and answers over gRPC as the Pulumi CLI runs it.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import * as zlib from "zlib";
import * as grpc from "@grpc/grpc-js";
import { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy, unknownCheckingProxy } from "@pulumi/policy";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as YAML from "yaml";
import { asStep, RecordedResource, recorded, valueOf } from "../mocks";
import { invocation } from "../../components/deployStep";
import {
    ConfigMap,
    devConfigFor,
    rawConfig,
    ROOT,
    SECRET_KEYS,
    stackFileConfig,
    TEST_BACKUP_IDENTITY,
    TEST_BUCKET_CREDENTIALS,
    TEST_LLM_KEYS,
    TEST_TAILSCALE_KEY,
    TEST_TELEGRAM_TOKEN,
} from "../fixtures";
import { IngressMode, parseSettings, StateStore } from "../../components/settings";
import { deployUnderMocks } from "../deployUnderMocks";
import { CLOUD_NAMES, CloudName, clouds } from "../../providers";
import { isWorldOpen } from "../../policy/firewall";
import { imageReferenceProblem, ownStdin } from "../../policy/images";
import { isServerOrFirewallType, KNOWN_TYPES } from "../../policy/knownTypes";
import { policies, POLICY_PACK_NAME } from "../../policy/policies";
import { secretsIn } from "../../policy/userData";
import { plain, UNKNOWN } from "../../policy/values";

const POLICY_NAMES = ["no-world-open-ssh", "only-ingress-ports", "no-secrets-in-user-data", "private-encrypted-buckets", "pinned-images", "imdsv2-required", "known-server-and-firewall-types"];

/** What the engine sends for a string it does not know during preview (`@pulumi/policy`'s sentinel). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A resource as the tests hand it to the pack: inputs for resource checks, outputs for stack checks. */
interface Res {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, any>;
    readonly urn?: string;
    /** Input name to the names of the resources it was computed from. */
    readonly dependsOn?: Record<string, string[]>;
}

interface Found {
    readonly policy: string;
    readonly message: string;
    readonly urn?: string;
}

const urnOf = (r: Pick<Res, "type" | "name" | "urn">) => r.urn ?? `urn:pulumi:dev::openclaw::${r.type}::${r.name}`;

/**
 * Runs every policy of the pack over `resources` the way the engine does: each resource through
 * `validateResource` with its props behind the engine's unknown-checking proxy, then the whole set
 * through `validateStack`. `config` is the policy pack config, by policy name.
 */
function runPack(resources: readonly Res[], config: Record<string, object> = {}): Found[] {
    const found: Found[] = [];
    for (const policy of policies) {
        const p = policy as Partial<ResourceValidationPolicy & StackValidationPolicy> & { name: string };
        const getConfig = () => config[p.name] ?? {};
        for (const validate of [p.validateResource ?? []].flat()) {
            for (const r of resources) {
                const args = { type: r.type, name: r.name, urn: urnOf(r), props: unknownCheckingProxy(r.props), getConfig };
                validate(args as unknown as ResourceValidationArgs, (message) => found.push({ policy: p.name, message, urn: urnOf(r) }));
            }
        }
        if (p.validateStack) {
            const byName = new Map<string, PolicyResource>();
            const stack = resources.map((r) => {
                const resource = { type: r.type, name: r.name, urn: urnOf(r), props: unknownCheckingProxy(r.props), propertyDependencies: {} } as unknown as PolicyResource;
                byName.set(r.name, resource);
                return resource;
            });
            resources.forEach((r, i) => {
                for (const [key, names] of Object.entries(r.dependsOn ?? {})) stack[i].propertyDependencies[key] = names.map((n) => byName.get(n)!);
            });
            const args = { resources: stack, getConfig } as unknown as StackValidationArgs;
            p.validateStack(args, (message, urn) => found.push({ policy: p.name, message, urn }));
        }
    }
    return found;
}

/** Asserts exactly one violation, of `policy`, whose message matches every pattern. */
function assertViolation(found: readonly Found[], policy: string, ...patterns: RegExp[]): void {
    assert.deepStrictEqual(found.map((f) => f.policy), [policy], `expected one ${policy} violation, got ${JSON.stringify(found, null, 1)}`);
    for (const pattern of patterns) assert.match(found[0].message, pattern);
}

const assertPasses = (found: readonly Found[]) => assert.deepStrictEqual(found, []);

// ---------------------------------------------------------------------------------------------
// The pack itself.

describe("policy pack openclaw-hardening", () => {
    it("has exactly the seven policies, each mandatory, with a description", () => {
        assert.strictEqual(POLICY_PACK_NAME, "openclaw-hardening");
        assert.deepStrictEqual(policies.map((p) => p.name), POLICY_NAMES);
        for (const policy of policies) {
            assert.strictEqual(policy.enforcementLevel, "mandatory", policy.name);
            assert.match(policy.description, /^[A-Z].{30,}\.$/, `${policy.name}'s description is a sentence`);
        }
    });

    it("turns the engine's unknown-checking proxy into plain data, unknowns as UNKNOWN", () => {
        // The sentinel the tests use is the one @pulumi/policy recognises.
        assert.strictEqual(require("@pulumi/policy/proxy").unknownStringValue, UNKNOWN_STRING);
        const props = unknownCheckingProxy({ a: UNKNOWN_STRING, b: [1, UNKNOWN_STRING], c: { d: "x" } });
        assert.deepStrictEqual(plain(props), { a: UNKNOWN, b: [1, UNKNOWN], c: { d: "x" } });
    });
});

// ---------------------------------------------------------------------------------------------
// Each policy on small examples.

const HCLOUD_FIREWALL = "hcloud:index/firewall:Firewall";
const DO_FIREWALL = "digitalocean:index/firewall:Firewall";
const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const ADMIN = ["203.0.113.7/32"];
const CLOUDFLARE = ["173.245.48.0/20", "2606:4700::/32"];

const hcloudFirewall = (...rules: { port?: string; protocol?: string; sources: unknown; direction?: string }[]): Res => ({
    type: HCLOUD_FIREWALL,
    name: "fw",
    props: { rules: rules.map((r) => ({ direction: r.direction ?? "in", protocol: r.protocol ?? "tcp", port: r.port, sourceIps: r.sources })) },
});

describe("no-world-open-ssh", () => {
    const policy = "no-world-open-ssh";

    it("fails SSH open to 0.0.0.0/0 on Hetzner, naming the firewall, the rule and the source", () => {
        assertViolation(runPack([hcloudFirewall({ port: "9922", sources: [...ADMIN, "0.0.0.0/0"] })]), policy, /^fw \(hcloud:index\/firewall:Firewall\)/, /rules\[0\] opens tcp port 9922 to 0\.0\.0\.0\/0/, /allowSshFromAnywhere/);
    });

    it("fails ::/0 on DigitalOcean, and a block as wide as 0.0.0.0/4", () => {
        const droplet = (sources: string[]): Res => ({ type: DO_FIREWALL, name: "fw", props: { inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: sources }] } });
        assertViolation(runPack([droplet(["::/0"])]), policy, /tcp port 22 to ::\/0/);
        assertViolation(runPack([droplet(["0.0.0.0/4"])]), policy, /0\.0\.0\.0\/4/);
    });

    it("fails every AWS shape: inline ingress, SecurityGroupRule and SecurityGroupIngressRule", () => {
        const sg: Res = { type: SECURITY_GROUP, name: "sg", props: { ingress: [{ protocol: "tcp", fromPort: 9922, toPort: 9922, cidrBlocks: ADMIN, ipv6CidrBlocks: ["::/0"] }] } };
        assertViolation(runPack([sg]), policy, /ingress\[0\] opens tcp port 9922 to ::\/0/);
        const rule: Res = { type: "aws:ec2/securityGroupRule:SecurityGroupRule", name: "r", props: { type: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] } };
        assertViolation(runPack([rule]), policy, /rule opens tcp port 22 to 0\.0\.0\.0\/0/);
        const ingress: Res = { type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "i", props: { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" } };
        assertViolation(runPack([ingress]), policy, /^i \(aws:vpc\/securityGroupIngressRule/);
    });

    it("passes SSH from admin blocks, 80/443 and ICMP (other policies' business), and outbound rules", () => {
        assertPasses(
            runPack([
                hcloudFirewall({ port: "9922", sources: ADMIN }, { port: "443", sources: CLOUDFLARE }, { protocol: "icmp", sources: ["0.0.0.0/0"] }),
                hcloudFirewall({ port: "any", sources: ["0.0.0.0/0"], direction: "out" }),
                { type: SECURITY_GROUP, name: "sg", props: { ingress: [], egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] } },
            ]),
        );
    });

    it("passes world-open SSH when the policy's config sets allowSshFromAnywhere", () => {
        const open = hcloudFirewall({ port: "9922", sources: ["0.0.0.0/0", "::/0"] });
        assertPasses(runPack([open], { [policy]: { allowSshFromAnywhere: true } }));
        assert.strictEqual(runPack([open], { [policy]: { allowSshFromAnywhere: false } }).length, 1);
    });

    it("counts only blocks that mean the whole internet as world-open", () => {
        for (const cidr of ["0.0.0.0/0", "::/0", "0.0.0.0/1", "128.0.0.0/7", "2000::/3"]) assert.ok(isWorldOpen(cidr), cidr);
        for (const cidr of ["203.0.113.7/32", "10.0.0.0/8", "2001:db8::/32", "2400:cb00::/32", "not-a-cidr", "0.0.0.0"]) assert.ok(!isWorldOpen(cidr), cidr);
    });
});

describe("only-ingress-ports", () => {
    const policy = "only-ingress-ports";

    it("fails a second port besides 80/443, naming both", () => {
        assertViolation(runPack([hcloudFirewall({ port: "9922", sources: ADMIN }, { port: "8080", sources: ADMIN })]), policy, /opens 2 ports besides 80 and 443 \(9922\/tcp, 8080\/tcp\)/);
    });

    it("fails 80 or 443 open to the whole internet", () => {
        assertViolation(runPack([hcloudFirewall({ port: "9922", sources: ADMIN }, { port: "443", sources: ["0.0.0.0/0"] })]), policy, /rules\[1\] opens tcp port 443 to 0\.0\.0\.0\/0/, /Cloudflare/);
    });

    it("fails port ranges, all traffic, and protocols other than TCP, UDP and ICMP", () => {
        const droplet: Res = { type: DO_FIREWALL, name: "fw", props: { inboundRules: [{ protocol: "tcp", portRange: "1-65535", sourceAddresses: ADMIN }] } };
        assertViolation(runPack([droplet]), policy, /inboundRules\[0\] opens tcp ports 1-65535/);
        const sg: Res = { type: SECURITY_GROUP, name: "sg", props: { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ADMIN }] } };
        assertViolation(runPack([sg]), policy, /ingress\[0\] opens all traffic/);
        assertViolation(runPack([hcloudFirewall({ protocol: "gre", sources: ADMIN })]), policy, /rules\[0\] opens protocol gre/);
    });

    it("counts standalone AWS rules with the security group they are attached to", () => {
        const sg: Res = { type: SECURITY_GROUP, name: "sg", props: { id: UNKNOWN_STRING, ingress: [{ protocol: "tcp", fromPort: 9922, toPort: 9922, cidrBlocks: ADMIN }] } };
        const extra: Res = {
            type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            name: "extra",
            props: { securityGroupId: UNKNOWN_STRING, ipProtocol: "tcp", fromPort: 8080, toPort: 8080, cidrIpv4: ADMIN[0] },
            dependsOn: { securityGroupId: ["sg"] },
        };
        const found = runPack([sg, extra]);
        assertViolation(found, policy, /^sg .*opens 2 ports besides 80 and 443 \(9922\/tcp, 8080\/tcp\).*standalone/);
        assert.strictEqual(found[0].urn, urnOf(sg));
        // Matched by id once it is known, too.
        assert.strictEqual(runPack([{ ...sg, props: { ...sg.props, id: "sg-1" } }, { ...extra, props: { ...extra.props, securityGroupId: "sg-1" }, dependsOn: {} }]).length, 1);
        // A web port attached the same way is fine.
        assertPasses(runPack([sg, { ...extra, props: { ...extra.props, fromPort: 443, toPort: 443, cidrIpv4: CLOUDFLARE[0] } }]));
    });

    it("passes SSH plus 80/443 from Cloudflare's ranges, and ICMP from anywhere", () => {
        assertPasses(
            runPack([hcloudFirewall({ port: "9922", sources: ADMIN }, { port: "80", sources: CLOUDFLARE }, { port: "443", sources: CLOUDFLARE }, { protocol: "icmp", sources: ["0.0.0.0/0"] })]),
        );
    });
});

const HCLOUD_SERVER = "hcloud:index/server:Server";
const server = (userData: unknown, type = HCLOUD_SERVER, key = "userData"): Res => ({
    type,
    name: "server",
    // EC2 types with IMDSv2 required, so only the user data is at issue.
    props: { [key]: userData, ...(type.startsWith("aws:") ? { metadataOptions: { httpTokens: "required" } } : {}) },
});
const CLOUD_CONFIG = "#cloud-config\nhostname: openclaw\nruncmd:\n  - [/usr/local/sbin/openclaw-harden]\n";

describe("no-secrets-in-user-data", () => {
    const policy = "no-secrets-in-user-data";
    const privateKey = crypto.generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const secrets: Record<string, string> = {
        "a private key block": privateKey,
        "an age secret key": TEST_BACKUP_IDENTITY,
        "an sk- API key": TEST_LLM_KEYS.ANTHROPIC_API_KEY,
        "a Tailscale auth key": TEST_TAILSCALE_KEY,
        "a Telegram bot token": TEST_TELEGRAM_TOKEN,
        "a Cloudflare tunnel token": "TUNNEL_TOKEN=eyJhIjoiMDEyMyJ9",
        "the gateway token": "OPENCLAW_GATEWAY_TOKEN=Zq8xTopicSecret0123456789",
        "an AWS secret access key": `aws_secret_access_key = ${TEST_BUCKET_CREDENTIALS.secretAccessKey}`,
    };

    for (const [kind, secret] of Object.entries(secrets)) {
        it(`fails user data with ${kind}, and does not repeat the secret`, () => {
            const found = runPack([server(`${CLOUD_CONFIG}write_files:\n  - path: /etc/x\n    content: |\n      ${secret.split("\n").join("\n      ")}\n`)]);
            assertViolation(found, policy, /^server \(hcloud:index\/server:Server\): userData contains/, new RegExp(kind));
            const tail = secret.replace(/^.*?(=|:|-----)\s*/, "").slice(-12);
            assert.ok(!found[0].message.includes(tail), `the message repeats the secret: ${found[0].message}`);
        });
    }

    it("fails a secret on every server type, and one that is base64- or gzip-encoded", () => {
        const key = TEST_LLM_KEYS.OPENAI_API_KEY;
        assertViolation(runPack([server(key, "digitalocean:index/droplet:Droplet")]), policy, /userData contains an sk- API key \("sk-proj-…"\)/);
        assertViolation(runPack([server(Buffer.from(`#!/bin/sh\nexport KEY=${key}\n`).toString("base64"), "aws:ec2/instance:Instance", "userDataBase64")]), policy, /userDataBase64/);
        assertViolation(runPack([server(zlib.gzipSync(`KEY=${key}`).toString("base64"), "aws:ec2/launchTemplate:LaunchTemplate")]), policy, /sk- API key/);
        const b64File = `${CLOUD_CONFIG}write_files:\n  - path: /etc/x\n    encoding: b64\n    content: ${Buffer.from(TEST_TELEGRAM_TOKEN).toString("base64")}\n`;
        assertViolation(runPack([server(b64File, "aws:ec2/instance:Instance")]), policy, /Telegram bot token/);
    });

    it("passes hardening that only looks like secrets, and user data not known yet", () => {
        const lookalikes = `${CLOUD_CONFIG}# disk-encryption-is-handled-by-the-cloud-provider\n# -----BEGIN PGP PUBLIC KEY BLOCK-----\n# sha256:${"a".repeat(64)}\n# 20261101:2300\n# TUNNEL_TOKEN is never here\n`;
        assert.deepStrictEqual(secretsIn(lookalikes), []);
        assertPasses(runPack([server(lookalikes), server(UNKNOWN_STRING)]));
    });
});

const BUCKET = "aws:s3/bucket:Bucket";
const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const ALL_BLOCKED = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
const AES = { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] };

/** A private, encrypted bucket as the stack check sees it (outputs, so with its id). */
function privateBucket(id = "state-1"): Res[] {
    return [
        { type: BUCKET, name: `${id}`, props: { id, bucketPrefix: "openclaw-dev-state-" } },
        { type: PUBLIC_ACCESS_BLOCK, name: `${id}-block`, props: { bucket: id, ...ALL_BLOCKED } },
        { type: ENCRYPTION, name: `${id}-sse`, props: { bucket: id, ...AES } },
    ];
}

describe("private-encrypted-buckets", () => {
    const policy = "private-encrypted-buckets";
    const allowAll = (principal: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Open", Effect: "Allow", Principal: principal, Action: "s3:GetObject", Resource: "*" }] });

    it("passes a bucket with its own full public access block and encryption, and a policy that only denies", () => {
        const deny = JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] });
        assertPasses(runPack([...privateBucket(), { type: "aws:s3/bucketPolicy:BucketPolicy", name: "p", props: { bucket: "state-1", policy: deny } }]));
    });

    it("fails a public canned ACL on the bucket or on a BucketAcl", () => {
        const [bucket, ...rest] = privateBucket();
        assertViolation(runPack([{ ...bucket, props: { ...bucket.props, acl: "public-read" } }, ...rest]), policy, /^state-1 \(aws:s3\/bucket:Bucket\): acl is "public-read"/);
        assertViolation(runPack([{ type: "aws:s3/bucketAclV2:BucketAclV2", name: "acl", props: { bucket: "state-1", acl: "public-read-write" } }]), policy, /acl is "public-read-write"/);
        const grants = { accessControlPolicy: { grants: [{ grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" }] } };
        assertViolation(runPack([{ type: "aws:s3/bucketAcl:BucketAcl", name: "acl", props: { bucket: "state-1", ...grants } }]), policy, /AllUsers/);
    });

    it("fails a bucket policy that allows Principal \"*\", on the bucket or as a BucketPolicy", () => {
        const [bucket, ...rest] = privateBucket();
        assertViolation(runPack([{ ...bucket, props: { ...bucket.props, policy: allowAll("*") } }, ...rest]), policy, /policy statement Open allows Principal "\*"/);
        assertViolation(runPack([{ type: "aws:s3/bucketPolicy:BucketPolicy", name: "p", props: { bucket: "state-1", policy: allowAll({ AWS: "*" }) } }]), policy, /^p \(aws:s3\/bucketPolicy/);
    });

    it("fails a public access block with a flag off, naming the flag", () => {
        const [bucket, block, sse] = privateBucket();
        assertViolation(runPack([bucket, { ...block, props: { ...block.props, restrictPublicBuckets: false } }, sse]), policy, /restrictPublicBuckets is false/);
    });

    it("fails a bucket without its own public access block or encryption, reported on the bucket", () => {
        const [bucket, block, sse] = privateBucket();
        const noBlock = runPack([bucket, sse, ...privateBucket("other").slice(1)]);
        assertViolation(noBlock, policy, /^state-1 \(aws:s3\/bucket:Bucket\): has no aws\.s3\.BucketPublicAccessBlock of its own/);
        assert.strictEqual(noBlock[0].urn, urnOf(bucket));
        assertViolation(runPack([bucket, block]), policy, /BucketServerSideEncryptionConfiguration/);
        assertViolation(runPack([bucket, block, { ...sse, props: { bucket: "state-1", rules: [] } }]), policy, /default encryption is \[\]/);
    });

    it("in preview, matches configurations to buckets by what their inputs were computed from", () => {
        const [bucket, block, sse] = privateBucket();
        const unknownId = (r: Res, key: string): Res => ({ ...r, props: { ...r.props, [key]: UNKNOWN_STRING } });
        const preview = [unknownId(bucket, "id"), { ...unknownId(block, "bucket"), dependsOn: { bucket: [bucket.name] } }, { ...unknownId(sse, "bucket"), dependsOn: { bucket: [bucket.name] } }];
        assertPasses(runPack(preview));
        // Without dependencies nothing can be told yet: no violation until `pulumi up`.
        assertPasses(runPack(preview.map((r) => ({ ...r, dependsOn: {} }))));
        // A bucket with no public access block at all still fails in preview.
        assertViolation(runPack([preview[0], preview[2]]), policy, /BucketPublicAccessBlock/);
    });

    it("fails a public R2 domain, and passes an R2 managed domain that is switched off", () => {
        const domain = (type: string, enabled: boolean): Res => ({ type, name: "d", props: { accountId: "a", bucketName: "state", enabled } });
        assertViolation(runPack([domain("cloudflare:index/r2CustomDomain:R2CustomDomain", true)]), policy, /serves bucket "state" to the public/);
        assertViolation(runPack([domain("cloudflare:index/r2ManagedDomain:R2ManagedDomain", true)]), policy, /r2ManagedDomain/);
        assertPasses(runPack([domain("cloudflare:index/r2ManagedDomain:R2ManagedDomain", false)]));
    });
});

const COMMAND = "command:remote:Command";
const stdinStep = (stdin: unknown): Res => ({ type: COMMAND, name: "openclaw-compose-file", props: { create: "write_file ...", stdin } });
const compose = (services: Record<string, object>) => YAML.stringify({ services });

describe("pinned-images", () => {
    const policy = "pinned-images";

    for (const [image, why] of [
        ["ghcr.io/openclaw/openclaw:latest", /its tag is latest/],
        ["ghcr.io/openclaw/openclaw", /no tag/],
        ["docker.io/library/redis:alpine", /tag "alpine" names no version/],
        ["ghcr.io/openclaw/openclaw:${OPENCLAW_TAG}", /variable/],
        ["ghcr.io/openclaw/openclaw@sha256:1234", /digest must be sha256/],
    ] as [string, RegExp][]) {
        it(`fails a compose service running ${image}`, () => {
            const found = runPack([stdinStep(compose({ redis: { image: "docker.io/library/redis:7.4.2-alpine" }, gateway: { image } }))]);
            assertViolation(found, policy, /compose service gateway runs image/, new RegExp(image.replace(/[$.{}]/g, "\\$&")), why);
        });
    }

    it("fails a Dockerfile built FROM an unpinned image", () => {
        assertViolation(runPack([stdinStep("FROM golang:latest AS builder\nRUN go build\nFROM builder\nFROM scratch\n")]), policy, /Dockerfile builds FROM "golang:latest"/);
    });

    it("passes version tags, digests, build-only services, earlier stages, scratch, and stdin that is neither", () => {
        const digest = `ghcr.io/openclaw/openclaw@sha256:${"0123456789abcdef".repeat(4)}`;
        assertPasses(
            runPack([
                stdinStep(compose({ a: { image: "ghcr.io/openclaw/openclaw:2026.9.6" }, b: { image: digest }, c: { build: "." }, d: { image: "localhost:5000/egress:1dca45190919" } })),
                stdinStep("FROM docker.io/library/golang:1.22.12-alpine AS builder\nFROM --platform=linux/amd64 builder AS again\nFROM scratch\n"),
                stdinStep('{"gateway": {"image": "latest"}}'),
                stdinStep(UNKNOWN_STRING),
            ]),
        );
        assert.strictEqual(imageReferenceProblem("docker.io/library/caddy:2.11.4-alpine"), undefined);
    });
});

const INSTANCE = "aws:ec2/instance:Instance";

describe("imdsv2-required", () => {
    const policy = "imdsv2-required";
    const instance = (metadataOptions: unknown, type = INSTANCE): Res => ({ type, name: "server", props: { instanceType: "t3.medium", metadataOptions } });

    it("fails httpTokens optional, or unset, on an instance or a launch template", () => {
        assertViolation(runPack([instance({ httpTokens: "optional" })]), policy, /^server \(aws:ec2\/instance:Instance\): metadataOptions\.httpTokens is "optional"/);
        assertViolation(runPack([instance(undefined)]), policy, /httpTokens is not set/);
        assertViolation(runPack([instance({ httpTokens: "optional" }, "aws:ec2/launchTemplate:LaunchTemplate")]), policy, /launchTemplate/);
    });

    it("passes httpTokens required (endpoint on or off), and a value not known yet", () => {
        assertPasses(runPack([instance({ httpTokens: "required", httpEndpoint: "enabled" }), instance({ httpTokens: "required", httpEndpoint: "disabled" }), instance({ httpTokens: UNKNOWN_STRING })]));
    });
});

describe("known-server-and-firewall-types (the pack fails closed)", () => {
    const policy = "known-server-and-firewall-types";

    it("fails a firewall and a server of a cloud it does not know: such a firewall (shaped like Linode's) that accepts SSH from anywhere is not passed unseen", () => {
        const firewall: Res = {
            type: "examplecloud:index/firewall:Firewall",
            name: "openclaw-firewall",
            props: { inboundPolicy: "ACCEPT", inbounds: [{ label: "ssh", action: "ACCEPT", protocol: "TCP", ports: "22", ipv4s: ["0.0.0.0/0"] }] },
        };
        assertViolation(runPack([firewall]), policy, /^openclaw-firewall \(examplecloud:index\/firewall:Firewall\): the pack does not know the type examplecloud:index\/firewall:Firewall/);
        for (const type of ["examplecloud:index/instance:Instance", "gcp:compute/instance:Instance", "azure-native:compute:VirtualMachine", "aws:ec2/securityGroupEgressRule:SecurityGroupEgressRule"]) {
            const found = runPack([{ type, name: "x", props: {} }]);
            assert.deepStrictEqual(found.map((f) => f.policy), type.includes("Egress") ? [] : [policy], type);
        }
    });

    it("knows every server and firewall type the other checks read, and lets other resources be", () => {
        for (const type of KNOWN_TYPES) assert.ok(isServerOrFirewallType(type), `${type} is not recognised as a server or firewall`);
        for (const type of ["hcloud:index/primaryIp:PrimaryIp", "aws:ec2/eip:Eip", "command:remote:Command", "cloudflare:index/dnsRecord:DnsRecord", "pulumi:providers:hcloud"]) {
            assert.strictEqual(isServerOrFirewallType(type), false, type);
        }
    });
});

// ---------------------------------------------------------------------------------------------
// The program's own resources.

/** Deploys under mocks and returns what was registered. */
async function deploy(config: ConfigMap): Promise<RecordedResource[]> {
    await deployUnderMocks(parseSettings(rawConfig(config, SECRET_KEYS)));
    return recorded.slice();
}

/**
 * Recorded resources as the pack sees them. The stack check sees outputs, which include the id;
 * the mocks record inputs, so the id is added. Inputs refer to other resources by id, as here.
 */
const asPackInput = (resources: readonly RecordedResource[]): Res[] => resources.map((r) => ({ type: r.type, name: r.name, props: { ...r.inputs, id: r.id } }));

const MODES: Record<IngressMode, ConfigMap> = {
    tunnel: {},
    caddy: { "openclaw:ingress": "caddy" },
    tailscale: { "openclaw:ingress": "tailscale", "openclaw:tailscaleAuthKey": TEST_TAILSCALE_KEY },
    none: { "openclaw:ingress": "none" },
};

const SERVER = (cloud: CloudName) => clouds[cloud].parts.server;
const FIREWALL = (cloud: CloudName) => clouds[cloud].parts.firewall;

describe("the program's resources pass every policy", () => {
    for (const cloud of CLOUD_NAMES) {
        for (const mode of ["tunnel", "caddy", "tailscale", "none"] as IngressMode[]) {
            for (const store of ["s3", "r2"] as StateStore[]) {
                it(`on ${cloud}, ingress ${mode}, stateStore ${store}`, async () => {
                    const resources = await deploy(devConfigFor(cloud, { ...MODES[mode], "openclaw:stateStore": store, "aws:region": "eu-central-1" }));
                    // The checks had something to check: a server with user data, its firewall, the compose file, the bucket.
                    const types = resources.map((r) => r.type);
                    assert.ok(types.includes(FIREWALL(cloud)), "a firewall");
                    assert.strictEqual(typeof clouds[cloud].userDataOf(resources.find((r) => r.type === SERVER(cloud))?.inputs ?? {}), "string", "a server with user data");
                    assert.ok(resources.some((r) => r.name === "openclaw-compose-file" && /^services:/m.test(asStep(r.inputs).stdin)), "the compose file");
                    assert.ok(types.includes(store === "s3" ? BUCKET : "cloudflare:index/r2Bucket:R2Bucket"), "the state bucket");
                    assertPasses(runPack(asPackInput(resources)));
                });
            }
        }
    }

    it("with IPv6, Telegram and alerts, on every cloud with ingress caddy", async () => {
        for (const cloud of CLOUD_NAMES) {
            const resources = await deploy(
                devConfigFor(cloud, {
                    "openclaw:ingress": "caddy",
                    "openclaw:ipv6": "true",
                    "openclaw:adminCidrs": '["203.0.113.7/32","2001:db8:1::/48"]',
                    "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN,
                    "openclaw:alertTelegramChatId": "-1001234567890",
                    "openclaw:alertWebhookUrl": "https://ntfy.example.net/openclaw-alerts-Zq8xTopicSecret",
                }),
            );
            assertPasses(runPack(asPackInput(resources)));
        }
    });

    it("with the committed prod stack's config (aws, s3, protect)", async () => {
        const resources = await deploy({ ...stackFileConfig("prod"), "openclaw:llmApiKeys": JSON.stringify({ ANTHROPIC_API_KEY: TEST_LLM_KEYS.ANTHROPIC_API_KEY }) });
        assert.ok(resources.some((r) => r.type === INSTANCE));
        assertPasses(runPack(asPackInput(resources)));
    });

    it("with SSH open to the world on purpose, only when the policy's config says so too", async () => {
        const resources = asPackInput(await deploy(devConfigFor("hetzner", { "openclaw:allowSshFromAnywhere": "true", "openclaw:adminCidrs": '["0.0.0.0/0"]' })));
        assertViolation(runPack(resources), "no-world-open-ssh", /openclaw-firewall .*tcp port 9922 to 0\.0\.0\.0\/0/);
        assertPasses(runPack(resources, { "no-world-open-ssh": { allowSshFromAnywhere: true } }));
    });
});

describe("the program's resources, mutated, fail", () => {
    let hetzner: Res[];
    let aws: Res[];
    let digitalocean: Res[];
    before(async () => {
        hetzner = asPackInput(await deploy(devConfigFor("hetzner", MODES.caddy)));
        digitalocean = asPackInput(await deploy(devConfigFor("digitalocean", MODES.tunnel)));
        aws = asPackInput(await deploy(devConfigFor("aws", { "openclaw:stateStore": "s3" })));
    });

    /** The resources with the one of `type` (and `name`) replaced by `change(copy of its props)`. */
    function mutate(resources: readonly Res[], pick: (r: Res) => boolean, change: (props: Record<string, any>) => void): Res[] {
        assert.strictEqual(resources.filter(pick).length, 1, "exactly one resource to mutate");
        return resources.map((r) => {
            if (!pick(r)) return r;
            const props = structuredClone(r.props);
            change(props);
            return { ...r, props };
        });
    }
    const ofType = (type: string) => (r: Res) => r.type === type;
    const named = (name: string) => (r: Res) => r.name === name;

    it("Hetzner's SSH rule with 0.0.0.0/0 added", () => {
        const found = runPack(mutate(hetzner, ofType(HCLOUD_FIREWALL), (p) => p.rules[0].sourceIps.push("0.0.0.0/0")));
        assertViolation(found, "no-world-open-ssh", /^openclaw-firewall \(hcloud:index\/firewall:Firewall\): rules\[0\] opens tcp port 9922 to 0\.0\.0\.0\/0/);
    });

    it("Hetzner's 443 opened to the world, and a port added", () => {
        assertViolation(runPack(mutate(hetzner, ofType(HCLOUD_FIREWALL), (p) => (p.rules[2].sourceIps = ["0.0.0.0/0", "::/0"]))), "only-ingress-ports", /rules\[2\] opens tcp port 443 to 0\.0\.0\.0\/0, ::\/0/);
        const added = mutate(hetzner, ofType(HCLOUD_FIREWALL), (p) => p.rules.push({ ...p.rules[0], port: "18789" }));
        assertViolation(runPack(added), "only-ingress-ports", /\(9922\/tcp, 18789\/tcp\)/);
    });

    it("DigitalOcean's inbound rules with every port opened", () => {
        const found = runPack(mutate(digitalocean, ofType(DO_FIREWALL), (p) => p.inboundRules.push({ protocol: "tcp", portRange: "1-65535", sourceAddresses: ["0.0.0.0/0"] })));
        assert.deepStrictEqual(found.map((f) => f.policy).sort(), ["no-world-open-ssh", "only-ingress-ports"]);
    });

    it("AWS's security group with SSH opened to ::/0", () => {
        const found = runPack(mutate(aws, ofType(SECURITY_GROUP), (p) => (p.ingress[0].ipv6CidrBlocks = ["::/0"])));
        assertViolation(found, "no-world-open-ssh", /ingress\[0\] opens tcp port 9922 to ::\/0/);
    });

    it("AWS's instance with httpTokens optional", () => {
        assertViolation(runPack(mutate(aws, ofType(INSTANCE), (p) => (p.metadataOptions.httpTokens = "optional"))), "imdsv2-required", /^openclaw-server .*httpTokens is "optional"/);
    });

    /** A step's command inputs with its own standard input replaced (its script, and so its command, unchanged). */
    const sentAs = (create: string, script: string, own: string) => ({ create, stdin: `${script}${own}` });

    it("reads a deploy step's own standard input as the program sends it: after the script its command names", async () => {
        const step = { name: "compose-file", script: "set -e\nwrite_file /opt/x 0644 root:root # é\n", stdin: "services: {}\n" };
        const sent = invocation(step);
        assert.strictEqual(ownStdin({ create: sent.command, stdin: await valueOf(sent.stdin) }), step.stdin);
        assert.strictEqual(ownStdin({ create: "echo plain", stdin: "all of it" }), "all of it");
    });

    it("the compose file with the gateway image retagged :latest", () => {
        const found = runPack(
            mutate(hetzner, named("openclaw-compose-file"), (p) => {
                const step = asStep(p);
                const doc = YAML.parse(step.stdin);
                doc.services.gateway.image = doc.services.gateway.image.replace(/:[^:/]+$/, ":latest");
                Object.assign(p, sentAs(p.create, step.create, YAML.stringify(doc)));
            }),
        );
        assertViolation(found, "pinned-images", /^openclaw-compose-file \(command:remote:Command\): compose service gateway runs image "ghcr\.io\/openclaw\/openclaw:latest"/);
    });

    it("the egress Dockerfile built from an unpinned golang", () => {
        const found = runPack(mutate(hetzner, named("openclaw-egress-dockerfile"), (p) => {
            const step = asStep(p);
            Object.assign(p, sentAs(p.create, step.create, step.stdin.replace(/golang:\S+/, "golang:alpine")));
        }));
        assertViolation(found, "pinned-images", /FROM "docker\.io\/library\/golang:alpine"/);
    });

    it("the server's user data with a private key, or the stack's .env, appended", () => {
        const privateKey = crypto.generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
        assertViolation(runPack(mutate(hetzner, ofType(HCLOUD_SERVER), (p) => (p.userData += privateKey))), "no-secrets-in-user-data", /^openclaw-server .*a private key block/);
        const env: string = asStep(aws.find(named("openclaw-stack-secrets"))!.props).stdin;
        const found = runPack(mutate(aws, ofType(INSTANCE), (p) => (p.userData += env)));
        assertViolation(found, "no-secrets-in-user-data", /the gateway token/, /an sk- API key/);
    });

    it("the S3 public access block with one flag false, the encryption removed, or the bucket policy turned to Allow", () => {
        assertViolation(runPack(mutate(aws, ofType(PUBLIC_ACCESS_BLOCK), (p) => (p.ignorePublicAcls = false))), "private-encrypted-buckets", /ignorePublicAcls is false/);
        const bucket = aws.find(ofType(BUCKET))!;
        const found = runPack(aws.filter((r) => r.type !== ENCRYPTION));
        assertViolation(found, "private-encrypted-buckets", new RegExp(`^${bucket.name} \\(aws:s3/bucket:Bucket\\): has no aws\\.s3\\.BucketServerSideEncryptionConfiguration`));
        const allow = mutate(aws, ofType("aws:s3/bucketPolicy:BucketPolicy"), (p) => (p.policy = p.policy.replace('"Deny"', '"Allow"')));
        assertViolation(runPack(allow), "private-encrypted-buckets", /statement DenyInsecureTransport allows Principal "\*"/);
    });
});

describe("values not known during preview", () => {
    it("skips what can't be told yet and still checks what is known", async () => {
        const resources = asPackInput(await deploy(devConfigFor("aws", { "openclaw:stateStore": "s3" })));
        const preview = resources.map((r) => {
            const props = structuredClone(r.props);
            // What preview does not know: ids, user data (it holds the generated deploy key), secret-bearing stdin.
            props.id = UNKNOWN_STRING;
            if (r.type === INSTANCE) props.userData = UNKNOWN_STRING;
            if (typeof props.bucket === "string") props.bucket = UNKNOWN_STRING;
            if (r.type === SECURITY_GROUP) props.ingress[0].cidrBlocks = UNKNOWN_STRING;
            return { ...r, props };
        });
        assertPasses(runPack(preview));
        // A known value is still checked while others are unknown.
        const badPort = preview.map((r) => (r.type === SECURITY_GROUP ? { ...r, props: { ...r.props, ingress: [...r.props.ingress, { protocol: "tcp", fromPort: 1, toPort: 1024, cidrBlocks: ADMIN }] } } : r));
        assertViolation(runPack(badPort), "only-ingress-ports", /tcp ports 1-1024/);
    });
});

// ---------------------------------------------------------------------------------------------
// The pack as the Pulumi CLI runs it: `@pulumi/pulumi/cmd/run-policy-pack` in the pack's
// directory (so its package.json gives the version), TypeScript compiled and type-checked by
// ts-node with Pulumi's defaults, answering the engine over gRPC.

describe("the policy pack run as the Pulumi CLI runs it", () => {
    let child: ChildProcess;
    let client: analyzerRpc.AnalyzerClient;

    before(async () => {
        child = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", "."], { cwd: path.join(ROOT, "policy") });
        let stderr = "";
        child.stderr!.on("data", (chunk) => (stderr += chunk));
        const port = await new Promise<string>((resolve, reject) => {
            let stdout = "";
            child.stdout!.on("data", (chunk) => {
                stdout += chunk;
                const match = /^(\d+)\s*$/m.exec(stdout);
                if (match) resolve(match[1]);
            });
            child.on("exit", (code) => reject(new Error(`the policy pack exited with ${code} before serving: ${stderr}`)));
        });
        client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    /** One unary call, as a promise. */
    const rpc = <T>(invoke: (callback: (error: grpc.ServiceError | null, response: T) => void) => unknown) =>
        new Promise<T>((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response))));

    /** The fields an AnalyzeRequest and an AnalyzerResource share, set from a test resource. */
    function describedAs<T extends analyzer.AnalyzeRequest | analyzer.AnalyzerResource>(out: T, r: Res): T {
        out.setType(r.type);
        out.setName(r.name);
        out.setUrn(urnOf(r));
        out.setProperties(Struct.fromJavaScript(r.props));
        out.setOptions(new analyzer.AnalyzerResourceOptions());
        return out;
    }

    function resource(r: Res, all: readonly Res[]): analyzer.AnalyzerResource {
        const out = describedAs(new analyzer.AnalyzerResource(), r);
        for (const [key, names] of Object.entries(r.dependsOn ?? {})) {
            out.getPropertydependenciesMap().set(key, new analyzer.AnalyzerPropertyDependencies().setUrnsList(names.map((n) => urnOf(all.find((x) => x.name === n)!))));
        }
        return out;
    }

    async function analyze(r: Res): Promise<[string, string][]> {
        const req = describedAs(new analyzer.AnalyzeRequest(), r);
        const response = await rpc<analyzer.AnalyzeResponse>((cb) => client.analyze(req, cb));
        return response.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getMessage()]);
    }

    it("registers the seven policies, each mandatory, under the pack's name and package.json version", async () => {
        const info = await rpc<analyzer.AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
        assert.strictEqual(info.getName(), "openclaw-hardening");
        assert.strictEqual(info.getVersion(), require("../../policy/package.json").version);
        assert.deepStrictEqual(info.getPoliciesList().map((p) => p.getName()), POLICY_NAMES);
        for (const p of info.getPoliciesList()) assert.strictEqual(p.getEnforcementlevel(), analyzer.EnforcementLevel.MANDATORY, p.getName());
    });

    it("reports world-open SSH through Analyze, skips an unknown value, and honours allowSshFromAnywhere through Configure", async () => {
        const fw = hcloudFirewall({ port: "9922", sources: ["0.0.0.0/0"] }, { port: "443", sources: UNKNOWN_STRING });
        const found = await analyze(fw);
        assert.deepStrictEqual(found.map(([name]) => name), ["no-world-open-ssh"]);
        assert.match(found[0][1], /rules\[0\] opens tcp port 9922 to 0\.0\.0\.0\/0/);

        const configure = new analyzer.ConfigureAnalyzerRequest();
        const config = new analyzer.PolicyConfig();
        config.setEnforcementlevel(analyzer.EnforcementLevel.MANDATORY);
        config.setProperties(Struct.fromJavaScript({ allowSshFromAnywhere: true }));
        configure.getPolicyconfigMap().set("no-world-open-ssh", config);
        await rpc((cb) => client.configure(configure, cb));
        try {
            assert.deepStrictEqual(await analyze(fw), []);
        } finally {
            await rpc((cb) => client.configure(new analyzer.ConfigureAnalyzerRequest(), cb));
        }
    });

    it("reports a bucket without its own encryption through AnalyzeStack, and matches one by property dependencies", async () => {
        const [bucket, block, sse] = privateBucket();
        const stack = (resources: Res[]) => {
            const req = new analyzer.AnalyzeStackRequest();
            req.setResourcesList(resources.map((r) => resource(r, resources)));
            return rpc<analyzer.AnalyzeResponse>((cb) => client.analyzeStack(req, cb)).then((r) => r.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getUrn(), d.getMessage()]));
        };
        const missing = await stack([bucket, block]);
        assert.deepStrictEqual(missing.map(([name, urn]) => [name, urn]), [["private-encrypted-buckets", urnOf(bucket)]]);
        const preview = [
            { ...bucket, props: { ...bucket.props, id: UNKNOWN_STRING } },
            { ...block, props: { ...block.props, bucket: UNKNOWN_STRING }, dependsOn: { bucket: [bucket.name] } },
            { ...sse, props: { ...sse.props, bucket: UNKNOWN_STRING }, dependsOn: { bucket: [bucket.name] } },
        ];
        assert.deepStrictEqual(await stack(preview), []);
    });
});
