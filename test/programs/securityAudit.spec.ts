// OpenClaw's own security audit (`openclaw security audit --json`, the pinned package) on the
// rendered config of every ingress mode, run inside the gateway's container as the deploy leaves
// it: the config directory 0700 and openclaw.json 0600, both the gateway's, mounted read-only; the
// state volume the gateway's. Nothing may be critical, and every warning must be one the README
// explains.
import * as assert from "assert";
import { node24Env, openclaw } from "../artifacts/openclaw";
import { ALL_DOCS } from "../docs";
import { composeModel, INGRESSES, materialise, SMALL, TELEGRAM_OWNER_ID } from "../renderedStack";
import { gatewayFiles } from "./gatewayFiles";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";

/** Warnings the README's security section explains, by checkId. */
export const EXPLAINED_WARNINGS = ["models.weak_tier"] as const;

interface Finding {
    readonly checkId: string;
    readonly severity: "critical" | "warn" | "info";
    readonly title: string;
    readonly detail?: string;
}

/** The audit's findings for the rendered stack of `ingress`, as the gateway's container sees it. */
async function audit(ingress: (typeof INGRESSES)[number], configMode = 0o600, telegramOwnerId?: string): Promise<Finding[]> {
    const rendered = await materialise(true, ingress, SMALL, telegramOwnerId);
    const service = composeModel(rendered.dir).services.gateway;
    const files = gatewayFiles(service, rendered.files.gatewayConfigs[PRIMARY_GATEWAY.name], configMode);
    const result = openclaw(["security", "audit", "--json"], node24Env(files.home, files.environment), files.container({}));
    assert.strictEqual(result.status, 0, result.output);
    return JSON.parse(result.stdout).findings;
}

describe("OpenClaw's security audit on the rendered config, as the deploy leaves it", function () {
    this.timeout(180_000);

    const show = (list: Finding[]) => list.map((f) => `${f.severity} ${f.checkId}: ${f.title}\n  ${f.detail ?? ""}`).join("\n");
    function assertOnlyExplained(findings: Finding[]): void {
        assert.deepStrictEqual(show(findings.filter((f) => f.severity === "critical")), "");
        const unexplained = findings.filter((f) => f.severity === "warn" && !(EXPLAINED_WARNINGS as readonly string[]).includes(f.checkId));
        assert.deepStrictEqual(show(unexplained), "");
    }

    for (const ingress of INGRESSES) {
        it(`ingress ${ingress.mode}: nothing critical, and only warnings the README explains`, async () => {
            assertOnlyExplained(await audit(ingress));
        });
    }

    it("with a Telegram owner (telegramOwnerId): nothing critical, and only warnings the README explains", async () => {
        assertOnlyExplained(await audit(INGRESSES[0], 0o600, TELEGRAM_OWNER_ID));
    });

    it("catches a config file the deploy would have left world-readable (critical)", async () => {
        const findings = await audit(INGRESSES[0], 0o644);
        assert.ok(findings.some((f) => f.severity === "critical" && f.checkId === "fs.config.perms_world_readable"), JSON.stringify(findings, null, 2));
    });

    it("the docs explain each warning it lets through, by its checkId", () => {
        for (const checkId of EXPLAINED_WARNINGS) assert.ok(ALL_DOCS.includes(`\`${checkId}\``), `the docs do not explain ${checkId}`);
    });
});
