// Each ingress mode under mocks: what it registers at Cloudflare and at the cloud firewall, what
// it adds to the host, whom the gateway trusts, where the secrets go, and what it exports.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { inboundRules, parts } from "../cloudParts";
import { asStep, calls, MOCK_TAILNET_URL, named, ofType, recorded, valueOf } from "../mocks";
import { OpenClawDeployment } from "../../components/deployment";
import { deployUnderMocks } from "../deployUnderMocks";
import { IngressMode, parseSettings, Settings } from "../../components/settings";
import { CLOUD_NAMES, CloudName } from "../../providers";
import { ConfigMap, devConfigFor, rawConfig, HOST_STEP_NAMES, SECRET_KEYS, stackStepNames, TEST_CLOUDFLARE_RANGES, TEST_TAILSCALE_KEY } from "../fixtures";

const CF = {
    tunnel: "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared",
    tunnelConfig: "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
    dns: "cloudflare:index/dnsRecord:DnsRecord",
    accessPolicy: "cloudflare:index/zeroTrustAccessPolicy:ZeroTrustAccessPolicy",
    accessApp: "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication",
    ipRanges: "cloudflare:index/getIpRanges:getIpRanges",
    token: "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken",
};

const MODES: Record<IngressMode, ConfigMap> = {
    tunnel: {},
    caddy: { "openclaw:ingress": "caddy" },
    tailscale: { "openclaw:ingress": "tailscale", "openclaw:tailscaleAuthKey": TEST_TAILSCALE_KEY },
    none: { "openclaw:ingress": "none" },
};

/** What each mode registers at Cloudflare, and the data sources it reads. Nothing else. */
const CLOUDFLARE: Record<IngressMode, { types: string[]; calls: string[] }> = {
    tunnel: { types: [CF.tunnel, CF.tunnelConfig, CF.dns], calls: [CF.token] },
    caddy: { types: [CF.dns], calls: [CF.ipRanges] },
    tailscale: { types: [], calls: [] },
    none: { types: [], calls: [] },
};

const SERVICES: Record<IngressMode, string[]> = {
    tunnel: ["cloudflared", "egress", "gateway", "litellm", "redis"],
    caddy: ["caddy", "egress", "gateway", "litellm", "redis"],
    tailscale: ["egress", "gateway", "litellm", "redis"],
    none: ["egress", "gateway", "litellm", "redis"],
};

/** Without a state bucket, so what Cloudflare registers is ingress's alone (backups have their own spec). */
function settingsFor(cloud: CloudName, mode: IngressMode, extra: ConfigMap = {}): Settings {
    return parseSettings(rawConfig(devConfigFor(cloud, { ...MODES[mode], "openclaw:stateStore": "none", ...extra }), SECRET_KEYS));
}

const deploy = deployUnderMocks;

/** A deploy step's inputs as the engine received them. */
const step = (name: string) => asStep(named("command:remote:Command", `openclaw-${name}`).inputs);
const isCloudflare = (type: string) => type.startsWith("cloudflare:");

