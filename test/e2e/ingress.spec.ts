// Ingress caddy's host firewall on the VM: the host-firewall step exactly as the deploy runs it,
// with Cloudflare's ranges on standard input, then the rules as iptables and UFW hold them.
// Self-contained: it applies caddy's sources itself and leaves the host with none's (empty) ones.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DeployStep } from "../../components/deployStep";
import { IngressMode } from "../../components/settings";
import { renderStackFiles } from "../../components/stack/files";
import { FIREWALL_CHAINS, INGRESS_RULE_COMMENT, renderIngressSources } from "../../components/stack/hostFirewall";
import { HOST_FIREWALL_FILES, NETWORKS, PORTS, STACK_FILES } from "../../components/stack/layout";
import { stackSteps } from "../../components/stack/steps";
import { ingressStepsFor, maintenanceStepsFor, TEST_CLOUDFLARE_RANGES } from "../fixtures";
import { SSH_RULE_COMMENT } from "../../cloud-init/firewall";
import { e2e } from "./fixture";

/** The stack spec's server id: the stack-directories step rewrites the owner marker with it. */
const SERVER_ID = "e2e-server-1";

const resolve = (input: pulumi.Input<string>) => new Promise<string>((done) => pulumi.output(input).apply(done));

/** The steps a deploy with this ingress mode and these sources runs first: the stack directory, then the firewall. */
function firewallSteps(mode: IngressMode, sources: readonly string[]): { directories: DeployStep; firewall: DeployStep } {
    const { settings } = e2e();
    const files = renderStackFiles({ ...settings.app, telegram: false }, { mode, domain: "claw.example.com" }, settings.host.serverSize);
    const steps = stackSteps({
        files: { ...files, env: "" },
        serverId: SERVER_ID,
        egressProbe: { allowed: "api.anthropic.com", refused: "example.com" },
        ingress: ingressStepsFor(mode, sources),
        maintenance: maintenanceStepsFor("none", mode),
    });
    const named = (name: string) => {
        const step = steps.find((s) => s.name === name);
        assert.ok(step, `stackSteps(${mode}) has no ${name} step`);
        return step;
    };
    return { directories: named("stack-directories"), firewall: named("host-firewall") };
}

/** Runs a step's script over the shared connection with its standard input; it must succeed. */
async function runStep(step: DeployStep): Promise<string> {
    const result = e2e().vm.ssh(step.script, { input: step.stdin === undefined ? undefined : await resolve(step.stdin) });
    assert.strictEqual(result.status, 0, `step ${step.name} failed:\n${result.stdout}${result.stderr}`);
    return result.stdout;
}

/** `iptables -S CHAIN`, one rule a line. */
const chain = (name: string) => e2e().vm.sudo(`iptables -w -S ${name}`).trim().split("\n");

/** UFW's rule table (`ufw status verbose`), each row split into its columns. */
function ufwRules(): string[][] {
    const status = e2e().vm.sudo("ufw status verbose");
    assert.match(status, /^Status: active$/m);
    const table = status.split(/^-+\s+-+\s+-+\s*$/m)[1] ?? "";
    return table.trim().split("\n").filter(Boolean).map((line) => line.trim().split(/\s{2,}/));
}

/** The `ufw ...` commands `ufw show added` lists, one per rule. */
const ufwAdded = () => e2e().vm.sudo("ufw show added").split("\n").filter((line) => line.startsWith("ufw "));

/** Everything the firewall leaves behind that a rerun must not change. */
const snapshot = () => ({
    main: chain(FIREWALL_CHAINS.main),
    ingress: chain(FIREWALL_CHAINS.ingress),
    dockerUser: chain("DOCKER-USER"),
    ufw: ufwRules(),
    added: ufwAdded(),
});

