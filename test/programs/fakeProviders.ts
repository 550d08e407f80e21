// Stand-ins for the model providers' HTTPS APIs, enough for LiteLLM's calls: Anthropic's Messages
// API (POST /v1/messages, key in x-api-key) and OpenAI's chat completions (POST
// /v1/chat/completions, key as a bearer token). One server answers for both hosts, by the Host
// header. Each answers in one JSON body or, when the request says `stream: true` (as LiteLLM does
// for a gateway that streams), as that API's server-sent events. It records each call with
// whether it carried that provider's key (never the key), and reports the token usage a test
// sets, which is what LiteLLM prices a call by.
import * as https from "https";
import * as net from "net";
import { STAND_IN_KEEP_ALIVE_MS, StandInCertificate } from "./standInTls";

export const ANTHROPIC_HOST = "api.anthropic.com";
export const OPENAI_HOST = "api.openai.com";

export interface ProviderCall {
    readonly host: string;
    readonly path: string;
    /** The model the request named. */
    readonly model: string;
    /** Whether the request carried the provider's key, where the provider's API puts it. */
    readonly keyMatches: boolean;
    /** Whether the request asked for server-sent events. */
    readonly stream?: boolean;
}

export interface Usage {
    readonly inputTokens: number;
    readonly outputTokens: number;
}

export interface FakeProviders {
    readonly port: number;
    readonly calls: ProviderCall[];
    /** The usage every answer reports from now on. */
    setUsage(usage: Usage): void;
    close(): Promise<void>;
}

/** Serves both APIs over HTTPS with `tls`; `keys` are the keys each host must be called with. */
export async function startFakeProviders(tls: StandInCertificate, keys: { readonly anthropic: string; readonly openai: string }): Promise<FakeProviders> {
    const calls: ProviderCall[] = [];
    let usage: Usage = { inputTokens: 12, outputTokens: 7 };
    let served = 0;

    const server = https.createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
        let body = "";
        request.on("data", (chunk) => (body += chunk));
        request.on("end", () => {
            const host = (request.headers.host ?? "").replace(/:\d+$/, "");
            const path = (request.url ?? "").split("?")[0];
            let model = "";
            let stream = false;
            try {
                const parsed = JSON.parse(body);
                model = String(parsed.model ?? "");
                stream = parsed.stream === true;
            } catch {
                // Recorded with no model; the test sees it.
            }
            const answer = (status: number, json: object) => {
                response.writeHead(status, { "content-type": "application/json" });
                response.end(JSON.stringify(json));
            };
            const events = (list: readonly (readonly [string | undefined, object | string])[]) => {
                response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
                for (const [event, data] of list) {
                    response.write(`${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
                }
                response.end();
            };
            const id = `fake-${++served}`;
            const text = `answer from ${host}`;
            if (host === ANTHROPIC_HOST && request.method === "POST" && path === "/v1/messages") {
                const keyMatches = request.headers["x-api-key"] === keys.anthropic;
                calls.push({ host, path, model, keyMatches, stream });
                if (!keyMatches) return answer(401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
                // The Messages API's stream: https://docs.anthropic.com/en/api/messages-streaming
                if (stream)
                    return events([
                        ["message_start", { type: "message_start", message: { id: `msg_${id}`, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.inputTokens, output_tokens: 1 } } }],
                        ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
                        ["ping", { type: "ping" }],
                        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }],
                        ["content_block_stop", { type: "content_block_stop", index: 0 }],
                        ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: usage.outputTokens } }],
                        ["message_stop", { type: "message_stop" }],
                    ]);
                return answer(200, {
                    id: `msg_${id}`,
                    type: "message",
                    role: "assistant",
                    model,
                    content: [{ type: "text", text }],
                    stop_reason: "end_turn",
                    stop_sequence: null,
                    usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
                });
            }
            if (host === OPENAI_HOST && request.method === "POST" && path === "/v1/chat/completions") {
                const keyMatches = request.headers.authorization === `Bearer ${keys.openai}`;
                calls.push({ host, path, model, keyMatches, stream });
                if (!keyMatches) return answer(401, { error: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key" } });
                const created = Math.floor(Date.now() / 1000);
                if (stream) {
                    const chunk = (choices: object[], extra: object = {}) => [undefined, { id: `chatcmpl-${id}`, object: "chat.completion.chunk", created, model, choices, ...extra }] as const;
                    return events([
                        chunk([{ index: 0, delta: { role: "assistant", content: text }, finish_reason: null }]),
                        chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
                        chunk([], { usage: { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens } }),
                        [undefined, "[DONE]"],
                    ]);
                }
                return answer(200, {
                    id: `chatcmpl-${id}`,
                    object: "chat.completion",
                    created,
                    model,
                    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
                    usage: { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens },
                });
            }
            calls.push({ host, path, model, keyMatches: false });
            answer(404, { error: { message: `the stand-in serves no ${request.method} ${path} on ${host}` } });
        });
    });
    server.keepAliveTimeout = STAND_IN_KEEP_ALIVE_MS;
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    return {
        port: (server.address() as net.AddressInfo).port,
        calls,
        setUsage: (next) => (usage = next),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
