// Boots one VM for the whole e2e run (mocha root hooks) from the program's own user data, and
// runs the program's first deploy step against it exactly as the Pulumi command would.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderUserData } from "../../cloud-init/userData";
import { hostAccessScript, renderAuthorizedKeys } from "../../components/hostAccess";
import { hostReadyScript } from "../../components/hostReady";
import { parseSettings, Settings } from "../../components/settings";
import { GATEWAYS } from "../../components/stack/gateways";
import { rawConfig, SECRET_KEYS, TEST_LLM_KEYS } from "../fixtures";
import { CommandResult, ensureImage, Vm } from "./vm";

/** QEMU's user network NATs the host to this address: the only admin the guest should accept. */
export const QEMU_HOST_ADDRESS = "10.0.2.2";

/** The test stack: Debian 13 (the default), the distribution's Docker (the only source reachable here). */
export const E2E_CONFIG = {
    "openclaw:cloud": "hetzner",
    "openclaw:adminCidrs": JSON.stringify([`${QEMU_HOST_ADDRESS}/32`]),
    "openclaw:dockerSource": "distro",
    "openclaw:ingress": "none",
    "openclaw:llmApiKeys": JSON.stringify({ ANTHROPIC_API_KEY: TEST_LLM_KEYS.ANTHROPIC_API_KEY }),
};

export interface E2eContext {
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
        const settings = parseSettings(rawConfig(E2E_CONFIG, SECRET_KEYS));
        const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-e2e-key-"));
        process.once("exit", () => fs.rmSync(keyDir, { recursive: true, force: true }));
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "openclaw-e2e", "-f", path.join(keyDir, "id_ed25519")]);
        const deployPublicKey = fs.readFileSync(path.join(keyDir, "id_ed25519.pub"), "utf8").trim();
        const userData = renderUserData({ hostName: "openclaw-e2e", host: settings.host, deployPublicKey, tunnelPorts: GATEWAYS.map((gateway) => gateway.port) });

        const image = ensureImage(log);
        const vm = await Vm.start({ image, userData, sshPort: settings.host.sshPort, keyDir });
        log(`VM started; SSH on 127.0.0.1:${vm.sshHostPort} -> guest :${settings.host.sshPort}, console ${vm.consoleLog}`);
        try {
            await vm.waitForSsh(40 * 60 * 1000);
        } catch (error) {
            log(`console tail:\n${vm.consoleTail()}`);
            throw error;
        }
        log(`hardened SSH answers after ${Math.round((Date.now() - vm.startedAt) / 1000)} s; running the host-ready step`);
        const hostReady = vm.ssh(hostReadyScript());
        const bootToReadySeconds = Math.round((Date.now() - vm.startedAt) / 1000);
        const hostAccess = vm.ssh(hostAccessScript(settings.host), { input: renderAuthorizedKeys(deployPublicKey, settings.host.sshPublicKeys) });
        context = { vm, settings, deployPublicKey, hostReady, hostAccess, bootToReadySeconds };
    },
    afterAll() {
        context?.vm.stop();
    },
};
