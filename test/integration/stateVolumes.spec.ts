// The state-volumes deploy step, run by bash as the host runs it, with stand-ins for `sudo` (the
// test runs as root, as the step does through sudo) and Docker (a volume is a directory of a
// scratch tree, as Docker's mount points are; a container is a file holding its configured user).
// chown, chmod and wc are the real ones: what the step does to the files is what a host gets.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DeployStep } from "../../components/deployStep";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { COMPOSE_PROJECT, GATEWAY_GID, GATEWAY_UID, IMAGE_NODE_ID } from "../../components/stack/layout";
import { stackSteps } from "../../components/stack/steps";
import { tempDir } from "../artifacts/tools";
import { ingressStepsFor, maintenanceStepsFor } from "../fixtures";
import { materialise, SMALL } from "../renderedStack";
import { linkToNodesFileOutside } from "./earlierVersion";

const isRoot = process.getuid?.() === 0;
const GATEWAY = PRIMARY_GATEWAY.container;
const OWNER = `${GATEWAY_UID}:${GATEWAY_GID}`;

/** A host in miniature: Docker's volumes and containers under `dir`, every docker call in `log`. */
interface Host {
    readonly dir: string;
    readonly bin: string;
    readonly log: string;
    /** Where the primary gateway's state volume is (or would be). */
    readonly volume: string;
}

function miniHost(): Host {
    const dir = tempDir("state-volumes");
    const bin = path.join(dir, "bin");
    const log = path.join(dir, "docker.log");
    fs.mkdirSync(bin);
    fs.mkdirSync(path.join(dir, "containers"));
    fs.writeFileSync(log, "");
    fs.writeFileSync(path.join(bin, "sudo"), '#!/bin/bash\nexec "$@"\n', { mode: 0o755 });
    fs.writeFileSync(
        path.join(bin, "docker"),
        `#!/bin/bash
set -euo pipefail
printf '%s\\n' "docker $*" >>'${log}'
volume_of() { printf '%s\\n' '${dir}/volumes/'"$1"/_data; }
container_of() { printf '%s\\n' '${dir}/containers/'"$1"; }
case "$1 $2" in
    "container inspect")
        [ "$3 $4" = "--format {{.Config.User}}" ] || { echo "stub: unexpected $*" >&2; exit 2; }
        if [ -f "$(container_of "$5")" ]; then cat "$(container_of "$5")"; else echo "Error: No such container: $5" >&2; exit 1; fi
        ;;
    "volume inspect")
        [ "$3 $4" = "--format {{.Mountpoint}}" ] || { echo "stub: unexpected $*" >&2; exit 2; }
        if [ -d "$(volume_of "$5")" ]; then volume_of "$5"; else echo "Error: No such volume: $5" >&2; exit 1; fi
        ;;
    "volume create")
        # As Docker's local driver makes it: root's, 0755.
        mkdir -p "$(volume_of "\${*: -1}")"
        chmod 0755 "$(volume_of "\${*: -1}")"
        echo "\${*: -1}"
        ;;
    "stop "*) [ -f "$(container_of "$2")" ] || exit 1 ;;
    "rm "*) rm "$(container_of "$2")" ;;
    *) echo "stub: unexpected docker $*" >&2; exit 2 ;;
esac
`,
        { mode: 0o755 },
    );
    return { dir, bin, log, volume: path.join(dir, "volumes", PRIMARY_GATEWAY.stateVolume, "_data") };
}