for (const mode of ["tunnel", "caddy", "tailscale", "none"] as IngressMode[]) {
    describe(`ingress ${mode} (hetzner, dev config)`, () => {
        let deployment: OpenClawDeployment;
        before(async () => {
            deployment = await deploy(settingsFor("hetzner", mode));
        });

        it("registers at Cloudflare exactly what the mode needs, and reads only the data it needs", () => {
            const registered = recorded.filter((r) => isCloudflare(r.type)).map((r) => r.type);
            assert.deepStrictEqual(registered.sort(), [...CLOUDFLARE[mode].types].sort());
            assert.deepStrictEqual(calls.filter(isCloudflare).sort(), [...CLOUDFLARE[mode].calls].sort());
            assert.strictEqual(ofType("openclaw:index:CloudflareIngress").length, CLOUDFLARE[mode].types.length > 0 ? 1 : 0);
        });

        it("adds exactly the mode's deploy steps", () => {
            assert.deepStrictEqual(ofType("command:remote:Command").map((c) => c.name), [...HOST_STEP_NAMES, ...stackStepNames(mode, "none")].map((n) => `openclaw-${n}`));
        });

        it(`opens ${mode === "caddy" ? "80 and 443 to Cloudflare's ranges only, besides SSH" : "no port but SSH"} at the cloud firewall`, () => {
            const ssh = { port: "9922", protocol: "tcp", sources: ["203.0.113.7/32"] };
            const web = (port: string) => ({ port, protocol: "tcp", sources: TEST_CLOUDFLARE_RANGES.ipv4Cidrs.slice().sort() });
            assert.deepStrictEqual(
                inboundRules("hetzner", ofType(parts.hetzner.firewall)[0].inputs),
                mode === "caddy" ? [ssh, web("80"), web("443")] : [ssh],
            );
        });

        it("runs the mode's containers, and keeps the gateway's network internal behind an ingress container", () => {
            const compose = YAML.parse(step("compose-file").stdin);
            assert.deepStrictEqual(Object.keys(compose.services).sort(), SERVICES[mode]);
            const proxyNet = compose.networks["proxy-net"];
            assert.strictEqual(proxyNet.internal, mode === "tunnel" || mode === "caddy", "proxy-net internal");
            assert.strictEqual(proxyNet.driver_opts["com.docker.network.bridge.name"], "oc-proxy");
            assert.strictEqual("edge-net" in compose.networks, mode === "tunnel" || mode === "caddy");
            const published = Object.fromEntries(Object.entries<any>(compose.services).map(([name, s]) => [name, s.ports ?? []]));
            for (const [name, ports] of Object.entries(published)) {
                const expected =
                    name === "caddy" ? ["0.0.0.0:80:80", "0.0.0.0:443:443"] : name === "gateway" && (mode === "none" || mode === "tailscale") ? ["127.0.0.1:18789:18789"] : [];
                assert.deepStrictEqual(ports, expected, `${name} publishes`);
            }
        });

        it("lets the gateway trust forwarded headers only from its own proxy, and accept only the mode's origins", () => {
            const gateway = JSON.parse(step("gateway-config").stdin).gateway;
            const trusted = { tunnel: ["172.31.250.10"], caddy: ["172.31.250.10"], tailscale: ["172.31.250.1"], none: [] }[mode];
            assert.deepStrictEqual(gateway.trustedProxies, trusted);
            assert.deepStrictEqual(
                gateway.controlUi.allowedOrigins,
                mode === "tunnel" || mode === "caddy" ? ["https://claw-dev.example.com"] : ["http://127.0.0.1:18789", "http://localhost:18789"],
            );
            assert.strictEqual(gateway.tailscale.mode, "off", "Serve is run by the host, not by the gateway");
            if (mode === "tunnel" || mode === "caddy") {
                const compose = YAML.parse(step("compose-file").stdin);
                const ingress = compose.services[mode === "tunnel" ? "cloudflared" : "caddy"];
                assert.strictEqual(ingress.networks["proxy-net"].ipv4_address, trusted[0], "the trusted address is the ingress container's");
            }
        });

        it("lets 80 and 443 through the host firewall from Cloudflare's ranges with caddy, from nobody otherwise", () => {
            const sources: string = step("host-firewall").stdin;
            const cidrs = sources.split("\n").filter((line) => line && !line.startsWith("#"));
            assert.deepStrictEqual(cidrs, mode === "caddy" ? TEST_CLOUDFLARE_RANGES.ipv4Cidrs.slice().sort() : []);
        });

        it("exports where the gateway opens, and the tunnel's id only for a tunnel", async () => {
            const url = { tunnel: "https://claw-dev.example.com", caddy: "https://claw-dev.example.com", tailscale: MOCK_TAILNET_URL, none: "http://127.0.0.1:18789" }[mode];
            assert.strictEqual(await valueOf(deployment.gatewayUrl), url);
            if (mode === "tunnel") {
                assert.strictEqual(await valueOf(deployment.tunnelId!), ofType(CF.tunnel)[0].id);
            } else {
                assert.strictEqual(deployment.tunnelId, undefined);
            }
        });

        it("leaves the server's user data the same in every mode, so choosing a mode never replaces the server", async () => {
            const userData: string = ofType(parts.hetzner.server)[0].inputs.userData;
            const other = await deploy(settingsFor("hetzner", mode === "none" ? "caddy" : "none"));
            const deployKey = (await valueOf(deployment.secrets.deployPublicKey)).trim();
            const otherKey = (await valueOf(other.secrets.deployPublicKey)).trim();
            assert.strictEqual(ofType(parts.hetzner.server)[0].inputs.userData.split(otherKey).join("<key>"), userData.split(deployKey).join("<key>"));
        });
    });
}

