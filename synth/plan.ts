// The plan: every resource `pulumi up` would register, in order, with its parent, options and
// inputs; the deploy steps and the files they write; the stack outputs; and, first, everything
// synth made up (config placeholders, provider stand-ins), so a reviewer knows what not to trust.
// Built once as data (plan.json) and rendered as Markdown (plan.md). Values are raw here; index.ts
// scrubs the secrets out of both before they are written.
import { createHash } from "crypto";
import * as YAML from "yaml";
import { SynthConfig } from "./config";
import { HostContents, hostCopy, OutputFile } from "./files";
import { reveal, Secret, StandIn, SynthResource } from "./mocks";

/** A stack output as the program exported it. */
export interface StackOutput {
    readonly name: string;
    readonly value: unknown;
    readonly secret: boolean;
}

/** What the plan is made from: the config synth used and what the program registered and exported. */
export interface PlanInput {
    readonly stack: string;
    readonly stackFile: string;
    readonly config: SynthConfig;
    readonly resources: readonly SynthResource[];
    readonly standIns: readonly StandIn[];
    readonly host: HostContents;
    readonly files: readonly OutputFile[];
    readonly outputs: readonly StackOutput[];
}

/** Shown for every secret input: its value is never part of the plan. */
export const SECRET = "<secret>";

/** Provider outputs the mocks make up; the program reads them (serverIp, the tunnel's CNAME, ...). */
const MOCK_VALUES = [
    "Server ids, firewall ids and every other resource id are the mocks' (numbers derived from type and name; a UUID for the tunnel).",
    "Public addresses are documentation addresses: 198.51.100.10 (hcloud), 198.51.100.20 (DigitalOcean), 198.51.100.30 (AWS); the real ones are assigned at pulumi up.",
    "Generated names (the state bucket's random suffix, the AWS bucket's suffix, IAM names) are the mocks'; the cloud or the random provider picks them at pulumi up.",
    "The deploy key is a fixed stand-in: its public half in user-data.yaml is not the key pulumi up generates.",
    "Every generated secret (gateway token, LiteLLM master key, backup key, tunnel secret and token, bucket credentials) is a placeholder, shown as <secret:NAME> in every file here.",
];

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Describes values by what they are: a file written here, a hash of one, a resource's id. */
class Describer {
    private readonly byContent = new Map<string, string>();
    private readonly byHash = new Map<string, string>();
    private readonly byId = new Map<string, string>();

    constructor(input: PlanInput) {
        for (const file of input.files) {
            this.byContent.set(file.content, file.path);
            this.byHash.set(sha256(file.content), `sha256 of ${file.path}`);
        }
        for (const file of input.host.hostFiles) this.byHash.set(sha256(file.content), `sha256 of ${file.hostPath}`);
        for (const r of input.resources) if (r.id) this.byId.set(r.id, `id of ${r.name}`);
    }

    /** An input value for the plan: secrets hidden, file contents named, long text summarized. */
    value(value: unknown): unknown {
        if (value instanceof Secret) return SECRET;
        if (Array.isArray(value)) return value.map((v) => this.value(v));
        if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)]));
        if (typeof value !== "string") return value;
        if (this.byContent.has(value)) return `(see ${this.byContent.get(value)})`;
        if (value.trimEnd().includes("\n") || value.length > 120) return `(text, ${value.split("\n").length} lines, sha256 ${sha256(value).slice(0, 12)}…)`;
        return value;
    }

    /** A trigger: what its value is derived from, where synth can tell (they are mostly hashes). */
    trigger(value: unknown): string {
        const text = String(value instanceof Secret ? value.value : value);
        if (this.byHash.has(text)) return this.byHash.get(text)!;
        if (this.byId.has(text)) return `${text} (${this.byId.get(text)})`;
        if (/^[0-9a-f]{64}$/.test(text)) return `sha256 ${text.slice(0, 12)}…`;
        return text;
    }
}

/** The plan as data (plan.json). */
export function buildPlan(input: PlanInput) {
    const describe = new Describer(input);
    const { config } = input;
    return {
        stack: input.stack,
        project: "openclaw",
        stackFile: input.stackFile,
        madeUp: {
            config: config.notes,
            standIns: input.standIns.map((s) => ({ source: s.token, standIn: s.what })),
            mockValues: MOCK_VALUES,
        },
        config: Object.keys(config.values)
            .sort()
            .map((key) => ({ key, value: config.secretKeys.includes(key) ? SECRET : config.values[key], from: config.sources[key] })),
        resources: input.resources.map((r, i) => ({
            number: i + 1,
            type: r.type,
            name: r.name,
            parent: r.parent,
            kind: r.custom ? "resource" : "component",
            id: r.id,
            options: r.options,
            inputs: r.type === "command:remote:Command" ? undefined : describe.value(r.inputs),
        })),
        steps: input.host.steps.map((s) => ({
            number: s.number,
            name: s.name,
            resource: s.resource.name,
            script: s.script,
            deleteScript: s.deleteScript,
            stdin: s.stdin && {
                writes: s.stdin.hostPath,
                here: s.stdin.hostPath ? hostCopy(s.stdin.hostPath) : undefined,
                secret: s.stdin.secret,
            },
            triggers: triggersOf(s.triggers).map((t) => describe.trigger(t)),
            // The engine holds the whole list secret when one trigger is (a hash of a secret file).
            triggersSecretInState: s.triggers instanceof Secret,
        })),
        connection: connectionOf(input.host.steps[0]?.resource),
        hostFiles: input.host.hostFiles.map((f) => ({ path: f.hostPath, mode: f.mode, owner: f.owner, writtenBy: f.writtenBy, secret: f.secret, here: hostCopy(f.hostPath) })),
        outputs: input.outputs.map((o) => ({ name: o.name, value: o.value, secret: o.secret })),
    };
}

