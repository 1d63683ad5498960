// The few HTTP helpers the sandbox's server and controls share.
import { randomBytes } from "node:crypto";

const MAX_BODY_BYTES = 1_000_000;

export const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, x-api-key, x-call-source, accept",
  "access-control-expose-headers": "retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, x-request-id",
  "access-control-max-age": "600",
};

export function send(res, status, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  // Lensmor sends its traceId as X-Request-ID on every answer; an error's body repeats it.
  const traceId = (body && typeof body === "object" && body.traceId) || randomBytes(8).toString("hex");
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/html" : "application/json",
    "x-request-id": traceId,
    ...CORS,
    ...headers,
  });
  res.end(text);
}

export async function readBody(req) {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_BODY_BYTES) throw new Error("body too large");
  }
  return text;
}

