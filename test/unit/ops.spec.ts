// The day-2 helpers' pure parts: reading the stack outputs, the arguments, and the commands they
// send (run through real bash, with `sudo` standing in, to see the words the host would get).
import * as assert from "assert";
import { spawnSync } from "child_process";
import { OPS_COMMANDS, parseInvocation, remoteCommandFor } from "../../ops/cli";
import { accessPointFrom } from "../../ops/outputs";
import { logsCommand, openclawCommand } from "../../ops/remote";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";

/** The words `sudo` receives when bash runs `command`. */
function sudoWords(command: string): string[] {
    const result = spawnSync("bash", ["-c", `sudo() { printf '%s\\n' "$@"; }\n${command}`], { encoding: "utf8" });
    assert.strictEqual(result.status, 0, result.stderr);
    return result.stdout.split("\n").slice(0, -1);
}

describe("the day-2 helpers (ops/)", () => {
    describe("the stack's outputs", () => {
        it("take the user, the port and the address from sshCommand, and the key from deployPrivateKey", () => {
            assert.deepStrictEqual(accessPointFrom({ serverIp: "198.51.100.10", sshCommand: "ssh -p 9922 deploy@198.51.100.10", deployPrivateKey: KEY }), {
                host: "198.51.100.10",
                port: 9922,
                user: "deploy",
                deployPrivateKey: KEY,
            });
        });

        it("say in one sentence which outputs are missing, without any value", () => {
            assert.throws(() => accessPointFrom({ serverIp: "198.51.100.10", deployPrivateKey: KEY }), (error: Error) => {
                assert.strictEqual(error.message, "the stack has no sshCommand output; run `pulumi up` for this stack first");
                return true;
            });
            assert.throws(() => accessPointFrom({ serverIp: "x", sshCommand: "ssh deploy@x", deployPrivateKey: KEY }), /sshCommand output is "ssh deploy@x"; expected "ssh -p <port> <user>@<address>"/);
        });
    });

    describe("the arguments", () => {
        it("take --stack and ssh options before the command", () => {
            assert.deepStrictEqual(parseInvocation(["--stack", "prod", "-o", "ProxyJump=bastion", "logs", "gateway", "-f"]), {
                stack: "prod",
                sshOptions: ["ProxyJump=bastion"],
                command: "logs",
                args: ["gateway", "-f"],
            });
            assert.throws(() => parseInvocation([]), (error: Error) => error.message.startsWith("usage: npm run --silent ops --"));
        });

        it("dispatch every command the helper lists (the docs are checked against the list)", () => {
            for (const command of OPS_COMMANDS) {
                assert.doesNotThrow(() => remoteCommandFor(command, command === "openclaw" ? ["doctor"] : [], false), command);
            }
        });

        it("refuse an unknown command or service with what is accepted", () => {
            assert.throws(() => remoteCommandFor("restart", [], false), /"restart" is not a command of this helper/);
            assert.throws(() => logsCommand("gatway", { follow: false, lines: 10 }), /^Error: logs: "gatway" is not a service of the stack; it must be one of gateway, litellm, egress, redis, cloudflared, caddy$/);
        });
    });

    describe("the commands on the host", () => {
        it("openclaw passes every argument through as one word, quotes and spaces included", () => {
            assert.deepStrictEqual(sudoWords(openclawCommand(["pairing", "approve", "telegram", "AB'C D$(x)"], false)), [
                "docker", "exec", "-i", "openclaw-gateway", "openclaw", "pairing", "approve", "telegram", "AB'C D$(x)",
            ]);
            assert.deepStrictEqual(sudoWords(openclawCommand(["doctor"], true)).slice(0, 3), ["docker", "exec", "-it"]);
        });

        it("logs reads one service's container, with the lines and follow asked for", () => {
            const { remote } = remoteCommandFor("logs", ["litellm", "-n", "50", "-f"], false);
            assert.deepStrictEqual(sudoWords(remote!), ["docker", "logs", "--tail", "50", "--follow", "--timestamps", "openclaw-litellm"]);
        });

        it("shellcheck accepts every command the helpers send", () => {
            for (const [command, args] of [["logs", []], ["logs", ["gateway"]], ["status", []], ["backup-now", []], ["openclaw", ["doctor"]]] as const) {
                const { remote } = remoteCommandFor(command, [...args], false);
                const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: remote, encoding: "utf8" });
                assert.strictEqual(result.status, 0, `${command}: ${result.stdout}`);
            }
        });
    });
});
