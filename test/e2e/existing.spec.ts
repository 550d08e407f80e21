// A server the operator already has (cloud existing), as the program leaves it: run only with
// OPENCLAW_E2E_TARGET=existing, after host.spec.ts has checked it like a cloud's server. What is
// particular to it: the refusals before any change, the first login closed after, a second
// hardening run that changes nothing, and UFW as the only filter of SSH's sources.
import * as assert from "assert";
import { renderPreflight } from "../../cloud-init/preflight";
import { GATEWAY_ID, HOST_PATHS } from "../../cloud-init/paths";
import { ADMIN_SSH_RULE_COMMENT, hostAccessScript, renderAuthorizedKeys } from "../../components/hostAccess";
import { GATEWAYS } from "../../components/stack/gateways";
import { e2e, QEMU_HOST_ADDRESS } from "./fixture";

const existing = () => {
    const run = e2e().existing;
    if (!run) throw new Error("existing.spec.ts runs with OPENCLAW_E2E_TARGET=existing only");
    return run;
};

/** host-access as the program runs it, with `sources` as adminCidrs. */
function access(sources: readonly string[]) {
    const { vm, settings, deployPublicKey } = e2e();
    return vm.ssh(hostAccessScript(settings.host, sources), { input: renderAuthorizedKeys(deployPublicKey, settings.host.sshPublicKeys) });
}

/** UFW's SSH sources, as `ufw status` shows them. */
function sshSourcesInUfw(): string[] {
    const { vm, settings } = e2e();
    return vm
        .sudo("ufw status")
        .split("\n")
        .filter((line) => line.startsWith(`${settings.host.sshPort}/tcp`))
        .map((line) => line.trim().split(/\s{2,}/)[2]);
}

