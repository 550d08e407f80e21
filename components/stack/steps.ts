// The stack's deploy steps, as data: `OpenClawStack` maps each to a remote command run as `deploy`
// on the hardened SSH port, and the VM test runs the same scripts over plain SSH.
import * as pulumi from "@pulumi/pulumi";
import { readScriptFile } from "../../cloud-init/scriptFile";
import { DeployStep } from "../deployStep";
import { contentTrigger, hashTrigger, plainTrigger, sha256, Trigger } from "../triggers";
import { IngressMode, StateStore } from "../settings";
import { renderBackupScript } from "./backupScript";
import { renderFirewallScript, renderFirewallUnit } from "./hostFirewall";
import { EgressProbe } from "./egress";
import { INGRESS } from "./ingress";
import { Gateway, GATEWAYS, PRIMARY_GATEWAY } from "./gateways";
import {
    COMPOSE_PROJECT,
    GATEWAY_GID,
    GATEWAY_UID,
    HOST_FIREWALL_FILES,
    IMAGE_NODE_ID,
    MAINTENANCE_FILES,
    MAINTENANCE_UNITS,
    PORTS,
    SERVICES,
    STACK_DIR,
    STACK_FILES,
} from "./layout";
import { renderMaintenanceUnits } from "./maintenance";
import { shellQuote } from "./shell";
import { TAILSCALE_SERVE_STEP, tailscaleInstallBody, tailscaleServeBody, tailscaleUpBody } from "./tailscale";
import { KeptServer, teardownStep } from "./teardown";
import { renderWatchdogScript } from "./watchdogScript";

/** Every file the stack needs, rendered. The `.env` is secret and arrives as an Output. */
export interface StackFiles {
    readonly compose: string;
    /** Each gateway's openclaw.json, by the gateway's name. */
    readonly gatewayConfigs: Readonly<Record<string, string>>;
    readonly litellmConfig: string;
    readonly egressAcl: string;
    /** The egress proxy's build context: its Dockerfile and our Go module (main.go, go.mod, go.sum). */
    readonly egressDockerfile: string;
    readonly egressMainGo: string;
    readonly egressGoMod: string;
    readonly egressGoSum: string;
    /** Ingress caddy only. */
    readonly caddyfile?: string;
    readonly env: pulumi.Input<string>;
}

/** Ingress tailscale's join: the auth key (secret, sent on standard input) and the host's tailnet name. */
export interface TailscaleJoin {
    readonly authKey: pulumi.Input<string>;
    readonly hostName: string;
    readonly sshPort: number;
}

/** What the ingress mode adds to the deploy: its containers, its host firewall sources, and tailscale's join. */
export type IngressStepsInput = {
    /** The ingress sources file (`renderIngressSources`): Cloudflare's ranges for caddy, else empty. */
    readonly sources: pulumi.Input<string>;
} & ({ readonly mode: "tailscale"; readonly tailscale: TailscaleJoin } | { readonly mode: Exclude<IngressMode, "tailscale"> });

/** The host's backups and watchdog. */
export type MaintenanceStepsInput = {
    /** The backup timer's OnCalendar expression. */
    readonly schedule: string;
    /** The settings file (`renderMaintenanceConfig`); an Output, as it names the bucket. */
    readonly config: pulumi.Input<string>;
    /** The secrets file (`renderMaintenanceSecrets`), sent on standard input. */
    readonly secrets: pulumi.Input<string>;
} & (
    | { readonly store: "none" }
    /** `bucket` is the bucket's name: a new bucket reruns the restore check. */
    | { readonly store: Exclude<StateStore, "none">; readonly bucket: pulumi.Input<string> }
);

