// A new stack's first `pulumi preview`, under mocks that answer as a preview does (no ids, every
// output a provider computes unknown): `npm run synth -- <stack> --first-preview` must find no
// input that the engine or its provider cannot carry. Mocks that resolve every output hid the one
// that stopped real first previews (a secret hash of the generated passwords in `triggers`).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { carriesUnknownSecret, firstPreviewProblems, unknownSecrets } from "../../synth/firstPreview";
import { SynthResource } from "../../synth/mocks";
import { ROOT } from "../fixtures";

const secretAround = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });
const UNKNOWN = pulumi.runtime.unknownValue;

function resource(type: string, sent: Record<string, unknown>): SynthResource {
    return { type, name: "r", custom: true, inputs: {}, sent, options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], dependsOn: [], additionalSecretOutputs: [] } };
}

/** A stack file: dev's, with `change` applied to its config. */
function stackFile(change: (config: Record<string, unknown>) => void): string {
    const file = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
    change(file.config);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "first-preview-"));
    const target = path.join(dir, "Pulumi.preview.yaml");
    fs.writeFileSync(target, YAML.stringify(file));
    return target;
}

const secure = (placeholder: string) => ({ secure: placeholder });

/** Configs that between them reach every secret the program handles and every kind of step. */
const CONFIGS: Record<string, () => string> = {
    "dev (Hetzner, tunnel, R2)": () => path.join(ROOT, "Pulumi.dev.yaml"),
    "prod (AWS, tunnel, S3, Telegram)": () => path.join(ROOT, "Pulumi.prod.yaml"),
    "a server you already have, Tailscale, alerts": () =>
        stackFile((config) => {
            for (const key of ["openclaw:region", "openclaw:serverType", "openclaw:domain", "openclaw:cloudflareAccountId", "openclaw:cloudflareZoneId"]) delete config[key];
            Object.assign(config, {
                "openclaw:cloud": "existing",
                "openclaw:serverAddress": "203.0.113.10",
                "openclaw:firstLoginKey": secure("k"),
                "openclaw:ingress": "tailscale",
                "openclaw:tailscaleAuthKey": secure("t"),
                "openclaw:telegramBotToken": secure("b"),
                "openclaw:alertTelegramChatId": "123456789",
                "openclaw:alertWebhookUrl": secure("w"),
            });
        }),
    "DigitalOcean, caddy": () => stackFile((config) => Object.assign(config, { "openclaw:cloud": "digitalocean", "openclaw:region": "fra1", "openclaw:serverType": "s-2vcpu-4gb", "openclaw:ingress": "caddy" })),
};

describe("a new stack's first preview (synth --first-preview)", function () {
    this.timeout(180_000);

    for (const [label, config] of Object.entries(CONFIGS)) {
        it(`${label}: no input holds a secret around an unknown where its provider cannot carry it`, () => {
            const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "synth/index.ts", "preview", "--first-preview", "--config-file", config()], {
                cwd: ROOT,
                encoding: "utf8",
                timeout: 150_000,
            });
            assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`);
            assert.match(result.stdout, /a first preview of preview sends \d+ resources, and no input/);
        });
    }

    it("finds a secret around an unknown at any depth, and nothing in a known secret or a plain unknown", () => {
        assert.deepStrictEqual(unknownSecrets({ triggers: ["a", secretAround(UNKNOWN)], connection: { privateKey: secretAround(UNKNOWN) } }), ["triggers[1]", "connection.privateKey"]);
        assert.deepStrictEqual(unknownSecrets({ triggers: [secretAround("known"), UNKNOWN], stdin: secretAround({ nested: [secretAround(UNKNOWN)] }) }), ["stdin.nested[0]"]);
    });

    it("refuses it in pulumi-command's triggers and in a provider nobody checked; lets typed inputs carry it", () => {
        const problems = firstPreviewProblems([
            resource("command:remote:Command", { triggers: ["id", secretAround(UNKNOWN)], stdin: secretAround(UNKNOWN), connection: { privateKey: secretAround(UNKNOWN) } }),
            resource("command:local:Command", { environment: { KEY: secretAround(UNKNOWN) } }),
            resource("random:index/randomPassword:RandomPassword", { keepers: { rotation: secretAround(UNKNOWN) } }),
            resource("newcloud:index/server:Server", { userData: secretAround(UNKNOWN) }),
        ]);
        assert.deepStrictEqual(problems.map((p) => p.split(" is a secret")[0]), ["command:remote:Command r: triggers[1]", "newcloud:index/server:Server r: userData"]);
        assert.ok(carriesUnknownSecret("command:remote:Command", "stdin"));
        assert.ok(!carriesUnknownSecret("command:remote:CopyToRemote", "triggers"));
    });
});
