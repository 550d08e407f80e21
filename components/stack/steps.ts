// The stack's deploy steps, as data: `OpenClawStack` maps each to a remote command run as `deploy`
// on the hardened SSH port, and the VM test runs the same scripts over plain SSH.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { DeployStep } from "../deployStep";
import { GATEWAY_UID, PORTS, SERVICES, STACK_DIR, STACK_FILES } from "./layout";

/** Every file the stack needs, rendered. The `.env` is secret and arrives as an Output. */
export interface StackFiles {
    readonly compose: string;
    readonly gatewayConfig: string;
    readonly litellmConfig: string;
    readonly egressAcl: string;
    readonly egressDockerfile: string;
    readonly egressMainGo: string;
    readonly env: pulumi.Input<string>;
}

export interface StackStepsInput {
    readonly files: StackFiles;
    /** The server's id: the stack directory records it, so a teardown never touches a newer server. */
    readonly serverId: pulumi.Input<string>;
    /** An allowlisted host the egress check must reach, and one it must be refused. */
    readonly egressProbe: { readonly allowed: string; readonly refused: string };
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A hash of a possibly secret input; stays secret when the input is. */
const hashOf = (input: pulumi.Input<string>): pulumi.Output<string> => pulumi.output(input).apply(sha256);

/** Single-quotes a word for bash. */
export const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

const COMPOSE = `sudo docker compose --project-directory ${STACK_DIR} -f ${STACK_FILES.compose}`;

/** Functions every step's script starts with. */
export const SCRIPT_PRELUDE = `set -euo pipefail

# write_file TARGET MODE OWNER:GROUP, content on standard input; atomic, never echoed.
write_file() {
    local target=$1 mode=$2 owner=$3 tmp
    tmp=$(sudo mktemp "$(dirname "$target")/.deploy.XXXXXX")
    sudo tee "$tmp" >/dev/null
    sudo chown "$owner" "$tmp"
    sudo chmod "$mode" "$tmp"
    sudo mv -f "$tmp" "$target"
    echo "wrote $target"
}

# wait_healthy CONTAINER [SECONDS]: fails with the container's state and last log lines.
wait_healthy() {
    local container=$1 deadline=$((SECONDS + \${2:-300})) status
    while :; do
        status=$(sudo docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$container" 2>/dev/null || echo missing)
        case $status in
            healthy) echo "$container is healthy"; return 0 ;;
            unhealthy | exited | dead | missing) break ;;
        esac
        if [ "$SECONDS" -ge "$deadline" ]; then break; fi
        sleep 3
    done
    echo "$container is $status; its last log lines:" >&2
    sudo docker logs --tail 50 "$container" 2>&1 | sed 's/^/    /' >&2 || true
    return 1
}

# restart_if_running CONTAINER: a changed config file reaches only its own service.
restart_if_running() {
    if sudo docker container inspect "$1" >/dev/null 2>&1; then
        echo "restarting $1"
        sudo docker restart "$1" >/dev/null
        wait_healthy "$1"
    else
        echo "$1 is not running yet; the stack-up step starts it"
    fi
}
`;

const script = (body: string) => `${SCRIPT_PRELUDE}\n${body.trim()}\n`;

const CONTAINERS = Object.values(SERVICES).map((s) => s.container);

/** Node one-liners run inside the gateway's container (it has node, not curl). */
const PROBES = {
    status: `const [url, method] = process.argv.slice(1); fetch(url, { method }).then((r) => console.log(r.status), () => console.log("unreachable"))`,
    connect: `const host = process.argv[1]; const s = require("net").connect(${PORTS.egress}, "${SERVICES.egress.container}", () => s.write("CONNECT " + host + ":443 HTTP/1.1\\r\\nHost: " + host + ":443\\r\\n\\r\\n")); s.once("data", (d) => { console.log(String(d).split(" ")[1]); s.destroy(); }); s.on("error", () => console.log("unreachable")); setTimeout(() => { console.log("timeout"); process.exit(0); }, 20000).unref();`,
};

/**
 * A step that writes one non-secret file from standard input, then runs `then` (a restart of the
 * one service that reads it, or a check); it reruns when, and only when, the content changes.
 */
function fileStep(name: string, target: string, content: string, modeAndOwner: string, then?: string): DeployStep {
    return {
        name,
        script: script(`write_file ${target} ${modeAndOwner}${then ? `\n${then}` : ""}`),
        stdin: content,
        triggers: [sha256(content)],
    };
}

export function stackSteps(input: StackStepsInput): DeployStep[] {
    const { files } = input;
    const envHash = pulumi.secret(hashOf(files.env));
    const egressBuildHash = sha256(files.egressDockerfile + files.egressMainGo);
    const composeHash = sha256(files.compose);
    const gatewayUrl = `http://127.0.0.1:${PORTS.gateway}`;
    const inGateway = (program: string, ...args: string[]) =>
        `sudo docker exec ${SERVICES.gateway.container} node -e ${shellQuote(program)} ${args.map(shellQuote).join(" ")} || echo "no-answer"`;

    return [
        {
            name: "stack-directories",
            script: script(`
sudo install -d -o root -g root -m 0700 ${STACK_DIR} ${STACK_DIR}/config ${STACK_DIR}/build ${STACK_FILES.egressBuildDir}
sudo install -d -o ${GATEWAY_UID} -g ${GATEWAY_UID} -m 0700 ${STACK_FILES.gatewayConfigDir}
write_file ${STACK_FILES.owner} 0600 root:root
`),
            stdin: pulumi.interpolate`${input.serverId}\n`,
            triggers: [input.serverId],
            // pulumi destroy: stop the stack cleanly, keeping its volumes. After a server replacement
            // the static IP leads to the new server, whose owner marker differs: leave it alone.
            delete: pulumi.interpolate`set -u
owner=$(sudo cat ${STACK_FILES.owner} 2>/dev/null || true)
if [ "$owner" != "${input.serverId}" ]; then
    echo "this host's stack belongs to server '$owner', not to this step's server; leaving it running"
    exit 0
fi
if [ -f ${STACK_FILES.compose} ]; then
    ${COMPOSE} down --timeout 60
fi
`,
        },
        {
            name: "stack-secrets",
            script: script(`write_file ${STACK_FILES.env} 0600 root:root`),
            stdin: files.env,
            triggers: [envHash],
        },
        fileStep("gateway-config", STACK_FILES.gatewayConfig, files.gatewayConfig, `0600 ${GATEWAY_UID}:${GATEWAY_UID}`, `restart_if_running ${SERVICES.gateway.container}`),
        fileStep("litellm-config", STACK_FILES.litellmConfig, files.litellmConfig, "0644 root:root", `restart_if_running ${SERVICES.litellm.container}`),
        fileStep("egress-acl", STACK_FILES.egressAcl, files.egressAcl, "0644 root:root", `restart_if_running ${SERVICES.egress.container}`),
        fileStep("egress-dockerfile", STACK_FILES.egressDockerfile, files.egressDockerfile, "0644 root:root"),
        fileStep("egress-main-go", STACK_FILES.egressMainGo, files.egressMainGo, "0644 root:root"),
        // Compose parses the file with the .env before anything is pulled or started.
        fileStep("compose-file", STACK_FILES.compose, files.compose, "0644 root:root", `${COMPOSE} config --quiet\necho "compose file is valid"`),
        {
            name: "egress-image",
            script: script(`${COMPOSE} build --pull ${SERVICES.egress.service}`),
            triggers: [egressBuildHash],
            needsRegistry: true,
        },
        {
            name: "stack-up",
            // up recreates only the services whose definition or secrets changed.
            script: script(`
${COMPOSE} pull --quiet --ignore-buildable
if ! ${COMPOSE} up --detach --remove-orphans --wait --wait-timeout 600; then
    echo "the stack did not become healthy:" >&2
    for container in ${CONTAINERS.join(" ")}; do
        wait_healthy "$container" 1 || true
    done
    exit 1
fi
${COMPOSE} ps
`),
            triggers: [composeHash, envHash, egressBuildHash],
            needsRegistry: true,
        },
        {
            name: "stack-verify",
            script: script(`
fail() { echo "verification failed: $*" >&2; exit 1; }
status=$(${inGateway(PROBES.status, `${gatewayUrl}/healthz`, "GET")})
[ "$status" = 200 ] || fail "/healthz answered $status, not 200"
echo "/healthz answers 200"
status=$(${inGateway(PROBES.status, `${gatewayUrl}/tools/invoke`, "POST")})
[ "$status" = 401 ] || fail "an unauthenticated POST /tools/invoke answered $status, not 401"
echo "an unauthenticated gateway call is refused (401)"
status=$(${inGateway(PROBES.connect, input.egressProbe.allowed)})
[ "$status" = 200 ] || fail "the egress proxy answered $status to CONNECT ${input.egressProbe.allowed}, an allowlisted host"
echo "the egress proxy allows ${input.egressProbe.allowed}"
status=$(${inGateway(PROBES.connect, input.egressProbe.refused)})
[ "$status" != 200 ] || fail "the egress proxy allowed CONNECT ${input.egressProbe.refused}, which is not allowlisted"
echo "the egress proxy refuses ${input.egressProbe.refused} ($status)"
`),
            triggers: [composeHash, envHash, egressBuildHash, sha256(files.gatewayConfig + files.litellmConfig + files.egressAcl)],
            needsRegistry: true,
        },
    ];
}
