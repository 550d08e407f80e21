// Boots one VM for the whole e2e run (mocha root hooks) and runs the program's first deploy steps
// against it exactly as the Pulumi commands would. The target is a cloud's server, booted from the
// program's own user data; or, with OPENCLAW_E2E_TARGET=existing, a server as its operator has it
// (a root key on port 22, nothing else), hardened over SSH by the program's commands for cloud existing.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostPlan } from "../../cloud-init/hostPlan";
import { FIRST_LOGIN_LISTENER } from "../../cloud-init/sshHardening";
import { renderCloudConfig } from "../../cloud-init/userData";
import { existingServerCommands } from "../../providers/existing";
import { quickstartConfig } from "../engine/quickstart";
import { hostAccessScript, renderAuthorizedKeys } from "../../components/hostAccess";
import { hostReadyScript } from "../../components/hostReady";
import { parseSettings, Settings } from "../../components/settings";
import { GATEWAYS } from "../../components/stack/gateways";
import { rawConfig, SECRET_KEYS, TEST_LLM_KEYS, TEST_TELEGRAM_TOKEN } from "../fixtures";
import { CommandResult, ensureImage, GuestPanicked, Vm } from "./vm";
import { ensureImages, StandInImages } from "./images";
import { startLoadingImages } from "./loadImages";
import { PAGE_HOSTS, WORLD_GUEST_ADDRESS, WORLD_ADDRESS, WORLD_NETWORK } from "./world";
import { startWorldProcess, WorldClient } from "./worldProcess";

/** QEMU's user network NATs the host to this address: the only admin the guest should accept. */
export const QEMU_HOST_ADDRESS = "10.0.2.2";

/** Which host the run hardens: a cloud's (from user data), or an existing server (over SSH). */
export const E2E_TARGET: "cloud" | "existing" = process.env.OPENCLAW_E2E_TARGET === "existing" ? "existing" : "cloud";

/** The bot's owner (telegramOwnerId) and a sender who is not, as the Telegram stand-in's users. */
export const TELEGRAM_OWNER = { id: 700100200, firstName: "Owner" } as const;
export const TELEGRAM_STRANGER = { id: 700300400, firstName: "Stranger" } as const;

/**
 * Whether this run deploys the whole stack (running.spec.ts): the stand-in images and the world's
 * stand-ins come with it. Set OPENCLAW_E2E_STACK=1 (cloud target).
 */
export const E2E_STACK = process.env.OPENCLAW_E2E_STACK === "1" && E2E_TARGET === "cloud";

/** What the whole-stack run adds: a Telegram bot and its owner, a page to fetch, a budget and a rate to spend. */
const WHOLE_STACK_CONFIG = {
    "openclaw:telegramBotToken": TEST_TELEGRAM_TOKEN,
    "openclaw:telegramOwnerId": String(TELEGRAM_OWNER.id),
    "openclaw:egressDomains": JSON.stringify([PAGE_HOSTS.allowed]),
    // The first model has a budget, the second a request rate: the whole-stack test spends both.
    "openclaw:models": JSON.stringify([
        { name: "claude-sonnet-4-5", model: "anthropic/claude-sonnet-4-5", apiKeyEnv: "ANTHROPIC_API_KEY", maxBudgetUsd: 1 },
        { name: "claude-haiku-4-5", model: "anthropic/claude-haiku-4-5", apiKeyEnv: "ANTHROPIC_API_KEY", rpm: 3 },
    ]),
};

/** The test stack: Debian 13 (the default), the distribution's Docker (the only source reachable here). */
export const E2E_CONFIG = {
    "openclaw:cloud": "hetzner",
    "openclaw:adminCidrs": JSON.stringify([`${QEMU_HOST_ADDRESS}/32`]),
    "openclaw:dockerSource": "distro",
    "openclaw:ingress": "none",
    "openclaw:llmApiKeys": JSON.stringify({ ANTHROPIC_API_KEY: TEST_LLM_KEYS.ANTHROPIC_API_KEY }),
    ...(E2E_STACK ? WHOLE_STACK_CONFIG : {}),
};

/** What the existing server's first login and hardening printed, run as the program's commands run. */
export interface ExistingServerRun {
    /** The first login's command as a user without sudo: refused before anything changed. */
    readonly withoutSudo: CommandResult;
    /** After those refusals (without sudo, too small): no deploy user and no extra sshd listener existed. */
    readonly untouchedAfterRefusal: boolean;
    /** The first login's command for a serverType bigger than the VM (4vcpu-8gb), as root: refused. */
    readonly tooSmall: CommandResult;
    readonly firstLogin: CommandResult;
    readonly hardening: CommandResult;
    /** The commands themselves, to run again. */
    readonly commands: { readonly firstLogin: string; readonly hardening: string };
    /** root's key for port 22, the operator's first login. */
    readonly rootKey: string;
}

