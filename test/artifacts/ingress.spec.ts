// The ingress files, given to the software that consumes them: the pinned Caddy on the Caddyfile,
// ShellCheck and systemd-analyze on the host firewall's script and unit, iptables-restore on the
// rules the script builds, UFW's own parser on the UFW commands it runs, and the kernel itself on
// those rules in a private network namespace. Each checker is also shown a broken file, to prove it
// is really checking.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CADDY_HEALTH_URL, renderCaddyfile, SECURITY_HEADERS } from "../../components/stack/caddyfile";
import { SSH_RULE_COMMENT } from "../../cloud-init/firewall";
import { FIREWALL_CHAINS, INGRESS_RULE_COMMENT, renderFirewallScript, renderFirewallUnit, renderIngressSources } from "../../components/stack/hostFirewall";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { HOST_FIREWALL_FILES, NETWORKS, PORTS } from "../../components/stack/layout";
import { shellQuote } from "../../components/stack/steps";
import { TEST_CLOUDFLARE_RANGES } from "../fixtures";
import { caddy, DEBIAN13_PYTHONPATH, DEBIAN_PYTHON, iptablesRestoreTest, ok, RunResult, shellcheckBash, systemdAnalyzeVerify, tempDir } from "./tools";

// ---------------------------------------------------------------------------------------------
// The Caddyfile

const DOMAIN = "claw.example.com";
const GATEWAY_UPSTREAM = `${PRIMARY_GATEWAY.container}:${PRIMARY_GATEWAY.port}`;

/** The Caddyfile text in a file of its own. */
function caddyfileAt(text: string): string {
    const file = path.join(tempDir("caddyfile"), "Caddyfile");
    fs.writeFileSync(file, text);
    return file;
}

const caddyValidate = (text: string) => caddy(["validate", "--adapter", "caddyfile", "--config", caddyfileAt(text)]);

/** `caddy adapt`: the JSON config Caddy runs, and what Caddy logged while adapting. */
function caddyAdapt(text: string): { config: any; log: string } {
    const result = caddy(["adapt", "--adapter", "caddyfile", "--config", caddyfileAt(text)]);
    assert.strictEqual(result.status, 0, result.output);
    return { config: JSON.parse(result.stdout), log: result.output.slice(result.stdout.length) };
}

/** Every handler in a JSON subtree (subroutes included), in order. */
function handlersIn(node: any): any[] {
    if (Array.isArray(node)) return node.flatMap(handlersIn);
    if (node === null || typeof node !== "object") return [];
    return [...(typeof node.handler === "string" ? [node] : []), ...Object.values(node).flatMap(handlersIn)];
}

/** The HTTP server whose routes match this host. */
function serverFor(config: any, host: string): any {
    const servers = Object.values<any>(config.apps?.http?.servers ?? {});
    const found = servers.filter((s) => (s.routes ?? []).some((r: any) => (r.match ?? []).some((m: any) => (m.host ?? []).includes(host))));
    assert.strictEqual(found.length, 1, `servers for ${host}: ${JSON.stringify(config.apps?.http?.servers)}`);
    return found[0];
}

// ---------------------------------------------------------------------------------------------
// The host firewall script, run with stand-ins

/**
 * The firewall script as the host runs it, except that it reads its sources from `sourcesFile`:
 * the host's script reads the fixed path STACK_FILES.ingressSources (/opt/openclaw/config/
 * ingress-sources), which a test must not write on this machine, so the header's SOURCES_FILE names
 * `sourcesFile` instead, and no other line differs.
 */
function firewallScriptReading(sourcesFile: string): string {
    const script = renderFirewallScript(sourcesFile);
    const hostLines = renderFirewallScript().split("\n");
    const differing = script.split("\n").filter((line, i) => line !== hostLines[i]);
    assert.deepStrictEqual(differing, [`readonly SOURCES_FILE=${sourcesFile}`], "the scripts differ in more than the sources file");
    return script;
}

/**
 * Stands in for `iptables`/`ip6tables`: records its arguments; has a DOCKER-USER chain unless
 * `$STUB_DIR/no-docker-user-TOOL` exists; has the jump to our chain once `-I` inserted it (or
 * `$STUB_DIR/jump-TOOL` exists). Anything else the script would ask is an error.
 */
const iptablesStub = (tool: string) => `#!/bin/bash
echo "${tool} $*" >>"$STUB_DIR/calls"
case " $* " in
    *" -n -L DOCKER-USER "*) [ ! -e "$STUB_DIR/no-docker-user-${tool}" ] ;;
    *" -C DOCKER-USER -j ${FIREWALL_CHAINS.main} "*) [ -e "$STUB_DIR/jump-${tool}" ] ;;
    *" -I DOCKER-USER 1 -j ${FIREWALL_CHAINS.main} "*) touch "$STUB_DIR/jump-${tool}" ;;
    *) echo "unexpected: ${tool} $*" >&2; exit 97 ;;
esac
`;

