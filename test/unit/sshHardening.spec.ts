// The two renderings of the host's plan agree: what the root script for an existing server writes,
// creates and installs is exactly what the cloud-init user data does, file for file and byte for byte.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { hostPlan, HostPlanInput } from "../../cloud-init/hostPlan";
import { DEPLOY_SUDOERS, FIRST_LOGIN_LISTENER, renderSshHardening } from "../../cloud-init/sshHardening";
import { firstLoginCommand, hardeningCommand } from "../../providers/existing";
import { renderUserData } from "../../cloud-init/userData";
import { OS_IMAGES } from "../../providers";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3mRZ3CzXuqLRy0UMdGfE6qZNCD2eUJu2xP8JXamQ4r deploy@openclaw";

const input = (host: Partial<HostPlanInput["host"]> = {}): HostPlanInput => ({
    hostName: "openclaw-test",
    host: { osImage: "debian-13", sshPort: 9922, dockerSource: "docker", ipv6: false, ...host },
    tunnelPorts: [18789],
    deployPublicKey: KEY,
});

interface Written {
    readonly path: string;
    readonly permissions: string;
    readonly owner: string;
    readonly content: string;
}

/** Every file the script installs: its base64 here-document, decoded, and the install line after it. */
function writtenByScript(script: string): Written[] {
    const pattern = /base64 --decode >"\$work\/file" <<'OPENCLAW_BASE64'\n([A-Za-z0-9+/=\n]*?)\nOPENCLAW_BASE64\ninstall -m (\d{4}) -o (\S+) -g (\S+) "\$work\/file" (\S+)/g;
    return [...script.matchAll(pattern)].map((m) => ({
        path: m[5].replace(/^'|'$/g, ""),
        permissions: m[2],
        owner: `${m[3]}:${m[4]}`,
        content: Buffer.from(m[1].replace(/\n/g, ""), "base64").toString("utf8"),
    }));
}

describe("hardening an existing server: the root script and the user data are one plan", () => {
    for (const osImage of OS_IMAGES) {
        for (const dockerSource of ["docker", "distro"] as const) {
            if (osImage === "debian-12" && dockerSource === "distro") continue; // settings refuse it
            it(`${osImage}, Docker from ${dockerSource}: the same files, user, keys, packages and last command`, () => {
                const plan = input({ osImage, dockerSource });
                const userData = YAML.parse(renderUserData(plan).replace(/^#cloud-config\n/, ""));
                const { firstLogin, hardening } = renderSshHardening(hostPlan(plan), 22);
                const script = `${firstLogin}\n${hardening}`;
                const written = writtenByScript(script).filter((file) => file.path !== FIRST_LOGIN_LISTENER);

                const hostFiles = written.filter((file) => file.path !== "/home/deploy/.ssh/authorized_keys");
                assert.deepStrictEqual(
                    hostFiles.map(({ path, permissions, owner, content }) => ({ path, permissions, owner, content })),
                    userData.write_files.map((file: Written) => ({ path: file.path, permissions: file.permissions, owner: file.owner, content: file.content })),
                );

                const [user] = userData.users;
                const keys = written.find((file) => file.path === "/home/deploy/.ssh/authorized_keys");
                assert.deepStrictEqual({ owner: keys?.owner, permissions: keys?.permissions, keys: keys?.content.trim().split("\n") }, { owner: "deploy:deploy", permissions: "0600", keys: user.ssh_authorized_keys });
                assert.ok(script.includes(`useradd --create-home --shell ${user.shell} --comment 'OpenClaw deploy' ${user.name}`));
                assert.ok(script.includes(`printf '%s %s\\n' ${user.name} '${user.sudo}' >"$work/sudoers"`), "the same sudo rule");
                assert.ok(script.includes(`install -m 0440 -o root -g root "$work/sudoers" ${DEPLOY_SUDOERS}`));

                const install = /apt-get -o DPkg::Lock::Timeout=300 install -y -qq (.*) >\/dev\/null/.exec(hardening);
                assert.deepStrictEqual(install?.[1].split(" "), userData.packages);
                // cloud-init's order: the files (Docker's apt source among them), the packages, then the hardening script.
                const runs = userData.runcmd.map((command: string[]) => command.join(" "));
                assert.deepStrictEqual(runs, ["/usr/local/sbin/openclaw-harden-host"]);
                const order = ['log "files"', 'log "packages"', `\n${runs[0]}\n`].map((marker) => hardening.indexOf(marker));
                assert.ok(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1])), `files, packages, then ${runs[0]}`);
                // The user comes first, through the first login; the hardening runs as that user.
                assert.ok(firstLogin.includes("useradd") && !hardening.includes("useradd"));
            });
        }
    }

    it("passes ShellCheck and bash -n, and the commands that carry them parse in sh", () => {
        const { firstLogin, hardening } = renderSshHardening(hostPlan(input()), 22);
        for (const script of [firstLogin, hardening]) {
            for (const [program, args] of [["shellcheck", ["--shell=bash", "--severity=style", "-"]], ["bash", ["-n"]]] as const) {
                const result = spawnSync(program, [...args], { input: script, encoding: "utf8" });
                assert.strictEqual(result.status, 0, `${program}: ${result.stdout}${result.stderr}`);
            }
        }
        // A first login's shell may be dash: the carrying commands must parse there.
        for (const command of [firstLoginCommand("echo checks", firstLogin), hardeningCommand(hardening)]) {
            const result = spawnSync("sh", ["-n"], { input: command, encoding: "utf8" });
            assert.strictEqual(result.status, 0, result.stderr);
        }
    });

    it("first login: sshd listens on sshPort beside the first login's port until the hardening removes that", () => {
        const { firstLogin, hardening } = renderSshHardening(hostPlan(input()), 2200);
        const listener = writtenByScript(firstLogin).find((file) => file.path === FIRST_LOGIN_LISTENER);
        assert.strictEqual(listener?.content, "Port 2200\nPort 9922\n");
        assert.ok(hardening.indexOf(`rm -f ${FIRST_LOGIN_LISTENER}`) < hardening.indexOf("\n/usr/local/sbin/openclaw-harden-host\n"));
    });
});
