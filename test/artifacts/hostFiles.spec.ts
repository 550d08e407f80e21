import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DOCKER_KEY_FINGERPRINT } from "../../cloud-init/docker";
import { HOST_PATHS } from "../../cloud-init/paths";
import { renderUserData, UserDataInput } from "../../cloud-init/userData";
import { hostAccessScript } from "../../components/hostAccess";
import { GATEWAYS } from "../../components/stack/gateways";
import { hostReadyScript } from "../../components/hostReady";
import { ROOT } from "../fixtures";
import { expectedSshd, pickSshd } from "../hardening";
import { cloudInitSchema, DOCKERD_13, fail2banClient, fail2banConfigCopy, ok, run, tempDir } from "./tools";

const DEPLOY_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMq3yOd3x0dgDuqPCAbqC1yNnZu7jB0V0zSxvSt1xQ+3 openclaw-deploy";

/** Host settings that exercise every branch of the renderer between them. */
const variants: Record<string, UserDataInput["host"]> = {
    "debian-13, Docker repository, IPv4 only": {
        osImage: "debian-13",
        sshPort: 9922,
        dockerSource: "docker",
        ipv6: false,
    },
    "ubuntu-24.04, distro Docker, IPv6": {
        osImage: "ubuntu-24.04",
        sshPort: 2222,
        dockerSource: "distro",
        ipv6: true,
    },
    "debian-12, Docker repository": {
        osImage: "debian-12",
        sshPort: 40022,
        dockerSource: "docker",
        ipv6: false,
    },
};

/** Renders a variant into a directory: user-data plus every write_files entry under its own path. */
function materialise(host: UserDataInput["host"]): { dir: string; userData: string; file: (p: string) => string } {
    const dir = tempDir("userdata");
    const userData = path.join(dir, "user-data");
    const text = renderUserData({ hostName: "openclaw-test", host, deployPublicKey: DEPLOY_KEY, tunnelPorts: GATEWAYS.map((gateway) => gateway.port) });
    fs.writeFileSync(userData, text);
    for (const entry of YAML.parse(text).write_files) {
        const target = path.join(dir, "root", entry.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, entry.content);
    }
    return { dir, userData, file: (p) => path.join(dir, "root", p) };
}