describe("ingress tunnel's Cloudflare resources", () => {
    let deployment: OpenClawDeployment;
    before(async () => {
        deployment = await deploy(settingsFor("hetzner", "tunnel"));
    });

    it("creates a remotely managed tunnel with the stack's tunnel secret", async () => {
        const tunnel = ofType(CF.tunnel)[0].inputs;
        assert.deepStrictEqual(
            { ...tunnel, tunnelSecret: undefined },
            { accountId: "0123456789abcdef0123456789abcdef", configSrc: "cloudflare", name: "openclaw-dev", tunnelSecret: undefined },
        );
        assert.strictEqual(tunnel.tunnelSecret, await valueOf(deployment.secrets.tunnelSecret));
    });

    it("routes the domain to the gateway on the internal network and answers 404 to anything else", () => {
        const config = ofType(CF.tunnelConfig)[0].inputs;
        assert.strictEqual(config.tunnelId, ofType(CF.tunnel)[0].id);
        assert.deepStrictEqual(config.config.ingresses, [
            { hostname: "claw-dev.example.com", service: "http://openclaw-gateway:18789" },
            { service: "http_status:404" },
        ]);
    });

    it("points a proxied CNAME at the tunnel", () => {
        const dns = ofType(CF.dns)[0].inputs;
        assert.deepStrictEqual(
            { name: dns.name, type: dns.type, content: dns.content, proxied: dns.proxied, ttl: dns.ttl, zoneId: dns.zoneId },
            { name: "claw-dev.example.com", type: "CNAME", content: `${ofType(CF.tunnel)[0].id}.cfargotunnel.com`, proxied: true, ttl: 1, zoneId: "fedcba9876543210fedcba9876543210" },
        );
    });

    it("hands the tunnel token, kept secret, to the host only in the .env on standard input", async () => {
        const token = await valueOf(deployment.cloudflare!.tunnelToken!);
        assert.ok(await pulumi.isSecret(deployment.cloudflare!.tunnelToken!), "the token is wrapped as a secret");
        assert.match(step("stack-secrets").stdin, new RegExp(`^TUNNEL_TOKEN='${token}'$`, "m"));
        for (const resource of recorded) {
            const inputs = resource.type === "command:remote:Command" ? { ...resource.inputs, stdin: undefined } : resource.inputs;
            assert.ok(!JSON.stringify(inputs).includes(token), `${resource.name} carries the tunnel token`);
        }
    });

    it("names the tunnel in its DNS record and routes, so Pulumi deletes them before the tunnel", () => {
        // The first step, whose delete stops cloudflared, depends on the Cloudflare component too
        // (asserted in openclawStack.spec.ts): Pulumi deletes dependents first.
        assert.match(ofType(CF.dns)[0].inputs.content, new RegExp(`^${ofType(CF.tunnel)[0].id}\\.`));
        assert.strictEqual(ofType(CF.tunnelConfig)[0].inputs.tunnelId, ofType(CF.tunnel)[0].id);
    });
});

