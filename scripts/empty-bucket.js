#!/usr/bin/env node
// @ts-check
// Empties an R2 bucket when `pulumi destroy` (with protect false) removes it: Cloudflare refuses
// to delete a bucket that holds objects, and its provider cannot empty one. Run by a
// `command.local.Command`'s delete where Pulumi runs, so it needs nothing but Node: it speaks the
// S3 API itself, signed with AWS Signature Version 4.
//
// Environment (never arguments, so the key stays off command lines):
//   EMPTY_ON_DELETE        "true" to empty; anything else does nothing (the bucket is kept)
//   BUCKET_ENDPOINT        https://<account>.r2.cloudflarestorage.com
//   BUCKET_NAME, BUCKET_REGION ("auto" for R2)
//   BUCKET_ACCESS_KEY_ID, BUCKET_SECRET_ACCESS_KEY
"use strict";
const crypto = require("crypto");

const EMPTY_PAYLOAD_SHA256 = crypto.createHash("sha256").update("").digest("hex");

/** RFC 3986 encoding, as SigV4 wants it; `/` kept when encoding a path. */
function uriEncode(text, keepSlash = false) {
    const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return keepSlash ? encoded.replace(/%2F/g, "/") : encoded;
}

const hmac = (key, text) => crypto.createHmac("sha256", key).update(text, "utf8").digest();

/**
 * The Authorization header of a request, signed with AWS Signature Version 4 (service s3).
 * `headers` must hold every header to sign, `host` and `x-amz-date` included.
 * @param {{method: string, path: string, query?: Record<string, string>, headers: Record<string, string>, payloadHash: string,
 *          region: string, accessKeyId: string, secretAccessKey: string}} request
 */
function signV4(request) {
    const amzDate = request.headers["x-amz-date"];
    const day = amzDate.slice(0, 8);
    const query = Object.entries(request.query ?? {})
        .map(([k, v]) => [uriEncode(k), uriEncode(v)])
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join("&");
    const names = Object.keys(request.headers).map((h) => h.toLowerCase()).sort();
    const canonicalHeaders = names.map((name) => `${name}:${String(request.headers[Object.keys(request.headers).find((h) => h.toLowerCase() === name)]).trim()}\n`).join("");
    const signedHeaders = names.join(";");
    const canonicalRequest = [request.method, uriEncode(request.path, true), query, canonicalHeaders, signedHeaders, request.payloadHash].join("\n");
    const scope = `${day}/${request.region}/s3/aws4_request`;
    const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, crypto.createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${request.secretAccessKey}`, day), request.region), "s3"), "aws4_request");
    const signature = crypto.createHmac("sha256", signingKey).update(stringToSign).digest("hex");
    return `AWS4-HMAC-SHA256 Credential=${request.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
}

const xmlText = (text) => text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

/**
 * Deletes every object in the bucket; returns how many.
 * @param {{endpoint: string, bucket: string, region: string, accessKeyId: string, secretAccessKey: string}} target
 */
async function emptyBucket(target) {
    const base = new URL(target.endpoint);
    const send = async (method, path, query = {}) => {
        const url = new URL(path, base);
        for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
        const headers = { host: url.host, "x-amz-content-sha256": EMPTY_PAYLOAD_SHA256, "x-amz-date": new Date().toISOString().replace(/[-:]|\.\d{3}/g, "") };
        const authorization = signV4({ method, path, query, headers, payloadHash: EMPTY_PAYLOAD_SHA256, ...target });
        const { host, ...sent } = headers;
        void host; // fetch sets Host from the URL, the same value that was signed
        const response = await fetch(url, { method, headers: { ...sent, authorization } });
        const body = await response.text();
        if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${body.slice(0, 300)}`);
        return body;
    };
    let deleted = 0;
    let token;
    do {
        const listing = await send("GET", `/${target.bucket}`, { "list-type": "2", ...(token ? { "continuation-token": token } : {}) });
        const keys = [...listing.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlText(m[1]));
        for (const key of keys) {
            await send("DELETE", `/${target.bucket}/${key}`);
            deleted++;
        }
        const truncated = /<IsTruncated>true<\/IsTruncated>/.test(listing);
        const next = listing.match(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/);
        token = truncated && next ? xmlText(next[1]) : undefined;
    } while (token);
    return deleted;
}

async function main() {
    const env = process.env;
    if (env.EMPTY_ON_DELETE !== "true") {
        console.log("protect is on: the state bucket and its backups are kept");
        return;
    }
    const missing = ["BUCKET_ENDPOINT", "BUCKET_NAME", "BUCKET_REGION", "BUCKET_ACCESS_KEY_ID", "BUCKET_SECRET_ACCESS_KEY"].filter((name) => !env[name]);
    if (missing.length > 0) throw new Error(`empty-bucket: ${missing.join(", ")} not set`);
    const deleted = await emptyBucket({
        endpoint: String(env.BUCKET_ENDPOINT),
        bucket: String(env.BUCKET_NAME),
        region: String(env.BUCKET_REGION),
        accessKeyId: String(env.BUCKET_ACCESS_KEY_ID),
        secretAccessKey: String(env.BUCKET_SECRET_ACCESS_KEY),
    });
    console.log(`emptied the state bucket ${env.BUCKET_NAME}: ${deleted} objects deleted`);
}

module.exports = { signV4, emptyBucket, uriEncode };

if (require.main === module) {
    main().catch((error) => {
        console.error(`empty-bucket: ${error.message}`);
        process.exit(1);
    });
}