describe("the caddy mode's host firewall (Debian 13 VM)", () => {
    const ports = `${PORTS.http},${PORTS.https}`;
    let sources: string[];
    let ipv4Sources: string[];
    let firstRun: string;

    /**
     * OPENCLAW: drop what proxy-net's bridge forwards out, hand the visitor's direction of a published
     * 80/443 to OPENCLAW-INGRESS. In `iptables -S` form: it prints --ctdir after --ctorigdstport.
     */
    const expectedMain = () => [
        `-N ${FIREWALL_CHAINS.main}`,
        `-A ${FIREWALL_CHAINS.main} -i ${NETWORKS.proxy.bridge} ! -o ${NETWORKS.proxy.bridge} -m conntrack --ctstate NEW -j DROP`,
        ...[PORTS.http, PORTS.https].map(
            (port) =>
                `-A ${FIREWALL_CHAINS.main} -p tcp -m conntrack --ctstate DNAT --ctorigdstport ${port} --ctdir ORIGINAL -j ${FIREWALL_CHAINS.ingress}`,
        ),
    ];
    /** OPENCLAW-INGRESS: one RETURN per IPv4 source, in the sources file's order, then DROP. */
    const expectedIngress = (allowed: readonly string[]) => [
        `-N ${FIREWALL_CHAINS.ingress}`,
        ...allowed.map((source) => `-A ${FIREWALL_CHAINS.ingress} -s ${source} -j RETURN`),
        `-A ${FIREWALL_CHAINS.ingress} -j DROP`,
    ];
    const sshRule = () => [`${e2e().settings.host.sshPort}/tcp`, "ALLOW IN", "Anywhere", `# ${SSH_RULE_COMMENT}`];
    const ingressRule = (source: string) => [`${ports}/tcp`, "ALLOW IN", source, `# ${INGRESS_RULE_COMMENT}`];
    const sorted = (rows: string[][]) => [...rows].sort((a, b) => a.join(" ").localeCompare(b.join(" ")));

    /** DOCKER-USER's rules: the jump to OPENCLAW exactly once, and first. */
    function assertJumpFirst(): void {
        const rules = chain("DOCKER-USER").filter((rule) => rule.startsWith("-A "));
        const jump = `-A DOCKER-USER -j ${FIREWALL_CHAINS.main}`;
        assert.strictEqual(rules[0], jump, `DOCKER-USER:\n${rules.join("\n")}`);
        assert.strictEqual(rules.filter((rule) => rule === jump).length, 1, `DOCKER-USER:\n${rules.join("\n")}`);
    }

    /** The caddy rules in iptables, exactly. */
    function assertCaddyChains(): void {
        assert.deepStrictEqual(chain(FIREWALL_CHAINS.main), expectedMain());
        assert.deepStrictEqual(chain(FIREWALL_CHAINS.ingress), expectedIngress(ipv4Sources));
        assertJumpFirst();
    }

    /**
     * Waits until the unit has no job left and says its final state. A restart of docker.service
     * returns once Docker is up; the unit's own restart (PartOf) is a separate job that follows it.
     */
    function assertSettledActive(unit: string): void {
        const { vm } = e2e();
        const state = vm
            .sudo(
                `sh -c 'for i in $(seq 1 120); do s=$(systemctl is-active ${unit}); ` +
                    `if [ -z "$(systemctl list-jobs --no-legend ${unit})" ] && [ "$s" != activating ]; then break; fi; sleep 1; done; ` +
                    `systemctl is-active ${unit} || true'`,
            )
            .trim();
        if (state !== "active") assert.fail(`${unit} is ${state}:\n${vm.sudo(`journalctl -u ${unit} --no-pager -n 30`)}`);
    }

    before(async function () {
        this.timeout(10 * 60 * 1000);
        const { settings } = e2e();
        // As the program does: Cloudflare's IPv6 ranges only when the host has IPv6 (the e2e host has not).
        sources = [...new Set([...TEST_CLOUDFLARE_RANGES.ipv4Cidrs, ...(settings.host.ipv6 ? TEST_CLOUDFLARE_RANGES.ipv6Cidrs : [])])].sort();
        ipv4Sources = sources.filter((source) => !source.includes(":"));
        const { directories, firewall } = firewallSteps("caddy", sources);
        await runStep(directories);
        firstRun = await runStep(firewall);
    });

    after(async function () {
        this.timeout(5 * 60 * 1000);
        // Leave the host as ingress none has it, whatever failed above.
        const result = e2e().vm.ssh(firewallSteps("none", []).firewall.script, { input: renderIngressSources([]) });
        if (result.status !== 0) console.log(`    [e2e] resetting the firewall to none failed:\n${result.stdout}${result.stderr}`);
    });

    it("writes the sources file and installs the script and the unit, and the step says what it did", () => {
        const { vm } = e2e();
        assert.strictEqual(vm.sudo(`stat -c '%U:%G %a' ${STACK_FILES.ingressSources}`).trim(), "root:root 644");
        assert.strictEqual(vm.sudo(`cat ${STACK_FILES.ingressSources}`), renderIngressSources(sources));
        assert.strictEqual(vm.sudo(`stat -c '%U:%G %a' ${HOST_FIREWALL_FILES.script}`).trim(), "root:root 755");
        assert.strictEqual(vm.sudo(`stat -c '%U:%G %a' ${HOST_FIREWALL_FILES.unit}`).trim(), "root:root 644");
        assert.match(firstRun, new RegExp(`^iptables: DOCKER-USER jumps to ${FIREWALL_CHAINS.main}$`, "m"));
        for (const source of sources) assert.match(firstRun, new RegExp(`^ufw: allowed ${ports} from ${source.replace(/\./g, "\\.")}$`, "m"));
        assert.match(firstRun, new RegExp(`^ingress sources allowed on ${PORTS.http} and ${PORTS.https}: ${sources.length}$`, "m"));
    });

    it("holds exactly the rendered rules in OPENCLAW and OPENCLAW-INGRESS, and DOCKER-USER jumps to OPENCLAW once, first", () => {
        assertCaddyChains();
    });

    it("has UFW allow 80 and 443 from each Cloudflare range alone, commented, and leaves the SSH rule as it was", () => {
        const rules = ufwRules();
        assert.deepStrictEqual(rules[0], sshRule(), "the SSH rule stays first and unchanged");
        assert.deepStrictEqual(sorted(rules), sorted([sshRule(), ...sources.map(ingressRule)]));
        const ingressRows = rules.filter((row) => row[3] === `# ${INGRESS_RULE_COMMENT}`);
        assert.ok(!ingressRows.some((row) => row[2]?.startsWith("Anywhere")), `an ingress rule allows Anywhere:\n${rules.join("\n")}`);
        // SSH keeps its one rule (its sources are the cloud firewall's to filter).
        const sshPort = `${e2e().settings.host.sshPort}`;
        assert.deepStrictEqual(rules.filter((row) => row[0].split("/")[0].split(",").includes(sshPort)), [sshRule()]);

        const added = ufwAdded();
        for (const source of sources) {
            const lines = added.filter((line) => line.includes(` from ${source} `));
            assert.deepStrictEqual(lines, [`ufw allow from ${source} to any port ${ports} proto tcp comment '${INGRESS_RULE_COMMENT}'`]);
        }
        assert.strictEqual(added.filter((line) => line.includes(`'${INGRESS_RULE_COMMENT}'`)).length, sources.length, added.join("\n"));
    });

    it("is idempotent: a second run changes no iptables rule and adds no UFW rule", async () => {
        const before = snapshot();
        const output = await runStep(firewallSteps("caddy", sources).firewall);
        assert.doesNotMatch(output, /^ufw: (allowed|removed)/m, "the second run touched UFW");
        assert.deepStrictEqual(snapshot(), before);
        assertCaddyChains();
    });

    it("is enabled and active, and reapplies the rules when the unit or Docker restarts", () => {
        const { vm } = e2e();
        assert.strictEqual(vm.sudo(`systemctl is-enabled ${HOST_FIREWALL_FILES.unitName}`).trim(), "enabled");
        assert.strictEqual(vm.sudo(`systemctl is-active ${HOST_FIREWALL_FILES.unitName}`).trim(), "active");
        const breakRules = () => {
            vm.sudo(`iptables -w -D DOCKER-USER -j ${FIREWALL_CHAINS.main}`);
            vm.sudo(`iptables -w -F ${FIREWALL_CHAINS.ingress}`);
            assert.deepStrictEqual(chain(FIREWALL_CHAINS.ingress), [`-N ${FIREWALL_CHAINS.ingress}`]);
        };

        breakRules();
        vm.sudo(`systemctl restart ${HOST_FIREWALL_FILES.unitName}`);
        assertCaddyChains();

        // Docker rebuilds its own chains on start; the unit is part of docker.service and follows it.
        breakRules();
        vm.sudo("systemctl restart docker");
        assert.strictEqual(vm.sudo("systemctl is-active docker").trim(), "active");
        assertSettledActive(HOST_FIREWALL_FILES.unitName);
        assertCaddyChains();

        // A Docker restart with the rules intact must not duplicate the jump.
        vm.sudo("systemctl restart docker");
        assertSettledActive(HOST_FIREWALL_FILES.unitName);
        assertCaddyChains();
        assert.deepStrictEqual(sorted(ufwRules()), sorted([sshRule(), ...sources.map(ingressRule)]));
    });

    it("switched back to none (an empty sources file), removes every openclaw-ingress UFW rule and lets nothing through 80 or 443", async () => {
        const { vm } = e2e();
        const output = await runStep(firewallSteps("none", []).firewall);
        for (const source of sources) assert.match(output, new RegExp(`^ufw: removed ${ports} from ${source.replace(/\./g, "\\.")}$`, "m"));
        assert.strictEqual(vm.sudo(`cat ${STACK_FILES.ingressSources}`), renderIngressSources([]));
        assert.deepStrictEqual(chain(FIREWALL_CHAINS.main), expectedMain());
        assert.deepStrictEqual(chain(FIREWALL_CHAINS.ingress), expectedIngress([]));
        assertJumpFirst();
        assert.deepStrictEqual(ufwRules(), [sshRule()]);
        assert.deepStrictEqual(ufwAdded().filter((line) => line.includes(INGRESS_RULE_COMMENT)), []);
    });
});
