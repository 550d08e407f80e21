import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DEFAULTS, parseSettings, PROJECT } from "../../components/settings";
import { devConfigFor, ROOT, SECRET_KEYS } from "../fixtures";

const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
const projectText = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");

/** The keys Pulumi's project schema cannot type (objects); Pulumi.yaml documents them in comments. */
const OBJECT_KEYS = ["llmApiKeys", "models"];

/** Every key the parser reads, found by watching it read a complete config. */
function keysTheParserReads(): string[] {
    const read = new Set<string>();
    const values = devConfigFor("hetzner");
    parseSettings({
        get: (key) => {
            read.add(key);
            return values[key];
        },
        isSecret: (key) => SECRET_KEYS.includes(key),
    });
    return [...read].filter((key) => key.startsWith(`${PROJECT}:`)).map((key) => key.slice(PROJECT.length + 1));
}

describe("Pulumi.yaml", () => {
    it("is the openclaw project on the nodejs runtime", () => {
        assert.strictEqual(project.name, PROJECT);
        assert.strictEqual(project.runtime.name, "nodejs");
    });

    it("declares every key the program reads, with a type and a description", () => {
        const declared = project.config as Record<string, { type: string; description: string }>;
        const read = keysTheParserReads();
        for (const key of read) {
            if (OBJECT_KEYS.includes(key)) {
                assert.ok(new RegExp(`^#\\s+${key}\\s`, "m").test(projectText), `${key} is documented in Pulumi.yaml`);
                continue;
            }
            assert.ok(declared[key], `${key} is declared under config:`);
            assert.ok(["string", "integer", "boolean", "array"].includes(declared[key].type), `${key} has a type`);
            assert.ok(declared[key].description?.length > 10, `${key} has a description`);
        }
        for (const key of Object.keys(declared)) {
            assert.ok(read.includes(key), `${key} is declared but the program never reads it`);
        }
    });

    it("declares the same defaults the program applies", () => {
        const declared = project.config as Record<string, { default?: unknown }>;
        const expected: Record<string, unknown> = { ...DEFAULTS };
        delete expected.models;
        for (const [key, value] of Object.entries(expected)) {
            assert.deepStrictEqual(declared[key]?.default, value, `default of ${key}`);
        }
        for (const [key, spec] of Object.entries(declared)) {
            if (spec.default !== undefined) assert.ok(key in expected, `${key} has a default in Pulumi.yaml the program does not know`);
        }
    });

    it("marks the secret keys secret", () => {
        for (const key of SECRET_KEYS.map((k) => k.slice(PROJECT.length + 1)).filter((k) => !OBJECT_KEYS.includes(k))) {
            assert.strictEqual(project.config[key].secret, true, `${key} is declared secret`);
        }
    });
});

describe("Pulumi.yaml's template section (pulumi new)", () => {
    const template = project.template as { displayName: string; description: string; config: Record<string, { description?: string; default?: string; secret?: boolean }> };

    it("asks only for keys the program declares, or for provider credentials, each with a description", () => {
        assert.ok(template.displayName && template.description, "a name and a description");
        const declared = Object.keys(project.config);
        for (const [key, spec] of Object.entries(template.config)) {
            const [namespace, name] = key.split(":");
            assert.ok(namespace === PROJECT ? declared.includes(name) : ["cloudflare", "hcloud", "digitalocean", "aws"].includes(namespace), `${key} is declared or a provider key`);
            assert.ok((spec.description ?? "").length > 10, `${key} has a description`);
        }
    });

    it("asks for secrets as secrets, and its defaults are values the program accepts", () => {
        for (const [key, spec] of Object.entries(template.config)) {
            if (/token|key/i.test(key) && !/Id$/.test(key)) assert.strictEqual(spec.secret, true, `${key} is asked for as a secret`);
        }
        const defaults = Object.fromEntries(Object.entries(template.config).filter(([, spec]) => spec.default !== undefined).map(([key, spec]) => [key, spec.default!]));
        const config = { ...devConfigFor("hetzner"), ...defaults };
        assert.doesNotThrow(() => parseSettings({ get: (key) => config[key], isSecret: (key) => SECRET_KEYS.includes(key) }));
    });

    it("does not ask for list or map keys, which a template can only set as text", () => {
        const typed = project.config as Record<string, { type: string }>;
        for (const key of Object.keys(template.config).filter((k) => k.startsWith(`${PROJECT}:`))) {
            const name = key.slice(PROJECT.length + 1);
            assert.ok(!OBJECT_KEYS.includes(name) && typed[name]?.type !== "array", `${key} must not be a list or map`);
        }
    });
});
