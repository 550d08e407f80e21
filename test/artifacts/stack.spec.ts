// The container stack's files, given to the software that consumes them: Debian 13's Docker
// Compose, the pinned OpenClaw's config validator, LiteLLM's YAML parser,
// Smokescreen's ACL rules, and ShellCheck on the deploy steps. Each checker is also shown a broken
// file, to prove it is really checking.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DEFAULTS, IngressMode } from "../../components/settings";
import { TUNNEL_TOKEN_ENV } from "../../components/stack/compose";
import { renderStackFiles } from "../../components/stack/files";
import { NETWORKS, STACK_DIR, STACK_FILES } from "../../components/stack/layout";
import { stackStepNames, TEST_LLM_KEYS } from "../fixtures";
import {
    app,
    byContainer,
    composeModel,
    EGRESS_DOMAINS,
    Ingress,
    INGRESSES,
    LITELLM_MASTER_KEY,
    materialise,
    MODELS,
    onHost,
    PROVIDER_HOSTS,
    Rendered,
    resolve,
    SIZES,
    SMALL,
    TELEGRAM_OWNER_ID,
    TUNNEL_TOKEN,
} from "../renderedStack";
import { node24Env, openclaw, openclawVersion } from "./openclaw";
import { dockerCompose, ok, shellcheckBash, tempDir } from "./tools";
import { PRIMARY_GATEWAY } from "../../components/stack/gateways";
import { LITELLM_ROLE } from "../../components/stack/egress";
import { CLIENT_ROLE_FLAG } from "../../components/stack/egressProxy";

// ---------------------------------------------------------------------------------------------
// What each mode should look like

const loopbackPublished = (ingress: Ingress) => ingress.mode === "none" || ingress.mode === "tailscale";

/** The container each mode puts between the internet and the gateway, as a compose service. */
const INGRESS_SERVICE: Record<IngressMode, string | undefined> = { tunnel: "cloudflared", caddy: "caddy", tailscale: undefined, none: undefined };
/** The services compose runs in every mode, and in each mode. */
const CORE_SERVICES = ["gateway", "litellm", "egress", "redis"];
const servicesFor = (ingress: Ingress) => [...CORE_SERVICES, ...(INGRESS_SERVICE[ingress.mode] ? [INGRESS_SERVICE[ingress.mode]!] : [])];
/**
 * Whom the gateway lets set forwarded headers: the ingress container's fixed address on proxy-net,
 * proxy-net's own gateway (the host) for Tailscale Serve on the host's loopback, or nobody.
 */
const TRUSTED_PROXIES: Record<IngressMode, string[]> = { tunnel: ["172.31.250.10"], caddy: ["172.31.250.10"], tailscale: ["172.31.250.1"], none: [] };
/** The only capability any service adds back: Caddy's binary carries it as a file capability. */
const CAP_ADD: Record<string, string[]> = { caddy: ["NET_BIND_SERVICE"] };

/** The files the deploy steps write on the host (`write_file TARGET ...`). */
const writtenFiles = (steps: Rendered["steps"]) => steps.flatMap((s) => [...s.script.matchAll(/^write_file (\S+) /gm)].map((m) => m[1]));

const networksOf = (service: any): string[] => Object.keys(service.networks ?? {}).sort();
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Smokescreen's ACL rules (pkg/smokescreen/acl/v1: yaml_loader.go and acl.go ValidateDomainGlob)

/** Why Smokescreen would refuse this `allowed_domains` entry, or undefined when it accepts it. */
function smokescreenGlobProblem(glob: string): string | undefined {
    if (glob === "") return "glob cannot be empty";
    if (glob === "*" || glob === "*.") return "domain glob must not match everything";
    if (glob.startsWith("*") && !glob.startsWith("*.")) return "domain glob must represent a full prefix (sub)domain";
    const domain = glob.replace(/^\*\./, "");
    if (domain.includes("*")) return "domain globs are only supported as prefix";
    // Smokescreen compares against the normalized (lower-case, punycode, no trailing dot) form.
    let normalized: string;
    try {
        normalized = new URL(`http://${domain}/`).hostname;
    } catch {
        return "incorrect ACL entry";
    }
    if (normalized !== domain) return `incorrect ACL entry; use "${glob.startsWith("*.") ? "*." : ""}${normalized}"`;
    // Ours, stricter than Smokescreen: public DNS names only, and no wildcard over a top-level domain (*.com).
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)) return "not a public host name with at least two labels";
    return undefined;
}

