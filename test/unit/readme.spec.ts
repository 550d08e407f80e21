// The README is the operator's manual: its config table, its `pulumi config set` lines, its npm
// commands and its outputs must name what the code really has, so the docs cannot drift.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT, STATE_STORES } from "../../components/settings";
import { clouds, CLOUD_NAMES } from "../../providers";
import { ROOT_VOLUME_GB } from "../../providers/aws";
import { ROOT } from "../fixtures";
import { CONTRACT_KEYS } from "../projectFile";
import { ALL_DOCS, DOC_FILES, README as readme } from "../docs";
import { OPS_COMMANDS } from "../../ops/cli";

const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
const indexSource = fs.readFileSync(path.join(ROOT, "index.ts"), "utf8");
/** The outputs index.ts exports: the keys of its `export = {...}` (those under `ifSet` only where set). */
const exportedNames = () => [...indexSource.slice(indexSource.indexOf("export = {")).matchAll(/^ {4,8}(\w+): deployment\./gm)].map((m) => m[1]);

const PROVIDER_NAMESPACES = [...CLOUD_NAMES.map((cloud) => clouds[cloud].config.namespace), "cloudflare"];

/** The configuration reference, where the keys and outputs tables are. */
const CONFIGURATION = DOC_FILES["docs/configuration.md"];

/** The text of `## <heading>` in `text` up to the next `## `. */
function section(text: string, heading: string): string {
    const start = text.indexOf(`\n## ${heading}\n`);
    assert.ok(start >= 0, `there is a "## ${heading}" section`);
    return text.slice(start + 1).split(/\n## /)[0];
}

/** The rows of the markdown table that follows a `## <heading>`, first cell without backticks. */
function tableKeys(text: string, heading: string): string[] {
    return [...section(text, heading).matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
}

/** Table rows (not header or divider) of a section whose first cell starts with `first`. */
function rowsStartingWith(text: string, first: RegExp): string[] {
    return text.split("\n").filter((line) => line.startsWith("| ") && first.test(line.slice(2)));
}

const SOURCED = /\]\(https?:\/\/[^)]+\)/;
const DATED = /\b20\d\d-\d\d-\d\d\b/;

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");

describe("the README and docs/ link only to what exists", () => {
    const files: Record<string, string> = { "README.md": readme, ...DOC_FILES };
    const anchors = (text: string) => new Set([...text.replace(/```[\s\S]*?```/g, "").matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1])));
    for (const [file, text] of Object.entries(files)) {
        it(`${file}: every relative link leads to a file, and every #anchor to a heading there`, () => {
            for (const [, target] of text.matchAll(/\]\((?!https?:|mailto:)([^)\s]+)\)/g)) {
                const [linked, anchor] = target.split("#");
                const resolved = linked === "" ? file : path.normalize(path.join(path.dirname(file), linked));
                assert.ok(fs.existsSync(path.join(ROOT, resolved)), `${file} links to ${target}, which does not exist`);
                if (anchor !== undefined) {
                    const targetText = files[resolved] ?? fs.readFileSync(path.join(ROOT, resolved), "utf8");
                    assert.ok(anchors(targetText).has(anchor), `${file} links to ${target}, a heading ${resolved} does not have`);
                }
            }
        });
    }
});

