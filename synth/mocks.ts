// Pulumi mocks for synth: every resource the program registers is recorded in registration order
// with its parent and options, and answered with the outputs the program reads. Every value is
// deterministic (derived from the resource's type and name), so two synths of the same program and
// config give the same files, and a diff between two synths shows only what really changed.
// Secrets are placeholders of the shape the program checks, registered in the SecretBook.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ageIdentity } from "../components/stack/ageIdentity";
import { GATEWAY_URL_PREFIX } from "../components/stack/tailscale";
import { SecretBook } from "./secrets";
import { openSshPublicKey } from "./openSsh";
import { cloudMockOutputs } from "../providers";

/** A secret input value, as the engine received it (wrapped by `pulumi.secret` or by propagation). */
export class Secret {
    constructor(readonly value: unknown) {}
}

/** One resource as `pulumi up` would register it. */
export interface SynthResource {
    readonly type: string;
    readonly name: string;
    /** `type::name` of the parent, when there is one. */
    readonly parent?: string;
    readonly custom: boolean;
    /** Inputs as the engine received them; secret values are wrapped in `Secret`. */
    inputs: Record<string, unknown>;
    /** Inputs exactly as the SDK sent them to the engine: unknowns and secrets as their wire markers. */
    readonly sent: Record<string, unknown>;
    /** The mock's id for it (a stand-in for the cloud's). */
    id?: string;
    readonly options: {
        readonly protect: boolean;
        readonly retainOnDelete: boolean;
        readonly deleteBeforeReplace: boolean;
        readonly ignoreChanges: string[];
        /** `type::name` of each explicit dependency (dependsOn). */
        readonly dependsOn: string[];
        readonly additionalSecretOutputs: string[];
    };
}

/** A value the program read from a provider function that synth answered with a fixed stand-in. */
export interface StandIn {
    readonly token: string;
    readonly what: string;
}

/** What the program registered, in order, and which provider answers synth made up. */
export interface SynthRecorder {
    readonly resources: SynthResource[];
    readonly standIns: StandIn[];
}

/** Cloudflare's published ranges (cloudflare.com/ips), copied once: `pulumi up` reads the current list. */
const SAMPLE_CLOUDFLARE_RANGES = {
    ipv4Cidrs: [
        "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18", "108.162.192.0/18",
        "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
        "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
    ],
    ipv6Cidrs: ["2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32"],
};

/** The tailnet URL the tailscale-serve step "prints" under synth (the real one names your tailnet). */
const STAND_IN_TAILNET_URL = "https://openclaw.tailnet-stand-in.ts.net";

/** The AMI synth answers for any image query. */
const STAND_IN_AMI = { id: "ami-0123456789abcdef0", name: "stand-in-for-the-newest-matching-image", architecture: "x86_64" };

/** Some of Cloudflare's token permission groups, as its API lists them. */
const PERMISSION_GROUPS = [
    { id: "2efd5506f9c8494dacb1fa10a3e7d5b6", name: "Workers R2 Storage Bucket Item Write", scopes: ["com.cloudflare.edge.r2.bucket"] },
    { id: "6a018a9f2fc74eb6b293b0c548f38b39", name: "Workers R2 Storage Bucket Item Read", scopes: ["com.cloudflare.edge.r2.bucket"] },
];

const digest = (...parts: string[]) => crypto.createHash("sha256").update(parts.join("\0")).digest();

/** `length` deterministic bytes for a resource. */
function fixedBytes(seed: string, length: number): Buffer {
    const chunks: Buffer[] = [];
    for (let i = 0; chunks.length * 32 < length; i++) chunks.push(digest("synth-bytes", seed, String(i)));
    return Buffer.concat(chunks).subarray(0, length);
}

/**
 * A stable id for a type and name. Numeric, because the program converts hcloud and DigitalOcean
 * ids to numbers; a UUID for the Cloudflare tunnel, whose id goes into a CNAME.
 */
function mockId(type: string, name: string): string {
    const hash = digest(type, name).toString("hex");
    if (type.endsWith("ZeroTrustTunnelCloudflared")) return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-8${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
    return String(parseInt(hash.slice(0, 8), 16));
}

/** `openclaw-secrets-gateway-token` → `gatewayToken`: the name a secret is shown under. */
function secretLabel(resourceName: string): string {
    return resourceName.replace(/^openclaw-(secrets-)?/, "").replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** An ed25519 key pair from a fixed seed, so synth's deploy key (and user data) are stable. */
function fixedKeyPair(seed: string): { pem: string; openSsh: string } {
    const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), digest("synth-key", seed)]);
    const privateKey = crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
    return { pem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(), openSsh: openSshPublicKey(crypto.createPublicKey(privateKey)) };
}

