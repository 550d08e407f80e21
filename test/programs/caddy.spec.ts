// Caddy at the version the caddy image pins, built from the Go module proxy, validating and serving
// the rendered Caddyfile as the compose file's caddy service runs it (./caddyService.ts), with a
// stand-in for the gateway behind it. The certificate for the domain is already in the data
// volume, where Caddy keeps the one it was issued, so no ACME server is needed. What a visitor's
// request through Cloudflare meets is observed over the wire.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CADDY_HEALTH_URL, SECURITY_HEADERS } from "../../components/stack/caddyfile";
import { publicDomain } from "../../components/stack/ingress";
import { IMAGES } from "../../components/stack/images";
import { CADDY_DATA_VOLUME, PORTS, SERVICES, STACK_FILES } from "../../components/stack/layout";
import { caddy, ok, tempDir } from "../artifacts/tools";
import { byContainer, composeModel, inCopy, INGRESSES, materialise, SMALL } from "../renderedStack";
import { ProbeResponse, RunningService, startCaddyService, waitFor } from "./caddyService";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";

const INGRESS = INGRESSES.find((ingress) => ingress.mode === "caddy")!;
const DOMAIN = publicDomain(INGRESS)!;
/** The gateway's stand-in, on proxy-net like the gateway container. */
const GATEWAY_ADDRESS = "172.31.250.20";
/** A visitor's address as Cloudflare reports it, and one a client claims for itself. */
const VISITOR = "203.0.113.7";
const SPOOFED = "198.51.100.66";

/** Answers every request with what it received, and a Server header of its own. */
const GATEWAY_STAND_IN = `
require("http").createServer((request, response) => {
    response.setHeader("Server", "gateway-stand-in");
    response.setHeader("Content-Type", "application/json");
    response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers }));
}).listen(${PRIMARY_GATEWAY.port}, "${GATEWAY_ADDRESS}");
`;

/** A certificate for the domain (self-signed, 90 days like Let's Encrypt's) and its key. */
function certificateFor(domain: string): { cert: string; key: string } {
    const dir = tempDir("caddy-cert");
    const [keyFile, certFile] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
    ok("/usr/bin/openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "90",
        "-keyout", keyFile, "-out", certFile, "-subj", `/CN=${domain}`, "-addext", `subjectAltName=DNS:${domain}`,
    ]);
    return { cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8") };
}

/**
 * The certificate where Caddy keeps one it obtained from Let's Encrypt, in certmagic's (v0.25.6)
 * file storage under $XDG_DATA_HOME/caddy: `certificates/<issuer key>/<name>/<name>.{crt,key,json}`
 * (storage.go, KeyBuilder.SiteCert/SitePrivateKey/SiteMeta), where the ACME issuer's key is its
 * directory URL's host and path joined by "-" (acmeissuer.go, ACMEIssuer.IssuerKey).
 */
function placeCertificate(volume: string, domain: string, certificate: { cert: string; key: string }): string {
    const site = path.join(volume, "caddy", "certificates", "acme-v02.api.letsencrypt.org-directory", domain);
    fs.mkdirSync(site, { recursive: true });
    fs.writeFileSync(path.join(site, `${domain}.crt`), certificate.cert);
    fs.writeFileSync(path.join(site, `${domain}.key`), certificate.key, { mode: 0o600 });
    fs.writeFileSync(path.join(site, `${domain}.json`), JSON.stringify({ sans: [domain] }));
    return site;
}

const header = (response: ProbeResponse, name: string) => response.headers[name.toLowerCase()];

