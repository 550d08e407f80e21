// Stand-ins for the container images the stack deploys, under the exact references it deploys, for
// the VM, whose Docker reaches no container registry: built by images/build-images.sh from Debian's
// mirror, npm, PyPI and the Go module proxy (see that script for each image), as root-filesystem
// tarballs for `docker import` with the `--change` instructions that make each behave like the
// official image for what the compose file uses. They reach the VM on one raw ext4 disk
// (images.img, label oc-images) holding every tarball and manifest.json.
//
// Cached like the VM's base image (vm.ts ensureImage): under $OPENCLAW_E2E_CACHE (default
// ~/.cache/openclaw-e2e)/images-<hash>, keyed by what the script prints for --recipe (its own hash,
// the references, every pinned version and the recipes it reuses), with a .complete marker; a
// directory without one (an interrupted build) is built again.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULTS } from "../../components/settings";
import { renderEgressDockerfile } from "../../components/stack/egressProxy";
import { IMAGES } from "../../components/stack/images";
import { GATEWAY_GID, GATEWAY_PATHS, GATEWAY_UID } from "../../components/stack/layout";

const BUILD_SCRIPT = path.join(__dirname, "images", "build-images.sh");
const CACHE_ROOT = process.env.OPENCLAW_E2E_CACHE ?? path.join(os.homedir(), ".cache", "openclaw-e2e");

/** One image as manifest.json lists it. */
export interface StandInImage {
    /** Short name: gateway, litellm, redis, caddy, go, alpine. */
    readonly name: string;
    /** The exact reference the program deploys (`docker import ... <reference>`). */
    readonly reference: string;
    /** The tarball's file name on the disk (and in manifest.json's directory there). */
    readonly tar: string;
    readonly bytes: number;
    readonly buildSeconds: number;
    /** Dockerfile instructions, one `docker import --change` each. */
    readonly changes: readonly string[];
    /** How it differs from the official image, in one line. */
    readonly note: string;
    /** The versions actually installed (e.g. `{ redis: "7.0.15" }`). */
    readonly versions: Readonly<Record<string, string>>;
}

/** manifest.json, at the disk's root and in the cache directory. */
export interface ImagesManifest {
    readonly images: readonly StandInImage[];
    /** References the program deploys that have no stand-in, with why. */
    readonly notBuilt: readonly { readonly reference: string; readonly reason: string }[];
}

export interface StandInImages extends ImagesManifest {
    /** The cache directory. */
    readonly dir: string;
    /** The raw ext4 disk image (label oc-images) with every tarball and manifest.json at its root. */
    readonly disk: string;
    /** manifest.json beside the disk, the same as the one on it. */
    readonly manifest: string;
    /** The Redis the redis stand-in runs (Debian 12's, the 7.0 line), not the image's 7.4. */
    readonly redisVersion: string;
}

/** The references the stand-ins are built under: the stack's own images and the default gateway image. */
export const STAND_IN_REFERENCES = {
    IMAGE_GATEWAY: DEFAULTS.openclawImage,
    IMAGE_LITELLM: IMAGES.litellm,
    IMAGE_REDIS: IMAGES.redis,
    IMAGE_CADDY: IMAGES.caddy,
    IMAGE_GO_BUILDER: IMAGES.goBuilder,
    IMAGE_ALPINE: IMAGES.alpine,
    IMAGE_CLOUDFLARED: IMAGES.cloudflared,
} as const;

function scriptEnv(): NodeJS.ProcessEnv {
    return {
        ...process.env,
        ...STAND_IN_REFERENCES,
        EGRESS_DOCKERFILE: renderEgressDockerfile(),
        // The gateway's check runs it as compose does: the service's user and state volume.
        GATEWAY_USER: `${GATEWAY_UID}:${GATEWAY_GID}`,
        GATEWAY_STATE_DIR: GATEWAY_PATHS.state,
    };
}

/** What decides the images: the script's --recipe lines (cheap, no root). */
export function imagesRecipe(): string {
    return execFileSync("bash", [BUILD_SCRIPT, "--recipe"], { env: scriptEnv(), encoding: "utf8" });
}

