// The day-2 helpers (`npm run ops`) as an operator runs them: in a Pulumi project folder whose
// stack outputs (read by the real CLI) point at the VM, with the test's deploy key as the stack's
// deployPrivateKey secret.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { EngineProject, PULUMI_CLI } from "../engine/pulumiEngine";
import { ROOT } from "../fixtures";
import { e2e } from "./fixture";

export interface OpsResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

let project: EngineProject | undefined;
/** The host key changes with every VM: a known_hosts of the test's own. */
let knownHosts = "";

async function opsProject(): Promise<EngineProject> {
    if (project) return project;
    const { project: created, stack } = await EngineProject.forProgram("openclaw-ops-e2e", "e2e", path.join(ROOT, "test", "engine", "programs", "outputs.ts"));
    process.once("exit", () => created.remove());
    const { vm } = e2e();
    await stack.setAllConfig({
        "check:serverIp": { value: "127.0.0.1" },
        // QEMU forwards this port of the test machine to the guest's sshPort.
        "check:sshCommand": { value: `ssh -p ${vm.sshHostPort} deploy@127.0.0.1` },
        "check:deployPrivateKey": { value: fs.readFileSync(vm.privateKey, "utf8"), secret: true },
    });
    await stack.up({ onOutput: () => undefined });
    knownHosts = path.join(created.dir, "known_hosts");
    project = created;
    return created;
}

/** Runs `npm run --silent ops -- <args>` in the project folder, with no terminal. */
export async function ops(...args: string[]): Promise<OpsResult> {
    const { dir, env } = await opsProject();
    const result = spawnSync(
        "node",
        ["-r", "ts-node/register/transpile-only", path.join(ROOT, "ops", "cli.ts"), "-o", `UserKnownHostsFile=${knownHosts}`, ...args],
        {
            cwd: dir,
            input: "",
            encoding: "utf8",
            timeout: 10 * 60 * 1000,
            env: { ...process.env, ...env, PATH: `${path.dirname(PULUMI_CLI)}:${process.env.PATH}`, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
        },
    );
    return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}