export interface E2eContext {
    readonly target: typeof E2E_TARGET;
    readonly vm: Vm;
    readonly settings: Settings;
    /** The test's deploy key, as the program's own would be in the user data. */
    readonly deployPublicKey: string;
    /** The first deploy step's result, run over SSH as the Pulumi command runs it. */
    readonly hostReady: CommandResult;
    /** The second step's (host-access), run the same way. */
    readonly hostAccess: CommandResult;
    /** Seconds from VM start until hardened SSH answered and cloud-init was done. */
    readonly bootToReadySeconds: number;
    /** Set when the target is an existing server. */
    readonly existing?: ExistingServerRun;
    /** The stand-ins for the world outside, which the VM reaches at WORLD_ADDRESS (world.ts); with E2E_STACK. */
    readonly world?: WorldClient;
    /** The stand-in images, on a disk the VM has (cloud target: the whole stack runs there). */
    readonly images?: StandInImages;
}

let context: E2eContext | undefined;

export function e2e(): E2eContext {
    if (!context) throw new Error("the e2e VM did not boot; see the beforeAll hook's error");
    return context;
}

const log = (line: string) => console.log(`    [e2e] ${line}`);

export const mochaHooks = {
    async beforeAll(this: Mocha.Context) {
        this.timeout(60 * 60 * 1000);
        const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-e2e-key-"));
        process.once("exit", () => fs.rmSync(keyDir, { recursive: true, force: true }));
        const keyPair = (name: string) => {
            execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `openclaw-e2e-${name}`, "-f", path.join(keyDir, name)]);
            return { file: path.join(keyDir, name), publicKey: fs.readFileSync(path.join(keyDir, `${name}.pub`), "utf8").trim() };
        };
        const deployPublicKey = keyPair("id_ed25519").publicKey;
        const rootKey = E2E_TARGET === "existing" ? keyPair("root") : undefined;
        const settings = rootKey ? await readmeExistingServerSettings(fs.readFileSync(rootKey.file, "utf8")) : parseSettings(rawConfig(E2E_CONFIG, SECRET_KEYS));
        const plan = hostPlan({ hostName: "openclaw-e2e", host: settings.host, deployPublicKey, tunnelPorts: GATEWAYS.map((gateway) => gateway.port) });
        const userData = rootKey ? bareServerUserData(rootKey.publicKey) : renderCloudConfig(plan);

        const image = ensureImage(log);
        const images = E2E_STACK ? ensureImages(log) : undefined;
        const world = E2E_STACK ? await startWorldProcess({ anthropic: TEST_LLM_KEYS.ANTHROPIC_API_KEY, telegramBotToken: TEST_TELEGRAM_TOKEN }, keyDir) : undefined;
        const worldNetwork = world && { resolvConf: world.resolvConf, network: WORLD_NETWORK, address: WORLD_ADDRESS, guestfwdCommand: world.guestfwdCommand };
        // The memory its serverType says: an existing server's preflight checks it, and the stack's
        // limits are sized to it.
        const memoryMiB = settings.host.serverSize?.memoryMiB ?? 4096;
        const start = () => Vm.start({ image, userData, sshPort: settings.host.sshPort, keyDir, memoryMiB, world: worldNetwork, readOnlyDisks: images ? [images.disk] : [] });
        const vm = await startAndWait(start, (started) => (rootKey ? started.waitForFirstLogin(rootKey.file, 40 * 60 * 1000) : started.waitForSsh(40 * 60 * 1000)));
        let existing: ExistingServerRun | undefined;
        if (rootKey) {
            log(`root answers on port 22 after ${Math.round((Date.now() - vm.startedAt) / 1000)} s; hardening over SSH`);
            try {
                existing = hardenOverSsh(vm, rootKey.file, settings, plan);
                await vm.waitForSsh(60 * 1000);
            } catch (error) {
                log(`console tail:\n${vm.consoleTail()}`);
                throw error;
            }
        }
        log(`hardened SSH answers after ${Math.round((Date.now() - vm.startedAt) / 1000)} s; running the host-ready step`);
        const hostReady = vm.ssh(hostReadyScript());
        const bootToReadySeconds = Math.round((Date.now() - vm.startedAt) / 1000);
        const hostAccess = vm.ssh(hostAccessScript(settings.host, sshSources(settings)), { input: renderAuthorizedKeys(deployPublicKey, settings.host.sshPublicKeys) });
        if (world) joinWorldNetwork(vm);
        if (images) startLoadingImages(vm, images);
        context = { target: E2E_TARGET, vm, settings, deployPublicKey, hostReady, hostAccess, bootToReadySeconds, existing, world, images };
    },
    afterAll() {
        context?.vm.stop();
        context?.world?.stop();
    },
};

/**
 * Starts the VM and waits until it `answers`. The guest kernel has, rarely, panicked early in boot
 * under software emulation; a new VM from the same image then boots normally. So a panic gets one
 * new start, said in the log; any other failure, or a second panic, fails the run.
 */
