import * as assert from "assert";
import { CONFIG_KEYS, DEFAULTS, parseSettings, PROJECT } from "../../components/settings";
import { devConfigFor, rawConfig, SECRET_KEYS } from "../fixtures";
import { commentedKeys, CONTRACT_KEYS, declaredKeys, OBJECT_KEYS, project } from "../projectFile";

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
        keys: () => Object.keys(values),
    });
    return [...read].filter((key) => key.startsWith(`${PROJECT}:`)).map((key) => key.slice(PROJECT.length + 1));
}

describe("Pulumi.yaml", () => {
    it("is the openclaw project on the nodejs runtime", () => {
        assert.strictEqual(project.name, PROJECT);
        assert.strictEqual(project.runtime.name, "nodejs");
    });

    it("declares every key the program reads, with a type and a description, or documents it in its comments", () => {
        const read = keysTheParserReads();
        for (const key of read) {
            if (key in commentedKeys) {
                assert.ok(commentedKeys[key].length > 10, `${key} has a description in the comments`);
                continue;
            }
            assert.ok(declaredKeys[key], `${key} is declared under config: or documented in the comments`);
            assert.ok(["string", "integer", "boolean", "array"].includes(declaredKeys[key].type), `${key} has a type`);
            assert.ok(declaredKeys[key].description?.length > 10, `${key} has a description`);
        }
        for (const key of CONTRACT_KEYS) assert.ok(read.includes(key), `${key} is in Pulumi.yaml but the program never reads it`);
        for (const key of OBJECT_KEYS) assert.ok(key in commentedKeys, `${key} is documented in the comments`);
    });

    it("declares under config: only keys that have a default or that the program requires, since the CLI requires every key declared without a default", () => {
        const required = Object.entries(declaredKeys).filter(([, spec]) => spec.default === undefined).map(([key]) => key);
        assert.deepStrictEqual(required.sort(), ["adminCidrs", "cloud"]);
        for (const key of required) {
            const config = devConfigFor("hetzner");
            delete config[`${PROJECT}:${key}`];
            assert.throws(() => parseSettings(rawConfig(config, SECRET_KEYS)), new RegExp(`${PROJECT}:${key}`), `the program refuses a stack without ${key} too`);
        }
    });

    it("declares the same defaults the program applies", () => {
        const declared = declaredKeys;
        const expected: Record<string, unknown> = { ...DEFAULTS };
        delete expected.models;
        for (const [key, value] of Object.entries(expected)) {
            assert.deepStrictEqual(declared[key]?.default, value, `default of ${key}`);
        }
        for (const [key, spec] of Object.entries(declared)) {
            if (spec.default !== undefined) assert.ok(key in expected, `${key} has a default in Pulumi.yaml the program does not know`);
        }
    });

    it("holds exactly the keys the program knows (CONFIG_KEYS), so a key outside them is refused, not ignored", () => {
        assert.deepStrictEqual([...CONFIG_KEYS].sort(), [...CONTRACT_KEYS].sort());
    });

    it("marks the secret keys secret", () => {
        for (const key of SECRET_KEYS.map((k) => k.slice(PROJECT.length + 1))) {
            if (key in commentedKeys) assert.match(commentedKeys[key], /^secret\b/, `${key} is documented as secret`);
            else assert.strictEqual(declaredKeys[key].secret, true, `${key} is declared secret`);
        }
    });
});

describe("Pulumi.yaml's template section (pulumi new)", () => {
    const template = project.template as { displayName: string; description: string; config: Record<string, { description?: string; default?: string; secret?: boolean }> };

    it("asks only for keys the program declares, or for provider credentials, each with a description", () => {
        assert.ok(template.displayName && template.description, "a name and a description");
        for (const [key, spec] of Object.entries(template.config)) {
            const [namespace, name] = key.split(":");
            assert.ok(namespace === PROJECT ? CONTRACT_KEYS.includes(name) : ["cloudflare", "hcloud", "digitalocean", "aws"].includes(namespace), `${key} is declared or a provider key`);
            assert.ok((spec.description ?? "").length > 10, `${key} has a description`);
        }
    });

    it("asks for secrets as secrets, and its defaults are values the program accepts", () => {
        for (const [key, spec] of Object.entries(template.config)) {
            if (/token|key/i.test(key) && !/Id$/.test(key)) assert.strictEqual(spec.secret, true, `${key} is asked for as a secret`);
        }
        const defaults = Object.fromEntries(Object.entries(template.config).filter(([, spec]) => spec.default !== undefined).map(([key, spec]) => [key, spec.default!]));
        const config = { ...devConfigFor("hetzner"), ...defaults };
        assert.doesNotThrow(() => parseSettings(rawConfig(config, SECRET_KEYS)));
    });

    it("does not ask for list or map keys, which a template can only set as text", () => {
        for (const key of Object.keys(template.config).filter((k) => k.startsWith(`${PROJECT}:`))) {
            const name = key.slice(PROJECT.length + 1);
            assert.ok(!OBJECT_KEYS.includes(name) && declaredKeys[name]?.type !== "array", `${key} must not be a list or map`);
        }
    });
});