export interface StackStepsInput {
    readonly files: StackFiles;
    /**
     * The server's id: a trigger of every step, so a new server gets all of them; the stack
     * directory records it, so a teardown never touches a newer server.
     */
    readonly serverId: pulumi.Input<string>;
    /** Set when destroy leaves the server standing: the first step is then the teardown. */
    readonly keptServer?: KeptServer;
    /** The hosts the egress check tries from LiteLLM and the gateways (`egressProbe` in egress.ts). */
    readonly egressProbe: EgressProbe;
    readonly ingress: IngressStepsInput;
    readonly maintenance: MaintenanceStepsInput;
}

export { sha256, shellQuote };

/**
 * `stack_compose ARGS...`: Docker Compose on the stack's file, merged with the operator's override
 * (STACK_FILES.composeOverride) when there is one. Defined in each script that runs compose.
 */
const COMPOSE_FUNCTION = `stack_compose() {
    local files=(-f ${STACK_FILES.compose})
    if sudo test -f ${STACK_FILES.composeOverride}; then files+=(-f ${STACK_FILES.composeOverride}); fi
    sudo docker compose --project-directory ${STACK_DIR} "\${files[@]}" "$@"
}`;
const COMPOSE = "stack_compose";

/** Functions every step's script starts with: write_file, wait_healthy, restart_if_running (step-prelude.sh). */
export const SCRIPT_PRELUDE = readScriptFile(__dirname, "step-prelude.sh").render();

const script = (body: string) => `${SCRIPT_PRELUDE}\n${body.trim()}\n`;

/** The containers a mode runs: the gateways, the three services of every stack, and its ingress container. */
export function containersFor(mode: IngressMode): string[] {
    const ingress = INGRESS[mode].container;
    return [
        ...GATEWAYS.map((gateway) => gateway.container),
        ...[SERVICES.litellm, SERVICES.egress, SERVICES.redis, ...(ingress ? [SERVICES[ingress]] : [])].map((s) => s.container),
    ];
}

/** `write_file TARGET MODE OWNER` fed by a quoted here-document: static content, never expanded. */
function hereDocument(target: string, modeAndOwner: string, content: string): string {
    const marker = "OPENCLAW_FILE_END";
    if (content.split("\n").includes(marker)) throw new Error(`hereDocument: ${target} contains ${marker}`);
    return `write_file ${target} ${modeAndOwner} <<'${marker}'\n${content.replace(/\n$/, "")}\n${marker}`;
}

/**
 * The host's firewall for Docker: the script and its unit as here-documents, the ingress sources on
 * standard input; then the rules are applied now and on every Docker start.
 */
function hostFirewallStep(sources: pulumi.Input<string>): DeployStep {
    return {
        name: "host-firewall",
        script: script(`
${hereDocument(HOST_FIREWALL_FILES.script, "0755 root:root", renderFirewallScript())}
${hereDocument(HOST_FIREWALL_FILES.unit, "0644 root:root", renderFirewallUnit())}
write_file ${STACK_FILES.ingressSources} 0644 root:root
sudo ${HOST_FIREWALL_FILES.script}
sudo systemctl daemon-reload
sudo systemctl enable --quiet ${HOST_FIREWALL_FILES.unitName}
sudo systemctl start ${HOST_FIREWALL_FILES.unitName}
`),
        stdin: sources,
        triggers: [hashTrigger(sources)],
    };
}

/** Joining the tailnet (before the stack) and serving the gateway in it (after the stack is up, rerun with it). */
function tailscaleSteps(
    input: TailscaleJoin,
    serveTriggers: readonly Trigger[],
): { join: DeployStep[]; serve: DeployStep } {
    const install = script(tailscaleInstallBody());
    return {
        join: [
            { name: "tailscale-install", script: install, triggers: [contentTrigger(install)], needsRegistry: true },
            {
                name: "tailscale-up",
                script: script(tailscaleUpBody(input.hostName, input.sshPort)),
                stdin: input.authKey,
                triggers: [hashTrigger(input.authKey)],
                needsRegistry: true,
            },
        ],
        serve: { name: TAILSCALE_SERVE_STEP, script: script(tailscaleServeBody()), triggers: serveTriggers, needsRegistry: true },
    };
}

