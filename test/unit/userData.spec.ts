import * as assert from "assert";
import * as YAML from "yaml";
import { renderUserData, UserDataInput } from "../../cloud-init/userData";
import { HOST_PATHS } from "../../cloud-init/paths";
import { sysctlValues } from "../../cloud-init/sysctl";

const DEPLOY_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMq3yOd3x0dgDuqPCAbqC1yNnZu7jB0V0zSxvSt1xQ+3 openclaw-deploy";

function input(host: Partial<UserDataInput["host"]> = {}): UserDataInput {
    return {
        hostName: "openclaw-dev",
        deployPublicKey: DEPLOY_KEY,
        tunnelPorts: [18789],
        host: {
            osImage: "debian-13",
            sshPort: 9922,
            dockerSource: "docker",
            ipv6: false,
            ...host,
        },
    };
}

function parsed(userData: string): any {
    assert.ok(userData.startsWith("#cloud-config\n"), "cloud-init only treats user data as config with this header");
    return YAML.parse(userData);
}

function file(config: any, path: string): string {
    const found = config.write_files.find((f: any) => f.path === path);
    assert.ok(found, `user data should write ${path}`);
    return found.content;
}

/** `Key value` lines of a config file, as a map. */
function directives(text: string): Record<string, string> {
    return Object.fromEntries(
        text
            .split("\n")
            .filter((line) => line && !line.startsWith("#"))
            .map((line) => {
                const [key, ...rest] = line.split(/\s+/);
                return [key, rest.join(" ")];
            }),
    );
}

function hardenScript(config: any): string {
    return file(config, HOST_PATHS.hardenScript);
}