describe("the README matches the code", () => {
    it("the configuration table (docs/configuration.md) lists exactly the keys of Pulumi.yaml's contract", () => {
        assert.deepStrictEqual([...tableKeys(CONFIGURATION, "Keys")].sort(), [...CONTRACT_KEYS].sort());
    });

    it("every `pulumi config set` line sets a declared key or a provider's own", () => {
        // The key follows the flags, quoted when it has a --path: `pulumi config set --secret --path 'llmApiKeys.X' ...`.
        const keys = [...ALL_DOCS.matchAll(/pulumi config set(?:\s+--[a-z-]+)*\s+'?([A-Za-z]\w*(?::\w+)?)/g)].map((m) => m[1]);
        assert.ok(keys.length > 10, "the README shows how to set config");
        for (const key of keys) {
            const [namespace, name] = key.includes(":") ? key.split(":") : [PROJECT, key];
            if (namespace === PROJECT) {
                assert.ok(CONTRACT_KEYS.includes(name), `the README sets ${key}, which Pulumi.yaml does not name`);
            } else {
                assert.ok(PROVIDER_NAMESPACES.includes(namespace), `the README sets ${key}, in a namespace that is neither ours nor a provider's`);
            }
        }
    });

    it("every `npm run` command it gives exists in package.json", () => {
        const commands = [...ALL_DOCS.matchAll(/npm run (?:--[a-z]+ )*([a-z0-9:-]*[a-z0-9])/g)].map((m) => m[1]);
        assert.ok(commands.length > 0);
        for (const command of new Set(commands)) assert.ok(command in scripts, `npm run ${command} is not a script in package.json`);
        assert.ok(readme.includes("npm test"), "the README gives the test command CI runs");
    });

    it("every day-2 helper it gives (`npm run --silent ops -- <command>`) is one the helper knows", () => {
        const helpers = [...ALL_DOCS.matchAll(/npm run --silent ops -- (?:--stack \S+ |-o \S+ )*([a-z-]+)/g)].map((m) => m[1]);
        assert.ok(helpers.length >= 5, `only ${helpers.join(", ")}`);
        for (const helper of new Set(helpers)) assert.ok(OPS_COMMANDS.includes(helper), `ops has no ${helper} command`);
    });

    it("the outputs table (docs/configuration.md) lists exactly the stack outputs index.ts exports", () => {
        const exported = exportedNames();
        assert.deepStrictEqual([...tableKeys(CONFIGURATION, "Outputs")].sort(), [...exported].sort());
    });

    it("every `pulumi stack output` it reads is a real output", () => {
        const exported = exportedNames();
        for (const [, name] of ALL_DOCS.matchAll(/pulumi stack output (\w+)/g)) assert.ok(exported.includes(name), `pulumi stack output ${name} is not exported`);
    });

    describe("the cost table (docs/costs.md)", () => {
        const costs = DOC_FILES["docs/costs.md"];

        it("prices each cloud's default server type in its default region, with a source and a date", () => {
            for (const cloud of CLOUD_NAMES) {
                const [row] = rowsStartingWith(costs, new RegExp(`^${clouds[cloud].title} \\(`));
                assert.ok(row, `the cost table has a row for ${cloud}`);
                const catalog = clouds[cloud].catalog;
                const [where, server] = row.slice(2).split(" | ");
                assert.ok(server.startsWith(`\`${catalog.defaultServerType}\`:`), `the ${cloud} row prices ${catalog.defaultServerType}, the default server type`);
                if (catalog.region.from === "program") assert.ok(where.includes(`\`${catalog.region.default}\``), `the ${cloud} row names ${catalog.region.default}, the default region`);
                assert.match(row, SOURCED, `the ${cloud} row links its source`);
                assert.match(row, DATED, `the ${cloud} row dates its prices`);
            }
        });

        it("gives the AWS root volume the size the program provisions", () => {
            const [row] = rowsStartingWith(costs, /^AWS \(/);
            assert.ok(row.includes(`${ROOT_VOLUME_GB} GB gp3`), `the AWS row prices a ${ROOT_VOLUME_GB} GB gp3 root volume`);
        });

        it("prices every state store, each with a source and a date unless it costs nothing or no source states it", () => {
            for (const store of STATE_STORES) {
                const [row] = rowsStartingWith(costs, new RegExp(`^\`${store}\` \\|`));
                assert.ok(row, `the cost table has a row for stateStore ${store}`);
                if (/\| (nothing|.*: –) \|$/.test(row)) continue;
                assert.match(row, SOURCED, `the ${store} row links its source`);
                assert.match(row, DATED, `the ${store} row dates its price`);
            }
        });

        it("gives, for each cloud, a command that reads today's price", () => {
            for (const cloud of CLOUD_NAMES) {
                const [row] = rowsStartingWith(costs, new RegExp(`^${clouds[cloud].title} \\| \``));
                assert.ok(row, `the price commands cover ${cloud}`);
            }
        });
    });
});
