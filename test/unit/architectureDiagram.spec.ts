// docs/architecture.md opens with a Mermaid diagram of the running host. It must show what the
// program deploys, so it is read here against the compose file the program renders for each
// ingress mode: its containers, its networks (names, subnets, internal or not, who is on each), its
// volumes and which service reads which `.env` variable.
//
// The diagram's conventions, which this file reads:
//  - a container is a box `id["<container name>..."]`;
//  - a network is a hexagon `id{{"network <compose name><br/>docker <Docker's name>, <subnet>..."}}`
//    marked `(internal)`, `(route out)` or `(internal with <mode> or <mode>; ...)`, and
//    `only with <mode> or <mode>` when not every mode has it;
//  - a volume is a cylinder `id[("volume <name>...")]`;
//  - `a --- b` (no label) puts a container on a network or gives it a volume;
//  - the `.env` is the node whose label starts with its path, and `env -.->|"<variables>"| container`
//    names what each service gets from it.
import * as assert from "assert";
import * as YAML from "yaml";
import { IngressMode, INGRESS_MODES } from "../../components/settings";
import { renderStackFiles } from "../../components/stack/files";
import { StackIngress } from "../../components/stack/ingress";
import { STACK_FILES } from "../../components/stack/layout";
import { litellmKeyNames } from "../../components/stack/litellmConfig";
import { DOC_FILES } from "../docs";
import { TEST_STACK_APP } from "../fixtures";

const APP = TEST_STACK_APP;
const SMALL = { vcpus: 2, memoryMiB: 4096 };

const ingressOf = (mode: IngressMode): StackIngress => (mode === "caddy" || mode === "tunnel" ? { mode, domain: "claw.example.com" } : { mode });

interface ComposeService {
    container_name: string;
    networks: string[] | Record<string, unknown>;
    environment?: Record<string, string>;
    volumes?: (string | { source: string })[];
}
interface ComposeFile {
    services: Record<string, ComposeService>;
    networks: Record<string, { name: string; internal: boolean; ipam: { config: { subnet: string }[] } }>;
    volumes: Record<string, { name: string }>;
}

/** The compose file as the deploy writes it for `mode`. */
const composeFor = (mode: IngressMode): ComposeFile => YAML.parse(renderStackFiles(APP, ingressOf(mode), SMALL).compose);

/** The first ```mermaid block of docs/architecture.md, which must be the file's opening. */
function architectureDiagram(doc: string = DOC_FILES["docs/architecture.md"]): string {
    assert.ok(doc.startsWith("```mermaid\n"), "docs/architecture.md opens with a ```mermaid block");
    return doc.slice("```mermaid\n".length, doc.indexOf("\n```", "```mermaid".length));
}

/** Modes named as `<mode> or <mode> ...`. */
const modesIn = (text: string): IngressMode[] => text.split(" or ").map((mode) => {
    assert.ok((INGRESS_MODES as readonly string[]).includes(mode), `the diagram names an ingress mode ${mode} the program does not have`);
    return mode as IngressMode;
});

interface DiagramNetwork {
    readonly id: string;
    readonly name: string;
    readonly subnet: string;
    /** The modes the diagram says it is internal in. */
    readonly internalIn: readonly IngressMode[];
    /** The modes the diagram says have it. */
    readonly existsIn: readonly IngressMode[];
}

interface Diagram {
    readonly containers: ReadonlyMap<string, string>;
    readonly networks: ReadonlyMap<string, DiagramNetwork>;
    readonly volumes: ReadonlyMap<string, string>;
    /** Each node's plain `---` neighbours. */
    readonly joined: (id: string) => Set<string>;
    /** The variables the `.env` edge to a node names ("" when there is none). */
    readonly envTo: (id: string) => string;
}

