// Smokescreen, the real program: our egress module (components/stack/egress-proxy) built through the
// Go module proxy by .ci/tools/smokescreen.sh, run as the compose file runs it: the rendered command
// line verbatim, the rendered ACL where the compose file mounts it, the image's uid with no
// capabilities and no-new-privileges, a read-only root. Nothing on the internet is reachable here,
// so the world is made small: a private network and mount namespace whose loopback carries a
// public-looking address and private, loopback, link-local and CGNAT ones, all answered by one fake
// upstream, an /etc/hosts in the proxy's root that gives the ACL's names those addresses, and a
// DNS server at Docker's embedded DNS address that gives the client containers' names (LiteLLM's,
// the gateway's) the addresses their clients speak from. A client can reach every address directly, so only Smokescreen
// stands between it and each; which client may reach which host is said here, from the settings
// (the model providers for LiteLLM, Telegram and the operator's hosts for the gateway), not read
// back from the rendered ACL.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { EGRESS_UID } from "../../components/stack/egressProxy";
import { renderStackFiles } from "../../components/stack/files";
import { PORTS, SERVICES, STACK_FILES } from "../../components/stack/layout";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { egressRefusalLogFields, shellQuote } from "../../components/stack/steps";
import { DEBIAN_PYTHON, tempDir } from "../artifacts/tools";
import { ROOT } from "../fixtures";
import { app, EGRESS_DOMAINS, INGRESSES, PROVIDER_HOSTS, SMALL } from "../renderedStack";

/** The binary .ci/tools/smokescreen.sh builds from the committed module. */
const SMOKESCREEN = process.env.OPENCLAW_SMOKESCREEN ?? path.join(ROOT, ".tools", "bin", "smokescreen");

/** TEST-NET-2: global unicast, and in none of the ranges Smokescreen or our command line deny. */
const PUBLIC_ADDRESS = "198.51.100.10";

/** Where Docker's embedded DNS answers inside a container, and the stand-in answers here. */
const EMBEDDED_DNS = "127.0.0.11";

/**
 * Docker's embedded DNS, as far as the proxy asks it: A records of the names given as NAME=ADDRESS,
 * no other record, NXDOMAIN for any other name. Writes its ready file once it listens.
 */
const DNS = `import socket, struct, sys
address, ready = sys.argv[1], sys.argv[2]
names = dict(arg.lower().split("=") for arg in sys.argv[3:])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((address, 53))
open(ready, "w").close()
while True:
    query, client = s.recvfrom(4096)
    ident, flags = struct.unpack(">HH", query[:4])
    i, labels = 12, []
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]].decode().lower())
        i += 1 + query[i]
    qtype = struct.unpack(">H", query[i + 1:i + 3])[0]
    found = names.get(".".join(labels))
    answer = b"\\xc0\\x0c" + struct.pack(">HHIH", 1, 1, 5, 4) + socket.inet_aton(found) if found and qtype == 1 else b""
    header = struct.pack(">HHHHHH", ident, 0x8180 | (0 if found else 3), 1, 1 if answer else 0, 0, 0)
    s.sendto(header + query[12:i + 5] + answer, client)
`;

/**
 * The proxy's clients: the container name whose address carries each (answered by EMBEDDED_DNS, as
 * Docker's DNS answers it), the address its requests come from, and the hosts it alone may reach.
 * The stranger's address is in no name: a container the proxy was not told about.
 */
const CLIENTS = {
    litellm: { container: SERVICES.litellm.container, address: "172.31.240.21", hosts: PROVIDER_HOSTS },
    gateway: { container: PRIMARY_GATEWAY.container, address: "172.31.240.22", hosts: ["api.telegram.org", ...EGRESS_DOMAINS] },
    stranger: { container: undefined, address: "172.31.240.99", hosts: [] as string[] },
} as const;
type Client = keyof typeof CLIENTS;
const CLIENT_NAMES = Object.keys(CLIENTS) as Client[];

