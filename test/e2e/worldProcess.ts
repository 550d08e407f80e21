// The stand-ins (world.ts) in a process of their own. The e2e harness talks to the VM with
// synchronous ssh calls, which block its event loop for minutes: the stand-ins must keep answering
// the VM (its DNS included) meanwhile. The harness scripts them and reads what they recorded over IPC.
import { ChildProcess, fork } from "child_process";
import { ProviderCall, Usage } from "../programs/fakeProviders";
import { SentMessage, TelegramUser } from "../programs/fakeTelegram";
import { startWorld, World, WorldKeys } from "./world";

/** What the stand-ins recorded so far. */
export interface WorldRecord {
    readonly providerCalls: ProviderCall[];
    readonly telegramCalls: string[];
    readonly sent: SentMessage[];
    readonly downloads: string[];
    readonly pageRequests: { readonly host: string; readonly path: string }[];
    readonly connections: string[];
}

type Request =
    | { readonly op: "record" }
    | { readonly op: "sendText"; readonly user: TelegramUser; readonly text: string }
    | { readonly op: "sendPhoto"; readonly user: TelegramUser; readonly photoBase64: string; readonly caption: string }
    | { readonly op: "setUsage"; readonly usage: Usage };

export interface WorldClient {
    readonly certificate: string;
    readonly resolvConf: string;
    readonly guestfwdCommand: string;
    record(): Promise<WorldRecord>;
    sendText(user: TelegramUser, text: string): Promise<void>;
    sendPhoto(user: TelegramUser, photo: Buffer, caption: string): Promise<void>;
    setUsage(usage: Usage): Promise<void>;
    stop(): void;
}

export async function startWorldProcess(keys: WorldKeys, workDir: string): Promise<WorldClient> {
    const child: ChildProcess = fork(__filename, [JSON.stringify({ keys, workDir })], {
        execArgv: ["-r", "ts-node/register/transpile-only"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let next = 0;
    const pending = new Map<number, (value: any) => void>();
    const started = new Promise<any>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`the stand-ins' process exited (${code}) before it started`)));
        pending.set(-1, resolve);
    });
    child.on("message", (message: any) => {
        const done = pending.get(message.id);
        pending.delete(message.id);
        done?.(message.value);
    });
    const call = (request: Request) =>
        new Promise<any>((resolve) => {
            const id = next++;
            pending.set(id, resolve);
            child.send({ id, request });
        });
    const info = await started;
    const stop = () => {
        if (child.exitCode === null) child.kill("SIGKILL");
    };
    process.once("exit", stop);
    return {
        certificate: info.certificate,
        resolvConf: info.resolvConf,
        guestfwdCommand: info.guestfwdCommand,
        record: () => call({ op: "record" }),
        sendText: (user, text) => call({ op: "sendText", user, text }),
        sendPhoto: (user, photo, caption) => call({ op: "sendPhoto", user, photoBase64: photo.toString("base64"), caption }),
        setUsage: (usage) => call({ op: "setUsage", usage }),
        stop,
    };
}

function serve(world: World): void {
    process.on("message", ({ id, request }: { id: number; request: Request }) => {
        let value: unknown = undefined;
        switch (request.op) {
            case "record":
                value = {
                    providerCalls: world.providers.calls,
                    telegramCalls: world.telegram.calls,
                    sent: world.telegram.sent,
                    downloads: world.telegram.downloads,
                    pageRequests: world.pageRequests,
                    connections: world.connections,
                } satisfies WorldRecord;
                break;
            case "sendText":
                world.telegram.sendText(request.user, request.text);
                break;
            case "sendPhoto":
                world.telegram.sendPhoto(request.user, Buffer.from(request.photoBase64, "base64"), request.caption);
                break;
            case "setUsage":
                world.providers.setUsage(request.usage);
                break;
        }
        process.send!({ id, value });
    });
    // The harness's end is this process's end.
    process.on("disconnect", () => void world.close().finally(() => process.exit(0)));
}

if (require.main === module) {
    const { keys, workDir } = JSON.parse(process.argv[2]) as { keys: WorldKeys; workDir: string };
    startWorld(keys, workDir).then(
        (world) => {
            serve(world);
            process.send!({ id: -1, value: { certificate: world.certificate.cert, resolvConf: world.resolvConf, guestfwdCommand: world.guestfwdCommand } });
        },
        (error) => {
            console.error(`the stand-ins did not start: ${error instanceof Error ? error.stack : error}`);
            process.exit(1);
        },
    );
}
