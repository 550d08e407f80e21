// `pulumi destroy` on a server the operator keeps (cloud existing), on the VM: the stack's steps
// that need no registry run as the Pulumi commands run them; then every step's delete runs in the
// order the engine deletes them (each step depends on the one before, so the last goes first, and
// the teardown, the first step, goes last). The state-volumes step made the gateway's data volume,
// which destroy keeps. What is left on the disk is reported; a second deploy
// onto the same server then starts with the first login as deploy, with the operator's key.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { HOST_PATHS } from "../../cloud-init/paths";
import { DeployStep } from "../../components/deployStep";
import { TUNNEL_TOKEN_ENV } from "../../components/stack/compose";
import { renderEnvFile } from "../../components/stack/envFile";
import { renderStackFiles } from "../../components/stack/files";
import { GATEWAYS } from "../../components/stack/gateways";
import { stackSteps } from "../../components/stack/steps";
import { TEARDOWN_STEP } from "../../components/stack/teardown";
import { existingServerCommands, FIRST_LOGIN_PROBE_SCRIPT } from "../../providers/existing";
import { hostPlan } from "../../cloud-init/hostPlan";
import { DEPLOY_SUDOERS } from "../../cloud-init/sshHardening";
import { ingressStepsFor, maintenanceStepsFor, ROOT, TEST_BACKUP_IDENTITY, TEST_LLM_KEYS } from "../fixtures";
import { CommandResult } from "./vm";
import { e2e } from "./fixture";

const FIRST_LOGIN_ID = "e2e-first-login";
const secrets: Record<string, string> = {
    OPENCLAW_GATEWAY_TOKEN: "e2e-destroy-gateway-token-0123456789abcdefgh",
    LITELLM_MASTER_KEY: "sk-e2e-destroy-master-key-0123456789abcdefgh",
    ANTHROPIC_API_KEY: TEST_LLM_KEYS.ANTHROPIC_API_KEY,
};

const resolve = (input: pulumi.Input<string>) => new Promise<string>((done) => pulumi.output(input).apply(done));

/** What the hardening itself puts on a host (it stays): its files, their folders, and the deploy user's sudo rule. */
function hardeningPaths(): string[] {
    const files = Object.values(HOST_PATHS);
    return [...files, ...files.map((file) => path.dirname(file)), DEPLOY_SUDOERS];
}