/**
 * Where an allowlisted name may resolve and must still be refused: a label under the ACL's wildcard
 * entry, the address its name resolves to, and what that address is.
 */
const FORBIDDEN = [
    { label: "rfc1918-10", address: "10.20.30.40", what: "private 10.0.0.0/8" },
    { label: "rfc1918-172", address: "172.31.241.2", what: "private 172.16.0.0/12 (the stack's own cache-net)" },
    { label: "rfc1918-192", address: "192.168.1.1", what: "private 192.168.0.0/16" },
    { label: "loopback", address: "127.0.0.1", what: "loopback 127.0.0.0/8" },
    { label: "unspecified", address: "0.0.0.0", what: "0.0.0.0, which Linux connects to this host" },
    { label: "metadata", address: "169.254.169.254", what: "link-local 169.254.0.0/16: the clouds' metadata service" },
    { label: "cgnat", address: "100.100.100.100", what: "CGNAT 100.64.0.0/10 (Tailscale's own addresses)" },
    { label: "ula", address: "fd00::20", what: "IPv6 unique local fc00::/7" },
    { label: "loopback6", address: "::1", what: "IPv6 loopback" },
];

/** What one request through the proxy (or straight to an address) came back with. */
interface Probe {
    /** CONNECT's status (`%{http_connect}`), 000 when there was none. */
    readonly connect: string;
    /** The HTTP status of the request itself, 000 when none came. */
    readonly http: string;
    /** The body's first bytes: the fake upstream names the address and Host it served. */
    readonly body: string;
    /** Smokescreen's X-Smokescreen-Error header: why it refused. */
    readonly reason: string;
}

interface World {
    /** The egress service's command in the rendered compose file. */
    readonly command: string[];
    /** The names each client may reach, each resolving to PUBLIC_ADDRESS. */
    readonly allowed: Readonly<Record<Client, string[]>>;
    /** Names no client may reach, each resolving to PUBLIC_ADDRESS. */
    readonly unlisted: string[];
    /** Allowlisted names resolving to a forbidden address. */
    readonly forbidden: (typeof FORBIDDEN[number] & { readonly name: string })[];
    /** Everything the harness printed, and its exit status. */
    readonly output: string;
    readonly status: number | null;
    /** Each probe by `KIND CLIENT NAME` (KIND: connect, http, or direct without the proxy, whose CLIENT is "-"). */
    readonly probes: ReadonlyMap<string, Probe>;
    /** The proxy's process as the kernel saw it: /proc/PID/status fields and its argv. */
    readonly identity: ReadonlyMap<string, string>;
    readonly cmdline: string[];
    /** The Host headers the fake upstream served, in order. */
    readonly served: string[];
    readonly proxyLog: string;
}

/** The fake upstream: answers any GET with the address and Host it served, and records the Host. */
const UPSTREAM = `import http.server, socket, sys
port, log = int(sys.argv[1]), sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        address = self.connection.getsockname()[0].removeprefix("::ffff:")
        host = self.headers.get("Host", "")
        with open(log, "a") as f:
            f.write(host + "\\n")
        body = f"fake upstream at {address} for {host}\\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class DualStack(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
DualStack(("::", port), Handler).serve_forever()
`;

/** `[v6]` for a URL's host part. */
const urlHost = (address: string) => (address.includes(":") ? `[${address}]` : address);

/**
 * Runs the harness in `unshare --net --mount` (as root: nothing outside the namespaces changes):
 * addresses on lo, the fake upstream on 80 and 443, the proxy chrooted into a read-only copy of
 * its image's files and started as EGRESS_UID, then every probe once the ports answer.
 */