/** Runs the step's script as the deploy does (bash, nothing on standard input), with the stand-ins first on PATH. */
function runStep(host: Host, step: DeployStep): { status: number | null; stdout: string; output: string } {
    const file = path.join(host.dir, "step.sh");
    fs.writeFileSync(file, step.script);
    const result = spawnSync("/bin/bash", [file], { encoding: "utf8", input: "", env: { PATH: `${host.bin}:/usr/sbin:/usr/bin:/sbin:/bin`, LC_ALL: "C.UTF-8" }, timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

const dockerCalls = (host: Host) => fs.readFileSync(host.log, "utf8").split("\n").filter((line) => line && !/^docker (container|volume) inspect /.test(line));

/** Every entry under `root` (and root itself, as "."): type, mode, numeric owner, and a file's content or a link's target. */
function snapshot(root: string): Record<string, string> {
    const walk = (relative: string): string[] =>
        fs.readdirSync(path.join(root, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
            const name = path.join(relative, entry.name);
            return entry.isDirectory() ? [name, ...walk(name)] : [name];
        });
    const describe = (file: string) => {
        const stat = fs.lstatSync(file);
        const kind = stat.isSymbolicLink() ? `link -> ${fs.readlinkSync(file)}` : stat.isDirectory() ? "dir" : `file ${fs.readFileSync(file, "utf8")}`;
        return `${kind} mode ${(stat.mode & 0o7777).toString(8)} owner ${stat.uid}:${stat.gid}`;
    };
    return Object.fromEntries([".", ...walk("")].map((entry) => [entry, describe(path.join(root, entry))]));
}

describe("the state-volumes step, run by bash with stand-ins for sudo and Docker", function () {
    let step: DeployStep;

    before(async function () {
        if (!isRoot) this.skip();
        const rendered = await materialise(false, { mode: "none" }, SMALL);
        step = rendered.steps.find((s) => s.name === "state-volumes")!;
        assert.ok(step, `no state-volumes step among ${rendered.steps.map((s) => s.name).join(", ")}`);
        // It comes before anything that could start the gateway or restore into its volume.
        const names = stackSteps({ files: rendered.files, serverId: "1", egressProbe: { allowed: "a", refused: "b" }, ingress: ingressStepsFor("none"), maintenance: maintenanceStepsFor("r2", "none") }).map((s) => s.name);
        assert.ok(names.indexOf("state-volumes") < Math.min(names.indexOf("state-restore"), names.indexOf("gateway-config"), names.indexOf("stack-up")), names.join(", "));
    });

    it("on a new server: makes the gateway's state volume, labelled as compose's own, 0700 and the gateway's alone", () => {
        const host = miniHost();
        const result = runStep(host, step);
        assert.strictEqual(result.status, 0, result.output);
        assert.deepStrictEqual(snapshot(host.volume), { ".": `dir mode 700 owner ${OWNER}` });
        assert.deepStrictEqual(dockerCalls(host), [
            `docker volume create --label com.docker.compose.project=${COMPOSE_PROJECT} --label com.docker.compose.volume=${PRIMARY_GATEWAY.stateVolume} ${PRIMARY_GATEWAY.stateVolume}`,
        ]);
        assert.match(result.stdout, new RegExp(`^created the state volume ${PRIMARY_GATEWAY.stateVolume}\\nthe state volume ${PRIMARY_GATEWAY.stateVolume} belongs to ${OWNER}$`, "m"));
    });

    describe("on a stack an earlier version deployed: its gateway running as the image's node, the volume node's", () => {
        let host: Host;
        let outside: string;
        let earlier: Record<string, string>;
        let first: ReturnType<typeof runStep>;

        before(function () {
            host = miniHost();
            fs.writeFileSync(path.join(host.dir, "containers", GATEWAY), `${IMAGE_NODE_ID}:${IMAGE_NODE_ID}\n`);
            const files: [string, string, number, number][] = [
                ["openclaw.json", "{}\n", IMAGE_NODE_ID, IMAGE_NODE_ID],
                ["agents/main/sessions/one.jsonl", "{\"turn\":1}\n", IMAGE_NODE_ID, IMAGE_NODE_ID],
                ["credentials/telegram-allowFrom.json", "[424242]\n", IMAGE_NODE_ID, IMAGE_NODE_ID],
                ["root-owned.txt", "root\n", 0, 0],
                ["foreign.txt", "another id\n", 1001, 1002],
                ["group-only.txt", "node's group\n", 0, IMAGE_NODE_ID],
            ];
            for (const [name, content, uid, gid] of files) {
                const file = path.join(host.volume, name);
                fs.mkdirSync(path.dirname(file), { recursive: true });
                fs.writeFileSync(file, content, { mode: 0o600 });
                fs.lchownSync(file, uid, gid);
            }
            for (const dir of [".", "agents", "agents/main", "agents/main/sessions", "credentials"]) fs.lchownSync(path.join(host.volume, dir), IMAGE_NODE_ID, IMAGE_NODE_ID);
            fs.chmodSync(host.volume, 0o755);
            // A link to a file of node's outside the volume: on a host, a login's file.
            outside = linkToNodesFileOutside(host.volume, "link", tempDir("outside"));
            earlier = snapshot(host.volume);
            first = runStep(host, step);
        });

        it("removes the container that runs as node, saying so: the config step cannot restart it into a config it no longer reads, and stack-up makes it anew", () => {
            assert.strictEqual(first.status, 0, first.output);
            assert.deepStrictEqual(dockerCalls(host), [`docker stop ${GATEWAY}`, `docker rm ${GATEWAY}`]);
            assert.ok(!fs.existsSync(path.join(host.dir, "containers", GATEWAY)));
            assert.match(first.stdout, new RegExp(`^removing ${GATEWAY}, which runs as ${IMAGE_NODE_ID}:${IMAGE_NODE_ID}; stack-up creates it again as ${OWNER}$`, "m"));
        });

        it("gives node's files, and only those, to the gateway: every other owner, mode, byte and link as it was, the link's target outside untouched", () => {
            const ours = (described: string) =>
                described.replace(` owner ${IMAGE_NODE_ID}:${IMAGE_NODE_ID}`, ` owner ${OWNER}`).replace(` owner 0:${IMAGE_NODE_ID}`, ` owner 0:${GATEWAY_GID}`);
            const expected = Object.fromEntries(Object.entries(earlier).map(([entry, described]) => [entry, ours(described)]));
            assert.deepStrictEqual(snapshot(host.volume), expected);
            assert.match(expected["root-owned.txt"], / owner 0:0$/);
            assert.match(expected["foreign.txt"], / owner 1001:1002$/);
            const target = fs.statSync(outside);
            assert.deepStrictEqual([target.uid, target.gid], [IMAGE_NODE_ID, IMAGE_NODE_ID], "the step changed the owner of a file outside the volume, through a link");
            // ., agents, agents/main, agents/main/sessions, credentials, three files and the link.
            assert.match(first.stdout, new RegExp(`^the state volume ${PRIMARY_GATEWAY.stateVolume}: 9 files of uid ${IMAGE_NODE_ID} \\(the image's node\\) given to uid ${GATEWAY_UID}$`, "m"));
        });

        it("run again, with the gateway running as its own uid: changes nothing and leaves the container alone", () => {
            const after = snapshot(host.volume);
            fs.writeFileSync(path.join(host.dir, "containers", GATEWAY), `${OWNER}\n`);
            const from = dockerCalls(host).length;
            const again = runStep(host, step);
            assert.strictEqual(again.status, 0, again.output);
            assert.deepStrictEqual(snapshot(host.volume), after);
            assert.deepStrictEqual(dockerCalls(host).slice(from), []);
            assert.strictEqual(again.stdout.trim(), `the state volume ${PRIMARY_GATEWAY.stateVolume} belongs to ${OWNER}`);
        });
    });
});