/** The plan as plan.json holds it. */
export type Plan = ReturnType<typeof buildPlan>;

const triggersOf = (triggers: unknown): unknown[] => (triggers instanceof Secret ? triggersOf(triggers.value) : Array.isArray(triggers) ? triggers : []);

/** How every step reaches the host (the same for all of them); the engine holds it secret, for its key. */
function connectionOf(resource: SynthResource | undefined): string | undefined {
    const c = reveal(resource?.inputs.connection);
    return c ? `${c.user}@${c.host} port ${c.port}, with the deploy key (${SECRET})` : undefined;
}

/** `openclaw:index:HardenedHost::openclaw` → `openclaw (HardenedHost)`: components share names. */
const parentLabel = (key: string) => {
    const [type, name] = key.split("::");
    return `${name} (${type.split(":").pop()})`;
};

const cell = (value: unknown) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text === undefined || text === "" ? "" : `\`${text.replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
};
const table = (header: string[], rows: unknown[][]) =>
    [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map((v) => (typeof v === "number" ? String(v) : v)).join(" | ")} |`)].join("\n");

function options(o: SynthResource["options"]): string {
    return [
        o.protect && "protect",
        o.retainOnDelete && "retainOnDelete",
        o.deleteBeforeReplace && "deleteBeforeReplace",
        o.ignoreChanges.length > 0 && `ignoreChanges ${o.ignoreChanges.join(", ")}`,
    ]
        .filter(Boolean)
        .join(", ");
}

/** The plan for people (plan.md). */
export function renderPlan(plan: Plan): string {
    const out: string[] = [];
    const section = (title: string, ...body: string[]) => out.push(`## ${title}`, "", ...body, "");

    out.push(
        `# Synth: stack \`${plan.stack}\` of project \`${plan.project}\``,
        "",
        `What \`pulumi up\` would create for this stack, from the real program (index.ts) run under Pulumi mocks with the config of ${plan.stackFile}: no credentials, no network, nothing created. Regenerate with \`npm run synth -- ${plan.stack}\`.`,
        "",
    );

    section(
        "Made up by synth: do not trust these",
        "Config synth could not read or that the stack file leaves out:",
        "",
        ...(plan.madeUp.config.length > 0 ? plan.madeUp.config.map((n) => `- ${n}`) : ["- nothing"]),
        "",
        "Provider answers replaced by fixed stand-ins:",
        "",
        ...(plan.madeUp.standIns.length > 0 ? plan.madeUp.standIns.map((f) => `- \`${f.source}\`: ${f.standIn}`) : ["- none"]),
        "",
        "Values the providers compute at `pulumi up`:",
        "",
        ...plan.madeUp.mockValues.map((m) => `- ${m}`),
    );

    section("Config", table(["key", "value", "from"], plan.config.map((c) => [cell(c.key), cell(c.value), c.from])));

    section(
        `Resources (${plan.resources.length}, in the order the program registers them)`,
        table(
            ["#", "type", "name", "parent", "options"],
            plan.resources.map((r) => [r.number, cell(r.type), cell(r.name), r.parent ? cell(parentLabel(r.parent)) : "", options(r.options)]),
        ),
    );

    const details = plan.resources.filter((r) => r.kind === "resource" && r.inputs !== undefined);
    section(
        "Resource inputs",
        `Secret inputs show as ${SECRET}. Deploy steps (command:remote:Command) are under "Deploy steps".`,
        "",
        ...details.flatMap((r) => [
            `### ${r.number}. \`${r.name}\` (${r.type})`,
            "",
            ...(r.options.dependsOn.length > 0 ? [`Depends on: ${r.options.dependsOn.map((d) => `\`${d.split("::")[1]}\``).join(", ")}`, ""] : []),
            "```yaml",
            YAML.stringify(r.inputs, { lineWidth: 0 }).trimEnd(),
            "```",
            "",
        ]),
    );

    section(
        "Deploy steps (remote commands, run in this order)",
        `Each runs as ${plan.connection ?? "the deploy user"}. A step reruns when one of its triggers changes.`,
        "",
        table(
            ["#", "step", "script", "standard input", "triggers"],
            plan.steps.map((s) => [
                s.number,
                cell(s.name),
                `${s.script}${s.deleteScript ? `, on delete ${s.deleteScript}` : ""}`,
                s.stdin ? `${s.stdin.here ?? "read by the script"}${s.stdin.secret ? " (secret)" : ""}` : "",
                [...s.triggers.map((t) => cell(t)), ...(s.triggersSecretInState ? ["(held secret in state)"] : [])].join("<br>"),
            ]),
        ),
    );

    section(
        "Files on the host",
        "Every file cloud-init or a deploy step writes, and its copy here. Secret files are written here with placeholders, to show their shape.",
        "",
        table(
            ["host path", "mode", "owner", "written by", "copy here"],
            plan.hostFiles.map((f) => [cell(f.path), f.mode, f.owner, `${f.writtenBy}${f.secret ? " (secret)" : ""}`, f.here]),
        ),
    );

    section("Stack outputs", table(["output", "value", "secret"], plan.outputs.map((o) => [cell(o.name), cell(o.value), o.secret ? "yes" : ""])));
    return `${out.join("\n").trimEnd()}\n`;
}