function runWorld(context: Mocha.Context): World {
    assert.ok(fs.existsSync(SMOKESCREEN), `${SMOKESCREEN} is missing; run \`bash .ci/tools/smokescreen.sh\` (or \`bash .ci/install-tools\`) first`);
    const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C.UTF-8" };
    const works = spawnSync("/usr/bin/unshare", ["--net", "--mount", "/bin/true"], { encoding: "utf8", env });
    if (works.status !== 0) {
        console.log(`      skipped: unshare --net --mount does not work here (${(works.stderr || works.error?.message || "").trim()}); it needs root`);
        context.skip();
    }

    // Exactly what the deploy writes and compose runs: the ACL and the egress service's command.
    const files = renderStackFiles(app(true), INGRESSES[0], SMALL);
    const egress = YAML.parse(files.compose).services.egress;
    const command: string[] = egress.command;
    const aclMount = (egress.volumes as string[]).map((v) => v.split(":")).find(([source]) => path.basename(source) === path.basename(STACK_FILES.egressAcl));
    assert.ok(aclMount, `the egress service mounts no ACL: ${JSON.stringify(egress.volumes)}`);
    assert.match(files.egressDockerfile, new RegExp(`^USER ${EGRESS_UID}:${EGRESS_UID}$`, "m"), "the image runs as EGRESS_UID");
    const exact = (hosts: readonly string[]) => hosts.filter((d) => !d.startsWith("*."));
    const wildcard = CLIENTS.gateway.hosts.find((d) => d.startsWith("*."))?.slice(2);
    assert.ok(wildcard, `the test's egress domains need a wildcard entry for its forbidden names: ${EGRESS_DOMAINS.join(", ")}`);

    const allowed = {
        litellm: exact(CLIENTS.litellm.hosts),
        gateway: [...exact(CLIENTS.gateway.hosts), `www.${wildcard}`],
        stranger: [],
    };
    const everyAllowed = [...allowed.litellm, ...allowed.gateway];
    // Not on any list: another host, the wildcard's own root (a wildcard covers subdomains only),
    // and an allowlisted name as a prefix of someone else's domain.
    const unlisted = ["example.com", wildcard, `${allowed.gateway[0]}.example.net`];
    const forbidden = FORBIDDEN.map((f) => ({ ...f, name: `${f.label}.${wildcard}` }));

    const dir = tempDir("smokescreen");
    // The proxy's root, as its image has it: the binary, the ACL at the mounted path, /etc/hosts, /tmp.
    const rootfs = path.join(dir, "rootfs");
    const put = (file: string, content: string | Buffer, mode: number) => {
        const target = path.join(rootfs, file);
        fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
        fs.writeFileSync(target, content, { mode });
    };
    fs.mkdirSync(rootfs, { mode: 0o755 });
    put("usr/local/bin/smokescreen", fs.readFileSync(SMOKESCREEN), 0o755);
    put(aclMount[1], files.egressAcl, 0o644);
    const hosts = [...everyAllowed, ...unlisted].map((name) => `${PUBLIC_ADDRESS} ${name}`).concat(forbidden.map((f) => `${f.address} ${f.name}`));
    put("etc/hosts", `${hosts.join("\n")}\n`, 0o644);
    put("etc/nsswitch.conf", "hosts: files dns\n", 0o644);
    put("etc/resolv.conf", `nameserver ${EMBEDDED_DNS}\n`, 0o644);
    const containerNames = CLIENT_NAMES.flatMap((c) => (CLIENTS[c].container ? [`${CLIENTS[c].container}=${CLIENTS[c].address}`] : []));
    fs.mkdirSync(path.join(rootfs, "tmp"), { mode: 0o1777 });
    fs.writeFileSync(path.join(dir, "upstream.py"), UPSTREAM);
    fs.writeFileSync(path.join(dir, "dns.py"), DNS);

    const served = path.join(dir, "served.log");
    const proxyLog = path.join(dir, "proxy.log");
    const proxy = `127.0.0.1:${PORTS.egress}`;
    const lo = [PUBLIC_ADDRESS, ...FORBIDDEN.map((f) => f.address), ...CLIENT_NAMES.map((c) => CLIENTS[c].address)].filter((a) => !["127.0.0.1", "0.0.0.0", "::1"].includes(a));
    // Each client asks for every host of every list and the unlisted ones; the gateway, whose list
    // has the wildcard, the forbidden names too. Each speaks from its own address (curl --interface).
    const through = (client: Client, name: string) => [
        `probe connect ${client} ${name} http://${name}:443/ -p -x http://${proxy} --interface ${CLIENTS[client].address}`,
        `probe http ${client} ${name} http://${name}:80/ -x http://${proxy} --interface ${CLIENTS[client].address}`,
    ];
    const probes = [
        ...CLIENT_NAMES.flatMap((client) => [...everyAllowed, ...unlisted].flatMap((name) => through(client, name))),
        ...[...forbidden.map((f) => f.name), "169.254.169.254"].flatMap((name) => through("gateway", name)),
        // Controls: each address answers a client that does not go through the proxy.
        ...[PUBLIC_ADDRESS, ...FORBIDDEN.map((f) => f.address)].map((a) => `probe direct - ${a} http://${urlHost(a)}:80/ --noproxy '*'`),
    ];
    const harness = `set -euo pipefail
pids=()
trap 'kill "\${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
ip link set lo up
for address in ${lo.join(" ")}; do
    case $address in *:*) ip -6 addr add "$address/128" dev lo nodad ;; *) ip addr add "$address/32" dev lo ;; esac
done
# The proxy's root, read-only as compose's read_only: true, with a tmpfs /tmp as compose gives it.
rootfs=${shellQuote(rootfs)}
mount --bind "$rootfs" "$rootfs"
mount -t tmpfs -o size=16m,mode=1777 tmpfs "$rootfs/tmp"
mount -o remount,bind,ro "$rootfs"
dns_ready=${shellQuote(path.join(dir, "dns.ready"))}
${DEBIAN_PYTHON} ${shellQuote(path.join(dir, "dns.py"))} ${EMBEDDED_DNS} "$dns_ready" ${containerNames.map(shellQuote).join(" ")} &
pids+=($!)
for port in 80 443; do
    ${DEBIAN_PYTHON} ${shellQuote(path.join(dir, "upstream.py"))} "$port" ${shellQuote(served)} &
    pids+=($!)
done
# Root chroots, then drops to the image's uid and gid with no supplementary groups (leaving uid 0
# clears every capability); no-new-privileges as compose sets it. The compose command line, verbatim.
setpriv --no-new-privs unshare --root="$rootfs" --wd=/ --setgid=${EGRESS_UID} --setuid=${EGRESS_UID} \\
    /usr/local/bin/smokescreen ${command.map(shellQuote).join(" ")} >${shellQuote(proxyLog)} 2>&1 &
proxy_pid=$!
pids+=($proxy_pid)
# Probe only once everything listens: a slow start must not read as a refusal.
listening() {
    local deadline=$((SECONDS + 60))
    until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
        kill -0 "$proxy_pid" 2>/dev/null || { echo "smokescreen exited:"; cat ${shellQuote(proxyLog)}; exit 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "nothing listens on port $1 after 60 s"; exit 1; }
        sleep 0.1
    done
}
listening 80; listening 443; listening ${PORTS.egress}
until [ -e "$dns_ready" ]; do [ "$SECONDS" -lt 60 ] || { echo "the DNS stand-in did not start"; exit 1; }; sleep 0.1; done
printf 'identity\\t%s\\n' "$(grep -E '^(Uid|Gid|Groups|CapPrm|CapEff|CapAmb|NoNewPrivs):' /proc/$proxy_pid/status | tr -s '\\t' ' ' | tr '\\n' ';')"
printf 'cmdline\\t%s\\n' "$(tr '\\0' '\\t' </proc/$proxy_pid/cmdline)"
# probe KIND CLIENT NAME URL CURL-ARGS...: one request; prints its statuses, body and Smokescreen's reason.
probe() {
    local kind=$1 client=$2 name=$3 url=$4 out codes reason
    shift 4
    out=$(mktemp -d)
    codes=$(curl -sS --max-time 30 -o "$out/body" -D "$out/head" -w '%{http_connect}\\t%{http_code}' "$@" "$url" 2>"$out/err" || true)
    reason=$(sed -n 's/^X-Smokescreen-Error: *//Ip' "$out/head" 2>/dev/null | tr -d '\\r' | head -n 1)
    printf 'probe\\t%s %s\\t%s\\t%s\\t%s\\t%s\\n' "$kind" "$client" "$name" "$codes" "$(head -c 200 "$out/body" 2>/dev/null | tr '\\n\\t' '  ')" "$reason"
    rm -rf "$out"
}
${probes.join("\n")}
`;
    const script = path.join(dir, "harness.sh");
    fs.writeFileSync(script, harness);
    const result = spawnSync("/usr/bin/unshare", ["--net", "--mount", "/bin/bash", script], { encoding: "utf8", env, timeout: 180_000 });
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    const lines = output.split("\n").map((line) => line.split("\t"));
    const probeResults = new Map<string, Probe>();
    for (const [tag, kindAndClient, name, connect, http, body, reason] of lines) {
        if (tag === "probe") probeResults.set(`${kindAndClient} ${name}`, { connect, http, body: body.trim(), reason: reason ?? "" });
    }
    const identityLine = lines.find(([tag]) => tag === "identity")?.[1] ?? "";
    const identity = new Map(identityLine.split(";").filter(Boolean).map((field) => {
        const [key, ...value] = field.split(":");
        return [key, value.join(":").trim()] as [string, string];
    }));
    const cmdline = (lines.find(([tag]) => tag === "cmdline") ?? []).slice(1).filter(Boolean);
    const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
    return {
        command,
        allowed,
        unlisted,
        forbidden,
        output,
        status: result.status,
        probes: probeResults,
        identity,
        cmdline,
        served: read(served).split("\n").filter(Boolean),
        proxyLog: read(proxyLog),
    };
}