describe("ingress caddy's DNS record and firewall on every cloud", () => {
    for (const cloud of CLOUD_NAMES) {
        it(`on ${cloud}: a proxied A record to the static IP, and 80/443 only from Cloudflare`, async () => {
            const deployment = await deploy(settingsFor(cloud, "caddy"));
            const dns = ofType(CF.dns)[0].inputs;
            assert.deepStrictEqual(
                { name: dns.name, type: dns.type, content: dns.content, proxied: dns.proxied },
                { name: "claw-dev.example.com", type: "A", content: await valueOf(deployment.serverIp), proxied: true },
            );
            const rules = inboundRules(cloud, ofType(parts[cloud].firewall)[0].inputs);
            assert.deepStrictEqual(rules.map((r) => r.port), ["9922", "80", "443"]);
            for (const rule of rules.filter((r) => r.port !== "9922")) {
                assert.deepStrictEqual(rule.sources.slice().sort(), TEST_CLOUDFLARE_RANGES.ipv4Cidrs.slice().sort(), `${rule.port} sources`);
            }
            for (const rule of rules) {
                assert.ok(!rule.sources.some((s) => s === "0.0.0.0/0" || s === "::/0"), `${rule.port} is open to the world`);
            }
        });
    }

    it("adds Cloudflare's IPv6 ranges when the host has IPv6", async () => {
        await deploy(settingsFor("hetzner", "caddy", { "openclaw:ipv6": "true" }));
        const web = inboundRules("hetzner", ofType(parts.hetzner.firewall)[0].inputs).find((r) => r.port === "443")!;
        assert.deepStrictEqual(web.sources, [...TEST_CLOUDFLARE_RANGES.ipv4Cidrs, ...TEST_CLOUDFLARE_RANGES.ipv6Cidrs].sort());
        assert.match(step("host-firewall").stdin, /^2606:4700::\/32$/m);
    });
});

describe("ingress tailscale's auth key", () => {
    it("reaches the host only on the tailscale-up step's standard input", async () => {
        await deploy(settingsFor("hetzner", "tailscale"));
        assert.strictEqual(step("tailscale-up").stdin, TEST_TAILSCALE_KEY);
        assert.match(step("tailscale-up").create, /tailscale up --auth-key=file:\/dev\/stdin --hostname=openclaw-dev /);
        for (const resource of recorded) {
            const inputs = resource.name === "openclaw-tailscale-up" ? { ...resource.inputs, stdin: undefined } : resource.inputs;
            assert.ok(!JSON.stringify(inputs).includes(TEST_TAILSCALE_KEY), `${resource.name} carries the Tailscale key`);
        }
        assert.match(step("tailscale-serve").create, /tailscale serve --bg --yes --https=443 http:\/\/127\.0\.0\.1:18789/);
        assert.doesNotMatch(step("tailscale-serve").create, /funnel/, "nothing is made public");
    });
});

describe("Cloudflare Access in front of the domain", () => {
    for (const mode of ["tunnel", "caddy"] as IngressMode[]) {
        it(`with ingress ${mode}, lets only the listed emails through`, async () => {
            await deploy(settingsFor("hetzner", mode, { "openclaw:cloudflareAccessEmails": '["Me@Example.com","ops@example.org"]' }));
            const policy = ofType(CF.accessPolicy)[0];
            assert.deepStrictEqual(policy.inputs.includes, [{ email: { email: "me@example.com" } }, { email: { email: "ops@example.org" } }]);
            assert.strictEqual(policy.inputs.decision, "allow");
            const app = ofType(CF.accessApp)[0].inputs;
            assert.deepStrictEqual(
                { domain: app.domain, type: app.type, accountId: app.accountId, policies: app.policies },
                { domain: "claw-dev.example.com", type: "self_hosted", accountId: "0123456789abcdef0123456789abcdef", policies: [{ id: policy.id, precedence: 1 }] },
            );
        });
    }

    it("is not created without an email list", async () => {
        await deploy(settingsFor("hetzner", "tunnel"));
        assert.strictEqual(ofType(CF.accessApp).length + ofType(CF.accessPolicy).length, 0);
    });
});
