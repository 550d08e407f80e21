import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ofType, resetMocks, settled, valueOf } from "../mocks";
import { CLOUD_NAMES, CloudName, clouds } from "../../providers";
import { devConfigFor, SECRET_KEYS } from "../fixtures";

const INDEX = require.resolve("../../index");

/** Runs `index.ts` as `pulumi up` would, with the dev stack's config moved to `cloud`. */
function runProgram(cloud: CloudName, extra: Record<string, string> = {}): Record<string, pulumi.Output<any> | string> {
    resetMocks();
    pulumi.runtime.setAllConfig(devConfigFor(cloud, extra), SECRET_KEYS);
    delete require.cache[INDEX];
    return require(INDEX);
}

const EXPORTS = ["cloud", "firewall", "serverIp", "sshCommand", "gatewayUrl", "gatewayToken", "litellmMasterKey", "backupEncryptionKey", "deployPrivateKey", "tunnelId", "stateBucket"];
const SECRET_EXPORTS = ["gatewayToken", "litellmMasterKey", "backupEncryptionKey", "deployPrivateKey"];


describe("the program (index.ts) with the dev stack's config", () => {
    after(() => pulumi.runtime.setAllConfig({}));

    for (const cloud of CLOUD_NAMES) {
        it(`on ${cloud}: registers a server, a firewall and a static IP, and exports the outputs`, async () => {
            const outputs = runProgram(cloud);
            assert.deepStrictEqual(Object.keys(outputs).sort(), [...EXPORTS].sort());
            assert.strictEqual(outputs.cloud, cloud);
            assert.strictEqual(outputs.firewall, `the ${clouds[cloud].title} ${cloud === "aws" ? "security group" : "cloud firewall"}, then UFW on the server`);
            const ip = await valueOf(outputs.serverIp as pulumi.Output<string>);
            assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
            assert.strictEqual(await valueOf(outputs.sshCommand as pulumi.Output<string>), `ssh -p 9922 deploy@${ip}`);
            // The dev stack uses the tunnel to its domain.
            assert.strictEqual(await valueOf(outputs.gatewayUrl as pulumi.Output<string>), "https://claw-dev.example.com");
            await settled();
            const tunnel = ofType("cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared");
            assert.strictEqual(tunnel.length, 1, "one tunnel");
            assert.strictEqual(await valueOf(outputs.tunnelId as pulumi.Output<string>), tunnel[0].id);
            // The dev stack names a Cloudflare account, so its backups go to an R2 bucket there.
            const bucket = ofType("cloudflare:index/r2Bucket:R2Bucket");
            assert.strictEqual(bucket.length, 1, "one R2 bucket");
            assert.strictEqual(await valueOf(outputs.stateBucket as pulumi.Output<string>), bucket[0].inputs.name);
            for (const name of SECRET_EXPORTS) {
                assert.strictEqual(await pulumi.isSecret(outputs[name] as pulumi.Output<string>), true, `${name} must be secret`);
            }
            await settled();
            for (const type of [clouds[cloud].parts.server, clouds[cloud].parts.firewall, clouds[cloud].parts.staticIp]) {
                assert.strictEqual(ofType(type).length, 1, `one ${type}`);
            }
            assert.strictEqual(ofType("openclaw:index:Deployment").length, 1);
        });
    }

    it("leaves out the outputs a stack does not have, rather than exporting undefined (which Pulumi warns of on every preview)", async () => {
        const outputs = runProgram("hetzner", { "openclaw:ingress": "none", "openclaw:stateStore": "none" });
        assert.deepStrictEqual(Object.keys(outputs).sort(), EXPORTS.filter((name) => name !== "tunnelId" && name !== "stateBucket").sort());
        assert.deepStrictEqual(Object.entries(outputs).filter(([, value]) => value === undefined), []);
        await settled();
    });

    it("creates nothing when the config is invalid", () => {
        resetMocks();
        pulumi.runtime.setAllConfig({ ...devConfigFor("hetzner"), "openclaw:sshPort": "99999" }, SECRET_KEYS);
        delete require.cache[INDEX];
        assert.throws(() => require(INDEX), /openclaw:sshPort is "99999"/);
        assert.strictEqual(ofType("hcloud:index/server:Server").length, 0);
    });
});
