// Run by `pulumi up` on the operator's machine (cloud existing), before the program's first login
// to the server: does an SSH server answer at the address and port the first login will use? If
// not, it says so in one sentence within seconds, instead of the SSH client's retries.
//
//   node scripts/first-login-probe.js ADDRESS PORT USER SSH_PORT
//
// Exit status: 0 an SSH server answered; 1 none did (the sentence is on standard error).
"use strict";
const net = require("net");

const [host, portText, user, sshPort] = process.argv.slice(2);
const port = Number(portText);
const TIMEOUT_MS = 10_000;

function fail(why) {
    console.error(
        `openclaw first login: ${why} at ${host} port ${port}, where the program would log in as ${user}. ` +
            `Check serverAddress and firstLoginPort, that the server is up and that this machine may reach that port. ` +
            `A server this program already hardened answers only deploy on sshPort (${sshPort}): ` +
            `set firstLoginUser to deploy, firstLoginPort to ${sshPort} and firstLoginKey to the private half of a key in sshPublicKeys.`,
    );
    process.exit(1);
}

let banner = "";
const socket = net.connect({ host, port, timeout: TIMEOUT_MS });
socket.setEncoding("latin1");
socket.on("data", (chunk) => {
    banner += chunk;
    if (!banner.includes("\n")) return;
    if (!banner.startsWith("SSH-2.0-")) fail("something other than an SSH server answered");
    console.log(`first login: an SSH server answers at ${host} port ${port}`);
    socket.destroy();
    process.exit(0);
});
socket.on("timeout", () => fail(`nothing answered within ${TIMEOUT_MS / 1000} s`));
socket.on("error", (error) => fail(`no SSH server answered (${error.code ?? error.message})`));
socket.on("close", () => fail("the connection was closed before an SSH server answered"));
