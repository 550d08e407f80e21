// The stack's deploy steps on the VM: every step that needs no registry runs exactly as the
// Pulumi commands run it (same scripts, secrets on standard input), then the host is inspected.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { renderEnvFile } from "../../components/stack/envFile";
import { renderStackFiles } from "../../components/stack/files";
import { COMPOSE_PROJECT, GATEWAY_GID, GATEWAY_UID, STACK_DIR, STACK_FILES } from "../../components/stack/layout";
import { DeployStep } from "../../components/deployStep";
import { stackSteps } from "../../components/stack/steps";
import { ingressStepsFor, maintenanceStepsFor, TEST_LLM_KEYS } from "../fixtures";
import { e2e } from "./fixture";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";

const SERVER_ID = "e2e-server-1";
const SECRETS = {
    OPENCLAW_GATEWAY_TOKEN: "e2e-gateway-token-0123456789abcdefghijkl",
    LITELLM_MASTER_KEY: "sk-e2e-master-key-0123456789abcdefghijkl",
    ANTHROPIC_API_KEY: TEST_LLM_KEYS.ANTHROPIC_API_KEY,
};

const resolve = (input: pulumi.Input<string>) => new Promise<string>((done) => pulumi.output(input).apply(done));

describe("the stack's deploy steps (Debian 13 VM)", () => {
    let steps: DeployStep[];
    let files: ReturnType<typeof renderStackFiles>;
    const env = renderEnvFile(SECRETS);
    const outputs: Record<string, string> = {};

    before(async function () {
        this.timeout(15 * 60 * 1000);
        const { settings, vm } = e2e();
        files = renderStackFiles({ ...settings.app, telegram: false }, settings.ingress, settings.host.serverSize);
        steps = stackSteps({ files: { ...files, env }, serverId: SERVER_ID, egressProbe: { allowed: "api.anthropic.com", refused: "example.com" }, ingress: ingressStepsFor(settings.ingress.mode), maintenance: maintenanceStepsFor("none", settings.ingress.mode) });
        for (const step of steps.filter((s) => !s.needsRegistry)) {
            const result = vm.ssh(step.script, { input: step.stdin === undefined ? undefined : await resolve(step.stdin) });
            assert.strictEqual(result.status, 0, `step ${step.name} failed:\n${result.stdout}${result.stderr}`);
            outputs[step.name] = result.stdout;
        }
    });

    /** `owner:group mode` of a path on the VM. */
    const stat = (path: string) => e2e().vm.sudo(`stat -c '%U:%G %a' ${path}`).trim();
    const contents = (path: string) => e2e().vm.sudo(`cat ${path}`);

    it("creates the stack directory for root alone, and the gateway's config directory for its uid alone", () => {
        for (const dir of [STACK_DIR, `${STACK_DIR}/config`, `${STACK_DIR}/build`, STACK_FILES.egressBuildDir]) {
            assert.strictEqual(stat(dir), "root:root 700", dir);
        }
        // The gateway's uid and gid belong to no account or group of the host.
        assert.strictEqual(e2e().vm.sudo(`stat -c '%u:%g %a' ${PRIMARY_GATEWAY.configDir}`).trim(), `${GATEWAY_UID}:${GATEWAY_GID} 700`);
        assert.strictEqual(e2e().vm.ssh(`getent passwd ${GATEWAY_UID} || getent group ${GATEWAY_GID}`).stdout, "", "the host has an account or a group with the gateway's id");
    });

    it("makes the gateway's state volume before compose could, its uid's alone, labelled as compose's own", () => {
        const { vm } = e2e();
        const volume = vm.sudo(`docker volume inspect --format '{{.Mountpoint}}' ${PRIMARY_GATEWAY.stateVolume}`).trim();
        assert.strictEqual(vm.sudo(`stat -c '%u:%g %a' ${volume}`).trim(), `${GATEWAY_UID}:${GATEWAY_GID} 700`);
        const labels = JSON.parse(vm.sudo(`docker volume inspect --format '{{json .Labels}}' ${PRIMARY_GATEWAY.stateVolume}`));
        assert.deepStrictEqual(labels, { "com.docker.compose.project": COMPOSE_PROJECT, "com.docker.compose.volume": PRIMARY_GATEWAY.stateVolume });
        assert.match(outputs["state-volumes"], new RegExp(`^created the state volume ${PRIMARY_GATEWAY.stateVolume}$`, "m"));
    });

    it("writes the secrets to .env, mode 0600, exactly as rendered, and never echoes them", () => {
        assert.strictEqual(stat(STACK_FILES.env), "root:root 600");
        assert.strictEqual(contents(STACK_FILES.env), env);
        const printed = Object.values(outputs).join("\n");
        for (const secret of Object.values(SECRETS)) assert.ok(!printed.includes(secret), "a step printed a secret");
        const journal = e2e().vm.sudo("journalctl --no-pager -o cat");
        for (const secret of Object.values(SECRETS)) assert.ok(!journal.includes(secret), "a secret reached the journal");
    });

    it("writes every config file with its owner and mode, byte for byte", () => {
        const expected: [string, string, string][] = [
            [STACK_FILES.litellmConfig, files.litellmConfig, "root:root 644"],
            [STACK_FILES.egressAcl, files.egressAcl, "root:root 644"],
            [STACK_FILES.egressDockerfile, files.egressDockerfile, "root:root 644"],
            [STACK_FILES.egressMainGo, files.egressMainGo, "root:root 644"],
            [STACK_FILES.egressGoMod, files.egressGoMod, "root:root 644"],
            [STACK_FILES.egressGoSum, files.egressGoSum, "root:root 644"],
            [STACK_FILES.compose, files.compose, "root:root 644"],
        ];
        for (const [path, content, mode] of expected) {
            assert.strictEqual(stat(path), mode, path);
            assert.strictEqual(contents(path), content, path);
        }
        assert.strictEqual(e2e().vm.sudo(`stat -c '%u:%g %a' ${PRIMARY_GATEWAY.configFile}`).trim(), `${GATEWAY_UID}:${GATEWAY_GID} 600`);
        assert.strictEqual(contents(PRIMARY_GATEWAY.configFile), files.gatewayConfigs[PRIMARY_GATEWAY.name]);
        assert.strictEqual(contents(STACK_FILES.owner), `${SERVER_ID}\n`);
    });

    it("has the host's Docker Compose accept the compose file with the .env", () => {
        assert.match(outputs["compose-file"], /compose file is valid/);
        const services = e2e().vm.sudo(`docker compose --project-directory ${STACK_DIR} config --services`).trim().split("\n").sort();
        assert.deepStrictEqual(services, ["egress", "gateway", "litellm", "redis"]);
    });

    it("leaves no temporary files behind and can run again with the same result", async () => {
        const { vm } = e2e();
        for (const step of steps.filter((s) => !s.needsRegistry)) {
            const result = vm.ssh(step.script, { input: step.stdin === undefined ? undefined : await resolve(step.stdin) });
            assert.strictEqual(result.status, 0, `${step.name} failed on its second run:\n${result.stderr}`);
        }
        assert.strictEqual(vm.sudo(`find ${STACK_DIR} -name '.deploy.*'`).trim(), "");
        assert.strictEqual(contents(STACK_FILES.env), env);
        assert.match(outputs["litellm-config"], /openclaw-litellm is not running yet; the stack-up step starts it/);
    });

    it("on destroy, leaves a stack that belongs to another server alone, and stops its own", async () => {
        const { vm } = e2e();
        const teardown = steps.find((s) => s.delete)!;
        const foreign = stackSteps({ files: { ...files, env }, serverId: "another-server", egressProbe: { allowed: "a", refused: "b" }, ingress: ingressStepsFor("none"), maintenance: maintenanceStepsFor("none", "none") })[0];
        const skipped = vm.ssh(await resolve(foreign.delete!));
        assert.strictEqual(skipped.status, 0, skipped.stderr);
        assert.match(skipped.stdout, /belongs to server 'e2e-server-1', not to this step's server; leaving it running/);
        const own = vm.ssh(await resolve(teardown.delete!));
        assert.strictEqual(own.status, 0, own.stderr);
        assert.doesNotMatch(own.stdout, /leaving it running/);
    });
});
