// A stand-in for Telegram's Bot API (https://core.telegram.org/bots/api), enough for a bot that
// long-polls: getMe, getUpdates, sendMessage, getFile and file downloads; any other method
// answers `true`. It serves HTTPS with a stand-in certificate the test gives the gateway to trust. Tests queue updates (a user's messages) and read what the bot sent.
import * as assert from "assert";
import * as https from "https";
import * as net from "net";
import { STAND_IN_KEEP_ALIVE_MS, StandInCertificate } from "./standInTls";

export const TELEGRAM_API_HOST = "api.telegram.org";

export interface SentMessage {
    readonly chatId: number;
    /** The text as the user sees it: with parse_mode HTML, its tags removed and its entities decoded. */
    readonly text: string;
    readonly parseMode?: string;
}

/** What Telegram shows for `text` sent with `parseMode` (https://core.telegram.org/bots/api#html-style). */
export function shownText(text: string, parseMode: string | undefined): string {
    if (parseMode !== "HTML") return text;
    const entities: Record<string, string> = { lt: "<", gt: ">", quot: '"', amp: "&" };
    return text.replace(/<[^>]*>/g, "").replace(/&(lt|gt|quot|amp|#(\d+));/g, (_, name: string, code?: string) => (code ? String.fromCodePoint(Number(code)) : entities[name]));
}

export interface FakeTelegram {
    /** The local port of the HTTPS server. */
    readonly port: number;
    /** The Bot API methods called so far, in order. */
    readonly calls: string[];
    readonly sent: SentMessage[];
    /** Files the bot downloaded, by file_path. */
    readonly downloads: string[];
    /** A private text message from `user`. */
    sendText(user: TelegramUser, text: string): void;
    /** A private photo from `user`; its bytes are served when the bot downloads it. */
    sendPhoto(user: TelegramUser, photo: Buffer, caption: string): void;
    close(): Promise<void>;
}

export interface TelegramUser {
    readonly id: number;
    readonly firstName: string;
}

/** Serves the Bot API for `botToken` over HTTPS with `tls` (a certificate valid for api.telegram.org). */
export async function startFakeTelegram(botToken: string, tls: StandInCertificate): Promise<FakeTelegram> {
    const calls: string[] = [];
    const sent: SentMessage[] = [];
    const downloads: string[] = [];
    const updates: object[] = [];
    const files = new Map<string, Buffer>();
    let waiting: (() => void)[] = [];
    let nextUpdateId = 1;
    let nextMessageId = 1;
    const now = () => Math.floor(Date.now() / 1000);

    const queue = (message: object) => {
        updates.push({ update_id: nextUpdateId++, message: { message_id: nextMessageId++, date: now(), ...message } });
        const wake = waiting;
        waiting = [];
        wake.forEach((resolve) => resolve());
    };
    const privateChat = (user: TelegramUser) => ({
        chat: { id: user.id, type: "private", first_name: user.firstName },
        from: { id: user.id, is_bot: false, first_name: user.firstName, language_code: "en" },
    });

    /** getUpdates: the updates from `offset` on, waiting (long polling) up to `timeout` seconds for one. */
    async function getUpdates(params: { offset?: number; timeout?: number }): Promise<object[]> {
        const pending = () => updates.filter((u: any) => u.update_id >= (params.offset ?? 0));
        const deadline = Date.now() + Math.min(params.timeout ?? 0, 10) * 1000;
        while (pending().length === 0 && Date.now() < deadline) {
            await new Promise<void>((resolve) => {
                waiting.push(resolve);
                setTimeout(resolve, deadline - Date.now()).unref();
            });
        }
        return pending();
    }

    async function answer(method: string, params: any): Promise<unknown> {
        switch (method) {
            case "getMe":
                return { id: 7000001, is_bot: true, first_name: "Claw", username: "claw_test_bot", can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false };
            case "getUpdates":
                return getUpdates(params);
            case "sendMessage":
                const parseMode = params.parse_mode === undefined ? undefined : String(params.parse_mode);
                sent.push({ chatId: Number(params.chat_id), text: shownText(String(params.text), parseMode), ...(parseMode ? { parseMode } : {}) });
                return { message_id: nextMessageId++, date: now(), chat: { id: Number(params.chat_id), type: "private" }, text: String(params.text) };
            case "getFile": {
                const id = String(params.file_id);
                assert.ok(files.has(id), `getFile for an unknown file ${id}`);
                return { file_id: id, file_unique_id: `u-${id}`, file_size: files.get(id)!.length, file_path: `photos/${id}.png` };
            }
            default:
                return true;
        }
    }

    const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk) => chunks.push(chunk));
        req.on("end", async () => {
            const url = new URL(req.url ?? "/", `https://${TELEGRAM_API_HOST}`);
            const reply = (status: number, body: unknown, type = "application/json") => {
                res.writeHead(status, { "content-type": type });
                res.end(type === "application/json" ? JSON.stringify(body) : body);
            };
            const file = new RegExp(`^/file/bot${escape(botToken)}/photos/(.+)\\.png$`).exec(url.pathname);
            if (file) {
                const bytes = files.get(file[1]);
                if (!bytes) return reply(404, { ok: false, error_code: 404, description: "Not Found" });
                downloads.push(`photos/${file[1]}.png`);
                return reply(200, bytes, "image/png");
            }
            const call = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
            if (!call) return reply(404, { ok: false, error_code: 404, description: "Not Found" });
            // A wrong token is refused as Telegram refuses it, so a test sees which token the bot used.
            if (call[1] !== botToken) return reply(401, { ok: false, error_code: 401, description: "Unauthorized" });
            calls.push(call[2]);
            const body = Buffer.concat(chunks).toString("utf8");
            let params: any = Object.fromEntries(url.searchParams);
            if (body && /json/.test(req.headers["content-type"] ?? "")) params = { ...params, ...JSON.parse(body) };
            else if (body) params = { ...params, ...Object.fromEntries(new URLSearchParams(body)) };
            try {
                reply(200, { ok: true, result: await answer(call[2], params) });
            } catch (error) {
                reply(400, { ok: false, error_code: 400, description: String(error) });
            }
        });
    });
    server.keepAliveTimeout = STAND_IN_KEEP_ALIVE_MS;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    let photos = 0;
    return {
        port: (server.address() as net.AddressInfo).port,
        calls,
        sent,
        downloads,
        sendText: (user, text) => queue({ ...privateChat(user), text }),
        sendPhoto(user, photo, caption) {
            const id = `photo${++photos}`;
            files.set(id, photo);
            queue({ ...privateChat(user), caption, photo: [{ file_id: id, file_unique_id: `u-${id}`, width: 2, height: 2, file_size: photo.length }] });
        },
        close: () =>
            new Promise<void>((resolve) => {
                waiting.forEach((wake) => wake());
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A string as a literal inside a regular expression. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