describe("cloud-init user data", () => {
    it("creates only the deploy user, with the deploy key alone (the operator's keys come with host-access), and no password", () => {
        const config = parsed(renderUserData(input()));
        assert.strictEqual(config.users.length, 1, "no default cloud user");
        const [deploy] = config.users;
        assert.strictEqual(deploy.name, "deploy");
        assert.deepStrictEqual(deploy.ssh_authorized_keys, [DEPLOY_KEY]);
        assert.strictEqual(deploy.lock_passwd, true);
        assert.strictEqual(deploy.sudo, "ALL=(ALL) NOPASSWD:ALL");
        assert.strictEqual(deploy.passwd, undefined);
        assert.strictEqual(config.disable_root, true);
        assert.strictEqual(config.ssh_pwauth, false);
        assert.strictEqual(config.manage_etc_hosts, true);
    });

    it("hardens SSH as configured", () => {
        const config = parsed(renderUserData(input({ sshPort: 2222 })));
        const sshd = directives(file(config, HOST_PATHS.sshdStaged));
        assert.deepStrictEqual(
            {
                Port: sshd.Port,
                PermitRootLogin: sshd.PermitRootLogin,
                PasswordAuthentication: sshd.PasswordAuthentication,
                KbdInteractiveAuthentication: sshd.KbdInteractiveAuthentication,
                MaxAuthTries: sshd.MaxAuthTries,
                AllowUsers: sshd.AllowUsers,
                X11Forwarding: sshd.X11Forwarding,
                AllowAgentForwarding: sshd.AllowAgentForwarding,
                AllowTcpForwarding: sshd.AllowTcpForwarding,
                PermitOpen: sshd.PermitOpen,
                ClientAliveInterval: sshd.ClientAliveInterval,
                ClientAliveCountMax: sshd.ClientAliveCountMax,
            },
            {
                Port: "2222",
                PermitRootLogin: "no",
                PasswordAuthentication: "no",
                KbdInteractiveAuthentication: "no",
                MaxAuthTries: "3",
                AllowUsers: "deploy",
                X11Forwarding: "no",
                AllowAgentForwarding: "no",
                AllowTcpForwarding: "local",
                PermitOpen: "127.0.0.1:18789 localhost:18789",
                ClientAliveInterval: "300",
                ClientAliveCountMax: "2",
            },
        );
    });

    it("validates the SSH drop-in with sshd -t before restarting, and handles socket activation", () => {
        const script = hardenScript(parsed(renderUserData(input())));
        const validate = script.indexOf("if ! sshd -t");
        assert.ok(validate > 0, "sshd -t guards the drop-in");
        assert.ok(validate < script.indexOf("systemctl restart ssh.service"), "validated before the restart");
        assert.ok(validate < script.indexOf("systemctl restart ssh.socket"), "validated before the socket restart");
        assert.match(script, /systemctl daemon-reload\n\s+systemctl stop ssh.service \|\| true\n\s+systemctl restart ssh.socket/);
        assert.deepStrictEqual(parsed(renderUserData(input())).runcmd, [[HOST_PATHS.hardenScript]]);
    });

    it("denies every inbound port through UFW but SSH, which it leaves to the cloud firewall to filter by source", () => {
        const script = hardenScript(parsed(renderUserData(input())));
        const rules = script.split("\n").map((l) => l.trim()).filter((l) => /^ufw (allow|limit|deny|reject)/.test(l));
        assert.deepStrictEqual(rules, ["ufw allow proto tcp to any port 9922 comment 'ssh; sources are filtered at the cloud firewall'"]);
        assert.match(script, /ufw default deny incoming\n\s+ufw default allow outgoing/);
        assert.ok(script.indexOf("ufw --force enable") > script.lastIndexOf("ufw allow"), "enabled after the rules exist");
        assert.match(script, /IPV6=no/);
    });

    it("runs a fail2ban sshd jail on the SSH port with the journal as its source", () => {
        const jail = directives(file(parsed(renderUserData(input({ sshPort: 2222 }))), HOST_PATHS.fail2banJail).replace(/ = /g, " "));
        assert.deepStrictEqual(
            { enabled: jail.enabled, port: jail.port, backend: jail.backend, maxretry: jail.maxretry, findtime: jail.findtime, bantime: jail.bantime },
            { enabled: "true", port: "2222", backend: "systemd", maxretry: "3", findtime: "600", bantime: "3600" },
        );
    });

    it("tunes and hardens the kernel, and switches IPv6 off unless asked for", () => {
        const off = file(parsed(renderUserData(input())), HOST_PATHS.sysctl);
        for (const line of ["vm.swappiness = 10", "kernel.kptr_restrict = 2", "kernel.dmesg_restrict = 1", "net.ipv4.conf.all.rp_filter = 1", "net.ipv4.conf.all.accept_redirects = 0", "net.ipv4.conf.all.accept_source_route = 0", "net.ipv4.tcp_syncookies = 1", "net.ipv6.conf.all.disable_ipv6 = 1"]) {
            assert.ok(off.includes(`${line}\n`), `sysctl should set ${line}`);
        }
        const on = file(parsed(renderUserData(input({ ipv6: true }))), HOST_PATHS.sysctl);
        assert.ok(!on.includes("disable_ipv6"));
        assert.ok(on.includes("net.ipv6.conf.all.accept_redirects = 0\n"));
        assert.ok(!("net.ipv4.ip_forward" in sysctlValues(false)), "Docker needs forwarding; the hardening leaves it alone");
    });

    it("installs Docker from Docker's signed repository, trusting only the shipped key", () => {
        const config = parsed(renderUserData(input()));
        assert.match(file(config, HOST_PATHS.dockerKeyring), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
        const source = directives(file(config, HOST_PATHS.dockerSource).replace(/: /g, " "));
        assert.deepStrictEqual(source, {
            Types: "deb",
            URIs: "https://download.docker.com/linux/debian",
            Suites: "trixie",
            Components: "stable",
            Architectures: "amd64",
            "Signed-By": HOST_PATHS.dockerKeyring,
        });
        assert.ok(config.packages.includes("docker-ce") && config.packages.includes("docker-compose-plugin"));
        assert.ok(!config.packages.includes("docker.io"));
        const ubuntu = parsed(renderUserData(input({ osImage: "ubuntu-24.04" })));
        assert.match(file(ubuntu, HOST_PATHS.dockerSource), /URIs: https:\/\/download.docker.com\/linux\/ubuntu\nSuites: noble/);
    });

    it("installs the distribution's Docker when dockerSource is distro, with no third-party repository", () => {
        const config = parsed(renderUserData(input({ dockerSource: "distro" })));
        assert.ok(config.packages.includes("docker.io") && config.packages.includes("docker-compose"));
        assert.ok(!config.packages.includes("docker-ce"));
        assert.ok(!config.write_files.some((f: any) => f.path === HOST_PATHS.dockerSource || f.path === HOST_PATHS.dockerKeyring));
        assert.ok(parsed(renderUserData(input({ dockerSource: "distro", osImage: "ubuntu-24.04" }))).packages.includes("docker-compose-v2"));
    });

    it("configures the Docker daemon with bounded logs, live-restore, no-new-privileges and no userland proxy", () => {
        const daemon = JSON.parse(file(parsed(renderUserData(input())), HOST_PATHS.dockerDaemon));
        assert.deepStrictEqual(
            [daemon["log-driver"], daemon["log-opts"], daemon["live-restore"], daemon["no-new-privileges"], daemon["userland-proxy"]],
            ["json-file", { "max-size": "10m", "max-file": "3" }, true, true, false],
        );
    });

    it("enables unattended upgrades, and no reboot until host-access sets the window", () => {
        const upgrades = file(parsed(renderUserData(input())), HOST_PATHS.unattendedUpgrades);
        assert.ok(upgrades.includes('Unattended-Upgrade::Automatic-Reboot "false";'));
        assert.ok(!upgrades.includes("Automatic-Reboot-Time"));
        assert.ok(upgrades.includes('APT::Periodic::Unattended-Upgrade "1";'));
        assert.ok(parsed(renderUserData(input())).packages.includes("unattended-upgrades"));
    });

    it("writes the hardening marker last, so it exists only when every step succeeded", () => {
        const script = hardenScript(parsed(renderUserData(input())));
        assert.match(script, /^set -euo pipefail$/m);
        const calls = script.trimEnd().split("\n").slice(-8);
        assert.deepStrictEqual(calls, [
            "apply_sysctl",
            "harden_ssh",
            "passwd -l root >/dev/null",
            "configure_firewall",
            "start_fail2ban",
            "start_docker",
            "enable_upgrades",
            "mark_hardened",
        ]);
        assert.ok(script.includes(`> ${HOST_PATHS.hardenedMarker}`));
    });

    it("renders the same bytes for the same input", () => {
        assert.strictEqual(renderUserData(input()), renderUserData(input()));
    });

    it("fits in AWS's 16 KiB user data limit", () => {
        const size = Buffer.byteLength(renderUserData(input({ dockerSource: "docker" })));
        assert.ok(size < 16 * 1024, `user data is ${size} bytes`);
    });
});