/** Inputs as received, with secret-wrapped values turned into `Secret`. */
function markSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(markSecrets);
    if (value && typeof value === "object") {
        if (value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return new Secret(markSecrets(value.value));
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markSecrets(v)]));
    }
    return value;
}

/** A value with every `Secret` unwrapped. */
export function reveal(value: unknown): any {
    if (value instanceof Secret) return reveal(value.value);
    if (Array.isArray(value)) return value.map(reveal);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    return value;
}

/** `urn:pulumi:stack::project::a$b$type::name` → `type::name`. */
const keyOfUrn = (urn: string) => {
    const [, , qualifiedType, name] = urn.split("::");
    return qualifiedType === undefined ? urn : `${qualifiedType.split("$").pop()}::${name}`;
};

/** Outputs the real providers compute and the program reads; secrets go into `book`. */
function computedOutputs(type: string, name: string, inputs: Record<string, any>, id: string, book: SecretBook): Record<string, unknown> {
    const cloud = cloudMockOutputs(type, inputs, id, name);
    if (cloud) return cloud;
    const label = secretLabel(name);
    switch (type) {
        case "random:index/randomPassword:RandomPassword": {
            // Letters and digits only (special: false), yet plainly a placeholder.
            const text = `SYNTH0${label.replace(/[^A-Za-z0-9]/g, "")}0${digest(name).toString("hex")}${digest(name, "2").toString("hex")}`;
            return { result: book.add(label, text.slice(0, inputs.length ?? 32)) };
        }
        case "random:index/randomBytes:RandomBytes": {
            const bytes = fixedBytes(name, inputs.length);
            if (bytes.length === 32) {
                // secrets.ts turns the backup key's bytes into an age identity (the backupEncryptionKey output).
                book.add(label === "backupKey" ? "backupEncryptionKey" : `${label}AgeIdentity`, ageIdentity(bytes));
            }
            return { base64: book.add(label, bytes.toString("base64")), hex: book.add(`${label}Hex`, bytes.toString("hex")) };
        }
        case "tls:index/privateKey:PrivateKey": {
            const key = fixedKeyPair(name);
            return {
                privateKeyOpenssh: book.add(label.replace(/Key$/, "PrivateKey"), key.pem),
                privateKeyPem: book.add(label.replace(/Key$/, "PrivateKey"), key.pem),
                publicKeyOpenssh: key.openSsh,
            };
        }
        case "aws:s3/bucket:Bucket": {
            const bucket = `${inputs.bucketPrefix ?? `${inputs.bucket}-`}${digest(name).toString("hex").slice(0, 8)}`;
            return { bucket, arn: `arn:aws:s3:::${bucket}`, region: pulumi.runtime.getConfig("aws:region") ?? "us-east-1" };
        }
        case "aws:iam/user:User":
            return { name: `${name}-${id}`, arn: `arn:aws:iam::123456789012:user${inputs.path ?? "/"}${name}-${id}` };
        case "aws:iam/accessKey:AccessKey":
            return { secret: book.add(`${label}SecretAccessKey`, `SYNTH/placeholder/${label}SecretAccessKey/${digest(name).toString("base64url").slice(0, 12)}`) };
        case "random:index/randomId:RandomId": {
            const bytes = fixedBytes(name, inputs.byteLength);
            return { hex: bytes.toString("hex"), b64Url: bytes.toString("base64url"), dec: BigInt(`0x${bytes.toString("hex")}`).toString() };
        }
        case "cloudflare:index/accountToken:AccountToken": {
            const value = book.add(`${label}Token`, `SYNTH-placeholder-${label}Token-${digest(name).toString("hex").slice(0, 12)}`);
            // R2's S3 secret key is the SHA-256 of the token's value (Cloudflare's documented derivation).
            book.add(`${label}SecretAccessKey`, crypto.createHash("sha256").update(value).digest("hex"));
            return { value };
        }
        case "command:remote:Command":
            // Only Tailscale Serve's output is read by the program (it names the gateway's tailnet URL).
            return /tailscale serve/.test(`${inputs.create ?? ""}${inputs.stdin ?? ""}`) ? { stdout: `serving\n${GATEWAY_URL_PREFIX}${STAND_IN_TAILNET_URL}\n` } : {};
        default:
            return {};
    }
}

