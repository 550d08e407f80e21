// A dynamic resource that does nothing but write what the engine asks of it (create, delete, with
// the inputs it was given) to a log file: the engine's decisions, observable without a cloud.
import * as pulumi from "@pulumi/pulumi";

export interface RecordedInputs {
    readonly [key: string]: pulumi.Input<unknown>;
}

/** One line of the log: what the engine did to which resource, with the inputs it passed. */
export interface RecordedEvent {
    readonly op: "create" | "delete";
    readonly name: string;
    readonly inputs: Record<string, unknown>;
}

/** Every line of the log at `log`, in order. */
export function recordedEvents(log: string): RecordedEvent[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("fs").readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((line: string) => JSON.parse(line));
}

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require("fs").appendFileSync(inputs.recordedLog, `${JSON.stringify({ op: "create", name: inputs.recordedName, inputs })}\n`);
        return { id: `${inputs.recordedName}-${Date.now()}`, outs: inputs };
    },
    async diff(_id, olds, news) {
        const replaces = ((news.recordedReplaceOn ?? []) as string[]).filter((key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]));
        return { changes: JSON.stringify(olds) !== JSON.stringify(news), replaces };
    },
    async update(_id, _olds, news) {
        return { outs: news };
    },
    async delete(_id, props) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require("fs").appendFileSync(props.recordedLog, `${JSON.stringify({ op: "delete", name: props.recordedName, inputs: props })}\n`);
    },
};

/** A resource whose create and delete are logged to `log`; a change of a `replaceOnChanges` input replaces it. */
export class Recorded extends pulumi.dynamic.Resource {
    declare readonly address: pulumi.Output<string>;

    constructor(name: string, log: string, inputs: RecordedInputs & { readonly recordedReplaceOn?: string[] }, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { address: undefined, ...inputs, recordedName: name, recordedLog: log }, opts);
    }
}
