import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { asStep, generatedSecrets, named, resetMocks, settled, single, valueOf } from "../mocks";
import { OpenClawDeployment } from "../../components/deployment";
import { hostReadyScript } from "../../components/hostReady";
import { parseSettings, Settings } from "../../components/settings";
import { renderUserData } from "../../cloud-init/userData";
import { GATEWAYS } from "../../components/stack/gateways";
import { CLOUD_NAMES, CloudName, clouds } from "../../providers";
import { amiQueries } from "../../providers/aws";
import { inboundRules, mockStaticIp, parts, serverInputs, userDataOf } from "../cloudParts";
import { ConfigMap, devConfigFor, rawConfig, SECRET_KEYS, TEST_LLM_KEYS, TEST_TELEGRAM_TOKEN } from "../fixtures";

function settingsFor(cloud: CloudName, extra: ConfigMap = {}): Settings {
    return parseSettings(rawConfig(devConfigFor(cloud, extra), SECRET_KEYS));
}

async function deploy(settings: Settings): Promise<OpenClawDeployment> {
    resetMocks();
    const deployment = new OpenClawDeployment("openclaw", { settings, hostName: "openclaw-dev" });
    await valueOf(pulumi.all([deployment.serverIp, deployment.host.ready.id, deployment.host.userData]));
    await settled();
    return deployment;
}