/** Node one-liners run inside a gateway's container (it has node, not curl). */
const PROBES = {
    status: `const [url, method] = process.argv.slice(1); fetch(url, { method }).then((r) => console.log(r.status), () => console.log("unreachable"))`,
    /**
     * The agent's own web_fetch tool, through the gateway's tool endpoint with the token from the
     * container's environment variable `tokenEnv` (never on a command line): the status of the tool call.
     */
    webFetch: (tokenEnv: string) =>
        `const [url, target] = process.argv.slice(1); fetch(url, { method: "POST", headers: { authorization: "Bearer " + process.env.${tokenEnv}, "content-type": "application/json" }, body: JSON.stringify({ tool: "web_fetch", args: { url: target, maxChars: 200 } }) }).then((r) => console.log(r.status), () => console.log("unreachable"))`,
    connect: `const host = process.argv[1]; const s = require("net").connect(${PORTS.egress}, "${SERVICES.egress.container}", () => s.write("CONNECT " + host + ":443 HTTP/1.1\\r\\nHost: " + host + ":443\\r\\n\\r\\n")); s.once("data", (d) => { console.log(String(d).split(" ")[1]); s.destroy(); }); s.on("error", () => console.log("unreachable")); setTimeout(() => { console.log("timeout"); process.exit(0); }, 20000).unref();`,
};

/** `docker exec` of a node one-liner in the gateway's container; prints "no-answer" when node cannot run. */
const inGateway = (gateway: Gateway, program: string, ...args: string[]) =>
    `sudo docker exec ${gateway.container} node -e ${shellQuote(program)} ${args.map(shellQuote).join(" ")} || echo "no-answer"`;

/** CONNECT HOST:443 to the egress proxy from LiteLLM's container (it has python3, not node or curl): the status. */
const LITELLM_CONNECT = `import socket, sys
host = sys.argv[1]
try:
    s = socket.create_connection(("${SERVICES.egress.container}", ${PORTS.egress}), timeout=20)
    s.sendall(f"CONNECT {host}:443 HTTP/1.1\\r\\nHost: {host}:443\\r\\n\\r\\n".encode())
    print(s.recv(64).decode("latin-1").split(" ")[1])
except Exception:
    print("unreachable")`;

/** `docker exec` of LITELLM_CONNECT in LiteLLM's container; prints "no-answer" when python3 cannot run. */
export const litellmConnect = (host: string) =>
    `sudo docker exec ${SERVICES.litellm.container} python3 -c ${shellQuote(LITELLM_CONNECT)} ${shellQuote(host)} || echo "no-answer"`;

/**
 * What the proxy's JSON log line of a refused CONNECT holds (logrus writes each field as
 * `"key":value`): the host asked for, the client's role and the refusal. The verify step greps for
 * all three on one line; test/programs/smokescreen.spec.ts checks them against the real proxy.
 */
export const egressRefusalLogFields = (host: string, role: string) => [`"requested_host":"${host}:443"`, `"role":"${role}"`, `"allow":false`];

/** A CONNECT (the command `probe`, run in `container`) the proxy must refuse: Smokescreen's 407, not a silence. */
const refusedConnect = (container: string, probe: string, host: string) => `status=$(${probe})
[ "$status" = 407 ] || fail "the egress proxy answered ${container}'s CONNECT to ${host} with $status, not 407 (refused)"
`;

/**
 * The deploy's checks of one gateway, as the outside and the agent meet it: healthy, refusing an
 * unauthenticated call; its agent's web_fetch of a model provider's host refused by the egress proxy
 * for this gateway's role (the proxy's log proves the tool goes through it), and so is a CONNECT to
 * that host and to a host no allowlist names; the primary gateway's own host (a channel's or the
 * operator's), when it has one, answered.
 */
