// A stand-in for LiteLLM where the gateway calls it (the rendered `models.providers.litellm.baseUrl`):
// OpenAI's chat completions, streamed as server-sent events or not, each answered with a numbered
// sentence. It records every call with whether it carried the gateway's key (never the key), the
// model and the conversation's user messages, so a test sees which messages reached a model.
import * as http from "http";

export interface ModelCall {
    readonly path: string;
    readonly model: string;
    readonly keyMatches: boolean;
    /** The text of every user message the gateway sent (the conversation so far), their parts joined. */
    readonly userText: string;
    /** What the stand-in answered. */
    readonly answer: string;
}

export interface StandInLitellm {
    readonly calls: ModelCall[];
    /** Requests it does not serve (method and path), for a failing test's context. */
    readonly refused: string[];
    close(): Promise<void>;
}

/** The answer to the `n`th call: what a test looks for in the bot's reply. */
export const modelAnswer = (n: number) => `The model stand-in answers call ${n}.`;

/** The text of an OpenAI message's content: a string, or parts of which the text ones count. */
function textOf(content: unknown): string {
    if (typeof content === "string") return content;
    if (!Array.isArray(content)) return "";
    return content.map((part: any) => (part?.type === "text" ? String(part.text ?? "") : "")).join("\n");
}

/** Listens on `address`:`port` (the address the gateway's /etc/hosts gives LiteLLM's name); `key` is the one the gateway must send. */
export async function startStandInLitellm(address: string, port: number, key: string): Promise<StandInLitellm> {
    const calls: ModelCall[] = [];
    const refused: string[] = [];
    const server = http.createServer((request, response) => {
        let body = "";
        request.on("data", (chunk) => (body += chunk));
        request.on("end", () => {
            const path = (request.url ?? "").split("?")[0];
            if (request.method !== "POST" || !path.endsWith("/chat/completions")) {
                refused.push(`${request.method} ${path}`);
                response.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not served by the stand-in"}}');
                return;
            }
            let parsed: any = {};
            try {
                parsed = JSON.parse(body);
            } catch {
                // Recorded with no model and no text; the test sees it.
            }
            const messages: any[] = Array.isArray(parsed.messages) ? parsed.messages : [];
            const userText = messages.filter((m) => m?.role === "user").map((m) => textOf(m.content)).join("\n");
            const keyMatches = request.headers.authorization === `Bearer ${key}`;
            const answer = modelAnswer(calls.length + 1);
            const model = String(parsed.model ?? "");
            calls.push({ path, model, keyMatches, userText, answer });
            if (!keyMatches) {
                response.writeHead(401, { "content-type": "application/json" }).end('{"error":{"message":"Authentication Error","type":"auth_error"}}');
                return;
            }
            const id = `chatcmpl-standin-${calls.length}`;
            const created = Math.floor(Date.now() / 1000);
            const usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
            if (!parsed.stream) {
                response.writeHead(200, { "content-type": "application/json" }).end(
                    JSON.stringify({ id, object: "chat.completion", created, model, choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }], usage }),
                );
                return;
            }
            const chunk = (choices: object[], extra: object = {}) => `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra })}\n\n`;
            response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
            response.write(chunk([{ index: 0, delta: { role: "assistant", content: answer }, finish_reason: null }]));
            response.write(chunk([{ index: 0, delta: {}, finish_reason: "stop" }]));
            if (parsed.stream_options?.include_usage) response.write(chunk([], { usage }));
            response.end("data: [DONE]\n\n");
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, address, resolve);
    });
    return {
        calls,
        refused,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