/** Stands in for `iptables-restore`/`ip6tables-restore`: records its arguments and its input. */
const restoreStub = (tool: string) => `#!/bin/bash
echo "${tool}-restore $*" >>"$STUB_DIR/calls"
cat >"$STUB_DIR/${tool}-restore.in"
`;

/**
 * Stands in for `ufw`, with UFW's own code (Debian 13's, unpacked): its parser reads each command
 * (a command UFW would refuse fails here too), `show added` prints through UFW's own formatter, and
 * rules match as UFW's backend matches them (a delete without a comment removes the rule that has
 * one). The rules are kept in `$STUB_DIR/ufw-rules.json` as the argument lists that added them.
 */
const UFW_STUB = `#!${DEBIAN_PYTHON}
import gettext, json, os, sys
gettext.install("ufw")
sys.path.insert(0, ${JSON.stringify(DEBIAN13_PYTHONPATH)})
import ufw.common, ufw.frontend, ufw.parser

stub_dir = os.environ["STUB_DIR"]
args = sys.argv[1:]
with open(os.path.join(stub_dir, "calls"), "a") as calls:
    calls.write("ufw " + " ".join(args) + "\\n")
state = os.path.join(stub_dir, "ufw-rules.json")
stored = json.load(open(state)) if os.path.exists(state) else []

def rules(argv):
    """The rules a command adds or removes, one per IP version, as UFW's frontend makes them."""
    parsed = ufw.frontend.parse_command(["ufw"] + list(argv))
    rule, iptype = parsed.data["rule"], parsed.data["iptype"]
    made = []
    for v6 in {"v4": [False], "v6": [True], "both": [False, True]}[iptype]:
        r = rule.dup_rule()
        r.set_v6(v6)
        r.normalize()
        made.append(r)
    return made

if args == ["show", "added"]:
    shown = []
    for argv in stored:
        for r in rules(argv):
            text = ufw.parser.UFWCommandRule.get_command(r)
            if text not in shown:
                shown.append(text)
    print("Added user rules (see 'ufw status' for running firewall):" + ("".join("\\nufw " + s for s in shown) if shown else "\\n(None)"))
    sys.exit(0)

try:
    wanted = rules(args)
except Exception as error:
    print("ERROR: %s" % getattr(error, "value", error), file=sys.stderr)
    sys.exit(1)
if args[0] == "delete":
    def deletes(argv):
        return any(ufw.common.UFWRule.match(old, new) == 0 or (ufw.common.UFWRule.match(old, new) == -2 and new.comment == "")
                   for old in rules(argv) for new in wanted)
    kept = [argv for argv in stored if not deletes(argv)]
    print("Rule deleted" if len(kept) < len(stored) else "Could not delete non-existent rule")
    stored = kept
elif any(ufw.common.UFWRule.match(old, new) == 0 for argv in stored for old in rules(argv) for new in wanted):
    print("Skipping adding existing rule")
else:
    stored.append(args)
    print("Rule added")
json.dump(stored, open(state, "w"))
`;

/** UFW's rules on a hardened host before the deploy: SSH (as cloud-init adds it). */
const SSH_RULE = ["allow", "proto", "tcp", "to", "any", "port", "9922", "comment", SSH_RULE_COMMENT];
/** The rule the script adds for one source: exactly what `ufw` receives. */
const ingressRule = (cidr: string) => ["allow", "from", cidr, "to", "any", "port", `${PORTS.http},${PORTS.https}`, "proto", "tcp", "comment", INGRESS_RULE_COMMENT];
/** The delete the script runs for a source it no longer lists. */
const ingressDelete = (cidr: string) => ["delete", "allow", "from", cidr, "to", "any", "port", `${PORTS.http},${PORTS.https}`, "proto", "tcp"];

/** A host for the firewall script: stand-ins on PATH, the sources file, UFW's rules. */
interface FirewallHost {
    readonly dir: string;
    readonly stubs: string;
    readonly sourcesFile: string;
}

