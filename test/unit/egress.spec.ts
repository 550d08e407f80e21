// The egress proxy's per-client allowlists, its ACL and its command line, as pure functions of the
// settings: LiteLLM reaches the model providers alone, each gateway its channels and the operator's
// hosts alone, and a client the proxy cannot name reaches nothing.
import * as assert from "assert";
import * as YAML from "yaml";
import { egressClients, egressProbe, egressRoles, EgressInput } from "../../components/stack/egress";
import { egressProxyCommand, renderEgressAcl } from "../../components/stack/egressProxy";
import { Gateway, GATEWAYS, PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { SERVICES } from "../../components/stack/layout";

const INPUT: EgressInput = { models: ["anthropic/claude-sonnet-4-5", "openai/gpt-5", "anthropic/claude-opus-4-1"], telegram: true, extraDomains: ["Docs.Example.com", "*.example.org"] };

/** A second gateway, as the data allows: no Telegram bot of its own. */
const SECOND: Gateway = { ...PRIMARY_GATEWAY, name: "gateway-b", container: "openclaw-gateway-b", telegram: false };

const byRole = (roles: ReturnType<typeof egressRoles>) => Object.fromEntries(roles.map((r) => [r.role, r.allowedDomains]));

describe("the egress allowlists, one per client", () => {
    it("give LiteLLM the model providers' hosts and nothing else, the gateway Telegram's and the operator's hosts and no model host", () => {
        assert.deepStrictEqual(byRole(egressRoles(INPUT)), {
            litellm: ["api.anthropic.com", "api.openai.com"],
            gateway: ["*.example.org", "api.telegram.org", "docs.example.com"],
        });
        assert.deepStrictEqual(byRole(egressRoles({ ...INPUT, telegram: false, extraDomains: [] })), { litellm: ["api.anthropic.com", "api.openai.com"], gateway: [] });
    });

    it("give Telegram's host only to a gateway the bot talks to; every gateway gets the operator's hosts", () => {
        assert.deepStrictEqual(byRole(egressRoles(INPUT, [PRIMARY_GATEWAY, SECOND])), {
            litellm: ["api.anthropic.com", "api.openai.com"],
            gateway: ["*.example.org", "api.telegram.org", "docs.example.com"],
            "gateway-b": ["*.example.org", "docs.example.com"],
        });
    });

    it("name the containers from the stack's layout and gateways, and refuse a role that would name two clients", () => {
        assert.deepStrictEqual(egressClients(), [
            { role: "litellm", container: SERVICES.litellm.container },
            ...GATEWAYS.map((g) => ({ role: g.name, container: g.container })),
        ]);
        assert.throws(() => egressClients([PRIMARY_GATEWAY, { ...SECOND, name: "litellm" }]), /role litellm would name two clients/);
        assert.throws(() => egressClients([{ ...PRIMARY_GATEWAY, name: "default" }]), /role default/);
    });

    it("refuse a model whose provider's host is unknown", () => {
        assert.throws(() => egressRoles({ ...INPUT, models: ["madeup/x"] }), /No API host is known for the model provider of madeup\/x/);
    });
});

describe("the egress ACL and command line", () => {
    it("render one enforcing rule per role and a default rule that allows nothing", () => {
        const acl = YAML.parse(renderEgressAcl(egressRoles(INPUT, [PRIMARY_GATEWAY, SECOND])));
        assert.strictEqual(acl.version, "v1");
        assert.deepStrictEqual(acl.services.map((s: { name: string }) => s.name), ["litellm", "gateway", "gateway-b"]);
        for (const rule of [...acl.services, acl.default]) {
            assert.deepStrictEqual([rule.project, rule.action], ["openclaw", "enforce"], rule.name);
        }
        assert.deepStrictEqual(acl.services[0].allowed_domains, ["api.anthropic.com", "api.openai.com"]);
        assert.deepStrictEqual(acl.default, { name: "default", project: "openclaw", action: "enforce", allowed_domains: [] });
    });

    it("quote a wildcard host for YAML 1.1, as Smokescreen's yaml.v2 reads it", () => {
        assert.match(renderEgressAcl(egressRoles(INPUT)), /^ {6}- "\*\.example\.org"$/m);
    });

    it("give the proxy one --client-role per client after Smokescreen's own flags, the same for every config", () => {
        const command = egressProxyCommand(egressClients([PRIMARY_GATEWAY, SECOND]));
        assert.deepStrictEqual(command.slice(-3), ["--client-role=litellm=openclaw-litellm", "--client-role=gateway=openclaw-gateway", "--client-role=gateway-b=openclaw-gateway-b"]);
        assert.strictEqual(command[0], "--egress-acl-file=/etc/smokescreen/acl.yaml");
        assert.deepStrictEqual(egressProxyCommand().filter((a) => a.startsWith("--client-role=")), ["--client-role=litellm=openclaw-litellm", "--client-role=gateway=openclaw-gateway"]);
    });
});

describe("the deploy's egress probe", () => {
    it("takes LiteLLM's first model host, the gateway's first exact host LiteLLM may not reach, and an example domain no role names", () => {
        assert.deepStrictEqual(egressProbe(egressRoles(INPUT)), { allowed: "api.anthropic.com", refused: "example.com", gatewayOnly: "api.telegram.org" });
        assert.deepStrictEqual(egressProbe(egressRoles({ ...INPUT, extraDomains: ["example.com"] })), { allowed: "api.anthropic.com", refused: "example.net", gatewayOnly: "api.telegram.org" });
    });

    it("has no gateway host when the gateway may reach nothing, and never one LiteLLM may reach too", () => {
        assert.deepStrictEqual(egressProbe(egressRoles({ ...INPUT, telegram: false, extraDomains: [] })), { allowed: "api.anthropic.com", refused: "example.com" });
        assert.deepStrictEqual(egressProbe(egressRoles({ ...INPUT, telegram: false, extraDomains: ["api.anthropic.com"] })), { allowed: "api.anthropic.com", refused: "example.com" });
    });

    it("refuses roles that leave it no host to refuse", () => {
        assert.throws(() => egressProbe(egressRoles({ ...INPUT, extraDomains: ["example.com", "example.net", "example.org"] })), /one of example\.com, example\.net, example\.org left out/);
    });
});