function gatewayChecks(gateway: Gateway, probe: EgressProbe): string {
    const url = `http://127.0.0.1:${gateway.port}`;
    const [modelUrl, refusedUrl] = [probe.allowed, probe.refused].map((host) => `https://${host}/`);
    // Every grep reads to the end (no -q): under pipefail a writer cut short by SIGPIPE fails the pipe.
    const logged = `${egressRefusalLogFields(probe.allowed, gateway.name).map((field) => `grep -F ${shellQuote(field)}`).join(" | ")} >/dev/null`;
    const own = gateway === PRIMARY_GATEWAY && probe.gatewayOnly !== undefined
        ? `status=$(${inGateway(gateway, PROBES.connect, probe.gatewayOnly)})
[ "$status" = 200 ] || fail "${gateway.container}'s CONNECT to ${probe.gatewayOnly} through the egress proxy answered $status, not 200"
echo "${gateway.container} reaches ${probe.gatewayOnly} through the egress proxy"
`
        : "";
    return `status=$(${inGateway(gateway, PROBES.status, `${url}/healthz`, "GET")})
[ "$status" = 200 ] || fail "/healthz answered $status, not 200"
echo "/healthz answers 200"
status=$(${inGateway(gateway, PROBES.status, `${url}/tools/invoke`, "POST")})
[ "$status" = 401 ] || fail "an unauthenticated POST /tools/invoke answered $status, not 401"
echo "an unauthenticated gateway call is refused (401)"
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
status=$(${inGateway(gateway, PROBES.webFetch(gateway.env.token), `${url}/tools/invoke`, modelUrl)})
[ "$status" != 200 ] || fail "the agent's web_fetch fetched ${modelUrl}, which only LiteLLM may reach"
# The tool endpoint hides why a fetch failed; the proxy's log says it was asked, by this role, and refused.
if ! sudo docker logs --since "$since" ${SERVICES.egress.container} 2>&1 | ${logged}; then
    fail "the egress proxy logged no refusal of ${probe.allowed} to the role ${gateway.name}, so the agent's web_fetch did not go through it (see sudo docker logs ${SERVICES.egress.container})"
fi
echo "the agent's web_fetch goes through the egress proxy, which refuses it ${probe.allowed} (LiteLLM's alone)"
status=$(${inGateway(gateway, PROBES.webFetch(gateway.env.token), `${url}/tools/invoke`, refusedUrl)})
[ "$status" != 200 ] || fail "the agent's web_fetch fetched ${refusedUrl}, which is not allowlisted"
${[probe.allowed, probe.refused].map((host) => refusedConnect(gateway.container, inGateway(gateway, PROBES.connect, host), host)).join("")}${own}`;
}

/**
 * LiteLLM's checks: it reaches the model provider's host through the egress proxy, and is refused
 * the gateway's own host (when there is one) and a host no allowlist names.
 */
function litellmChecks(probe: EgressProbe): string {
    const refused = [...(probe.gatewayOnly !== undefined ? [probe.gatewayOnly] : []), probe.refused];
    return `status=$(${litellmConnect(probe.allowed)})
[ "$status" = 200 ] || fail "LiteLLM's CONNECT to ${probe.allowed} through the egress proxy answered $status, not 200"
echo "LiteLLM reaches ${probe.allowed} through the egress proxy"
${refused.map((host) => refusedConnect(SERVICES.litellm.container, litellmConnect(host), host)).join("")}echo "the egress proxy refuses ${probe.refused} to every client, ${probe.allowed} to the gateways${probe.gatewayOnly !== undefined ? ` and ${probe.gatewayOnly} to LiteLLM` : ""}"
`;
}

/**
 * A step that writes one non-secret file from standard input, then runs `then` (a restart of the
 * one service that reads it, or a check); it reruns when, and only when, the content changes.
 */
function fileStep(name: string, target: string, content: string, modeAndOwner: string, then?: string): DeployStep {
    return {
        name,
        script: script(`write_file ${target} ${modeAndOwner}${then ? `\n${then}` : ""}`),
        stdin: content,
        triggers: [contentTrigger(content)],
    };
}