function firewallHost(sources: readonly string[], ufwRules: readonly (readonly string[])[], options: { noDockerUser?: (4 | 6)[]; jumpPresent?: boolean } = {}): FirewallHost {
    const dir = tempDir("firewall");
    const stubs = path.join(dir, "bin");
    fs.mkdirSync(stubs);
    for (const tool of ["iptables", "ip6tables"]) {
        fs.writeFileSync(path.join(stubs, tool), iptablesStub(tool), { mode: 0o755 });
        fs.writeFileSync(path.join(stubs, `${tool}-restore`), restoreStub(tool), { mode: 0o755 });
        if (options.jumpPresent) fs.writeFileSync(path.join(dir, `jump-${tool}`), "");
    }
    for (const family of options.noDockerUser ?? []) fs.writeFileSync(path.join(dir, `no-docker-user-${family === 4 ? "iptables" : "ip6tables"}`), "");
    fs.writeFileSync(path.join(stubs, "ufw"), UFW_STUB, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "ufw-rules.json"), JSON.stringify(ufwRules));
    const sourcesFile = path.join(dir, "ingress-sources");
    // As the deploy writes it (renderIngressSources), plus a blank line and an indented comment an operator might add.
    fs.writeFileSync(sourcesFile, `${renderIngressSources(sources)}\n   # added by hand\n`);
    return { dir, stubs, sourcesFile };
}

interface FirewallRun extends RunResult {
    /** Every stand-in's invocation, in order: `tool arg ...`. */
    readonly calls: string[];
    /** The restore input each family received, if any. */
    readonly restore: { readonly 4?: string; readonly 6?: string };
    /** `ufw show added` afterwards. */
    readonly ufwAdded: string[];
}

/** Runs the rendered script on `host`: only its stand-ins and /usr/bin:/bin on PATH, as root would. */
function runFirewall(host: FirewallHost): FirewallRun {
    const callsFile = path.join(host.dir, "calls");
    fs.rmSync(callsFile, { force: true });
    for (const tool of ["iptables", "ip6tables"]) fs.rmSync(path.join(host.dir, `${tool}-restore.in`), { force: true });
    const script = path.join(host.dir, "openclaw-firewall");
    fs.writeFileSync(script, firewallScriptReading(host.sourcesFile), { mode: 0o755 });
    const env = { PATH: `${host.stubs}:/usr/bin:/bin`, STUB_DIR: host.dir, LC_ALL: "C.UTF-8" };
    const result = spawnSync("/bin/bash", [script], { encoding: "utf8", env, timeout: 60_000 });
    const read = (file: string) => (fs.existsSync(path.join(host.dir, file)) ? fs.readFileSync(path.join(host.dir, file), "utf8") : undefined);
    const calls = (read("calls") ?? "").split("\n").filter((l) => l !== "");
    const added = spawnSync(path.join(host.stubs, "ufw"), ["show", "added"], { encoding: "utf8", env });
    assert.strictEqual(added.status, 0, added.stderr);
    return {
        status: result.status,
        output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
        calls,
        restore: { 4: read("iptables-restore.in"), 6: read("ip6tables-restore.in") },
        ufwAdded: added.stdout.trim().split("\n").slice(1),
    };
}

const ufwCalls = (run: FirewallRun) => run.calls.filter((c) => c.startsWith("ufw ")).map((c) => c.slice("ufw ".length));
/** The `-A CHAIN ...` lines of restore input for one chain, in order. */
const rulesOf = (input: string, chain: string) => input.split("\n").filter((l) => l.startsWith(`-A ${chain} `));
/** How `ufw show added` lists a rule (its formatter quotes the comment). */
const shownAs = (cidr: string) => `ufw allow from ${cidr} to any port ${PORTS.http},${PORTS.https} proto tcp comment '${INGRESS_RULE_COMMENT}'`;
const SHOWN_SSH_RULE = `ufw allow 9922/tcp comment '${SSH_RULE_COMMENT}'`;

const V4 = TEST_CLOUDFLARE_RANGES.ipv4Cidrs;
const V6 = TEST_CLOUDFLARE_RANGES.ipv6Cidrs;
/** A source the deploy once allowed and no longer lists. */
const STALE = "198.51.100.0/24";

// ---------------------------------------------------------------------------------------------