describe("Smokescreen (our module at the pinned version) with the rendered ACL and command line", function () {
    this.timeout(240_000);
    let world: World;

    before(function () {
        world = runWorld(this);
        assert.strictEqual(world.status, 0, world.output);
    });

    /** The probe of KIND from CLIENT for NAME; fails with everything the run printed when it is missing. */
    const probe = (kind: string, client: Client | "-", name: string): Probe => {
        const found = world.probes.get(`${kind} ${client} ${name}`);
        assert.ok(found, `no ${kind} probe from ${client} for ${name}:\n${world.output}`);
        return found;
    };
    /** Smokescreen's reason when the client's rule names no such host (X-Smokescreen-Error). */
    const BY_RULE = /: rule has enforce policy\.$/;
    /** Both requests (CONNECT and plain HTTP) from CLIENT for NAME were refused (407) before anything connected. */
    const refused = (client: Client, name: string, why: RegExp) => {
        for (const kind of ["connect", "http"]) {
            const p = probe(kind, client, name);
            assert.strictEqual(kind === "connect" ? p.connect : p.http, "407", `${kind} from ${client} for ${name}: ${details(p)}`);
            assert.doesNotMatch(p.body, /fake upstream/, `${kind} from ${client} for ${name}`);
            assert.match(p.reason, why, `${kind} from ${client} for ${name}`);
        }
    };
    const details = (p: Probe) => `${JSON.stringify(p)}\nproxy log:\n${world.proxyLog.split("\n").slice(-20).join("\n")}`;

    it("runs as the compose file runs it: its command line, the image's uid and gid, no capabilities, no new privileges", () => {
        assert.deepStrictEqual(world.cmdline, ["/usr/local/bin/smokescreen", ...world.command], world.output);
        assert.match(world.identity.get("Uid") ?? "", new RegExp(`^${EGRESS_UID}( ${EGRESS_UID}){3}$`), world.output);
        assert.match(world.identity.get("Gid") ?? "", new RegExp(`^${EGRESS_UID}( ${EGRESS_UID}){3}$`), world.output);
        assert.strictEqual(world.identity.get("Groups"), "", world.output);
        for (const set of ["CapPrm", "CapEff", "CapAmb"]) assert.match(world.identity.get(set) ?? "", /^0+$/, `${set}: ${world.output}`);
        assert.strictEqual(world.identity.get("NoNewPrivs"), "1", world.output);
    });

    it("every address of the test answers a client that does not use the proxy", () => {
        for (const address of [PUBLIC_ADDRESS, ...FORBIDDEN.map((f) => f.address)]) {
            const p = probe("direct", "-", address);
            assert.strictEqual(p.http, "200", `${address}: ${JSON.stringify(p)}`);
            assert.match(p.body, /^fake upstream at /, address);
        }
    });

    for (const client of ["litellm", "gateway"] as const) {
        it(`lets ${client} through to each of its own hosts, by CONNECT and by plain HTTP, to the address its name resolves to`, () => {
            for (const name of world.allowed[client]) {
                const tunnel = probe("connect", client, name);
                assert.strictEqual(tunnel.connect, "200", `CONNECT ${name}:443 from ${client}: ${details(tunnel)}`);
                assert.strictEqual(tunnel.body, `fake upstream at ${PUBLIC_ADDRESS} for ${name}:443`, `CONNECT ${name}:443 from ${client}`);
                const plain = probe("http", client, name);
                assert.strictEqual(plain.http, "200", `GET http://${name}/ from ${client}: ${details(plain)}`);
                assert.strictEqual(plain.body, `fake upstream at ${PUBLIC_ADDRESS} for ${name}`, `GET http://${name}/ from ${client}`);
            }
        });
    }

    it("refuses LiteLLM Telegram and the operator's hosts, and the gateway the model providers (407), before it connects anywhere", () => {
        // Refused by the client's own rule, before any name was resolved.
        for (const name of world.allowed.gateway) refused("litellm", name, BY_RULE);
        for (const name of world.allowed.litellm) refused("gateway", name, BY_RULE);
    });

    it("refuses every client the hosts on no list (407)", () => {
        for (const client of ["litellm", "gateway"] as const) {
            for (const name of world.unlisted) refused(client, name, BY_RULE);
        }
        refused("gateway", "169.254.169.254", BY_RULE);
    });

    it("refuses everything to a client whose address no container's name resolves to, and logs why", () => {
        for (const name of [...world.allowed.litellm, ...world.allowed.gateway, ...world.unlisted]) {
            refused("stranger", name, /: Client role cannot be determined\.$/);
        }
        const why = world.proxyLog.split("\n").filter((line) => line.includes(`"error":"no client container's name resolves to ${CLIENTS.stranger.address}"`) && line.includes(`"msg":"Unable to get role for request"`));
        assert.ok(why.length > 0, `the proxy logged no reason for the stranger:\n${world.proxyLog.split("\n").slice(-20).join("\n")}`);
    });

    it("refuses an allowlisted name that resolves to a private, loopback, link-local or CGNAT address", () => {
        for (const f of world.forbidden) {
            // Refused for the address the name resolved to (the ACL allowed the name).
            refused("gateway", f.name, new RegExp(`${f.address.replace(/[.]/g, "\\.")} denied by rule`));
        }
    });

    it("logs a refused CONNECT with the host, the client's role and the refusal on one line, as the deploy's check greps it", () => {
        const host = world.allowed.litellm[0];
        const fields = egressRefusalLogFields(host, PRIMARY_GATEWAY.name);
        const lines = world.proxyLog.split("\n").filter((line) => fields.every((field) => line.includes(field)));
        assert.ok(lines.length > 0, `no line of the proxy's log has ${fields.join(" ")}:\n${world.proxyLog.split("\n").slice(-20).join("\n")}`);
    });

    it("the fake upstream served exactly each client's own hosts and the direct requests", () => {
        const expected = [
            ...[...world.allowed.litellm, ...world.allowed.gateway].flatMap((name) => [`${name}:443`, name]),
            ...[PUBLIC_ADDRESS, ...FORBIDDEN.map((f) => f.address)].map((a) => urlHost(a)),
        ];
        assert.deepStrictEqual([...world.served].sort(), expected.sort(), world.output);
    });
});