/**
 * Each gateway's state volume, made before anything can start the gateway, and its files given to
 * GATEWAY_UID. Compose mounts it with nocopy, so nothing of the image's lands in it. Versions
 * before GATEWAY_UID ran the gateway as the image's `node`, and a volume Docker filled from the
 * image is `node`'s too: their files of `node`, and only those, become the gateway's (-h: a
 * symbolic link itself, never what it points to on this host). A gateway container that still
 * runs as another user is removed first: the config step would restart it into a config it can no
 * longer read, and stack-up creates it again as GATEWAY_UID.
 */
function stateVolumesStep(): DeployStep {
    const owner = `${GATEWAY_UID}:${GATEWAY_GID}`;
    const body = GATEWAYS.map(
        ({ container, stateVolume }) => `
user=$(sudo docker container inspect --format '{{.Config.User}}' ${container} 2>/dev/null) || user=none
if [ "$user" != none ] && [ "$user" != ${owner} ]; then
    echo "removing ${container}, which runs as \${user:-the image default}; stack-up creates it again as ${owner}"
    sudo docker stop ${container} >/dev/null
    sudo docker rm ${container} >/dev/null
fi
if ! volume=$(sudo docker volume inspect --format '{{.Mountpoint}}' ${stateVolume} 2>/dev/null); then
    # Labelled as compose labels its own volumes, so compose adopts it without a warning.
    sudo docker volume create --label com.docker.compose.project=${COMPOSE_PROJECT} --label com.docker.compose.volume=${stateVolume} ${stateVolume} >/dev/null
    volume=$(sudo docker volume inspect --format '{{.Mountpoint}}' ${stateVolume})
    sudo chmod 0700 "$volume"
    echo "created the state volume ${stateVolume}"
fi
moved=$(sudo chown -chR --from=${IMAGE_NODE_ID} ${GATEWAY_UID} "$volume" | wc -l)
sudo chown -hR --from=:${IMAGE_NODE_ID} :${GATEWAY_GID} "$volume"
sudo chown ${owner} "$volume"
if [ "$moved" -gt 0 ]; then
    echo "the state volume ${stateVolume}: $moved files of uid ${IMAGE_NODE_ID} (the image's node) given to uid ${GATEWAY_UID}"
fi
echo "the state volume ${stateVolume} belongs to ${owner}"
`,
    ).join("");
    const text = script(body);
    return { name: "state-volumes", script: text, triggers: [contentTrigger(text)] };
}

/** The Debian packages the maintenance commands use: the S3 client, age and zstd for backups, curl for alerts. */
export function maintenancePackages(store: StateStore): string[] {
    return store === "none" ? ["curl"] : ["rclone", "age", "zstd", "curl"];
}

/**
 * The backup and watchdog commands, their units and settings, then their secrets; and, with a
 * state bucket, the restore that gives a new server the state of the one it replaces. They run
 * before the stack's first start, so a restored gateway never starts empty.
 */
