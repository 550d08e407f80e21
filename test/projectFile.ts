// A Pulumi.yaml's config contract, as the tests read it: keys declared under `config:` (typed; with
// a default, or required), and keys documented only in its comments (object keys, and optional
// keys without a fixed default, which the CLI would otherwise require).
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ROOT } from "./fixtures";

export interface ProjectFile {
    readonly text: string;
    readonly project: any;
    /** Keys declared under `config:`, with their schema. */
    readonly declaredKeys: Readonly<Record<string, { type: string; description: string; default?: unknown; secret?: boolean }>>;
    /** Keys documented in the comments (`#   key   description`), with their description. */
    readonly commentedKeys: Readonly<Record<string, string>>;
    /** Every key of the contract. */
    readonly contractKeys: readonly string[];
}

export function readProjectFile(file: string): ProjectFile {
    const text = fs.readFileSync(file, "utf8");
    const project = YAML.parse(text);
    const declaredKeys = project.config ?? {};
    const commentedKeys = Object.fromEntries([...text.matchAll(/^# {3}(\w+) +(\S.*(?:\n# {4,}\S.*)*)/gm)].map((m) => [m[1], m[2].replace(/\n# +/g, " ")]));
    return { text, project, declaredKeys, commentedKeys, contractKeys: [...Object.keys(declaredKeys), ...Object.keys(commentedKeys)] };
}

/** The OpenClaw program's own Pulumi.yaml. */
export const { project, declaredKeys, commentedKeys, contractKeys: CONTRACT_KEYS } = readProjectFile(path.join(ROOT, "Pulumi.yaml"));

/** Keys Pulumi's schema cannot type (objects). */
export const OBJECT_KEYS = ["llmApiKeys", "models"];