describe("the ingress files, checked by the software that consumes them", function () {
    this.timeout(120_000);

    describe("the Caddyfile, through the pinned Caddy", () => {
        const caddyfile = renderCaddyfile(DOMAIN);

        it("caddy validate accepts it", () => {
            const result = caddyValidate(caddyfile);
            assert.strictEqual(result.status, 0, result.output);
            assert.match(result.output, /Valid configuration/);
        });

        it(`as Caddy runs it: admin API off, ${DOMAIN} proxied to ${GATEWAY_UPSTREAM} with the visitor's address from Cloudflare, the security headers set and Server removed`, () => {
            const { config, log } = caddyAdapt(caddyfile);
            assert.ok(!/"level":"(warn|error)"/.test(log), `caddy adapt warned:\n${log}`);
            assert.deepStrictEqual(config.admin, { disabled: true });

            const site = serverFor(config, DOMAIN);
            assert.deepStrictEqual(site.listen, [`:${PORTS.https}`]);
            const handlers = handlersIn(site.routes);
            const proxies = handlers.filter((h) => h.handler === "reverse_proxy");
            assert.strictEqual(proxies.length, 1, JSON.stringify(handlers));
            assert.deepStrictEqual(proxies[0].upstreams, [{ dial: GATEWAY_UPSTREAM }]);
            assert.deepStrictEqual(proxies[0].headers?.request?.set, { "X-Forwarded-For": ["{http.request.header.CF-Connecting-IP}"] });

            const headers = handlers.filter((h) => h.handler === "headers");
            assert.strictEqual(headers.length, 1, JSON.stringify(handlers));
            const response = headers[0].response;
            assert.deepStrictEqual(response.set, Object.fromEntries(Object.entries(SECURITY_HEADERS).map(([name, value]) => [name, [value]])));
            assert.deepStrictEqual(response.delete, ["Server"]);
            // Deferred: the headers are set on the gateway's response, after the proxy wrote its own.
            assert.strictEqual(response.deferred, true);
            assert.ok(handlers.indexOf(headers[0]) < handlers.indexOf(proxies[0]), "the proxy answers before the headers handler is reached");
        });

        it(`the container's healthcheck URL (${CADDY_HEALTH_URL}) is answered 200 on the container's loopback only, without HTTPS`, () => {
            const { config } = caddyAdapt(caddyfile);
            const health = new URL(CADDY_HEALTH_URL);
            const server = serverFor(config, health.hostname);
            assert.deepStrictEqual(server.listen, [health.host]);
            assert.deepStrictEqual(server.automatic_https?.skip, [health.hostname]);
            const responses = handlersIn(server.routes).filter((h) => h.handler === "static_response");
            assert.deepStrictEqual(responses.map((h) => h.status_code), [200]);
            assert.ok(JSON.stringify(server.routes).includes(JSON.stringify({ path: [health.pathname] })), JSON.stringify(server.routes));
            assert.ok(handlersIn(server.routes).every((h) => h.handler !== "reverse_proxy"), "the health site proxies somewhere");
        });

        it("caddy validate rejects an unknown directive and an unclosed block", () => {
            const unknown = caddyfile.replace(`\treverse_proxy ${GATEWAY_UPSTREAM} {`, `\treverse_proxi ${GATEWAY_UPSTREAM}\n\treverse_proxy ${GATEWAY_UPSTREAM} {`);
            assert.notStrictEqual(unknown, caddyfile);
            const result = caddyValidate(unknown);
            assert.notStrictEqual(result.status, 0, result.output);
            assert.match(result.output, /unrecognized directive: reverse_proxi/);

            const unclosed = caddyfile.replace(/\}\n$/, "");
            assert.notStrictEqual(caddyValidate(unclosed).status, 0);
        });
    });

    describe("the host firewall script and its unit", () => {
        it("shellcheck -s bash and bash -n accept the script", () => {
            const script = renderFirewallScript();
            assert.ok(script.startsWith("#!/bin/bash\n"), "the unit runs the script directly: it needs its shebang");
            const result = shellcheckBash("openclaw-firewall", script);
            assert.strictEqual(result.status, 0, result.output);
            ok("/bin/bash", ["-n", "-c", script]);
        });

        describe("the unit, through systemd-analyze verify (Debian 12's systemd 252)", () => {
            /**
             * A root directory for `systemd-analyze verify --root=`: Debian's stock units (the
             * targets a service depends on by default), our unit and our script at their host
             * paths, so the check never reads this machine's own /etc or /usr/local.
             */
            function systemdRoot(unit: string, scriptMode: number): { root: string; unitPath: string } {
                const root = tempDir("systemd-root");
                fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr", "lib", "systemd", "system"), { recursive: true, verbatimSymlinks: true });
                const unitPath = path.join(root, HOST_FIREWALL_FILES.unit);
                fs.mkdirSync(path.dirname(unitPath), { recursive: true });
                fs.writeFileSync(unitPath, unit);
                const script = path.join(root, HOST_FIREWALL_FILES.script);
                fs.mkdirSync(path.dirname(script), { recursive: true });
                fs.writeFileSync(script, renderFirewallScript(), { mode: scriptMode });
                return { root, unitPath };
            }

            it("accepts it, without a word, when the script is installed where ExecStart names it", () => {
                assert.strictEqual(path.posix.basename(HOST_FIREWALL_FILES.unit), HOST_FIREWALL_FILES.unitName);
                const { root, unitPath } = systemdRoot(renderFirewallUnit(), 0o755);
                const result = systemdAnalyzeVerify(root, unitPath);
                assert.strictEqual(result.status, 0, result.output);
                assert.strictEqual(result.output.trim(), "", result.output);
            });

            it("complains about an unknown key, and refuses a script that is not executable", () => {
                const unknownKey = systemdRoot(renderFirewallUnit().replace("RemainAfterExit=yes", "RemainAfterExit=yes\nRemainAfterExits=yes"), 0o755);
                assert.match(systemdAnalyzeVerify(unknownKey.root, unknownKey.unitPath).output, /Unknown key 'RemainAfterExits'/);
                const notExecutable = systemdRoot(renderFirewallUnit(), 0o644);
                const result = systemdAnalyzeVerify(notExecutable.root, notExecutable.unitPath);
                assert.notStrictEqual(result.status, 0, result.output);
                assert.match(result.output, /is not executable/);
            });
        });

        describe("run with stand-ins for iptables, ip6tables, their restore and ufw (UFW's own parser)", () => {
            describe(`ingress caddy: ${V4.length} IPv4 and ${V6.length} IPv6 sources; UFW still allows a source the deploy no longer lists`, () => {
                let host: FirewallHost;
                let first: FirewallRun;
                before(() => {
                    host = firewallHost([...V4, ...V6], [SSH_RULE, ingressRule(STALE)]);
                    first = runFirewall(host);
                });

                it("succeeds, and DOCKER-USER jumps to its chain in both families", () => {
                    assert.strictEqual(first.status, 0, first.output);
                    for (const tool of ["iptables", "ip6tables"]) {
                        assert.ok(first.calls.includes(`${tool}-restore -w --noflush`), first.calls.join("\n"));
                        assert.ok(first.calls.includes(`${tool} -w -I DOCKER-USER 1 -j ${FIREWALL_CHAINS.main}`), first.calls.join("\n"));
                    }
                    assert.match(first.output, new RegExp(`ingress sources allowed on ${PORTS.http} and ${PORTS.https}: ${V4.length + V6.length}\\b`));
                });

                it("replaces both chains in one transaction per family: published 80 and 443 go to the ingress chain, which lets the family's sources through and ends with DROP", () => {
                    for (const [family, own, other] of [
                        [4, V4, V6],
                        [6, V6, V4],
                    ] as const) {
                        const input = first.restore[family] ?? "";
                        assert.ok(input, `no ${family === 4 ? "iptables" : "ip6tables"}-restore input`);
                        const lines = input.trim().split("\n");
                        assert.deepStrictEqual(lines.slice(0, 3), ["*filter", `:${FIREWALL_CHAINS.main} - [0:0]`, `:${FIREWALL_CHAINS.ingress} - [0:0]`]);
                        assert.strictEqual(lines[lines.length - 1], "COMMIT");
                        assert.strictEqual(lines.filter((l) => l.startsWith("*") || l === "COMMIT").length, 2, "one table, one commit");
                        // Which direction of the connection is filtered is the namespace test's to judge, below.
                        for (const port of [PORTS.http, PORTS.https]) {
                            const jumps = rulesOf(input, FIREWALL_CHAINS.main).filter(
                                (rule) =>
                                    / -p tcp /.test(rule) &&
                                    / -m conntrack (.* )?--ctstate DNAT /.test(rule) &&
                                    rule.includes(` --ctorigdstport ${port} `) &&
                                    rule.endsWith(` -j ${FIREWALL_CHAINS.ingress}`),
                            );
                            assert.strictEqual(jumps.length, 1, `IPv${family}: published port ${port} does not jump to ${FIREWALL_CHAINS.ingress} once:\n${input}`);
                        }
                        // One RETURN per source of this family (matched on the packet's or the connection's original source), then DROP.
                        const ingress = rulesOf(input, FIREWALL_CHAINS.ingress);
                        assert.strictEqual(ingress[ingress.length - 1], `-A ${FIREWALL_CHAINS.ingress} -j DROP`, input);
                        const returns = ingress.slice(0, -1).map((rule) => {
                            const match = /^-A \S+ (?:.* )?(?:-s|--ctorigsrc) (\S+) (?:.* )?-j RETURN$/.exec(rule);
                            assert.ok(match, `not a RETURN for one source: ${rule}`);
                            return match[1];
                        });
                        assert.deepStrictEqual(returns, [...own].sort());
                        for (const cidr of other) assert.ok(!input.includes(cidr), `IPv${family} input names ${cidr}`);
                        assert.ok(!input.includes("added by hand"), "a comment line of the sources file became a rule");
                    }
                });

                it(`IPv4 drops every new connection forwarded out of proxy-net's bridge (${NETWORKS.proxy.bridge}); IPv6 has no such rule`, () => {
                    const drop = `-A ${FIREWALL_CHAINS.main} -i ${NETWORKS.proxy.bridge} ! -o ${NETWORKS.proxy.bridge} -m conntrack --ctstate NEW -j DROP`;
                    assert.strictEqual(rulesOf(first.restore[4]!, FIREWALL_CHAINS.main)[0], drop);
                    assert.ok(!first.restore[6]!.includes(NETWORKS.proxy.bridge));
                });

                it("iptables-restore --test (nft and legacy backends) accepts what each family received, and the legacy one resolves every jump", () => {
                    for (const family of [4, 6] as const) {
                        for (const backend of ["nft", "legacy"] as const) {
                            const result = iptablesRestoreTest(family, backend, first.restore[family]!);
                            assert.strictEqual(result.status, 0, `IPv${family} ${backend}:\n${result.output}`);
                        }
                    }
                });

                it("iptables-restore --test rejects an IPv4 source given to ip6tables and a jump to a chain that does not exist", () => {
                    assert.notStrictEqual(iptablesRestoreTest(6, "nft", first.restore[4]!).status, 0);
                    const missing = first.restore[4]!.replace(`-j ${FIREWALL_CHAINS.ingress}\n`, `-j ${FIREWALL_CHAINS.ingress}S\n`);
                    assert.notStrictEqual(missing, first.restore[4]);
                    assert.notStrictEqual(iptablesRestoreTest(4, "legacy", missing).status, 0);
                });

                it(`UFW: the stale source is deleted, each source is allowed on ${PORTS.http},${PORTS.https} with comment ${INGRESS_RULE_COMMENT}, and the SSH rule is untouched`, () => {
                    assert.deepStrictEqual(ufwCalls(first), [
                        "show added",
                        ingressDelete(STALE).join(" "),
                        ...[...V4, ...V6].sort().map((cidr) => ingressRule(cidr).join(" ")),
                    ]);
                    assert.deepStrictEqual(first.ufwAdded, [SHOWN_SSH_RULE, ...[...V4, ...V6].sort().map(shownAs)]);
                });

                it("run again, it changes nothing in UFW and installs no second jump", () => {
                    const again = runFirewall(host);
                    assert.strictEqual(again.status, 0, again.output);
                    assert.deepStrictEqual(ufwCalls(again), ["show added"]);
                    assert.deepStrictEqual(again.ufwAdded, first.ufwAdded);
                    assert.ok(!again.calls.some((c) => c.includes(" -I DOCKER-USER")), again.calls.join("\n"));
                    assert.strictEqual(again.restore[4], first.restore[4]);
                });

                it("with a source removed from the file, UFW loses exactly that source and the chain no longer lists it", () => {
                    const removed = V4[0];
                    fs.writeFileSync(host.sourcesFile, renderIngressSources([...V4, ...V6].filter((c) => c !== removed)));
                    const after = runFirewall(host);
                    assert.strictEqual(after.status, 0, after.output);
                    assert.deepStrictEqual(ufwCalls(after), ["show added", ingressDelete(removed).join(" ")]);
                    assert.ok(!after.ufwAdded.includes(shownAs(removed)));
                    assert.ok(!after.restore[4]!.includes(removed));
                });
            });

            // A fresh host has no rule with our comment yet; with tunnel, tailscale or none it never has one.
            for (const [title, sources] of [
                ["a first deploy with ingress caddy", [...V4, ...V6]],
                ["ingress tunnel, tailscale or none (no sources)", []],
            ] as const) {
                it(`${title}: on a host where UFW has no ${INGRESS_RULE_COMMENT} rule yet, it succeeds and UFW allows exactly the sources`, () => {
                    const run = runFirewall(firewallHost(sources, [SSH_RULE]));
                    assert.strictEqual(run.status, 0, `the script failed after: ${run.calls.join(" | ")}\n${run.output}`);
                    assert.deepStrictEqual(ufwCalls(run), ["show added", ...[...sources].sort().map((cidr) => ingressRule(cidr).join(" "))]);
                    assert.deepStrictEqual(run.ufwAdded, [SHOWN_SSH_RULE, ...[...sources].sort().map(shownAs)]);
                    if (sources.length === 0) assert.deepStrictEqual(rulesOf(run.restore[4]!, FIREWALL_CHAINS.ingress), [`-A ${FIREWALL_CHAINS.ingress} -j DROP`]);
                });
            }

            it("skips IPv6 when Docker has no ip6tables DOCKER-USER chain, and fails, naming Docker, when iptables has none", () => {
                const existing = [SSH_RULE, ...V4.map(ingressRule)];
                const noV6 = runFirewall(firewallHost(V4, existing, { noDockerUser: [6] }));
                assert.strictEqual(noV6.status, 0, noV6.output);
                assert.match(noV6.output, /ip6tables has no DOCKER-USER chain .*; skipped/);
                assert.ok(noV6.restore[4] && !noV6.restore[6], noV6.calls.join("\n"));

                const noV4 = runFirewall(firewallHost(V4, existing, { noDockerUser: [4] }));
                assert.notStrictEqual(noV4.status, 0, noV4.output);
                assert.match(noV4.output, /iptables has no DOCKER-USER chain: is Docker running\?/);
                assert.ok(!noV4.restore[4] && !noV4.calls.some((c) => c.startsWith("ufw ")), noV4.calls.join("\n"));
            });

            it("does not insert the jump again when DOCKER-USER already has it", () => {
                const run = runFirewall(firewallHost(V4, [SSH_RULE, ...V4.map(ingressRule)], { jumpPresent: true }));
                assert.strictEqual(run.status, 0, run.output);
                assert.ok(run.calls.includes(`iptables -w -C DOCKER-USER -j ${FIREWALL_CHAINS.main}`));
                assert.ok(!run.calls.some((c) => c.includes(" -I DOCKER-USER")), run.calls.join("\n"));
            });

            it("the ufw stand-in refuses what UFW refuses", () => {
                const host = firewallHost([], []);
                const env = { PATH: "/usr/bin:/bin", STUB_DIR: host.dir };
                const bad = spawnSync(path.join(host.stubs, "ufw"), ["allow", "from", "198.51.100.0/33", "to", "any", "port", "80,443", "proto", "tcp"], { encoding: "utf8", env });
                assert.notStrictEqual(bad.status, 0, bad.stdout);
                const commentWithoutText = spawnSync(path.join(host.stubs, "ufw"), ["allow", "from", "198.51.100.0/24", "to", "any", "port", "80,443", "proto", "tcp", "comment"], { encoding: "utf8", env });
                assert.notStrictEqual(commentWithoutText.status, 0, commentWithoutText.stdout);
                assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(host.dir, "ufw-rules.json"), "utf8")), [], "a refused command changed the rules");
            });
        });

        describe("its rules, in the kernel of a private network namespace", () => {
            it("a published port 80 or 443 answers a listed source and not another one, and nothing can start a connection out of proxy-net's bridge", function () {
                const result = runInNetns(this);
                const probes = Object.fromEntries([...result.output.matchAll(/^probe (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
                const expected = {
                    // Without our rules (Docker's DOCKER-USER returns), every probe gets through.
                    "before:listed:80": "200",
                    "before:unlisted:80": "200",
                    "before:gateway-out": "200",
                    // With them, only a listed source reaches the published ports.
                    "after:listed:80": "200",
                    "after:listed:443": "200",
                    "after:unlisted:80": "timeout",
                    "after:unlisted:443": "timeout",
                    "after:gateway-out": "timeout",
                };
                assert.deepStrictEqual(probes, expected, `${result.output}`);
                assert.strictEqual(result.status, 0, result.output);
            });
        });
    });
});