function read(dir: string): StandInImages {
    const manifest = path.join(dir, "manifest.json");
    const parsed = JSON.parse(fs.readFileSync(manifest, "utf8")) as ImagesManifest;
    const redis = parsed.images.find((image) => image.reference === IMAGES.redis);
    if (!redis?.versions.redis) throw new Error(`${manifest} names no installed Redis version`);
    return { ...parsed, dir, disk: path.join(dir, "images.img"), manifest, redisVersion: redis.versions.redis };
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/**
 * Runs `build` holding `${dir}.lock` (a directory with the holder's pid): a second run for the same
 * recipe waits for the first instead of removing its half-built staging directory. A lock whose
 * holder is gone is taken over.
 */
function withLock<T>(dir: string, log: (line: string) => void, build: () => T): T {
    const lock = `${dir}.lock`;
    const owner = path.join(lock, "pid");
    let waiting = false;
    for (;;) {
        try {
            fs.mkdirSync(lock);
            fs.writeFileSync(owner, `${process.pid}\n`);
            break;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
            let holder = NaN;
            let age = 0;
            try {
                age = Date.now() - fs.statSync(lock).mtimeMs;
                if (fs.existsSync(owner)) holder = Number(fs.readFileSync(owner, "utf8"));
            } catch {
                continue; // released meanwhile
            }
            // No pid a minute after the lock was made: its maker died between the two steps.
            const orphaned = !Number.isInteger(holder) && age > 60_000;
            if ((Number.isInteger(holder) && !alive(holder)) || orphaned) {
                log(`taking over ${lock} from pid ${holder}, which is gone`);
                fs.rmSync(lock, { recursive: true, force: true });
                continue;
            }
            if (!waiting) log(`waiting for the build of ${dir} by pid ${holder} (${lock})`);
            waiting = true;
            sleep(5000);
        }
    }
    try {
        return build();
    } finally {
        fs.rmSync(lock, { recursive: true, force: true });
    }
}

/** Builds the stand-in images unless ones for the same recipe are cached (a cold build takes several minutes). */
export function ensureImages(log: (line: string) => void): StandInImages {
    const recipe = imagesRecipe();
    const hash = crypto.createHash("sha256").update(recipe).digest("hex").slice(0, 16);
    const dir = path.join(CACHE_ROOT, `images-${hash}`);
    const marker = path.join(dir, ".complete");
    const cached = () => fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === recipe;
    if (cached()) {
        log(`reusing the cached stand-in images ${dir}`);
        return read(dir);
    }
    if (process.getuid?.() !== 0) throw new Error("building the stand-in images needs root (debootstrap, chroot)");
    fs.mkdirSync(CACHE_ROOT, { recursive: true });
    return withLock(dir, log, () => {
        // Another run may have built them while this one waited.
        if (cached()) {
            log(`reusing the stand-in images ${dir}, built meanwhile`);
            return read(dir);
        }
        return build(dir, marker, recipe, log);
    });
}

function build(dir: string, marker: string, recipe: string, log: (line: string) => void): StandInImages {
    // A directory without the marker is an interrupted build (or one of another recipe): built again.
    fs.rmSync(dir, { recursive: true, force: true });
    const staging = `${dir}.partial`;
    fs.rmSync(staging, { recursive: true, force: true });
    const others = fs.readdirSync(CACHE_ROOT).filter((name) => /^images-[0-9a-f]{16}$/.test(name) && name !== path.basename(dir));
    if (others.length > 0) log(`other recipes' stand-in images, several GB each, are in ${CACHE_ROOT}: ${others.join(", ")} (remove them when no checkout needs them)`);
    log(`building the stand-in images into ${dir}`);
    // No retry of the whole build here: the script retries each download itself, as .ci/retry.sh does.
    try {
        execFileSync("bash", [BUILD_SCRIPT, staging], { env: scriptEnv(), stdio: ["ignore", "inherit", "inherit"] });
    } catch (error) {
        fs.rmSync(staging, { recursive: true, force: true });
        throw error;
    }
    fs.renameSync(staging, dir);
    fs.writeFileSync(marker, recipe);
    const images = read(dir);
    for (const image of images.images) log(`${image.reference}: ${image.buildSeconds} s, ${Math.round(image.bytes / 2 ** 20)} MiB`);
    return images;
}

// `node -r ts-node/register/transpile-only test/e2e/images.ts` (as root): build or reuse, and list them.
if (require.main === module) {
    const images = ensureImages((line) => console.log(`[images] ${line}`));
    console.log(`${images.disk} (${Math.round(fs.statSync(images.disk).size / 2 ** 20)} MiB), Redis ${images.redisVersion}`);
    for (const image of images.images) console.log(`  ${image.reference} <- ${image.tar}: ${image.note}`);
    for (const missing of images.notBuilt) console.log(`  ${missing.reference}: not built: ${missing.reason}`);
}
