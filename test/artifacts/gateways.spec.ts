// A second gateway is a change to data: with a second entry in GATEWAYS and nothing else changed,
// the compose file Docker Compose accepts runs both, each with its own port, state volume, config
// directory, token and share of the memory; the deploy writes both configs and checks both
// gateways; the backup command carries both state volumes. The entry is added for this suite only.
import * as assert from "assert";
import { Gateway, GATEWAYS, PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { renderBackupScript } from "../../components/stack/backupScript";
import { GATEWAY_MIN_MEMORY_MIB, stackLimits } from "../../components/stack/limits";
import { STACK_DIR } from "../../components/stack/layout";
import { containersFor } from "../../components/stack/steps";
import { clouds } from "../../providers";
import { composeModel, GATEWAY_TOKEN, materialise, Rendered, SMALL } from "../renderedStack";
import { shellcheckBash } from "./tools";

const SECOND: Gateway = {
    name: "gateway-team",
    container: "openclaw-gateway-team",
    port: 18790,
    stateVolume: "openclaw-state-team",
    backupFolder: "state-team",
    configDir: `${STACK_DIR}/config/gateway-team`,
    configFile: `${STACK_DIR}/config/gateway-team/openclaw.json`,
    memoryShare: 0.4,
    env: { token: "OPENCLAW_GATEWAY_TEAM_TOKEN", telegramToken: "TELEGRAM_TEAM_BOT_TOKEN" },
    tokenSecret: "gateway-team-token",
    telegram: false,
};

describe("a second gateway, added as data (Docker Compose, ShellCheck)", function () {
    this.timeout(120_000);
    const list = GATEWAYS as Gateway[];
    const first = list[0];
    let rendered: Rendered;
    let model: any;

    const share = first as { memoryShare: number };

    before(async () => {
        share.memoryShare = 0.6;
        list.push(SECOND);
        rendered = await materialise(true, { mode: "none" }, clouds.hetzner.catalog.serverTypes.cx33);
        model = composeModel(rendered.dir);
    });
    after(() => {
        share.memoryShare = 1;
        list.splice(1);
    });

    it("runs both gateways in compose, each with its own port on the loopback, state volume, config directory and token", () => {
        for (const gateway of [PRIMARY_GATEWAY, SECOND]) {
            const service = model.services[gateway.name];
            assert.ok(service, `compose has no ${gateway.name} service`);
            assert.strictEqual(service.container_name, gateway.container);
            assert.deepStrictEqual(service.ports.map((p: any) => [p.host_ip, p.published, p.target]), [["127.0.0.1", String(gateway.port), gateway.port]]);
            const mounts = Object.fromEntries(service.volumes.map((v: any) => [v.target, v.source]));
            assert.strictEqual(mounts["/home/node/.openclaw"], gateway.stateVolume);
            assert.strictEqual(mounts["/etc/openclaw"], `${rendered.dir}${gateway.configDir.slice(STACK_DIR.length)}`);
            assert.ok(model.volumes[gateway.stateVolume], `no ${gateway.stateVolume} volume`);
        }
        assert.strictEqual(model.services[PRIMARY_GATEWAY.name].environment.OPENCLAW_GATEWAY_TOKEN, GATEWAY_TOKEN);
        assert.strictEqual(model.services[SECOND.name].environment[SECOND.env.token], `${GATEWAY_TOKEN}-${SECOND.name}`);
        assert.ok(!(PRIMARY_GATEWAY.env.token in model.services[SECOND.name].environment), "the second gateway sees the first one's token");
        assert.ok(!(SECOND.env.telegramToken in model.services[SECOND.name].environment), "the Telegram bot belongs to the first gateway only");
    });

    it("gives each gateway its share of the memory, both above the floor, within the stack's budget", () => {
        const limits = stackLimits(clouds.hetzner.catalog.serverTypes.cx33);
        const memory = (name: string) => limits.gateways[name].memoryMiB;
        assert.ok(memory(PRIMARY_GATEWAY.name) >= GATEWAY_MIN_MEMORY_MIB && memory(SECOND.name) >= GATEWAY_MIN_MEMORY_MIB);
        assert.ok(memory(PRIMARY_GATEWAY.name) > memory(SECOND.name), "the shares are 0.6 and 0.4");
        const total = [...Object.values(limits.gateways), ...Object.values(limits.services)].reduce((sum, l) => sum + l.memoryMiB, 0);
        assert.ok(total <= limits.budgetMiB, `${total} MiB over the budget of ${limits.budgetMiB}`);
        assert.throws(() => stackLimits(SMALL), /A server with 4096 MiB of memory leaves the gateway \d+ MiB; it needs at least 1536 MiB/, "4 GB is too small for two");
    });

    it("writes both configs, each with its own port, and checks both gateways after the stack is up; ShellCheck accepts every step", () => {
        const names = rendered.steps.map((step) => step.name);
        assert.ok(names.includes("gateway-config") && names.includes("gateway-team-config"), names.join(", "));
        assert.strictEqual(JSON.parse(rendered.files.gatewayConfigs[SECOND.name]).gateway.port, SECOND.port);
        assert.strictEqual(JSON.parse(rendered.files.gatewayConfigs[SECOND.name]).gateway.auth.token.id, SECOND.env.token);
        const verify = rendered.steps.find((step) => step.name === "stack-verify")!.script;
        for (const gateway of [PRIMARY_GATEWAY, SECOND]) {
            assert.ok(verify.includes(`sudo docker exec ${gateway.container} node -e`), `stack-verify does not check ${gateway.container}`);
            assert.ok(verify.includes(`http://127.0.0.1:${gateway.port}/healthz`));
        }
        assert.deepStrictEqual(containersFor("none").slice(0, 2), [PRIMARY_GATEWAY.container, SECOND.container]);
        for (const step of rendered.steps) {
            const result = shellcheckBash(step.name, step.script);
            assert.strictEqual(result.status, 0, `${step.name}:\n${result.output}`);
        }
    });

    it("gives the backup command both gateways, each with its folder in the archive", () => {
        const script = renderBackupScript();
        assert.match(script, /^readonly GATEWAYS='openclaw-gateway:openclaw-state:state openclaw-gateway-team:openclaw-state-team:state-team'$/m);
        const result = shellcheckBash("openclaw-backup", script);
        assert.strictEqual(result.status, 0, result.output);
    });
});
