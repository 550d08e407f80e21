// The stack's compose file and the egress proxy's Dockerfile reach the host as the standard input of
// deploy steps (remote commands). An image that is not pinned changes under the stack without a
// `pulumi up`: a floating tag pulls whatever was pushed last, on the next restart or rebuild.
import { parse } from "yaml";
import { imageReferenceProblem } from "./imageReference";
import { describe, ResourceView } from "./values";

export { imageReferenceProblem };

/** Resource types whose `stdin` carries files to the host. */
export const COMMAND_TYPES: readonly string[] = ["command:remote:Command", "command:local:Command"];

/** The compose file's services, when the text is one (a YAML map with a `services` map); else undefined. */
function composeServices(text: string): Readonly<Record<string, unknown>> | undefined {
    if (!/^services:/m.test(text)) return undefined;
    let doc: unknown;
    try {
        doc = parse(text);
    } catch {
        return undefined;
    }
    const services = doc !== null && typeof doc === "object" ? (doc as Record<string, unknown>).services : undefined;
    return services !== null && typeof services === "object" ? (services as Record<string, unknown>) : undefined;
}

/** The `FROM` images of a Dockerfile, less `scratch` and earlier build stages it names. */
export function dockerfileBaseImages(text: string): string[] {
    const stages: string[] = [];
    const images: string[] = [];
    for (const line of text.split("\n")) {
        const match = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
        if (!match) continue;
        const [, image, stage] = match;
        if (image.toLowerCase() !== "scratch" && !stages.includes(image.toLowerCase())) images.push(image);
        if (stage) stages.push(stage.toLowerCase());
    }
    return images;
}

/**
 * The program runs a deploy step with a one-line command that reads the step's script from the head
 * of standard input (components/deployStep.ts, `invocation`): `exec bash -c "$(head -c N)" NAME`.
 * The step's own input (a compose file, a Dockerfile) is what follows those N bytes.
 */
export const STEP_INVOCATION = /^exec bash -c "\$\(head -c (\d+)\)" [a-z0-9-]+$/;

/** The standard input a command hands its own script: all of it, or what follows a deploy step's script. */
export function ownStdin(props: Readonly<Record<string, unknown>>): string | undefined {
    const { stdin, create } = props;
    if (typeof stdin !== "string") return undefined;
    const invocation = typeof create === "string" ? STEP_INVOCATION.exec(create) : null;
    return invocation ? Buffer.from(stdin, "utf8").subarray(Number(invocation[1])).toString("utf8") : stdin;
}

/**
 * pinned-images: every image the deploy steps hand the host is pinned: each compose service's
 * `image` (a service that is only built needs none), and each Dockerfile's `FROM`. Standard input
 * that is not known yet (it holds secrets computed from other resources) is skipped.
 */
export function imagePinViolations(resource: ResourceView): string[] {
    if (!COMMAND_TYPES.includes(resource.type)) return [];
    const stdin = ownStdin(resource.props);
    if (stdin === undefined) return [];
    const violations: string[] = [];
    const services = composeServices(stdin);
    if (services) {
        for (const [service, definition] of Object.entries(services)) {
            const image = definition !== null && typeof definition === "object" ? (definition as Record<string, unknown>).image : undefined;
            if (image === undefined) continue;
            const problem = typeof image === "string" ? imageReferenceProblem(image) : "it is not a string";
            if (problem) violations.push(`${describe(resource)}: compose service ${service} runs image "${String(image)}"; ${problem}.`);
        }
    } else {
        for (const image of dockerfileBaseImages(stdin)) {
            const problem = imageReferenceProblem(image);
            if (problem) violations.push(`${describe(resource)}: the Dockerfile builds FROM "${image}"; ${problem}.`);
        }
    }
    return violations;
}