/** An sshd_config laid out as on Debian: Include of the drop-in directory first, then the stock file. */
function sshdConfigWith(dropIn: string, dir: string): string {
    const dropInDir = path.join(dir, "sshd_config.d");
    fs.mkdirSync(dropInDir, { recursive: true });
    fs.copyFileSync(dropIn, path.join(dropInDir, path.basename(HOST_PATHS.sshdDropIn)));
    const hostKey = path.join(dir, "host_ed25519");
    if (!fs.existsSync(hostKey)) ok("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    const stock = fs.readFileSync("/etc/ssh/sshd_config", "utf8").replace(/^Include .*$/m, "");
    const config = path.join(dir, "sshd_config");
    fs.writeFileSync(config, `Include ${dropInDir}/*.conf\nHostKey ${hostKey}\n${stock}`);
    fs.mkdirSync("/run/sshd", { recursive: true });
    return config;
}

/** `sshd -T` output for a connection by `user`. */
function effectiveSshd(config: string, user: string): string {
    return ok("/usr/sbin/sshd", ["-T", "-f", config, "-C", `user=${user},host=client.example,addr=203.0.113.7`]);
}

describe("rendered host files, checked by the tools that consume them", function () {
    this.timeout(120000);

    for (const [title, host] of Object.entries(variants)) {
        describe(title, () => {
            const rendered = materialise(host);

            it("is valid cloud-config for Debian 13's cloud-init (unknown keys rejected)", () => {
                const result = cloudInitSchema(13, rendered.userData);
                assert.strictEqual(result.status, 0, result.output);
                assert.match(result.output, /Valid schema/);
            });

            it("is valid cloud-config for Debian 12's cloud-init", () => {
                const result = cloudInitSchema(12, rendered.userData);
                assert.strictEqual(result.status, 0, result.output);
            });

            it("sshd -t accepts the drop-in, and sshd -T shows every hardening setting", () => {
                const config = sshdConfigWith(rendered.file(HOST_PATHS.sshdStaged), rendered.dir);
                ok("/usr/sbin/sshd", ["-t", "-f", config]);
                const expected = expectedSshd(host.sshPort);
                assert.deepStrictEqual(pickSshd(effectiveSshd(config, "deploy"), expected), expected);
            });

            for (const release of [12, 13] as const) {
                it(`fail2ban ${release === 12 ? "(Debian 12)" : "(Debian 13)"} accepts the jail and runs sshd on the SSH port from the journal`, () => {
                    const conf = fail2banConfigCopy(release);
                    fs.copyFileSync(rendered.file(HOST_PATHS.fail2banJail), path.join(conf, "jail.d", path.basename(HOST_PATHS.fail2banJail)));
                    const test = fail2banClient(release, ["-c", conf, "-t"]);
                    assert.strictEqual(test.status, 0, test.output);
                    const dump = fail2banClient(release, ["-c", conf, "-d"]).output;
                    assert.ok(dump.includes("['add', 'sshd', 'systemd']"), "sshd jail with the systemd backend");
                    assert.ok(dump.includes("'_COMM=sshd-session'"), "matches OpenSSH 9.8+'s sshd-session");
                    for (const setting of ["['set', 'sshd', 'maxretry', 3]", "['set', 'sshd', 'findtime', '600']", "['set', 'sshd', 'bantime', '3600']"]) {
                        assert.ok(dump.includes(setting), `fail2ban should ${setting}`);
                    }
                    assert.ok(dump.includes(`['port', '${host.sshPort}']`), "bans on the hardened SSH port");
                });
            }

            it("shellcheck and bash -n accept the hardening script", () => {
                const script = rendered.file(HOST_PATHS.hardenScript);
                ok("/usr/bin/shellcheck", ["--severity=style", script]);
                ok("/bin/bash", ["-n", script]);
            });

            it("dockerd (Debian 13) accepts daemon.json", () => {
                const out = ok(DOCKERD_13, ["--validate", "--config-file", rendered.file(HOST_PATHS.dockerDaemon)]);
                assert.match(out, /configuration OK/);
            });

            it("apt reads the unattended-upgrades settings, with no reboot until host-access sets the window", () => {
                const dump = ok("/usr/bin/apt-config", ["-c", rendered.file(HOST_PATHS.unattendedUpgrades), "dump"]);
                assert.ok(dump.includes('Unattended-Upgrade::Automatic-Reboot "false";'));
                assert.ok(!dump.includes("Automatic-Reboot-Time"));
                assert.ok(dump.includes('APT::Periodic::Unattended-Upgrade "1";'));
            });

            if (host.dockerSource === "docker") {
                it("apt parses the Docker source, and the shipped key is Docker's (fingerprint pinned)", () => {
                    const parts = path.dirname(rendered.file(HOST_PATHS.dockerSource));
                    const result = run("/usr/bin/apt-get", ["-o", "Dir::Etc::SourceList=/dev/null", "-o", `Dir::Etc::SourceParts=${parts}`, "indextargets"]);
                    assert.strictEqual(result.status, 0, result.output);
                    assert.ok(!/^E:/m.test(result.output), result.output);
                    const gpgHome = tempDir("gnupg");
                    const keys = ok("/usr/bin/gpg", ["--homedir", gpgHome, "--show-keys", "--with-colons", rendered.file(HOST_PATHS.dockerKeyring)]);
                    const fingerprints = keys.split("\n").filter((l) => l.startsWith("fpr:")).map((l) => l.split(":")[9]);
                    assert.strictEqual(fingerprints[0], DOCKER_KEY_FINGERPRINT);
                });
            }
        });
    }

    it("shellcheck accepts the repository's own scripts (CI and the VM image recipe)", () => {
        for (const script of [".ci/run", ".ci/install-tools", ".ci/retry.sh", "test/e2e/build-image.sh"]) {
            ok("/usr/bin/shellcheck", ["--severity=style", "--external-sources", path.join(ROOT, script)]);
        }
    });

    it("shellcheck accepts the host-ready and host-access steps (behind a cloud firewall, and UFW alone) as bash runs them", () => {
        const access = { autoRebootTime: "05:00", sshPort: 9922 };
        for (const [name, script] of [
            ["host-ready", hostReadyScript()],
            ["host-access", hostAccessScript(access)],
            ["host-access-ufw", hostAccessScript(access, ["203.0.113.7/32", "2001:db8::/48"])],
        ]) {
            const file = path.join(tempDir(name), `${name}.sh`);
            fs.writeFileSync(file, `#!/bin/bash\n${script}`);
            ok("/usr/bin/shellcheck", ["--severity=style", file]);
        }
    });

    describe("the checkers are live (each rejects a broken file)", () => {
        const dir = tempDir("broken");

        it("cloud-init (Debian 13) rejects an unknown key", () => {
            const file = path.join(dir, "bad-user-data");
            fs.writeFileSync(file, "#cloud-config\nssh_pwauthh: false\n");
            assert.notStrictEqual(cloudInitSchema(13, file).status, 0);
        });

        it("sshd -t rejects an unknown directive", () => {
            const dropIn = path.join(dir, "bad.conf");
            fs.writeFileSync(dropIn, "Port 9922\nPermitRootLogn no\n");
            assert.notStrictEqual(run("/usr/sbin/sshd", ["-t", "-f", sshdConfigWith(dropIn, dir)]).status, 0);
        });

        it("fail2ban rejects a jail with an unknown backend", () => {
            const conf = fail2banConfigCopy(13);
            fs.writeFileSync(path.join(conf, "jail.d", "bad.local"), "[sshd]\nenabled = true\nbackend = nonsense\n");
            assert.notStrictEqual(fail2banClient(13, ["-c", conf, "-t"]).status, 0);
        });

        it("shellcheck rejects an unquoted expansion", () => {
            const file = path.join(dir, "bad.sh");
            fs.writeFileSync(file, '#!/bin/bash\nrm -rf $1/*\n');
            assert.notStrictEqual(run("/usr/bin/shellcheck", [file]).status, 0);
        });

        it("dockerd rejects an unknown option", () => {
            const file = path.join(dir, "daemon.json");
            fs.writeFileSync(file, '{"live-restore": true, "no-new-privilege": true}\n');
            assert.notStrictEqual(run(DOCKERD_13, ["--validate", "--config-file", file]).status, 0);
        });
    });
});