// ---------------------------------------------------------------------------------------------
// The firewall script in a private network namespace

/**
 * A host in miniature, inside `unshare --net` (nothing changes outside it): this namespace routes
 * between a listed client (198.51.100.2), an unlisted one (203.0.113.2), an ingress container on
 * an edge-net bridge (172.31.243.2, a web server on port 80) and the gateway behind an interface
 * named like proxy-net's bridge. Ports 80 and 443 are DNATed to the ingress container as Docker
 * publishes them, and FORWARD jumps to DOCKER-USER first, as Docker's does. The rendered script
 * then runs with the real iptables (its sources file rewritten as above, UFW a stand-in) and each
 * probe reports an HTTP status or `timeout`. Skips when this machine cannot make namespaces.
 */
function runInNetns(context: Mocha.Context): RunResult {
    // UFW already allows the listed source: what UFW does is checked above; here only the kernel counts.
    const listed = "198.51.100.0/24";
    const host = firewallHost([listed, "2001:db8::/32"], [SSH_RULE, ingressRule(listed)]);
    const script = path.join(host.dir, "openclaw-firewall");
    fs.writeFileSync(script, firewallScriptReading(host.sourcesFile), { mode: 0o755 });
    // Only the ufw stand-in: iptables and ip6tables are the real ones, in the namespace.
    const bin = path.join(host.dir, "netns-bin");
    fs.mkdirSync(bin);
    fs.copyFileSync(path.join(host.stubs, "ufw"), path.join(bin, "ufw"));
    fs.chmodSync(path.join(bin, "ufw"), 0o755);
    const probe = `import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except Exception:
    print("timeout")`;
    const harness = `set -euo pipefail
skip() { echo "SKIP: $*"; exit 77; }
pids=()
trap 'kill "\${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
ip link set lo up || skip "cannot configure a network namespace"
echo 1 >/proc/sys/net/ipv4/ip_forward || skip "cannot enable forwarding in a network namespace"
# peer NAME ADDRESS/PREFIX ROUTER-ADDRESS ROUTER-IFACE: a namespace on a veth to this one.
declare -A ns
peer() {
    unshare --net sleep 120 &
    pids+=($!)
    ns[$1]=$!
    until [ "$(readlink "/proc/\${ns[$1]}/ns/net")" != "$(readlink /proc/$$/ns/net)" ]; do sleep 0.05; done
    ip link add "$4" type veth peer name "p-$1"
    ip link set "p-$1" netns "\${ns[$1]}"
    ip addr add "$3/\${2#*/}" dev "$4"
    ip link set "$4" up
    nsenter -t "\${ns[$1]}" -n sh -c "ip link set lo up && ip addr add $2 dev p-$1 && ip link set p-$1 up && ip route add default via $3"
}
peer listed 198.51.100.2/24 198.51.100.1 r-listed
peer unlisted 203.0.113.2/24 203.0.113.1 r-unlisted
peer ingress 172.31.243.2/24 172.31.243.1 r-edge
peer gateway 172.31.250.2/24 172.31.250.1 ${NETWORKS.proxy.bridge}
nsenter -t "\${ns[ingress]}" -n python3 -m http.server 80 --bind 172.31.243.2 >/dev/null 2>&1 &
pids+=($!)
nsenter -t "\${ns[listed]}" -n python3 -m http.server 8080 --bind 198.51.100.2 >/dev/null 2>&1 &
pids+=($!)
for port in ${PORTS.http} ${PORTS.https}; do
    iptables -w -t nat -A PREROUTING -p tcp --dport "$port" -j DNAT --to-destination 172.31.243.2:80
done
iptables -w -N DOCKER-USER
iptables -w -A DOCKER-USER -j RETURN
iptables -w -A FORWARD -j DOCKER-USER
# Probe only once both web servers listen: a slow start must not read as a firewall's drop.
listening() {
    local deadline=$((SECONDS + 20))
    until nsenter -t "\${ns[$1]}" -n bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "the web server at $2:$3 did not start"; exit 1; }
        sleep 0.1
    done
}
listening ingress 172.31.243.2 80
listening listed 198.51.100.2 8080
probe() { echo "probe $1 $(nsenter -t "\${ns[$2]}" -n python3 -c ${shellQuote(probe)} "$3")"; }
probe before:listed:80 listed http://198.51.100.1:80/
probe before:unlisted:80 unlisted http://203.0.113.1:80/
probe before:gateway-out gateway http://198.51.100.2:8080/
PATH=${shellQuote(bin)}:$PATH STUB_DIR=${shellQuote(host.dir)} ${shellQuote(script)}
iptables -w -S FORWARD; iptables -w -S DOCKER-USER; iptables -w -S ${FIREWALL_CHAINS.main}; iptables -w -S ${FIREWALL_CHAINS.ingress}
probe after:listed:80 listed http://198.51.100.1:80/
probe after:listed:443 listed http://198.51.100.1:443/
probe after:unlisted:80 unlisted http://203.0.113.1:80/
probe after:unlisted:443 unlisted http://203.0.113.1:443/
probe after:gateway-out gateway http://198.51.100.2:8080/
iptables -w -L ${FIREWALL_CHAINS.ingress} -v -n
`;
    const file = path.join(host.dir, "netns.sh");
    fs.writeFileSync(file, harness);
    const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C.UTF-8" };
    const works = spawnSync("/usr/bin/unshare", ["--net", "/bin/true"], { encoding: "utf8", env });
    if (works.status !== 0) {
        console.log(`      skipped: unshare --net does not work here (${(works.stderr || works.error?.message || "").trim()}); it needs root`);
        context.skip();
    }
    const result = spawnSync("/usr/bin/unshare", ["--net", "/bin/bash", file], { encoding: "utf8", env, timeout: 90_000 });
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    if (result.status === 77) {
        console.log(`      skipped: ${output.trim().split("\n").pop()}`);
        context.skip();
    }
    return { status: result.status, output };
}
