// The one place that installs Pulumi mocks (mocha loads every spec before running any, so a
// second `setMocks` would silently replace the first). Every resource registered is recorded
// with its inputs, and every secret the mocks generate is remembered, so tests can assert on
// both "what was created" and "where a secret went".
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as crypto from "crypto";
import { openSshPublicKey } from "../synth/openSsh";
import { TEST_CLOUDFLARE_RANGES } from "./fixtures";
import { cloudMockOutputs } from "../providers";
import { fromInvocation } from "../components/deployStep";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    /** The id the mocks gave it: stable for a type and name, numeric as hcloud and DigitalOcean ids are. */
    readonly id: string;
    /** Inputs as the engine received them, secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /**
     * The resources it depends on, as `type::name`, exactly as the SDK told the engine: its
     * `dependsOn` and the resources behind the Outputs among its inputs. The engine creates a
     * resource after these and deletes it before them.
     */
    readonly dependencies: readonly string[];
}

/** Resources registered since the last `resetMocks()`. */
export const recorded: RecordedResource[] = [];
/** Provider functions called (data sources), by token, since the last `resetMocks()`. */
export const calls: string[] = [];

/** What Tailscale Serve's step prints under mocks: the program reads `gatewayUrl` from it. */
export const MOCK_TAILNET_URL = "https://openclaw-dev.tail0123.ts.net";
/** Some of Cloudflare's token permission groups, as its API lists them. */
export const MOCK_PERMISSION_GROUPS = [
    { id: "2efd5506f9c8494dacb1fa10a3e7d5b6", name: "Workers R2 Storage Bucket Item Write", scopes: ["com.cloudflare.edge.r2.bucket"], category: "developer_platform", isSelectable: true },
    { id: "6a018a9f2fc74eb6b293b0c548f38b39", name: "Workers R2 Storage Bucket Item Read", scopes: ["com.cloudflare.edge.r2.bucket"], category: "developer_platform", isSelectable: true },
    { id: "bf7481a1826f439697cb59a20b22293e", name: "Workers R2 Storage Write", scopes: ["com.cloudflare.api.account"], category: "developer_platform", isSelectable: true },
];

/**
 * Resource types whose next registrations get new ids, as a replaced server does: same name, same
 * static IP, a new id at the cloud.
 */
export const newIdsFor = new Set<string>();

/** Every secret value the mocks generated (passwords, random bytes, private keys). */
export const generatedSecrets: string[] = [];

export function resetMocks(): void {
    recorded.length = 0;
    calls.length = 0;
}

/** Secret inputs reach the mock monitor wrapped; tests want plain values. */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/**
 * Ids derived from type and name, so two runs of the same program give the same ids and a test can
 * compare their inputs. Numeric, because hcloud and DigitalOcean ids are numbers the program converts.
 */
export function mockId(type: string, name: string): string {
    return String(parseInt(crypto.createHash("sha256").update(`${type}::${name}`).digest("hex").slice(0, 8), 16));
}

function secret(value: string): string {
    generatedSecrets.push(value);
    return value;
}

/** Outputs the real providers compute and the program reads. */
function computedOutputs(type: string, inputs: Record<string, any>, id: string, name: string): Record<string, any> {
    const cloud = cloudMockOutputs(type, inputs, id, name);
    if (cloud) return cloud;
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { result: secret(crypto.randomBytes(64).toString("base64url").replace(/[-_]/g, "").slice(0, inputs.length)) };
        case "random:index/randomBytes:RandomBytes": {
            const bytes = crypto.randomBytes(inputs.length);
            return { base64: secret(bytes.toString("base64")), hex: secret(bytes.toString("hex")) };
        }
        case "tls:index/privateKey:PrivateKey": {
            const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
            const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
            return { privateKeyOpenssh: secret(pem), privateKeyPem: secret(pem), publicKeyOpenssh: openSshPublicKey(publicKey) };
        }
        case "aws:s3/bucket:Bucket": {
            const bucket = `${inputs.bucketPrefix ?? `${inputs.bucket}-`}0a1b2c3d`;
            return { bucket, arn: `arn:aws:s3:::${bucket}`, region: "eu-central-1" };
        }
        case "aws:iam/user:User":
            return { name: `${inputs.name ?? "openclaw-backup"}-${id}`, arn: `arn:aws:iam::123456789012:user/openclaw/${id}` };
        case "aws:iam/accessKey:AccessKey":
            return { secret: secret(crypto.randomBytes(30).toString("base64")) };
        case "random:index/randomId:RandomId": {
            const bytes = crypto.createHash("sha256").update(id).digest().subarray(0, inputs.byteLength);
            return { hex: bytes.toString("hex"), b64Url: bytes.toString("base64url") };
        }
        case "cloudflare:index/accountToken:AccountToken":
            return { value: secret(crypto.randomBytes(30).toString("base64url")) };
        case "command:remote:Command":
            return /tailscale serve/.test(`${inputs.create ?? ""}${inputs.stdin ?? ""}`) ? { stdout: `serving\ngateway-url: ${MOCK_TAILNET_URL}\n` } : {};
        default:
            return {};
    }
}

