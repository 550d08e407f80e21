// The checks that come before hardening a server the program did not create: the OS, root
// through the first login, the stack's ports, and where Docker came from. The script is
// openclaw-preflight.sh; this module gives it its header.
import { OS_IMAGES } from "../providers/types";
import type { DockerSource } from "./docker";
import { readScriptFile } from "./scriptFile";

export interface PreflightInput {
    /** The ports the stack will listen on (SSH's among them: sshd may hold it already). */
    readonly ports: readonly number[];
    readonly dockerSource: DockerSource;
    /** Where the OS says what it is; tests point it at a file of their own. */
    readonly osRelease?: string;
}

const PREFLIGHT_SCRIPT = readScriptFile(__dirname, "openclaw-preflight.sh");

export function renderPreflight(input: PreflightInput): string {
    return PREFLIGHT_SCRIPT.render({
        OS_RELEASE: input.osRelease ?? "/etc/os-release",
        // The images' names are the OS's own ID-VERSION_ID (debian-13, ubuntu-24.04).
        ACCEPTED_OS: OS_IMAGES.join(" "),
        PORTS: input.ports.join(" "),
        DOCKER_SOURCE: input.dockerSource,
    });
}