async function startAndWait(start: () => Promise<Vm>, answers: (vm: Vm) => Promise<void>): Promise<Vm> {
    for (let attempt = 1; ; attempt++) {
        const vm = await start();
        log(`VM started; SSH on 127.0.0.1:${vm.sshHostPort} -> the guest's sshPort, port 22 on 127.0.0.1:${vm.port22HostPort}; console ${vm.consoleLog}`);
        try {
            await answers(vm);
            return vm;
        } catch (error) {
            log(`console tail:\n${vm.consoleTail()}`);
            vm.stop();
            if (!(error instanceof GuestPanicked) || attempt === 2) throw error;
            log("the guest kernel panicked (software emulation); starting a new VM, once");
        }
    }
}

/**
 * The VM's second card, on the stand-ins' network (world.ts), where a datacenter's private network
 * would be: an address and its on-link route, nothing else (no default route, no NAT rule).
 */
function joinWorldNetwork(vm: Vm): void {
    vm.sudo(`sh -c 'ip address add ${WORLD_GUEST_ADDRESS}/${WORLD_NETWORK.split("/")[1]} dev eth1 && ip link set eth1 up'`);
}

/** The SSH sources host-access gives UFW: none on a cloud (its firewall filters), `adminCidrs` on an existing server. */
export function sshSources(settings: Settings): readonly string[] | undefined {
    return settings.cloud === "existing" ? settings.host.adminCidrs : undefined;
}

/**
 * The README's quickstart for a server you already have, followed with the real CLI, with the VM's
 * root key as the operator's ~/.ssh/id_ed25519. Two values differ, for this network: the server is
 * reached at 127.0.0.1 (QEMU forwards its ports there) and admits QEMU's host address; and one line
 * is added, as Docker's repository is out of reach here.
 */
async function readmeExistingServerSettings(rootPrivateKey: string): Promise<Settings> {
    const { values, secretKeys, lines } = await quickstartConfig("A server you already have", {
        privateKey: rootPrivateKey,
        replace: { "203.0.113.10": "127.0.0.1", "203.0.113.7/32": `${QEMU_HOST_ADDRESS}/32` },
        then: ["pulumi config set dockerSource distro"],
    });
    log(`the README's quickstart, as run:\n${lines.map((line) => `      ${line}`).join("\n")}`);
    return parseSettings(rawConfig(values, secretKeys));
}

/** A server as a VPS console hands it over: root's key on port 22, and nothing of this program. */
function bareServerUserData(rootPublicKey: string): string {
    return `#cloud-config
disable_root: false
ssh_pwauth: false
write_files:
  - path: /root/.ssh/authorized_keys
    permissions: "0600"
    content: |
      ${rootPublicKey}
`;
}

/**
 * The program's two commands for cloud existing, run as the command provider runs them (the text
 * as the remote shell's command): first as a user without sudo, which must be refused before any
 * change; then as root on port 22; then the hardening as deploy on sshPort.
 */
function hardenOverSsh(vm: Vm, rootKey: string, settings: Settings, plan: ReturnType<typeof hostPlan>): ExistingServerRun {
    const stackPorts = [settings.host.sshPort, ...GATEWAYS.map((g) => g.port), 80, 443];
    const commands = existingServerCommands(plan, { serverType: settings.host.serverType, stackPorts }, 22);
    // A login without sudo: the operator's own user, made the way a VPS image makes one.
    const made = vm.firstLogin(rootKey, "useradd -m -s /bin/bash plain && install -d -m 0700 -o plain -g plain ~plain/.ssh && install -m 0600 -o plain -g plain ~/.ssh/authorized_keys ~plain/.ssh/");
    if (made.status !== 0) throw new Error(`could not make the user without sudo: ${made.stderr}`);
    const withoutSudo = vm.firstLogin(rootKey, commands.firstLogin, "plain");
    const tooSmall = vm.firstLogin(rootKey, existingServerCommands(plan, { serverType: "4vcpu-8gb", stackPorts }, 22).firstLogin);
    const untouchedAfterRefusal = vm.firstLogin(rootKey, `! id -u deploy 2>/dev/null && ! test -e ${FIRST_LOGIN_LISTENER}`).status === 0;
    const firstLogin = vm.firstLogin(rootKey, commands.firstLogin);
    log(`first login: exit ${firstLogin.status}\n${firstLogin.stdout}${firstLogin.stderr}`);
    if (firstLogin.status !== 0) throw new Error("the first login's command failed");
    const hardening = vm.ssh(commands.hardening, { timeoutMs: 40 * 60 * 1000 });
    log(`hardening as deploy: exit ${hardening.status}\n${hardening.stdout}${hardening.stderr}`);
    if (hardening.status !== 0) throw new Error("the hardening command failed");
    return { withoutSudo, untouchedAfterRefusal, tooSmall, firstLogin, hardening, commands, rootKey };
}
