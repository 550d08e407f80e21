// Stand-ins for the model providers' HTTPS APIs, enough for LiteLLM's calls: Anthropic's Messages
// API (POST /v1/messages, key in x-api-key) and OpenAI's chat completions (POST
// /v1/chat/completions, key as a bearer token). One server answers for both hosts, by the Host
// header. It records each call with whether it carried that provider's key (never the key), and
// reports the token usage a test sets, which is what LiteLLM prices a call by.
import * as https from "https";
import * as net from "net";
import { StandInCertificate } from "./standInTls";

export const ANTHROPIC_HOST = "api.anthropic.com";
export const OPENAI_HOST = "api.openai.com";

export interface ProviderCall {
    readonly host: string;
    readonly path: string;
    /** The model the request named. */
    readonly model: string;
    /** Whether the request carried the provider's key, where the provider's API puts it. */
    readonly keyMatches: boolean;
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
            try {
                model = String(JSON.parse(body).model ?? "");
            } catch {
                // Recorded with no model; the test sees it.
            }
            const answer = (status: number, json: object) => {
                response.writeHead(status, { "content-type": "application/json" });
                response.end(JSON.stringify(json));
            };
            const id = `fake-${++served}`;
            if (host === ANTHROPIC_HOST && request.method === "POST" && path === "/v1/messages") {
                const keyMatches = request.headers["x-api-key"] === keys.anthropic;
                calls.push({ host, path, model, keyMatches });
                if (!keyMatches) return answer(401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
                return answer(200, {
                    id: `msg_${id}`,
                    type: "message",
                    role: "assistant",
                    model,
                    content: [{ type: "text", text: `answer from ${host}` }],
                    stop_reason: "end_turn",
                    stop_sequence: null,
                    usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
                });
            }
            if (host === OPENAI_HOST && request.method === "POST" && path === "/v1/chat/completions") {
                const keyMatches = request.headers.authorization === `Bearer ${keys.openai}`;
                calls.push({ host, path, model, keyMatches });
                if (!keyMatches) return answer(401, { error: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key" } });
                return answer(200, {
                    id: `chatcmpl-${id}`,
                    object: "chat.completion",
                    created: Math.floor(Date.now() / 1000),
                    model,
                    choices: [{ index: 0, message: { role: "assistant", content: `answer from ${host}` }, finish_reason: "stop" }],
                    usage: { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens },
                });
            }
            calls.push({ host, path, model, keyMatches: false });
            answer(404, { error: { message: `the stand-in serves no ${request.method} ${path} on ${host}` } });
        });
    });
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