function maintenanceSteps(input: MaintenanceStepsInput): DeployStep[] {
    const packages = maintenancePackages(input.store);
    const tools = script(`
missing=()
# Without a state bucket the list is curl alone: a loop that runs once is meant.
# shellcheck disable=SC2043
for package in ${packages.join(" ")}; do
    dpkg-query --show --showformat='\${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed || missing+=("$package")
done
if [ "\${#missing[@]}" -gt 0 ]; then
    echo "installing \${missing[*]}"
    sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "\${missing[@]}" >/dev/null
fi
echo "maintenance tools: ${packages.join(", ")}"
`);
    const units = renderMaintenanceUnits(input.schedule);
    const backupTimer = input.store === "none"
        ? `sudo systemctl disable --now ${MAINTENANCE_UNITS.backupTimer}\necho "no state bucket: scheduled backups are off"`
        : `sudo systemctl enable --now ${MAINTENANCE_UNITS.backupTimer}\nsudo systemctl restart ${MAINTENANCE_UNITS.backupTimer}`;
    const files = script(`
sudo install -d -o root -g root -m 0700 ${MAINTENANCE_FILES.confDir} ${MAINTENANCE_FILES.stateDir}
${hereDocument(MAINTENANCE_FILES.backupCommand, "0755 root:root", renderBackupScript())}
${hereDocument(MAINTENANCE_FILES.watchdogCommand, "0755 root:root", renderWatchdogScript())}
${Object.entries(units)
    .map(([unit, content]) => hereDocument(`${MAINTENANCE_FILES.unitDir}/${unit}`, "0644 root:root", content))
    .join("\n")}
write_file ${MAINTENANCE_FILES.conf} 0644 root:root
sudo systemctl daemon-reload
${backupTimer}
sudo systemctl enable --quiet ${MAINTENANCE_UNITS.watchdogTimer}
sudo systemctl restart ${MAINTENANCE_UNITS.watchdogTimer}
`);
    return [
        { name: "maintenance-tools", script: tools, triggers: [contentTrigger(tools)] },
        { name: "maintenance", script: files, stdin: input.config, triggers: [contentTrigger(files), hashTrigger(input.config)] },
        {
            name: "maintenance-secrets",
            script: script(`write_file ${MAINTENANCE_FILES.secrets} 0600 root:root`),
            stdin: input.secrets,
            triggers: [hashTrigger(input.secrets)],
        },
        ...(input.store === "none"
            ? []
            : [
                  {
                      name: "state-restore",
                      // Only into an empty state volume, and only when the bucket holds a backup.
                      script: script(`sudo ${MAINTENANCE_FILES.backupCommand} restore --if-empty latest`),
                      triggers: [plainTrigger(input.bucket)],
                  },
              ]),
    ];
}

/**
 * Every step, in order, each triggered by the server's id as well as by what it consumes: in
 * pulumi-command only `triggers` replaces a command (any other changed input reruns it as an
 * update, an unchanged one does nothing), and a replaced server keeps the static IP, so without
 * the id a new server would get none of the steps.
 */
export function stackSteps(input: StackStepsInput): DeployStep[] {
    const steps = stepsOnAnyServer(input).map((step) => ({ ...step, triggers: [plainTrigger(input.serverId), ...step.triggers] }));
    return input.keptServer ? [teardownStep(input.keptServer), ...steps] : steps;
}