describe("Caddy at the pinned version, serving the rendered Caddyfile as the caddy service runs it", function () {
    // Startup is polled for; this only bounds a machine under heavy load.
    this.timeout(180_000);
    let caddyfile: string;
    let service: any;
    let certificate: { cert: string; key: string };
    let site: string;
    let running: RunningService | undefined;

    const https = (requestPath: string, headers: Record<string, string> = {}, address = "127.0.0.1") =>
        running!.request({ address, port: PORTS.https, path: requestPath, headers: { Host: DOMAIN, ...headers }, tls: { servername: DOMAIN, ca: certificate.cert } });

    before(async () => {
        const rendered = await materialise(false, INGRESS, SMALL);
        caddyfile = inCopy(rendered.dir, STACK_FILES.caddyfile);
        [, service] = byContainer(composeModel(rendered.dir), SERVICES.caddy.container);
        certificate = certificateFor(DOMAIN);
        const volume = tempDir("caddy-data");
        site = placeCertificate(volume, DOMAIN, certificate);
        running = startCaddyService({
            service,
            volumes: { [CADDY_DATA_VOLUME]: volume },
            hosts: { [PRIMARY_GATEWAY.container]: GATEWAY_ADDRESS },
            companions: [{ argv: [process.execPath, "-e", GATEWAY_STAND_IN] }],
        });
        const health = new URL(CADDY_HEALTH_URL);
        await waitFor(`${CADDY_HEALTH_URL} answering`, () => running!.request({ address: health.hostname, port: Number(health.port), path: health.pathname }).status === 200, running);
        await waitFor("the gateway stand-in answering", () => running!.request({ address: GATEWAY_ADDRESS, port: PRIMARY_GATEWAY.port, path: "/" }).status === 200, running);
    });

    after(async () => {
        await running?.stop();
    });

    it(`is the release the image pins (${IMAGES.caddy})`, () => {
        const tag = /:(\d+\.\d+\.\d+)-alpine(@sha256:[0-9a-f]{64})?$/.exec(IMAGES.caddy)?.[1];
        assert.ok(tag, IMAGES.caddy);
        const result = caddy(["version"]);
        assert.strictEqual(result.status, 0, result.output);
        assert.match(result.stdout, new RegExp(`^v${tag.replace(/\./g, "\\.")} h1:`));
    });

    it("caddy validate accepts the Caddyfile the deploy writes", () => {
        const result = caddy(["validate", "--adapter", "caddyfile", "--config", caddyfile]);
        assert.strictEqual(result.status, 0, result.output);
    });

    it(`answers the compose healthcheck's URL (${CADDY_HEALTH_URL}) with 200 on the container's loopback only`, () => {
        assert.deepStrictEqual(service.healthcheck.test, ["CMD", "wget", "-q", "-O", "/dev/null", CADDY_HEALTH_URL]);
        const health = new URL(CADDY_HEALTH_URL);
        assert.strictEqual(running!.request({ address: health.hostname, port: Number(health.port), path: health.pathname }).status, 200);
        const fromNetwork = running!.request({ address: running!.address, port: Number(health.port), path: health.pathname });
        assert.match(fromNetwork.error ?? `status ${fromNetwork.status}`, /ECONNREFUSED/);
    });

    it(`serves ${DOMAIN} over HTTPS on the container's port ${PORTS.https} with the certificate from its data volume, and orders none`, () => {
        assert.ok(service.ports.some((port: any) => port.target === PORTS.https && port.protocol === "tcp"));
        const response = https("/", {}, running!.address);
        assert.strictEqual(response.error, undefined, response.error);
        assert.strictEqual(response.status, 200, response.body);
        assert.ok(!/obtaining certificate|trying to solve challenge|new ACME account/i.test(running!.log()), running!.log());
        assert.deepStrictEqual(fs.readdirSync(site).sort(), [`${DOMAIN}.crt`, `${DOMAIN}.json`, `${DOMAIN}.key`]);
    });

    it("proxies to the gateway with the security headers set and no Server header, not even the gateway's", () => {
        const response = https("/some/page?x=1");
        assert.strictEqual(response.status, 200, response.body);
        assert.deepStrictEqual(JSON.parse(response.body).url, "/some/page?x=1");
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.strictEqual(header(response, name), value, name);
        assert.strictEqual(header(response, "Server"), undefined, JSON.stringify(response.headers));
    });

    it("gives the gateway the visitor's address from CF-Connecting-IP as X-Forwarded-For, not the address a client claims", () => {
        const response = https("/", { "CF-Connecting-IP": VISITOR, "X-Forwarded-For": SPOOFED });
        assert.strictEqual(response.status, 200, response.body);
        assert.strictEqual(JSON.parse(response.body).headers["x-forwarded-for"], VISITOR);
    });

    it(`redirects plain HTTP on the container's port ${PORTS.http} to HTTPS, path and query kept`, () => {
        assert.ok(service.ports.some((port: any) => port.target === PORTS.http && port.protocol === "tcp"));
        const response = running!.request({ address: running!.address, port: PORTS.http, path: "/some/page?x=1", headers: { Host: DOMAIN } });
        assert.strictEqual(response.status, 308, JSON.stringify(response));
        assert.strictEqual(header(response, "Location"), `https://${DOMAIN}/some/page?x=1`);
    });
});