/** Why Smokescreen would refuse to load this ACL, or would not enforce the allowlist. */
function smokescreenAclProblems(acl: any): string[] {
    const problems: string[] = [];
    if (acl?.version !== "v1") problems.push(`expected version "v1" got ${JSON.stringify(acl?.version)}`);
    if (!Array.isArray(acl?.services)) problems.push("Top level list 'services' is missing");
    if (!acl?.default) problems.push("no default rule: every client would be denied");
    else if (!["open", "report", "enforce"].includes(acl.default.action)) problems.push(`unknown action ${acl.default.action}`);
    else if (acl.default.action !== "enforce") problems.push(`default action is ${acl.default.action}, not enforce`);
    for (const rule of [...(acl?.services ?? []), ...(acl?.default ? [acl.default] : [])]) {
        for (const glob of rule.allowed_domains ?? []) {
            const problem = smokescreenGlobProblem(glob);
            if (problem) problems.push(`${glob}: ${problem}`);
        }
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------

describe("the container stack's files, checked by the software that consumes them", function () {
    this.timeout(120_000);

    it("every `docker compose` command of the deploy steps uses flags Debian 13's Docker Compose knows (pull --policy missing among them)", async () => {
        for (const ingress of INGRESSES) {
            const rendered = await materialise(false, ingress, SMALL);
            const scripts = await Promise.all(rendered.steps.map(async (step) => `${step.script}\n${step.delete ? await resolve(step.delete) : ""}`));
            const commands = scripts.flatMap((script) =>
                [...script.matchAll(/^\s*(?:if ! )?stack_compose ([^;|&\n]+)/gm)].map((m) => m[1].trim().split(/\s+/).filter((word) => !/^(then|2>&1)$/.test(word))),
            );
            assert.ok(commands.some((args) => args[0] === "pull" && args.includes("--policy")), "the stack-up step pulls only what is missing");
            for (const args of commands) {
                // Flags are parsed before --help is honoured: an unknown one fails without a daemon.
                const result = dockerCompose(rendered.dir, [...args, "--help"]);
                assert.strictEqual(result.status, 0, `docker compose ${args.join(" ")}: ${result.output.split("\n").slice(-3).join("\n")}`);
            }
        }
    });

    describe("docker-compose.yml, through Debian 13's Docker Compose", () => {
        for (const ingress of INGRESSES) {
            for (const telegram of [false, true]) {
                for (const [sizeTitle, size] of Object.entries(SIZES)) {
                    const title = `ingress ${ingress.mode}, ${telegram ? "with" : "without"} Telegram, ${sizeTitle}`;
                    describe(title, () => {
                        let rendered: Rendered;
                        let model: any;
                        before(async () => {
                            rendered = await materialise(telegram, ingress, size);
                            model = composeModel(rendered.dir);
                        });

                        it(`compose accepts it with the .env the deploy writes (the compose-file step's check) and runs ${servicesFor(ingress).join(", ")}`, () => {
                            const result = dockerCompose(rendered.dir, ["config", "--quiet"]);
                            assert.strictEqual(result.status, 0, result.output);
                            const services = dockerCompose(rendered.dir, ["config", "--services"]);
                            assert.strictEqual(services.status, 0, services.output);
                            assert.deepStrictEqual(services.stdout.trim().split("\n").sort(), servicesFor(ingress).sort());
                            assert.deepStrictEqual(Object.keys(model.services).sort(), servicesFor(ingress).sort());
                            if (ingress.mode === "tunnel") {
                                assert.strictEqual(model.services.cloudflared.environment[TUNNEL_TOKEN_ENV], TUNNEL_TOKEN, "cloudflared's token from .env");
                            }
                            for (const [name, service] of Object.entries<any>(model.services)) {
                                if (name !== "cloudflared") assert.ok(!(TUNNEL_TOKEN_ENV in (service.environment ?? {})), `${name} gets the tunnel token`);
                            }
                        });

                        it(`every service drops all capabilities${INGRESS_SERVICE[ingress.mode] === "caddy" ? " (Caddy adds back NET_BIND_SERVICE only)" : ""}, gains no privileges, restarts unless stopped and has a healthcheck`, () => {
                            for (const [name, service] of Object.entries<any>(model.services)) {
                                assert.deepStrictEqual(service.cap_drop, ["ALL"], `${name}: cap_drop`);
                                assert.deepStrictEqual(service.cap_add ?? [], CAP_ADD[name] ?? [], `${name} adds capabilities back`);
                                assert.deepStrictEqual(service.security_opt, ["no-new-privileges:true"], `${name}: security_opt`);
                                assert.strictEqual(service.restart, "unless-stopped", `${name}: restart`);
                                assert.ok(!service.privileged, `${name} is privileged`);
                                assert.ok(!service.network_mode, `${name} sets network_mode ${service.network_mode}`);
                                assert.ok(!service.pid && !service.ipc, `${name} shares the host's pid or ipc namespace`);
                                const test: string[] = service.healthcheck?.test ?? [];
                                assert.ok(["CMD", "CMD-SHELL"].includes(test[0]) && test.length > 1, `${name}: healthcheck ${JSON.stringify(test)}`);
                                assert.ok(!service.healthcheck.disable, `${name}: healthcheck disabled`);
                                for (const volume of service.volumes ?? []) {
                                    assert.ok(!String(volume.source).includes("docker.sock"), `${name} mounts the Docker socket`);
                                }
                            }
                        });

                        it(`the limits fit the server: memory caps sum to at most 85% of ${size.memoryMiB} MiB, CPUs within ${size.vcpus}, pids capped`, () => {
                            let total = 0;
                            for (const [name, service] of Object.entries<any>(model.services)) {
                                const limits = service.deploy?.resources?.limits;
                                assert.ok(limits, `${name} has no resource limits`);
                                const memory = Number(limits.memory);
                                assert.ok(memory > 0, `${name}: memory limit ${limits.memory}`);
                                total += memory;
                                // Docker refuses to start a container with more CPUs than the host has.
                                assert.ok(Number(limits.cpus) > 0 && Number(limits.cpus) <= size.vcpus, `${name}: cpus ${limits.cpus}`);
                                assert.ok(Number(limits.pids) > 0, `${name}: pids ${limits.pids}`);
                            }
                            assert.ok(total <= 0.85 * size.memoryMiB * MiB, `the caps sum to ${total / MiB} MiB`);

                            // V8 and Redis must give memory back before the kernel kills them at their cap.
                            const gateway = model.services.gateway;
                            const heap = Number(/--max-old-space-size=(\d+)/.exec(gateway.environment.NODE_OPTIONS ?? "")?.[1]);
                            assert.ok(heap > 0 && heap * MiB < Number(gateway.deploy.resources.limits.memory), `gateway heap ${heap} MiB vs its cap`);
                            const redis = model.services.redis;
                            const maxmemory = Number(/^(\d+)mb$/.exec(redis.command[redis.command.indexOf("--maxmemory") + 1])?.[1]);
                            assert.ok(maxmemory > 0 && maxmemory * MiB < Number(redis.deploy.resources.limits.memory), `redis maxmemory ${maxmemory} MiB vs its cap`);
                        });

                        it("openclaw-net and cache-net have no route out, Redis is only on cache-net, and egress-net holds only the proxy", () => {
                            assert.strictEqual(model.networks["openclaw-net"]?.internal, true, "openclaw-net internal");
                            assert.strictEqual(model.networks["cache-net"]?.internal, true, "cache-net internal");
                            assert.deepStrictEqual(networksOf(model.services.redis), ["cache-net"]);
                            const onEgressNet = Object.entries<any>(model.services).filter(([, s]) => networksOf(s).includes("egress-net"));
                            assert.deepStrictEqual(onEgressNet.map(([name]) => name), ["egress"]);
                        });

                        it(
                            INGRESS_SERVICE[ingress.mode]
                                ? `${INGRESS_SERVICE[ingress.mode]} alone is on edge-net; proxy-net (bridge ${NETWORKS.proxy.bridge}) is internal, and ${INGRESS_SERVICE[ingress.mode]} is on it at the address the gateway trusts`
                                : `there is no edge-net; proxy-net (bridge ${NETWORKS.proxy.bridge}) has a route out, for the gateway's port on the host's loopback`,
                            () => {
                                const ingressService = INGRESS_SERVICE[ingress.mode];
                                const expected = ["cache-net", "egress-net", "openclaw-net", "proxy-net", ...(ingressService ? ["edge-net"] : [])];
                                assert.deepStrictEqual(Object.keys(model.networks).sort(), expected.sort());
                                const proxyNet = model.networks["proxy-net"];
                                assert.strictEqual(proxyNet.internal === true, !loopbackPublished(ingress), `proxy-net internal: ${proxyNet.internal}`);
                                // The host firewall's DOCKER-USER rules name this bridge.
                                assert.deepStrictEqual(proxyNet.driver_opts, { "com.docker.network.bridge.name": "oc-proxy" });
                                assert.ok(networksOf(model.services.gateway).includes("proxy-net"), "the gateway is not on proxy-net");
                                const onProxyNet = Object.keys(model.services).filter((name) => networksOf(model.services[name]).includes("proxy-net"));
                                assert.deepStrictEqual(onProxyNet.sort(), ["gateway", ...(ingressService ? [ingressService] : [])].sort());
                                if (ingressService) {
                                    assert.ok(!model.networks["edge-net"].internal, "edge-net has no route out");
                                    const onEdgeNet = Object.keys(model.services).filter((name) => networksOf(model.services[name]).includes("edge-net"));
                                    assert.deepStrictEqual(onEdgeNet, [ingressService]);
                                    assert.deepStrictEqual(networksOf(model.services[ingressService]), ["edge-net", "proxy-net"]);
                                    assert.deepStrictEqual([model.services[ingressService].networks["proxy-net"].ipv4_address], TRUSTED_PROXIES[ingress.mode]);
                                } else if (ingress.mode === "tailscale") {
                                    // Docker gives a bridge network's first address to the host.
                                    const subnet: string = proxyNet.ipam.config[0].subnet;
                                    assert.deepStrictEqual([subnet.replace(/\.0\/24$/, ".1")], TRUSTED_PROXIES.tailscale);
                                }
                            },
                        );

                        it(
                            loopbackPublished(ingress)
                                ? "only the gateway publishes a port, on the host's 127.0.0.1 only"
                                : ingress.mode === "caddy"
                                  ? "only Caddy publishes ports: 80 and 443 on 0.0.0.0 (IPv4), nothing else"
                                  : "no service publishes a port (the ingress reaches the gateway inside Docker)",
                            () => {
                                for (const [name, service] of Object.entries<any>(model.services)) {
                                    if (name === "caddy") {
                                        const published = (service.ports ?? []).map((p: any) => `${p.host_ip}:${p.published}->${p.target}/${p.protocol}`);
                                        assert.deepStrictEqual(published, ["0.0.0.0:80->80/tcp", "0.0.0.0:443->443/tcp"]);
                                    } else if (name === "gateway" && loopbackPublished(ingress)) {
                                        assert.ok(service.ports?.length > 0, "the gateway is not published");
                                        const listening = Number(service.command[service.command.indexOf("--port") + 1]);
                                        for (const port of service.ports) {
                                            assert.strictEqual(port.host_ip, "127.0.0.1", `published on ${port.host_ip ?? "every address"}`);
                                            assert.strictEqual(port.target, listening, "publishes a port the gateway does not listen on");
                                        }
                                        assert.deepStrictEqual(
                                            service.ports.map((p: any) => `${p.host_ip}:${p.published}->${p.target}/${p.protocol}`),
                                            ["127.0.0.1:18789->18789/tcp"],
                                        );
                                    } else {
                                        assert.deepStrictEqual(service.ports ?? [], [], `${name} publishes ports`);
                                    }
                                }
                            },
                        );

                        it("the gateway keeps its state in a named volume at /home/node/.openclaw; every bind mount is a file a deploy step writes, read-only", () => {
                            const gateway = model.services.gateway;
                            const state = gateway.volumes.find((v: any) => v.target === "/home/node/.openclaw");
                            assert.ok(state, "nothing is mounted at /home/node/.openclaw");
                            assert.strictEqual(state.type, "volume");
                            assert.strictEqual(path.posix.join(gateway.environment.HOME, ".openclaw"), state.target, "the gateway's HOME/.openclaw is its state");
                            assert.ok(model.volumes?.[state.source], `volume ${state.source} is not declared`);

                            const written = writtenFiles(rendered.steps);
                            for (const [name, service] of Object.entries<any>(model.services)) {
                                for (const volume of (service.volumes ?? []).filter((v: any) => v.type === "bind")) {
                                    const hostPath = onHost(rendered.dir, volume.source);
                                    assert.ok(!hostPath.startsWith("../") && hostPath.startsWith(`${STACK_DIR}/`), `${name} mounts ${volume.source}`);
                                    assert.ok(
                                        written.some((file) => file === hostPath || file.startsWith(`${hostPath}/`)),
                                        `${name} mounts ${hostPath}, which no deploy step writes`,
                                    );
                                    assert.strictEqual(volume.read_only, true, `${name}: ${volume.target} is writable`);
                                }
                            }

                            // Each service reads its config where its mount puts the file the deploy writes.
                            const mountedFrom = (service: any, target: string) => {
                                const mount = (service.volumes ?? []).find((v: any) => v.type === "bind" && (target === v.target || target.startsWith(`${v.target}/`)));
                                assert.ok(mount, `nothing is mounted at ${target}`);
                                return path.posix.join(onHost(rendered.dir, mount.source), path.posix.relative(mount.target, target));
                            };
                            assert.strictEqual(mountedFrom(gateway, gateway.environment.OPENCLAW_CONFIG_PATH), PRIMARY_GATEWAY.configFile);
                            const litellm = model.services.litellm;
                            assert.strictEqual(mountedFrom(litellm, litellm.command[litellm.command.indexOf("--config") + 1]), STACK_FILES.litellmConfig);
                            const egress = model.services.egress;
                            const aclFlag = egress.command.find((a: string) => a.startsWith("--egress-acl-file="));
                            assert.strictEqual(mountedFrom(egress, aclFlag.split("=")[1]), STACK_FILES.egressAcl);
                            // The deploy writes the Dockerfile and every file it COPYs from the context (our Go module).
                            const context = onHost(rendered.dir, egress.build.context);
                            const copied = [...rendered.files.egressDockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(" "));
                            assert.deepStrictEqual(copied, ["go.mod", "go.sum", "main.go"]);
                            for (const file of ["Dockerfile", ...copied]) assert.ok(written.includes(path.posix.join(context, file)), `the egress build context has no ${file}`);
                        });

                        it("every image is pinned by tag or digest, none is latest, and the gateway runs openclawImage", () => {
                            for (const [name, service] of Object.entries<any>(model.services)) {
                                const image: string = service.image;
                                const [reference, digest] = image.split("@");
                                const lastPart = reference.split("/").pop()!;
                                const tag = lastPart.includes(":") ? lastPart.split(":").pop() : undefined;
                                assert.ok(tag || digest, `${name}: ${image} has neither tag nor digest`);
                                assert.notStrictEqual(tag, "latest", `${name}: ${image}`);
                            }
                            assert.strictEqual(model.services.gateway.image, DEFAULTS.openclawImage);
                        });
                    });
                }
            }
        }

        describe("compose is really checking", () => {
            let rendered: Rendered;
            before(async () => {
                rendered = await materialise(true, { mode: "none" }, SMALL);
            });

            /** The rendered compose file changed by `edit`, in a fresh copy of the stack directory. */
            function variant(edit: (compose: any) => void, env = rendered.files.env): string {
                const dir = tempDir("compose-broken");
                const compose = YAML.parse(rendered.files.compose);
                edit(compose);
                fs.writeFileSync(path.join(dir, "docker-compose.yml"), YAML.stringify(compose));
                fs.writeFileSync(path.join(dir, ".env"), env);
                return dir;
            }

            it("rejects a service with an unknown key (cap_drops)", () => {
                const result = dockerCompose(variant((c) => (c.services.gateway.cap_drops = ["ALL"])), ["config", "--quiet"]);
                assert.notStrictEqual(result.status, 0);
                assert.match(result.output, /cap_drops/);
            });

            it("rejects pids_limit next to deploy.resources.limits.pids", () => {
                const result = dockerCompose(variant((c) => (c.services.redis.pids_limit = 64)), ["config", "--quiet"]);
                assert.notStrictEqual(result.status, 0);
                assert.match(result.output, /pids_limit/);
            });

            it("refuses to run when any secret is missing from .env, naming it and /opt/openclaw/.env", () => {
                const lines = rendered.files.env.trim().split("\n");
                assert.ok(lines.length >= 5, rendered.files.env.replace(/=.*/g, "=..."));
                for (const line of lines) {
                    const name = line.split("=")[0];
                    const without = lines.filter((l) => l !== line).join("\n") + "\n";
                    const result = dockerCompose(variant(() => undefined, without), ["config", "--quiet"]);
                    assert.notStrictEqual(result.status, 0, `compose ran without ${name}`);
                    assert.ok(result.output.includes(`${name} is missing from ${STACK_FILES.env}`), result.output);
                }
            });

            it(`with ingress tunnel, refuses to run when ${TUNNEL_TOKEN_ENV} is missing from .env (or empty), naming it`, async () => {
                const tunnel = await materialise(false, { mode: "tunnel", domain: "claw.example.com" }, SMALL);
                const lines = tunnel.files.env.trim().split("\n");
                assert.ok(lines.some((l) => l.startsWith(`${TUNNEL_TOKEN_ENV}=`)), `the tunnel's .env has no ${TUNNEL_TOKEN_ENV}`);
                const copy = (env: string) => {
                    const dir = tempDir("compose-tunnel");
                    fs.writeFileSync(path.join(dir, "docker-compose.yml"), tunnel.files.compose);
                    fs.writeFileSync(path.join(dir, ".env"), env);
                    return dir;
                };
                assert.strictEqual(dockerCompose(copy(tunnel.files.env), ["config", "--quiet"]).status, 0);
                for (const env of [lines.filter((l) => !l.startsWith(`${TUNNEL_TOKEN_ENV}=`)), lines.map((l) => (l.startsWith(`${TUNNEL_TOKEN_ENV}=`) ? `${TUNNEL_TOKEN_ENV}=` : l))]) {
                    const result = dockerCompose(copy(`${env.join("\n")}\n`), ["config", "--quiet"]);
                    assert.notStrictEqual(result.status, 0, "compose ran without the tunnel token");
                    assert.ok(result.output.includes(`${TUNNEL_TOKEN_ENV} is missing from ${STACK_FILES.env}`), result.output);
                }
            });
        });
    });

    describe("openclaw.json, through the pinned OpenClaw", () => {
        it(`the installed OpenClaw is the version the gateway image runs (${DEFAULTS.openclawImage})`, () => {
            assert.strictEqual(openclawVersion(), DEFAULTS.openclawImage.split(":").pop());
        });

        /** `openclaw config validate` on a config file, with a fresh HOME. */
        const validate = (file: string) => openclaw(["config", "validate"], node24Env(tempDir("openclaw-home"), { OPENCLAW_CONFIG_PATH: file }));

        for (const ingress of INGRESSES) {
            for (const telegram of [false, true]) {
                it(`openclaw config validate accepts it: ingress ${ingress.mode} (trustedProxies ${JSON.stringify(TRUSTED_PROXIES[ingress.mode])}), ${telegram ? "with" : "without"} Telegram, two models`, () => {
                    const file = path.join(tempDir("openclaw-json"), "openclaw.json");
                    const text = renderStackFiles(app(telegram), ingress, SMALL).gatewayConfigs[PRIMARY_GATEWAY.name];
                    assert.deepStrictEqual(JSON.parse(text).gateway.trustedProxies, TRUSTED_PROXIES[ingress.mode]);
                    fs.writeFileSync(file, text);
                    const result = validate(file);
                    assert.strictEqual(result.status, 0, result.output);
                    assert.ok(result.output.includes(`Config valid: ${file}`), result.output);
                });
            }
        }

        it("openclaw config validate accepts it with Telegram and its owner (the channel's allowFrom, commands.ownerAllowFrom)", () => {
            const file = path.join(tempDir("openclaw-json"), "openclaw.json");
            const text = renderStackFiles(app(true, TELEGRAM_OWNER_ID), { mode: "none" }, SMALL).gatewayConfigs[PRIMARY_GATEWAY.name];
            assert.deepStrictEqual(JSON.parse(text).commands.ownerAllowFrom, [`telegram:${TELEGRAM_OWNER_ID}`]);
            fs.writeFileSync(file, text);
            const result = validate(file);
            assert.strictEqual(result.status, 0, result.output);
            assert.ok(result.output.includes(`Config valid: ${file}`), result.output);
        });

        it("openclaw config validate rejects an unknown top-level key", () => {
            const config = JSON.parse(renderStackFiles(app(true), { mode: "none" }, SMALL).gatewayConfigs[PRIMARY_GATEWAY.name]);
            const file = path.join(tempDir("openclaw-json"), "openclaw.json");
            fs.writeFileSync(file, JSON.stringify({ ...config, heartbeat: { every: "30m" } }));
            const result = validate(file);
            assert.notStrictEqual(result.status, 0, result.output);
            assert.match(result.output, /Unrecognized key: \\?"heartbeat\\?"/);
        });
    });

    describe("litellm.yaml, read as LiteLLM reads it", () => {
        let rendered: Rendered;
        let model: any;
        let config: any;
        before(async () => {
            rendered = await materialise(true, { mode: "tunnel", domain: "claw.example.com" }, SMALL);
            model = composeModel(rendered.dir);
            config = YAML.parse(rendered.files.litellmConfig);
        });

        it("LiteLLM's parser (PyYAML safe_load, YAML 1.1) reads the same config", () => {
            assert.deepStrictEqual(pyyaml(rendered.files.litellmConfig), config);
        });

        it("every model's api_key is os.environ/X, and compose gives the litellm container X with that provider's key", () => {
            const environment = model.services.litellm.environment;
            assert.strictEqual(config.model_list.length, MODELS.length);
            for (const entry of config.model_list) {
                const match = /^os\.environ\/([A-Z][A-Z0-9_]*)$/.exec(entry.litellm_params.api_key);
                assert.ok(match, `${entry.model_name}: api_key ${entry.litellm_params.api_key}`);
                assert.strictEqual(environment[match[1]], TEST_LLM_KEYS[match[1] as keyof typeof TEST_LLM_KEYS], `${match[1]} in litellm's environment`);
            }
        });

        it("the master key is os.environ/LITELLM_MASTER_KEY, set in litellm's environment, and the gateway calls LiteLLM with it", () => {
            assert.strictEqual(config.general_settings.master_key, "os.environ/LITELLM_MASTER_KEY");
            assert.strictEqual(model.services.litellm.environment.LITELLM_MASTER_KEY, LITELLM_MASTER_KEY);
            assert.ok(LITELLM_MASTER_KEY.startsWith("sk-"));
            const gatewayConfig = JSON.parse(rendered.files.gatewayConfigs[PRIMARY_GATEWAY.name]);
            const apiKey = gatewayConfig.models.providers.litellm.apiKey;
            assert.strictEqual(apiKey.source, "env");
            assert.strictEqual(model.services.gateway.environment[apiKey.id], LITELLM_MASTER_KEY);
        });

        it("the router's Redis is the redis service by its container name and port, on a network LiteLLM shares", () => {
            const router = config.router_settings;
            const [redisName, redis] = byContainer(model, router.redis_host);
            assert.strictEqual(redisName, "redis");
            assert.strictEqual(router.redis_port, 6379, "redis-server's default port (the command sets no --port)");
            assert.ok(!redis.command.includes("--port"));
            const shared = networksOf(redis).filter((n) => networksOf(model.services.litellm).includes(n));
            assert.ok(shared.length > 0, "litellm and redis share no network");
        });

        it("each model's budget and rate limit from the settings are in its litellm_params", () => {
            for (const m of MODELS) {
                const entry = config.model_list.find((e: any) => e.model_name === m.name);
                assert.ok(entry, `${m.name} is not in model_list`);
                assert.strictEqual(entry.litellm_params.model, m.model);
                assert.strictEqual(entry.litellm_params.rpm, m.rpm);
                if ("maxBudgetUsd" in m) {
                    assert.strictEqual(entry.litellm_params.max_budget, m.maxBudgetUsd);
                    assert.match(String(entry.litellm_params.budget_duration), /^\d+[smhd]$/);
                } else {
                    assert.strictEqual(entry.litellm_params.max_budget, undefined);
                }
            }
        });

        it("the gateway asks LiteLLM, at its container and port, for exactly the models it serves", () => {
            const provider = JSON.parse(rendered.files.gatewayConfigs[PRIMARY_GATEWAY.name]).models.providers.litellm;
            const served = config.model_list.map((e: any) => e.model_name).sort();
            assert.deepStrictEqual(provider.models.map((m: any) => m.id).sort(), served);
            const primary = JSON.parse(rendered.files.gatewayConfigs[PRIMARY_GATEWAY.name]).agents.defaults.model.primary;
            assert.ok(served.includes(primary.replace(/^litellm\//, "")), `default model ${primary}`);
            const base = new URL(provider.baseUrl);
            const [, litellm] = byContainer(model, base.hostname);
            assert.strictEqual(base.port, litellm.command[litellm.command.indexOf("--port") + 1]);
            assert.ok(model.services.gateway.environment.NO_PROXY.split(",").includes(base.hostname), "the gateway would send LiteLLM calls to the egress proxy");
        });

        it("model names YAML 1.1 reads as booleans or numbers (on, yes, 1_000) reach LiteLLM as strings", () => {
            const text = renderStackFiles({ ...app(false), models: ["on", "yes", "1_000"].map((name) => ({ ...MODELS[0], name })), defaultModel: "on" }, { mode: "none" }, SMALL).litellmConfig;
            assert.deepStrictEqual(pyyaml(text).model_list.map((e: any) => e.model_name), ["on", "yes", "1_000"]);
        });
    });

    describe("egress-acl.yaml, against Smokescreen's ACL rules", () => {
        for (const telegram of [false, true]) {
            describe(telegram ? "with Telegram" : "without Telegram", () => {
                let rendered: Rendered;
                let model: any;
                let acl: any;
                before(async () => {
                    rendered = await materialise(telegram, { mode: "tunnel", domain: "claw.example.com" }, SMALL);
                    model = composeModel(rendered.dir);
                    acl = YAML.parse(rendered.files.egressAcl);
                });

                it("Smokescreen loads it (v1, a services list, valid globs) and enforces the default rule; read as YAML 1.1 (its yaml.v2) it is the same", () => {
                    assert.deepStrictEqual(smokescreenAclProblems(acl), []);
                    assert.deepStrictEqual(YAML.parse(rendered.files.egressAcl, { version: "1.1" }), acl);
                });

                it(`allows LiteLLM exactly the model providers' hosts, the gateway exactly ${telegram ? "api.telegram.org and " : ""}egressDomains, and any other client nothing`, () => {
                    const rules = Object.fromEntries(acl.services.map((rule: any) => [rule.name, [...rule.allowed_domains].sort()]));
                    assert.deepStrictEqual(rules, {
                        [LITELLM_ROLE]: [...PROVIDER_HOSTS].sort(),
                        [PRIMARY_GATEWAY.name]: [...(telegram ? ["api.telegram.org"] : []), ...EGRESS_DOMAINS].sort(),
                    });
                    assert.deepStrictEqual(acl.default.allowed_domains ?? [], []);
                });

                it("the proxy's command line gives each role of the ACL to a container of the compose file", () => {
                    const containers = Object.values(model.services).map((service: any) => service.container_name);
                    const roles = model.services.egress.command.filter((a: string) => a.startsWith(`${CLIENT_ROLE_FLAG}=`)).map((a: string) => a.slice(CLIENT_ROLE_FLAG.length + 1).split("="));
                    assert.deepStrictEqual(roles.map(([role]: string[]) => role).sort(), acl.services.map((rule: any) => rule.name).sort());
                    for (const [role, container] of roles) assert.ok(containers.includes(container), `the role ${role} names ${container}, which no service is`);
                });

                it("the gateway and LiteLLM send HTTP(S) through the proxy, which they reach on a shared network", () => {
                    const egress = model.services.egress;
                    const listenPort = egress.command.find((a: string) => a.startsWith("--listen-port="))?.split("=")[1];
                    for (const name of ["gateway", "litellm"]) {
                        const service = model.services[name];
                        for (const variable of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) {
                            const proxy = new URL(service.environment[variable]);
                            assert.strictEqual(proxy.hostname, egress.container_name, `${name} ${variable}`);
                            assert.strictEqual(proxy.port, listenPort, `${name} ${variable}`);
                        }
                        assert.ok(networksOf(service).some((n) => networksOf(egress).includes(n)), `${name} shares no network with the proxy`);
                    }
                });

                it("the proxy refuses the metadata service (169.254.0.0/16), loopback and the private ranges", () => {
                    const denied = model.services.egress.command.filter((a: string) => a.startsWith("--deny-range=")).map((a: string) => a.split("=")[1]);
                    for (const range of ["169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10", "fc00::/7", "fe80::/10"]) {
                        assert.ok(denied.includes(range), `${range} is not denied`);
                    }
                    assert.ok(!model.services.egress.command.includes("--unsafe-allow-private-ranges"));
                });
            });
        }

        it("the Smokescreen rules here reject what Smokescreen rejects", () => {
            const good = { version: "v1", services: [], default: { name: "default", action: "enforce", allowed_domains: ["api.example.com"] } };
            assert.deepStrictEqual(smokescreenAclProblems(good), []);
            const broken: any[] = [
                { ...good, version: "v2" },
                { version: "v1", default: good.default },
                { ...good, default: { ...good.default, action: "open" } },
                { ...good, default: { ...good.default, action: "block" } },
                ...["*", "*.", "*example.com", "api.*.example.com", "API.example.com", "example.com.", "*.com", ""].map((glob) => ({
                    ...good,
                    default: { ...good.default, allowed_domains: [glob] },
                })),
            ];
            for (const acl of broken) assert.notDeepStrictEqual(smokescreenAclProblems(acl), [], JSON.stringify(acl));
        });
    });

    // The firewall script the host-firewall step writes from a here-document is text to ShellCheck
    // here; ingress.spec.ts checks it as a script of its own.
    describe("the deploy steps' scripts, through ShellCheck", () => {
        for (const ingress of INGRESSES) {
            it(`shellcheck -s bash and bash -n accept every step's script and every delete script: ingress ${ingress.mode} (${stackStepNames(ingress.mode).length} steps)`, async () => {
                const rendered = await materialise(true, ingress, SMALL);
                assert.deepStrictEqual(rendered.steps.map((s) => s.name), stackStepNames(ingress.mode));
                let deletes = 0;
                const findings: string[] = [];
                for (const step of rendered.steps) {
                    const scripts: [string, string][] = [[step.name, step.script]];
                    if (step.delete !== undefined) {
                        scripts.push([`${step.name}-delete`, await resolve(step.delete)]);
                        deletes += 1;
                    }
                    for (const [name, script] of scripts) {
                        const result = shellcheckBash(name, script);
                        if (result.status !== 0) findings.push(`${name}:\n${result.output}`);
                        ok("/bin/bash", ["-n", "-c", script]);
                    }
                }
                assert.deepStrictEqual(findings, [], findings.join("\n"));
                assert.ok(deletes > 0, "no step has a delete script");
            });
        }

        it("shellcheck -s bash rejects an unquoted expansion in a step-like script", () => {
            assert.notStrictEqual(shellcheckBash("broken", "set -euo pipefail\nrm -rf $1/*\n").status, 0);
        });
    });
});

// ---------------------------------------------------------------------------------------------
// Helpers that run other programs

/** YAML text as PyYAML's safe_load (LiteLLM's config loader) reads it, through JSON. */
function pyyaml(text: string): any {
    const file = path.join(tempDir("pyyaml"), "config.yaml");
    fs.writeFileSync(file, text);
    const program = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)";
    return JSON.parse(ok("/usr/bin/python3", ["-c", program, file]));
}
