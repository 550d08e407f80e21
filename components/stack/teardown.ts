// What `pulumi destroy` removes from a server the operator keeps (cloud existing): the stack, its
// secrets, its units and firewall rules, and the program's deploy key; the hardening and the
// gateways' data stay. On a cloud, destroy deletes the server itself, so no step does this there.
// The script is openclaw-teardown.sh beside this file.
import * as pulumi from "@pulumi/pulumi";
import { readScriptFile } from "../../cloud-init/scriptFile";
import { DeployStep } from "../deployStep";
import { plainTrigger } from "../triggers";
import { GATEWAYS } from "./gateways";
import { FIREWALL_CHAINS, INGRESS_RULE_COMMENT } from "./hostFirewall";
import { CADDY_DATA_VOLUME, COMPOSE_PROJECT, HOST_FIREWALL_FILES, MAINTENANCE_FILES, MAINTENANCE_UNITS, PORTS, REDIS_DATA_VOLUME, STACK_DIR, STACK_FILES } from "./layout";

const TEARDOWN_SCRIPT = readScriptFile(__dirname, "openclaw-teardown.sh");

/** The server the stack is on, when destroy leaves it standing. */
export interface KeptServer {
    /** Changes only when the stack moves to another server: the old one is then cleaned up too. */
    readonly serverId: pulumi.Input<string>;
    /** The program's deploy key (an authorized_keys line): the last thing removed. */
    readonly deployPublicKey: pulumi.Input<string>;
}

/** The step's name: the first of the stack's steps, so destroy deletes it last. */
export const TEARDOWN_STEP = "teardown";

/** Files the deploy writes secrets into: overwritten before they are removed. */
export const SECRET_FILES = [STACK_FILES.env, MAINTENANCE_FILES.secrets];

export function renderTeardownScript(deployPublicKey: string): string {
    const units = [...Object.values(MAINTENANCE_UNITS), HOST_FIREWALL_FILES.unitName];
    const dataVolumes = GATEWAYS.map((gateway) => gateway.stateVolume);
    return TEARDOWN_SCRIPT.render({
        STACK_DIR,
        COMPOSE_FILE: STACK_FILES.compose,
        COMPOSE_PROJECT,
        SECRET_FILES: SECRET_FILES.join(" "),
        REMOVED_PATHS: [
            STACK_DIR,
            MAINTENANCE_FILES.confDir,
            MAINTENANCE_FILES.stateDir,
            MAINTENANCE_FILES.backupCommand,
            MAINTENANCE_FILES.watchdogCommand,
            HOST_FIREWALL_FILES.script,
        ].join(" "),
        UNITS: units.join(" "),
        FIREWALL_CHAINS: `${FIREWALL_CHAINS.main} ${FIREWALL_CHAINS.ingress}`,
        RULE_COMMENT: INGRESS_RULE_COMMENT,
        UFW_PORTS: `${PORTS.http},${PORTS.https}`,
        STACK_VOLUMES: [REDIS_DATA_VOLUME, CADDY_DATA_VOLUME].join(" "),
        DATA_VOLUMES: dataVolumes.join(" "),
        DEPLOY_KEY: deployPublicKey.trim(),
    });
}

/**
 * A step that does nothing when created; its delete is the teardown. Its trigger is the server
 * alone: a trigger replaces the step, and a replaced step's delete runs after the new deploy, so a
 * change to anything else (the hardening, a secret) must never replace it.
 */
export function teardownStep(server: KeptServer): DeployStep {
    return {
        name: TEARDOWN_STEP,
        script: `echo "pulumi destroy will remove the stack from this server, and leave the hardening and the gateways' data"\n`,
        triggers: [plainTrigger(server.serverId)],
        delete: pulumi.output(server.deployPublicKey).apply(renderTeardownScript),
    };
}