describe("pulumi destroy on a server you already have (cloud existing)", () => {
    let steps: DeployStep[];
    const removed: Record<string, CommandResult> = {};

    before(async function () {
        this.timeout(20 * 60 * 1000);
        const { settings, vm, deployPublicKey } = e2e();
        const files = renderStackFiles({ ...settings.app, telegram: false }, settings.ingress, settings.host.serverSize);
        // The README's stack has a Cloudflare Tunnel, whose token the .env carries too.
        if (settings.ingress.mode === "tunnel") secrets[TUNNEL_TOKEN_ENV] = "e2e-destroy-tunnel-token-0123456789abcdefgh";
        steps = stackSteps({
            files: { ...files, env: renderEnvFile(secrets) },
            serverId: `${FIRST_LOGIN_ID}/e2e`,
            keptServer: { serverId: FIRST_LOGIN_ID, deployPublicKey },
            egressProbe: { allowed: "api.anthropic.com", refused: "example.com" },
            ingress: ingressStepsFor(settings.ingress.mode),
            maintenance: maintenanceStepsFor("none", settings.ingress.mode),
        });
        for (const step of steps.filter((s) => !s.needsRegistry)) {
            const result = vm.ssh(step.script, { input: step.stdin === undefined ? undefined : await resolve(step.stdin) });
            assert.strictEqual(result.status, 0, `step ${step.name} failed:\n${result.stdout}${result.stderr}`);
        }
        // pulumi destroy: the steps' deletes, last step first. The connection stays open throughout,
        // as the engine's would within one delete; later checks reuse it.
        for (const step of [...steps].reverse().filter((s) => s.delete !== undefined)) {
            removed[step.name] = vm.ssh(await resolve(step.delete!));
        }
    });

    it("the teardown ran last and succeeded, saying what it left and how to remove it", () => {
        assert.deepStrictEqual(Object.keys(removed).pop(), TEARDOWN_STEP);
        const teardown = removed[TEARDOWN_STEP];
        assert.strictEqual(teardown.status, 0, teardown.stdout + teardown.stderr);
        assert.match(teardown.stdout, /left on this server: the hardening, and the gateways' data in the Docker volume\(s\) openclaw-state \(remove with: sudo docker volume rm openclaw-state\)/);
    });

    it("neither a file on the disk nor its free blocks hold one of the stack's secrets (the .env's, the backup identity)", function () {
        this.timeout(20 * 60 * 1000);
        const values = [...Object.values(secrets), TEST_BACKUP_IDENTITY];
        // The patterns go to a file in memory (/dev/shm), never on a command line sudo would log;
        // the files searched are the root filesystem's (-xdev), then the disk itself, block by block.
        const found = e2e().vm.ssh(
            `umask 077; cat >/dev/shm/patterns; sudo find / -xdev -type f -print0 | sudo xargs -0 grep -lF -f /dev/shm/patterns -- 2>/dev/null; echo "blocks: $(sudo grep -caF -f /dev/shm/patterns /dev/vda || true)"; shred -u /dev/shm/patterns`,
            { input: `${values.join("\n")}\n`, timeoutMs: 20 * 60 * 1000 },
        );
        assert.strictEqual(found.stdout.trim(), "blocks: 0", `files or disk blocks holding a secret:\n${found.stdout}${found.stderr}`);
    });

    it("no unit, timer, container, network, image or volume of the stack is left, but the gateways' data", () => {
        const { vm } = e2e();
        // systemctl exits 1 when no unit matches: what it lists is the answer.
        assert.strictEqual(vm.ssh("systemctl list-unit-files --no-legend 'openclaw-*'").stdout.trim(), "");
        assert.strictEqual(vm.ssh("systemctl list-timers --all --no-legend 'openclaw-*'").stdout.trim(), "");
        assert.strictEqual(vm.sudo("docker ps -aq --filter label=com.docker.compose.project=openclaw").trim(), "");
        assert.strictEqual(vm.sudo("docker network ls -q --filter label=com.docker.compose.project=openclaw").trim(), "");
        assert.deepStrictEqual(vm.sudo("docker volume ls -q").trim().split("\n"), GATEWAYS.map((g) => g.stateVolume));
        assert.strictEqual(vm.sudo("iptables -S DOCKER-USER").includes("OPENCLAW"), false, "DOCKER-USER still jumps to our chain");
    });

    it("leaves nothing of ours on the disk but the hardening and the gateways' data (reported)", () => {
        // cloud-init's folder named after the test VM's own instance id (openclaw-e2e) is not ours.
        const left = e2e().vm.sudo("find / -xdev -name '*openclaw*' -not -path '/var/lib/cloud/*' | sort").trim().split("\n").filter(Boolean);
        console.log(`      left on the disk: ${left.join(", ")}`);
        const allowed = hardeningPaths();
        const dataVolumes = GATEWAYS.map((g) => `/var/lib/docker/volumes/${g.stateVolume}`);
        assert.deepStrictEqual(left.filter((entry) => !allowed.includes(entry) && !dataVolumes.some((dir) => entry.startsWith(dir))), []);
    });

    it("the program's deploy key no longer gets in; the operator's key (sshPublicKeys) still does", () => {
        const { vm, existing } = e2e();
        assert.notStrictEqual(vm.attempt("deploy", []).status, 0, "the deploy key still logs in");
        assert.strictEqual(vm.attempt("deploy", [], "true", existing!.rootKey).status, 0, "the operator's key no longer logs in as deploy");
    });

    it("a first login that cannot reach an SSH server fails within seconds, naming the address, port and user and what to check", () => {
        const { vm, settings } = e2e();
        const started = Date.now();
        const probe = spawnSync(process.execPath, [path.join(ROOT, FIRST_LOGIN_PROBE_SCRIPT), "127.0.0.1", String(vm.port22HostPort), "root", String(settings.host.sshPort)], { encoding: "utf8", timeout: 60_000 });
        const seconds = (Date.now() - started) / 1000;
        assert.strictEqual(probe.status, 1, probe.stdout + probe.stderr);
        assert.ok(seconds < 15, `${seconds} s`);
        assert.match(probe.stderr, new RegExp(`^openclaw first login: .* at 127\\.0\\.0\\.1 port ${vm.port22HostPort}, where the program would log in as root\\. .*set firstLoginUser to deploy, firstLoginPort to ${settings.host.sshPort}`));
        const hardened = spawnSync(process.execPath, [path.join(ROOT, FIRST_LOGIN_PROBE_SCRIPT), "127.0.0.1", String(vm.sshHostPort), "deploy", String(settings.host.sshPort)], { encoding: "utf8", timeout: 60_000 });
        assert.strictEqual(hardened.status, 0, hardened.stdout + hardened.stderr);
    });

    it("a second deploy onto this server: the first login as deploy on sshPort with the operator's key, then the hardening and the host steps", function () {
        this.timeout(30 * 60 * 1000);
        const { vm, settings, existing, deployPublicKey } = e2e();
        const plan = hostPlan({ hostName: "openclaw-e2e", host: settings.host, deployPublicKey, tunnelPorts: GATEWAYS.map((g) => g.port) });
        const stackPorts = [settings.host.sshPort, ...GATEWAYS.map((g) => g.port), 80, 443];
        const commands = existingServerCommands(plan, { serverType: settings.host.serverType, stackPorts }, settings.host.sshPort);
        const login = spawnSync("ssh", [...vm.sshArgs("deploy", [], existing!.rootKey), commands.firstLogin], { encoding: "utf8", timeout: 20 * 60 * 1000 });
        assert.strictEqual(login.status, 0, `the first login as deploy failed:\n${login.stdout}${login.stderr}`);
        const hardening = spawnSync("ssh", [...vm.sshArgs("deploy"), commands.hardening], { encoding: "utf8", timeout: 20 * 60 * 1000 });
        assert.strictEqual(hardening.status, 0, `the hardening failed:\n${hardening.stdout}${hardening.stderr}`);
        assert.strictEqual(vm.attempt("deploy", []).status, 0, "the program's deploy key gets in again");
    });
});