/** Answers a provider function; each answer is recorded as a stand-in for the plan. */
function call(args: pulumi.runtime.MockCallArgs, book: SecretBook, standIns: StandIn[]): Record<string, unknown> {
    const note = (what: string) => {
        if (!standIns.some((s) => s.token === args.token && s.what === what)) standIns.push({ token: args.token, what });
    };
    switch (args.token) {
        case "aws:ec2/getAmi:getAmi": {
            const filters = (args.inputs.filters ?? []).map((f: { name: string; values: string[] }) => `${f.name}=${f.values.join(",")}`).join(", ");
            note(`The AMI is looked up at pulumi up (owner ${(args.inputs.owners ?? []).join(", ")}, ${filters}, newest); synth uses ${STAND_IN_AMI.id}.`);
            return STAND_IN_AMI;
        }
        case "cloudflare:index/getIpRanges:getIpRanges":
            note("Cloudflare's current ranges are read at pulumi up; synth uses a fixed copy of the list published at cloudflare.com/ips.");
            return { ...SAMPLE_CLOUDFLARE_RANGES, etag: "synth", jdcloudCidrs: [] };
        case "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList":
            note(`Cloudflare's permission group ids are looked up at pulumi up; synth uses a fixed id for "Workers R2 Storage Bucket Item Write".`);
            return { results: PERMISSION_GROUPS.filter((g) => args.inputs.name === undefined || g.name === decodeURIComponent(args.inputs.name)) };
        case "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken": {
            note("The tunnel token is read from Cloudflare at pulumi up; synth's is a placeholder of the same shape.");
            // As Cloudflare builds it: base64 of {a: account, t: tunnel, s: secret}.
            const token = Buffer.from(JSON.stringify({ a: args.inputs.accountId, t: args.inputs.tunnelId, s: "SYNTH-placeholder-tunnel-secret" })).toString("base64");
            return { accountId: args.inputs.accountId, tunnelId: args.inputs.tunnelId, token: book.add("tunnelToken", token) };
        }
        default:
            // A function synth does not know would get an empty answer and a confusing failure later.
            throw new Error(`synth has no stand-in for the provider function ${args.token}; add one to synth/mocks.ts`);
    }
}

/**
 * Installs the mocks for project `openclaw` and `stack`, and records what the program registers.
 * Call before the program is loaded.
 */
export function installMocks(stack: string, book: SecretBook, mode: "up" | "first-preview" = "up"): SynthRecorder {
    const resources: SynthResource[] = [];
    const standIns: StandIn[] = [];
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                // A new stack's first preview: every resource is to be created, so it has no id yet
                // and every output its provider computes is unknown (a property left out of the
                // answer is unknown in a preview); only what the program gave it is known.
                if (mode === "first-preview") return { id: undefined, state: args.inputs };
                const id = args.type.endsWith("AccessKey") ? `AKIASYNTH${mockId(args.type, args.name).padStart(11, "0")}` : mockId(args.type, args.name);
                const inputs = reveal(markSecrets(args.inputs));
                const record = [...resources].reverse().find((r) => r.type === args.type && r.name === args.name);
                if (record) {
                    record.inputs = markSecrets(args.inputs);
                    record.id = id;
                }
                const outputs = computedOutputs(args.type, args.name, inputs, id, book);
                if (typeof outputs.stdout === "string") {
                    standIns.push({ token: `${args.type} ${args.name}`, what: `Its output is known only once it ran on the host; synth answers ${STAND_IN_TAILNET_URL} as the tailnet URL (the gatewayUrl output).` });
                }
                return { id, state: { ...args.inputs, ...outputs } };
            },
            call: (args) => call(args, book, standIns),
        },
        "openclaw",
        stack,
        mode === "first-preview",
    );

    // The mock monitor hands `newResource` no parent or options; the request it receives has them.
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, callback: unknown): unknown };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        resources.push({
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() ? keyOfUrn(req.getParent()) : undefined,
            custom: req.getCustom(),
            inputs: {},
            sent: req.getObject()?.toJavaScript() ?? {},
            options: {
                protect: Boolean(req.getProtect()),
                retainOnDelete: Boolean(req.getRetainondelete()),
                deleteBeforeReplace: Boolean(req.getDeletebeforereplace()),
                ignoreChanges: req.getIgnorechangesList(),
                dependsOn: req.getDependenciesList().map(keyOfUrn),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            },
        });
        return register(req, callback);
    };
    return { resources, standIns };
}