function readDiagram(text: string): Diagram {
    const nodes = [...text.matchAll(/^\s*(\w+)(\{\{|\[\(|\(\[|\[\[|\[)"(.*)"(?:\}\}|\)\]|\]\)|\]\]|\])\s*$/gm)].map(([, id, shape, label]) => ({ id, shape, label }));
    const containers = new Map<string, string>();
    const networks = new Map<string, DiagramNetwork>();
    const volumes = new Map<string, string>();
    for (const { id, shape, label } of nodes) {
        if (shape === "[") containers.set(label.split(/<br\/>| /)[0], id);
        if (shape === "[(" && label.startsWith("volume ")) volumes.set(label.split(/<br\/>| /)[1], id);
        if (shape !== "{{") continue;
        const head = /^network ([\w-]+)<br\/>docker ([\w-]+), ([\d./]+)/.exec(label);
        assert.ok(head, `network node ${id} reads "network <name><br/>docker <name>, <subnet>": ${label}`);
        const marks = [/\(internal\)/.test(label), /\(route out[;)]/.test(label), /\(internal with /.test(label)];
        assert.strictEqual(marks.filter(Boolean).length, 1, `network ${head[1]} is marked exactly one of (internal), (route out), (internal with ...): ${label}`);
        const only = /only with ([a-z]+(?: or [a-z]+)*)/.exec(label);
        const existsIn = only ? modesIn(only[1]) : INGRESS_MODES;
        const internalWith = /\(internal with ([a-z]+(?: or [a-z]+)*)/.exec(label);
        const internalIn = marks[0] ? existsIn : internalWith ? modesIn(internalWith[1]) : [];
        networks.set(head[1], { id, name: head[2], subnet: head[3], internalIn, existsIn });
    }
    const lines = [...text.matchAll(/^\s*(\w+) --- (\w+)\s*$/gm)];
    const joined = (id: string) => new Set(lines.flatMap(([, a, b]) => (a === id ? [b] : b === id ? [a] : [])));
    const env = nodes.find(({ label }) => label.startsWith(STACK_FILES.env));
    assert.ok(env, `the diagram has a node for ${STACK_FILES.env}`);
    const envEdges = [...text.matchAll(new RegExp(`^\\s*${env.id} -\\.->\\|"([^"]*)"\\| (\\w+)\\s*$`, "gm"))];
    const envTo = (id: string) => envEdges.filter(([, , to]) => to === id).map(([, label]) => label).join(", ");
    return { containers, networks, volumes, joined, envTo };
}

/** `${NAME:?...}`: the `.env` variables a service's environment interpolates. */
const envFileVariables = (service: ComposeService) =>
    Object.values(service.environment ?? {}).flatMap((value) => [...value.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]));

const networksOf = (service: ComposeService) => (Array.isArray(service.networks) ? service.networks : Object.keys(service.networks));
const volumesOf = (service: ComposeService) => (service.volumes ?? []).map((v) => (typeof v === "string" ? v.split(":")[0] : v.source));

describe("docs/architecture.md: the diagram of the running host", () => {
    // Read in a hook, not while mocha collects the tests: a failed assertion there would surface
    // as a misleading module-loading error.
    let diagram: Diagram;
    let composes: Record<IngressMode, ComposeFile>;
    before(() => {
        diagram = readDiagram(architectureDiagram());
        composes = Object.fromEntries(INGRESS_MODES.map((mode) => [mode, composeFor(mode)])) as Record<IngressMode, ComposeFile>;
    });
    /** caddy first: the mode with the most on the host. */
    const modes: IngressMode[] = ["caddy", ...INGRESS_MODES.filter((mode) => mode !== "caddy")];

    for (const mode of modes) {
        describe(`ingress ${mode}`, () => {
            let compose: ComposeFile;
            before(() => {
                compose = composes[mode];
            });

            it("shows every container, on exactly the networks compose puts it on, with its volumes", () => {
                for (const [name, service] of Object.entries(compose.services)) {
                    const id = diagram.containers.get(service.container_name);
                    assert.ok(id, `service ${name}: the diagram has no box for its container ${service.container_name}`);
                    const onNetworks = [...diagram.joined(id)].filter((other) => [...diagram.networks.values()].some((n) => n.id === other));
                    const named = onNetworks.map((other) => [...diagram.networks.entries()].find(([, n]) => n.id === other)![0]);
                    assert.deepStrictEqual(named.sort(), [...networksOf(service)].sort(), `${service.container_name}'s networks`);
                    for (const volume of volumesOf(service).filter((source) => source in compose.volumes)) {
                        const volumeId = diagram.volumes.get(compose.volumes[volume].name);
                        assert.ok(volumeId, `the diagram has no volume ${compose.volumes[volume].name}`);
                        assert.ok(diagram.joined(id).has(volumeId), `the diagram does not give ${service.container_name} its volume ${volume}`);
                    }
                }
            });

            it("names every network as compose and Docker do, with its subnet, and marks it internal exactly when compose does", () => {
                for (const [key, network] of Object.entries(compose.networks)) {
                    const shown = diagram.networks.get(key);
                    assert.ok(shown, `the diagram has no network ${key}`);
                    assert.strictEqual(shown.name, network.name, `${key}: Docker's name`);
                    assert.strictEqual(shown.subnet, network.ipam.config[0].subnet, `${key}: subnet`);
                    assert.strictEqual(shown.internalIn.includes(mode), network.internal, `${key} is ${network.internal ? "" : "not "}internal with ingress ${mode}`);
                }
                for (const [key, shown] of diagram.networks) {
                    assert.strictEqual(shown.existsIn.includes(mode), key in compose.networks, `the diagram says ${key} ${shown.existsIn.includes(mode) ? "exists" : "is absent"} with ingress ${mode}`);
                }
            });

            it("shows which service gets which .env variable, and the provider keys in LiteLLM only", () => {
                const providerKeys = litellmKeyNames(APP.models);
                for (const [name, service] of Object.entries(compose.services)) {
                    const variables = envFileVariables(service);
                    const label = diagram.envTo(diagram.containers.get(service.container_name)!);
                    assert.strictEqual(label !== "", variables.length > 0, `${service.container_name} ${variables.length ? "reads" : "reads nothing from"} the .env: ${label}`);
                    for (const variable of variables) {
                        const named = providerKeys.includes(variable) ? /provider keys/.test(label) : new RegExp(`\\b${variable}\\b`).test(label);
                        assert.ok(named, `the diagram's .env edge to ${service.container_name} does not name ${variable}: ${label}`);
                    }
                    // Nothing more: no variable the service does not get (but the name it gets one under), no provider keys elsewhere.
                    for (const [named] of label.matchAll(/\b[A-Z][A-Z0-9_]{2,}\b/g)) {
                        assert.ok(variables.includes(named) || named in (service.environment ?? {}), `the diagram gives ${service.container_name} ${named}, which it does not get`);
                    }
                    const readsProviderKeys = variables.some((variable) => providerKeys.includes(variable));
                    assert.strictEqual(/provider keys/.test(label), readsProviderKeys, `the diagram says ${service.container_name} ${readsProviderKeys ? "does not get" : "gets"} the provider keys`);
                    if (readsProviderKeys) assert.strictEqual(name, "litellm", `only LiteLLM gets a provider key, not ${name}`);
                }
            });
        });
    }

    it("shows no container, network or volume the program does not deploy in some mode", () => {
        const all = Object.values(composes);
        for (const container of diagram.containers.keys()) {
            if (!container.startsWith("openclaw-")) continue;
            assert.ok(all.some((c) => Object.values(c.services).some((s) => s.container_name === container)), `the diagram shows a container ${container} no mode runs`);
        }
        for (const key of diagram.networks.keys()) assert.ok(all.some((c) => key in c.networks), `the diagram shows a network ${key} no mode has`);
        for (const volume of diagram.volumes.keys()) {
            assert.ok(all.some((c) => Object.values(c.volumes).some((v) => v.name === volume)), `the diagram shows a volume ${volume} no mode has`);
        }
    });
});
