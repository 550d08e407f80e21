// The checks that come before hardening a server the program did not create: the OS, its size,
// root through the first login, the stack's ports, no account with the gateway's uid or gid, and
// where Docker came from. The script is openclaw-preflight.sh; this module gives it its header.
import { OS_IMAGES, OsImage, ServerSize } from "../providers/types";
import type { DockerSource } from "./docker";
import { GATEWAY_ID } from "./paths";
import { readScriptFile } from "./scriptFile";

export interface PreflightInput {
    /** The ports the stack will listen on (SSH's among them: sshd may hold it already). */
    readonly ports: readonly number[];
    readonly dockerSource: DockerSource;
    /** The OS the hardening is rendered for: the server must run it. */
    readonly osImage: OsImage;
    /** The size the containers' limits are computed for: the host must have at least this. */
    readonly serverType: string;
    readonly serverSize: ServerSize;
    /** Where the OS says what it is, and the kernel what memory it has; tests point them at files of their own. */
    readonly osRelease?: string;
    readonly meminfo?: string;
}

const PREFLIGHT_SCRIPT = readScriptFile(__dirname, "openclaw-preflight.sh");

export function renderPreflight(input: PreflightInput): string {
    return PREFLIGHT_SCRIPT.render({
        OS_RELEASE: input.osRelease ?? "/etc/os-release",
        // The images' names are the OS's own ID-VERSION_ID (debian-13, ubuntu-24.04).
        ACCEPTED_OS: OS_IMAGES.join(" "),
        OS_IMAGE: input.osImage,
        MEMINFO: input.meminfo ?? "/proc/meminfo",
        SERVER_TYPE: input.serverType,
        MIN_CPUS: String(input.serverSize.vcpus),
        MIN_MEMORY_MIB: String(input.serverSize.memoryMiB),
        PORTS: input.ports.join(" "),
        DOCKER_SOURCE: input.dockerSource,
        GATEWAY_ID,
    });
}