for (const cloud of CLOUD_NAMES) {
    describe(`deployment on ${cloud}`, () => {
        let deployment: OpenClawDeployment;
        const extra = { "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN, "openclaw:adminCidrs": '["203.0.113.7/32","198.51.100.0/28"]' };

        before(async () => {
            deployment = await deploy(settingsFor(cloud, extra));
        });

        it("creates one server, one firewall, one static IP and one deploy key", () => {
            const { server, firewall, staticIp, key } = parts[cloud];
            for (const type of [server, firewall, staticIp, key]) single(type);
        });

        it("lets nothing in but SSH on the hardened port from the admin blocks", () => {
            const rules = inboundRules(cloud, single(parts[cloud].firewall).inputs);
            assert.deepStrictEqual(rules, [{ port: "9922", protocol: "tcp", sources: ["203.0.113.7/32", "198.51.100.0/28"] }]);
        });

        it("boots the server from the rendered user data, which hardens SSH as configured", async () => {
            const server = single(parts[cloud].server).inputs;
            const userData = await valueOf(deployment.host.userData);
            assert.strictEqual(userDataOf(cloud, server), userData);
            const deployKey = single("tls:index/privateKey:PrivateKey");
            assert.ok(deployKey.inputs.algorithm === "ED25519");
            assert.strictEqual(
                userData,
                renderUserData({ hostName: "openclaw-dev", host: settingsFor(cloud, extra).host, deployPublicKey: await valueOf(deployment.secrets.deployPublicKey), tunnelPorts: GATEWAYS.map((gateway) => gateway.port) }),
            );
            assert.match(userData, /Port 9922\n/);
        });

        it("puts no secret into user data", () => {
            const userData: string = userDataOf(cloud, single(parts[cloud].server).inputs);
            const secrets = [...generatedSecrets, ...Object.values(TEST_LLM_KEYS), TEST_TELEGRAM_TOKEN];
            assert.ok(generatedSecrets.length >= 5, "the mocks generated the stack's secrets");
            for (const secret of secrets) {
                assert.ok(!userData.includes(secret), `user data contains a secret (${secret.slice(0, 6)}...)`);
                for (const line of secret.split("\n").filter((l) => l.length > 20)) {
                    assert.ok(!userData.includes(line), "user data contains part of a private key");
                }
            }
        });

        it("registers the deploy public key with the cloud", async () => {
            assert.strictEqual(clouds[cloud].deployKeyOf(single(parts[cloud].key).inputs), await valueOf(deployment.secrets.deployPublicKey));
        });

        it("waits for cloud-init over SSH as deploy on the hardened port, once per server", () => {
            const step = asStep(named("command:remote:Command", "openclaw-host-ready").inputs);
            assert.deepStrictEqual(
                { host: step.connection.host, port: step.connection.port, user: step.connection.user },
                { host: mockStaticIp(cloud), port: 9922, user: "deploy" },
            );
            assert.ok(step.connection.dialErrorLimit >= 60, "first boot takes minutes; dial retries must cover it");
            assert.strictEqual(step.create, hostReadyScript());
            assert.deepStrictEqual(step.triggers, [single(parts[cloud].server).id], "a new server reruns the step; nothing else does");
        });

        it("has no teardown step: pulumi destroy deletes the server, and only stack-directories' delete (compose down) touches the host", () => {
            assert.ok(!deployment.stack.steps.some((step) => step.name === "teardown"));
            assert.deepStrictEqual(deployment.stack.steps.filter((step) => step.delete !== undefined).map((step) => step.name), ["stack-directories"]);
        });

        it("exports the static IP and an SSH command for it", async () => {
            const ip = mockStaticIp(cloud);
            assert.strictEqual(await valueOf(deployment.serverIp), ip);
            assert.strictEqual(await valueOf(deployment.sshCommand), `ssh -p 9922 deploy@${ip}`);
        });

        it("keeps every generated secret secret in its outputs", async () => {
            for (const output of [deployment.gatewayToken, deployment.litellmMasterKey, deployment.backupEncryptionKey, deployment.deployPrivateKey]) {
                assert.strictEqual(await pulumi.isSecret(output), true);
            }
            assert.match(await valueOf(deployment.litellmMasterKey), /^sk-[A-Za-z0-9]{48}$/);
            assert.strictEqual(await pulumi.isSecret(deployment.serverIp), false);
        });

        it("keeps the server when an app setting changes", async () => {
            const before = serverInputs(cloud, single(parts[cloud].server).inputs);
            const changed = settingsFor(cloud, {
                ...extra,
                "openclaw:llmApiKeys": JSON.stringify(TEST_LLM_KEYS),
                "openclaw:models": '[{"name":"gpt","model":"openai/gpt-5","apiKeyEnv":"OPENAI_API_KEY"}]',
                "openclaw:egressDomains": '["api.example.com"]',
                "openclaw:openclawImage": "ghcr.io/openclaw/openclaw:2026.10.1",
            });
            const again = await deploy(changed);
            const after = serverInputs(cloud, single(parts[cloud].server).inputs);
            assert.deepStrictEqual({ ...after, userData: undefined }, { ...before, userData: undefined });
            // Same deploy key in this comparison, so the user data itself must match too.
            const rendered = (s: Settings, key: string) => renderUserData({ hostName: "openclaw-dev", host: s.host, deployPublicKey: key, tunnelPorts: GATEWAYS.map((gateway) => gateway.port) });
            const key = await valueOf(again.secrets.deployPublicKey);
            assert.strictEqual(rendered(changed, key), rendered(settingsFor(cloud, extra), key));
        });

        it("keeps the server when an access setting changes: the cloud firewall and the host-access step take it", async () => {
            // Each mock deployment makes its own deploy key: compare the servers without it.
            const withoutKey = async (d: OpenClawDeployment) => {
                const key = (await valueOf(d.secrets.deployPublicKey)).trim();
                return JSON.parse(JSON.stringify(serverInputs(cloud, single(parts[cloud].server).inputs)).split(key).join("<deploy key>"));
            };
            const server = await withoutKey(await deploy(settingsFor(cloud, extra)));
            const operatorKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILbppWoTAquXoD9ZO1dJWnhFt+rh4PwmyuRBhf64X42s ops@example.com";
            const again = await deploy(
                settingsFor(cloud, {
                    ...extra,
                    "openclaw:adminCidrs": '["192.0.2.44/32"]',
                    "openclaw:sshPublicKeys": JSON.stringify([operatorKey]),
                    "openclaw:autoRebootTime": "02:15",
                }),
            );
            assert.deepStrictEqual(await withoutKey(again), server, "the server's inputs, user data included, are unchanged");
            assert.deepStrictEqual(inboundRules(cloud, single(parts[cloud].firewall).inputs), [{ port: "9922", protocol: "tcp", sources: ["192.0.2.44/32"] }]);
            const changed = asStep(named("command:remote:Command", "openclaw-host-access").inputs);
            assert.deepStrictEqual(changed.triggers, [single(parts[cloud].server).id], "an update of the step, not a replacement");
            assert.strictEqual(changed.stdin.split("\n")[1], operatorKey, "the operator's key follows the deploy key");
            assert.match(changed.create, /Automatic-Reboot-Time "02:15";/);
        });

        it("gives the server new user data, and so a new server, when a machine setting changes", async () => {
            const userData = userDataOf(cloud, single(parts[cloud].server).inputs);
            for (const [key, value] of [["openclaw:sshPort", "2222"], ["openclaw:dockerSource", "distro"], ["openclaw:osImage", "debian-12"]]) {
                await deploy(settingsFor(cloud, { ...extra, [key]: value }));
                assert.notStrictEqual(userDataOf(cloud, single(parts[cloud].server).inputs), userData, key);
            }
        });
    });
}

describe("cloud specifics", () => {
    it("hetzner attaches the firewall and the primary IP to the server, and locks both when protected", async () => {
        await deploy(settingsFor("hetzner", { "openclaw:protect": "true" }));
        const server = single("hcloud:index/server:Server").inputs;
        const firewall = single("hcloud:index/firewall:Firewall");
        const ip = single("hcloud:index/primaryIp:PrimaryIp").inputs;
        assert.deepStrictEqual(
            { image: server.image, type: server.serverType, location: server.location, ipv6: server.publicNets[0].ipv6Enabled },
            { image: "debian-13", type: "cx23", location: "nbg1", ipv6: false },
        );
        assert.strictEqual(server.firewallIds.length, 1);
        assert.strictEqual(typeof server.publicNets[0].ipv4, "number");
        assert.ok(firewall);
        assert.deepStrictEqual({ autoDelete: ip.autoDelete, type: ip.type, location: ip.location }, { autoDelete: false, type: "ipv4", location: "nbg1" });
        assert.strictEqual(server.deleteProtection, true);
        assert.strictEqual(ip.deleteProtection, true);
    });

    it("digitalocean allows outbound traffic explicitly and assigns the reserved IP to the droplet", async () => {
        await deploy(settingsFor("digitalocean"));
        const droplet = single("digitalocean:index/droplet:Droplet").inputs;
        assert.deepStrictEqual({ image: droplet.image, size: droplet.size, region: droplet.region }, { image: "debian-13-x64", size: "s-2vcpu-4gb", region: "fra1" });
        const firewall = single("digitalocean:index/firewall:Firewall").inputs;
        assert.deepStrictEqual(firewall.outboundRules.map((r: any) => r.protocol), ["tcp", "udp", "icmp"]);
        assert.strictEqual(firewall.dropletIds.length, 1);
        const assignment = single("digitalocean:index/reservedIpAssignment:ReservedIpAssignment").inputs;
        assert.strictEqual(assignment.ipAddress, "198.51.100.20");
        assert.strictEqual(assignment.dropletId, firewall.dropletIds[0]);
    });

    it("aws requires IMDSv2, encrypts the root volume, looks the AMI up by owner and name, and uses its own VPC", async () => {
        await deploy(settingsFor("aws", { "openclaw:osImage": "ubuntu-24.04" }));
        const instance = single("aws:ec2/instance:Instance").inputs;
        assert.strictEqual(instance.metadataOptions.httpTokens, "required");
        assert.strictEqual(instance.rootBlockDevice.encrypted, true);
        assert.strictEqual(instance.instanceType, "t3.medium");
        assert.strictEqual(instance.ami, "ami-0123456789abcdef0");
        assert.strictEqual(amiQueries["ubuntu-24.04"].owner, "099720109477");
        single("aws:ec2/vpc:Vpc");
        single("aws:ec2/internetGateway:InternetGateway");
        const egress = single("aws:ec2/securityGroup:SecurityGroup").inputs.egress;
        assert.deepStrictEqual(egress[0].cidrBlocks, ["0.0.0.0/0"]);
        const association = single("aws:ec2/eipAssociation:EipAssociation").inputs;
        assert.deepStrictEqual(
            [association.allocationId, association.instanceId],
            [`eipalloc-${single("aws:ec2/eip:Eip").id}`, single("aws:ec2/instance:Instance").id],
        );
    });
});