/** `type::name` of a URN (`urn:pulumi:stack::project::parent$type::name`). */
function resourceOfUrn(urn: string): string {
    const [, , typePath, name] = urn.split("::");
    return `${typePath.split("$").pop()}::${name}`;
}

// The mocks' `newResource` sees no dependencies; the monitor's request carries them as the SDK
// computed them, so the request is read here, just before the mocks are asked.
const pendingDependencies = new Map<string, string[]>();
const originalRegister = MockMonitor.prototype.registerResource;
MockMonitor.prototype.registerResource = function (this: MockMonitor, req: any, callback: any) {
    const urns = new Set<string>(req.getDependenciesList());
    for (const deps of req.getPropertydependenciesMap().values()) for (const urn of deps.getUrnsList()) urns.add(urn);
    pendingDependencies.set(`${req.getType()}::${req.getName()}`, [...urns].map(resourceOfUrn));
    return originalRegister.call(this, req, callback);
};

pulumi.runtime.setMocks(
    {
        newResource(args: pulumi.runtime.MockResourceArgs) {
            const id = mockId(args.type, newIdsFor.has(args.type) ? `${args.name}#replaced` : args.name);
            const inputs = unwrapSecrets(args.inputs);
            const dependencies = pendingDependencies.get(`${args.type}::${args.name}`) ?? [];
            recorded.push({ type: args.type, name: args.name, id, inputs, dependencies });
            return { id, state: { ...args.inputs, ...computedOutputs(args.type, inputs, id, args.name) } };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            calls.push(args.token);
            switch (args.token) {
                case "aws:ec2/getAmi:getAmi":
                    return { id: "ami-0123456789abcdef0", name: "debian-13-amd64-20261101-2300", architecture: "x86_64" };
                case "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList":
                    // Cloudflare filters by the (URL-encoded) name it is given.
                    return {
                        results: MOCK_PERMISSION_GROUPS.filter((g) => args.inputs.name === undefined || g.name === decodeURIComponent(args.inputs.name)),
                    };
                case "cloudflare:index/getIpRanges:getIpRanges":
                    return { ...TEST_CLOUDFLARE_RANGES, etag: "mock", jdcloudCidrs: [] };
                case "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken": {
                    // As Cloudflare builds it: base64 of {a: account, t: tunnel, s: secret}.
                    const token = Buffer.from(JSON.stringify({ a: args.inputs.accountId, t: args.inputs.tunnelId, s: crypto.randomBytes(32).toString("base64") })).toString("base64");
                    return { accountId: args.inputs.accountId, tunnelId: args.inputs.tunnelId, token: secret(token) };
                }
                default:
                    return {};
            }
        },
    },
    "openclaw",
    "dev",
    false,
);

/** The value of an output, once the mocks resolved it. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Resources of one type, in registration order. */
export function ofType(type: string): RecordedResource[] {
    return recorded.filter((r) => r.type === type);
}

/** The single resource of a type; fails loudly when there are none or several. */
export function single(type: string): RecordedResource {
    const found = ofType(type);
    if (found.length !== 1) {
        throw new Error(`expected exactly one ${type}, found ${found.length}: ${recorded.map((r) => r.type).join(", ")}`);
    }
    return found[0];
}

/** The resource of a type with this name; fails loudly when it is missing. */
export function named(type: string, name: string): RecordedResource {
    const found = recorded.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} named ${name}; registered: ${ofType(type).map((r) => r.name).join(", ")}`);
    return found;
}

/** Resolves once the mocks have stopped registering resources (registration is asynchronous). */
export async function settled(): Promise<void> {
    let count = -1;
    while (count !== recorded.length) {
        count = recorded.length;
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}

/**
 * A deploy step's inputs with `create` its script and `stdin` its own standard input, as the
 * command carries them at the head and the rest of its standard input (`invocation`).
 */
export function asStep(inputs: Record<string, any>): Record<string, any> {
    const sent = fromInvocation(inputs.create ?? "", inputs.stdin ?? "");
    return sent ? { ...inputs, create: sent.script, stdin: sent.stdin } : inputs;
}