function stepsOnAnyServer(input: StackStepsInput): DeployStep[] {
    const { files, ingress } = input;
    const envHash = hashTrigger(files.env);
    const egressBuildHash = contentTrigger(JSON.stringify([files.egressDockerfile, files.egressMainGo, files.egressGoMod, files.egressGoSum]));
    const composeHash = contentTrigger(files.compose);
    const tailscale = "tailscale" in ingress ? tailscaleSteps(ingress.tailscale, [composeHash, envHash]) : undefined;
    const containers = containersFor(ingress.mode);
    const gatewayConfigs = GATEWAYS.map((gateway) => files.gatewayConfigs[gateway.name]);

    return [
        {
            name: "stack-directories",
            script: script(`
sudo install -d -o root -g root -m 0700 ${STACK_DIR} ${STACK_DIR}/config ${STACK_DIR}/config/caddy ${STACK_DIR}/build ${STACK_FILES.egressBuildDir}
sudo install -d -o ${GATEWAY_UID} -g ${GATEWAY_GID} -m 0700 ${GATEWAYS.map((gateway) => gateway.configDir).join(" ")}
write_file ${STACK_FILES.owner} 0600 root:root
`),
            stdin: pulumi.interpolate`${input.serverId}\n`,
            triggers: [],
            // pulumi destroy: stop the stack cleanly, keeping its volumes. After a server replacement
            // the static IP leads to the new server, whose owner marker differs: leave it alone.
            delete: pulumi.interpolate`set -u
owner=$(sudo cat ${STACK_FILES.owner} 2>/dev/null || true)
if [ "$owner" != "${input.serverId}" ]; then
    echo "this host's stack belongs to server '$owner', not to this step's server; leaving it running"
    exit 0
fi
${COMPOSE_FUNCTION}
if [ -f ${STACK_FILES.compose} ]; then
    ${COMPOSE} down --timeout 60
fi
`,
        },
        stateVolumesStep(),
        hostFirewallStep(ingress.sources),
        ...(tailscale ? tailscale.join : []),
        ...maintenanceSteps(input.maintenance),
        {
            name: "stack-secrets",
            script: script(`write_file ${STACK_FILES.env} 0600 root:root`),
            stdin: files.env,
            triggers: [envHash],
        },
        ...GATEWAYS.map((gateway) =>
            fileStep(`${gateway.name}-config`, gateway.configFile, files.gatewayConfigs[gateway.name], `0600 ${GATEWAY_UID}:${GATEWAY_GID}`, `restart_if_running ${gateway.container}`),
        ),
        fileStep("litellm-config", STACK_FILES.litellmConfig, files.litellmConfig, "0644 root:root", `restart_if_running ${SERVICES.litellm.container}`),
        fileStep("egress-acl", STACK_FILES.egressAcl, files.egressAcl, "0644 root:root", `restart_if_running ${SERVICES.egress.container}`),
        fileStep("egress-dockerfile", STACK_FILES.egressDockerfile, files.egressDockerfile, "0644 root:root"),
        fileStep("egress-main-go", STACK_FILES.egressMainGo, files.egressMainGo, "0644 root:root"),
        fileStep("egress-go-mod", STACK_FILES.egressGoMod, files.egressGoMod, "0644 root:root"),
        fileStep("egress-go-sum", STACK_FILES.egressGoSum, files.egressGoSum, "0644 root:root"),
        ...(files.caddyfile !== undefined
            ? [fileStep("caddyfile", STACK_FILES.caddyfile, files.caddyfile, "0644 root:root", `restart_if_running ${SERVICES.caddy.container}`)]
            : []),
        // Compose parses the file with the .env before anything is pulled or started.
        fileStep("compose-file", STACK_FILES.compose, files.compose, "0644 root:root", `${COMPOSE_FUNCTION}\n${COMPOSE} config --quiet\necho "compose file is valid"`),
        {
            name: "egress-image",
            // Base images are pinned tags: Docker fetches them when missing, not on every build.
            script: script(`${COMPOSE_FUNCTION}\n${COMPOSE} build ${SERVICES.egress.service}`),
            triggers: [egressBuildHash],
            needsRegistry: true,
        },
        {
            name: "stack-up",
            // Images are fetched before anything stops, and only those not on the host yet (every
            // reference is a pinned tag); up recreates only the services whose definition or
            // secrets changed.
            script: script(`
${COMPOSE_FUNCTION}
${COMPOSE} pull --quiet --ignore-buildable --policy missing
if ! ${COMPOSE} up --detach --remove-orphans --wait --wait-timeout 600; then
    echo "the stack did not become healthy:" >&2
    for container in ${containers.join(" ")}; do
        wait_healthy "$container" 1 || true
    done
    exit 1
fi
${COMPOSE} ps
`),
            triggers: [composeHash, envHash, egressBuildHash],
            needsRegistry: true,
        },
        // Serve reaches the gateway's loopback port, so the stack must be up.
        ...(tailscale ? [tailscale.serve] : []),
        {
            name: "stack-verify",
            script: script(`
fail() { echo "verification failed: $*" >&2; exit 1; }
${GATEWAYS.map((gateway) => gatewayChecks(gateway, input.egressProbe)).join("")}${litellmChecks(input.egressProbe)}`),
            triggers: [composeHash, envHash, egressBuildHash, contentTrigger(gatewayConfigs.join("") + files.litellmConfig + files.egressAcl)],
            needsRegistry: true,
        },
    ];
}