describe("an existing server (cloud existing), hardened over SSH", () => {
    it("refused a first login without passwordless sudo with one sentence, before changing anything", () => {
        const { withoutSudo, untouchedAfterRefusal } = existing();
        assert.strictEqual(withoutSudo.status, 1, withoutSudo.stdout);
        assert.strictEqual(
            withoutSudo.stderr.trim(),
            "openclaw-preflight: the first login, plain, is not root and has no passwordless sudo: log in as root, or give plain passwordless sudo.",
        );
        assert.ok(untouchedAfterRefusal, "no deploy user and no sshd listener after the refusals");
    });

    it("refused a server smaller than serverType with one sentence naming what it has", () => {
        const { tooSmall } = existing();
        assert.strictEqual(tooSmall.status, 1, tooSmall.stdout);
        assert.match(
            tooSmall.stderr.trim(),
            /^openclaw-preflight: this server has 2 CPUs and \d+ MiB of memory, less than serverType 4vcpu-8gb \(4 CPUs, 8192 MiB\) that the containers' limits are sized for: set serverType to a size this server has\.$/,
        );
    });

    it("checked the server, then made the deploy user, through root's first login", () => {
        const { firstLogin } = existing();
        assert.strictEqual(firstLogin.status, 0, firstLogin.stderr);
        assert.match(firstLogin.stdout, new RegExp(`^openclaw-preflight: debian-13 on x86_64, \\d+ CPUs, \\d+ MiB; logged in as root; ports [\\d ]+ free; uid and gid ${GATEWAY_ID} unused; Docker not installed yet$`, "m"));
        assert.match(firstLogin.stdout, /^openclaw-harden: the deploy user$/m);
    });

    it("the first login no longer works: root on port 22 gets nothing", () => {
        const { vm } = e2e();
        const result = vm.firstLogin(existing().rootKey, "true");
        assert.notStrictEqual(result.status, 0, "root got in on port 22");
        assert.ok(!/[:\]]22\s/.test(vm.sudo("ss -Htln")), "nothing listens on 22");
    });

    it("runs the hardening a second time and changes nothing", () => {
        const { vm, settings } = e2e();
        const files = [HOST_PATHS.sshdDropIn, HOST_PATHS.fail2banJail, HOST_PATHS.sysctl, HOST_PATHS.dockerDaemon, HOST_PATHS.hardenScript, "/home/deploy/.ssh/authorized_keys", "/etc/sudoers.d/90-openclaw-deploy"];
        const state = () => ({
            files: vm.sudo(`sha256sum ${files.join(" ")}`),
            sshd: vm.sudo("sshd -T").split("\n").sort().join("\n"),
            ufw: vm.sudo("ufw status verbose"),
            listening: vm.sudo("ss -Htln").split("\n").map((line) => line.split(/\s+/)[3]).sort().join(" "),
        });
        const before = state();
        const again = vm.ssh(existing().commands.hardening, { timeoutMs: 30 * 60 * 1000 });
        assert.strictEqual(again.status, 0, `${again.stdout}${again.stderr}`);
        // The hardening resets UFW; the program then runs host-access again (the server id has the hardening's hash).
        const reapplied = access(settings.host.adminCidrs);
        assert.strictEqual(reapplied.status, 0, reapplied.stderr);
        assert.deepStrictEqual(state(), before);
    });

    it("host-access refuses adminCidrs without the address this deploy comes from, and leaves UFW as it was", () => {
        const before = sshSourcesInUfw();
        const result = access(["192.0.2.0/24"]);
        assert.strictEqual(result.status, 1);
        assert.match(result.stderr, new RegExp(`^host-access: adminCidrs \\(192\\.0\\.2\\.0/24\\) does not include ${QEMU_HOST_ADDRESS.replace(/\./g, "\\.")}, the address this deploy connects from; UFW was left as it was`, "m"));
        assert.deepStrictEqual(sshSourcesInUfw(), before);
        assert.strictEqual(e2e().vm.attempt("deploy", []).status, 0, "a new connection still gets in");
    });

    it("host-access swaps adminCidrs in UFW: the new block in, the dropped one out, and SSH answers throughout", () => {
        const { vm, settings } = e2e();
        const widened = access([`${QEMU_HOST_ADDRESS}/32`, "192.0.2.0/24"]);
        assert.strictEqual(widened.status, 0, widened.stderr);
        assert.deepStrictEqual(sshSourcesInUfw().sort(), [QEMU_HOST_ADDRESS, "192.0.2.0/24"].sort());
        const narrowed = access(settings.host.adminCidrs);
        assert.strictEqual(narrowed.status, 0, narrowed.stderr);
        assert.match(narrowed.stdout, /^ufw: removed the SSH rule: allow from 192\.0\.2\.0\/24 to any port \d+ proto tcp$/m);
        assert.deepStrictEqual(sshSourcesInUfw(), [QEMU_HOST_ADDRESS]);
        assert.match(vm.sudo("ufw status"), new RegExp(`# ${ADMIN_SSH_RULE_COMMENT}`));
        assert.strictEqual(vm.attempt("deploy", []).status, 0, "a new connection still gets in");
    });

    it("preflight, on this server: another osImage, a port taken, Docker from the other source, each one sentence", () => {
        const { vm, settings } = e2e();
        const preflight = renderPreflight({
            ports: [settings.host.sshPort, ...GATEWAYS.map((gateway) => gateway.port), 80, 443],
            osImage: "ubuntu-24.04",
            dockerSource: "docker",
            serverType: settings.host.serverType,
            serverSize: settings.host.serverSize,
        });
        const pid = vm.sudo("sh -c 'cd /tmp && nohup python3 -m http.server 443 >/dev/null 2>&1 & echo $!'").trim();
        try {
            let result = vm.ssh("sudo ss -Htln 'sport = :443'");
            for (let i = 0; i < 30 && !result.stdout.includes(":443"); i++) result = vm.ssh("sleep 1; sudo ss -Htln 'sport = :443'");
            result = vm.ssh("sudo bash -s", { input: preflight });
            assert.strictEqual(result.status, 1, result.stdout);
            assert.deepStrictEqual(result.stderr.trim().split("\n"), [
                "openclaw-preflight: this server runs debian-13, but osImage is ubuntu-24.04, which the hardening (Docker's packages among it) is rendered for: set osImage to debian-13.",
                "openclaw-preflight: port 443 is already in use by python3; the stack needs it: stop that service, or use a server without it.",
                "openclaw-preflight: Docker here comes from the distribution's docker.io (docker-cli), but dockerSource is docker: set dockerSource to distro, or remove it (apt-get purge docker.io docker-cli) and run pulumi up again.",
            ]);
        } finally {
            vm.sudo(`kill ${pid}`);
        }
    });
});
