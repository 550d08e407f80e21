// Loads the stand-in images (images.ts) into the VM's Docker from the read-only disk they came on,
// under the references the program deploys, so the deploy's own steps find them and pull nothing.
// Under emulation that takes minutes, so it runs in the background (a transient systemd unit) while
// the host's own suites run, and the whole-stack suite waits for it.
import { shellQuote } from "../../components/stack/steps";
import { StandInImages } from "./images";
import { Vm } from "./vm";

const MOUNT = "/mnt/openclaw-e2e-images";
const UNIT = "openclaw-e2e-images";

/** Starts the import; returns at once. */
export function startLoadingImages(vm: Vm, images: StandInImages): void {
    const imports = images.images.map((image) => {
        const changes = image.changes.map((change) => `--change ${shellQuote(change)}`).join(" ");
        return `docker image inspect ${shellQuote(image.reference)} >/dev/null 2>&1 || docker import ${changes} ${MOUNT}/${image.tar} ${shellQuote(image.reference)} >/dev/null`;
    });
    const script = `set -euo pipefail
started=$SECONDS
install -d ${MOUNT}
mountpoint -q ${MOUNT} || mount -o ro LABEL=oc-images ${MOUNT}
${imports.join("\n")}
umount ${MOUNT}
echo "imported in $((SECONDS - started)) s"
`;
    const result = vm.ssh(`sudo tee /root/${UNIT}.sh >/dev/null && sudo systemd-run --quiet --unit ${UNIT} --remain-after-exit bash /root/${UNIT}.sh`, { input: script });
    if (result.status !== 0) throw new Error(`could not start loading the stand-in images:\n${result.stdout}${result.stderr}`);
}

/** Waits for the import started above; fails with what it printed. */
export async function imagesLoaded(vm: Vm, images: StandInImages, log: (line: string) => void): Promise<void> {
    const started = Date.now();
    for (;;) {
        // systemctl prints the properties in its own order: read them by name.
        const shown = vm.ssh(`systemctl show -p SubState -p ExecMainStatus ${UNIT}`).stdout;
        const property = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(shown)?.[1];
        if (property("SubState") !== "running") {
            const journal = vm.sudo(`journalctl -u ${UNIT} --no-pager -o cat`);
            if (property("SubState") !== "exited" || property("ExecMainStatus") !== "0") {
                throw new Error(`the stand-in images did not load (${shown.trim().replace(/\n/g, ", ")}):\n${journal}`);
            }
            const imported = /imported in (\d+) s/.exec(journal)?.[1] ?? "?";
            log(`${images.images.length} stand-in images in the VM's Docker (imported in ${imported} s, waited ${Math.round((Date.now() - started) / 1000)} s here): ${images.images.map((i) => i.reference).join(", ")}`);
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 5000));
    }
}
