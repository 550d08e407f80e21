// What would land on the host, taken from the recorded resources: the cloud-init user data and the
// files it writes, each deploy step's script, and the files each step writes, whether from its
// standard input or from a here-document in its script. Everything is read from the scripts the
// program really registered, so this cannot drift from components/stack/steps.ts.
import * as YAML from "yaml";
import { fromInvocation } from "../components/deployStep";
import { CLOUD_NAMES, clouds } from "../providers";
import { Secret, SynthResource, reveal } from "./mocks";

/** A file synth writes, relative to `out/<stack>/`. Content is raw here: index.ts scrubs it. */
export interface OutputFile {
    readonly path: string;
    readonly content: string;
    readonly executable: boolean;
}

/** A file on the host, and what writes it. */
export interface HostFile {
    /** Absolute path on the host. */
    readonly hostPath: string;
    readonly mode: string;
    readonly owner: string;
    /** `cloud-init` or the step's name. */
    readonly writtenBy: string;
    /** Its content is secret as a whole (written with placeholders). */
    readonly secret: boolean;
    readonly content: string;
}

/** One remote command of the deploy. */
export interface DeployStepRecord {
    readonly number: number;
    readonly name: string;
    readonly resource: SynthResource;
    /** Relative path of its script under `out/<stack>/`. */
    readonly script: string;
    readonly deleteScript?: string;
    /** The host file its standard input becomes, or how the script uses it. */
    readonly stdin?: { readonly hostPath?: string; readonly secret: boolean };
    /** As the engine received them: a list, or a `Secret` list when one of them is secret. */
    readonly triggers: unknown;
}

/** Everything that would land on the host, and the steps that put it there. */
export interface HostContents {
    readonly files: OutputFile[];
    readonly hostFiles: HostFile[];
    readonly steps: DeployStepRecord[];
    /** The server's `#cloud-config`; none on a server the operator already has. */
    readonly userData?: string;
}

/** The write_file line that takes the file from standard input (no here-document). */
const STDIN_WRITE = /^write_file (\S+) (\S+) (\S+)$/gm;
/** `write_file TARGET MODE OWNER <<'MARKER'` ... `MARKER` (components/stack/steps.ts, hereDocument). */
const HERE_DOCUMENT = /^write_file (\S+) (\S+) (\S+) <<'(\w+)'\n([\s\S]*?)\n\4$/gm;

/** Where a host file goes under `out/<stack>/`. */
export const hostCopy = (hostPath: string) => `host${hostPath}`;

/** The files cloud-init's `write_files` puts on the host. */
function cloudInitFiles(userData: string): HostFile[] {
    const config = YAML.parse(userData.replace(/^#cloud-config\n/, "")) ?? {};
    return (config.write_files ?? []).map((entry: { path: string; content: string; permissions?: string; owner?: string; encoding?: string }) => {
        if (entry.encoding && !["text/plain"].includes(entry.encoding)) {
            // The plain text is what a reviewer needs; an encoded entry would need decoding first.
            throw new Error(`synth: cloud-init write_files ${entry.path} uses encoding ${entry.encoding}, which synth does not decode`);
        }
        return { hostPath: entry.path, mode: entry.permissions ?? "0644", owner: entry.owner ?? "root:root", writtenBy: "cloud-init", secret: false, content: entry.content ?? "" };
    });
}

const stepName = (r: SynthResource) => r.name.replace(/^openclaw-/, "");

/** Collects the host's files and the deploy steps from the recorded resources. */
export function hostContents(resources: readonly SynthResource[]): HostContents {
    // The server, whatever the cloud: its provider says where its user data is.
    const servers = CLOUD_NAMES.flatMap((cloud) => resources.filter((r) => r.type === clouds[cloud].parts.server).map((r) => ({ cloud, r })));
    // A server the operator already has (cloud existing) has no user data: its hardening is a step.
    const existingServer = resources.some((r) => r.type === "command:remote:Command" && stepName(r) === "first-login");
    if (servers.length !== (existingServer ? 0 : 1)) throw new Error(`synth: expected ${existingServer ? "no" : "one"} server, found ${servers.length}`);
    const userData: string | undefined = servers.length === 1 ? clouds[servers[0].cloud].userDataOf(reveal(servers[0].r.inputs)) : undefined;

    const hostFiles: HostFile[] = userData === undefined ? [] : cloudInitFiles(userData);
    const files: OutputFile[] = userData === undefined ? [] : [{ path: "user-data.yaml", content: userData, executable: false }];
    const steps: DeployStepRecord[] = [];

    resources
        .filter((r) => r.type === "command:remote:Command")
        .forEach((resource, number) => {
            const name = stepName(resource);
            const prefix = `steps/${String(number).padStart(2, "0")}-${name}`;
            // A deploy step's script arrives at the head of its standard input (`invocation`).
            const command: string = reveal(resource.inputs.create) ?? "";
            const sent = fromInvocation(command, reveal(resource.inputs.stdin) ?? "");
            const script = sent?.script ?? command;
            const ownStdin: string | undefined = sent ? sent.stdin : reveal(resource.inputs.stdin);
            const remove: string | undefined = reveal(resource.inputs.delete);
            files.push({ path: `${prefix}.sh`, content: script, executable: true });
            if (remove) files.push({ path: `${prefix}.delete.sh`, content: remove, executable: true });

            for (const [, target, mode, owner, , content] of script.matchAll(HERE_DOCUMENT)) {
                hostFiles.push({ hostPath: target, mode, owner, writtenBy: name, secret: false, content: `${content}\n` });
            }
            let stdin: DeployStepRecord["stdin"];
            if (ownStdin !== undefined) {
                const secret = resource.inputs.stdin instanceof Secret;
                const targets = [...script.matchAll(STDIN_WRITE)];
                if (targets.length > 1) throw new Error(`synth: step ${name} writes ${targets.length} files from one standard input`);
                if (targets.length === 1) {
                    const [, target, mode, owner] = targets[0];
                    hostFiles.push({ hostPath: target, mode, owner, writtenBy: name, secret, content: ownStdin });
                }
                stdin = { hostPath: targets[0]?.[1], secret };
            }
            steps.push({
                number,
                name,
                resource,
                script: `${prefix}.sh`,
                deleteScript: remove ? `${prefix}.delete.sh` : undefined,
                stdin,
                triggers: resource.inputs.triggers ?? [],
            });
        });

    const seen = new Map<string, string>();
    for (const file of hostFiles) {
        // Two writers of one path would make the later one win on the host: show that as an error, not a guess.
        if (seen.has(file.hostPath)) throw new Error(`synth: ${file.hostPath} is written by both ${seen.get(file.hostPath)} and ${file.writtenBy}`);
        seen.set(file.hostPath, file.writtenBy);
        files.push({ path: hostCopy(file.hostPath), content: file.content, executable: /[1357]/.test(file.mode.slice(-3)) });
    }
    return { files, hostFiles, steps, userData };
}
