// The sandbox API: a local HTTP server that behaves like the documented Lensmor and Salesfinity
// APIs, for the demo and every runtime test. It is as strict as the providers' published
// contracts (./contract.mjs): it serves only documented routes (./routes.mjs), refuses with a
// 400 every request the schemas refuse, and checks each answer it gives against them.
//
//   node sandbox/server.mjs [--port 0] [--speed 1] [--ttl 600]
//     prints one JSON line {"url": "..."} once listening on 127.0.0.1; exits after --ttl seconds.
//
//   import { startSandbox } from "./sandbox/server.mjs";
//   const sandbox = await startSandbox({ speed: 50 }); ... await sandbox.close();
//
// Behaviour: tasks take seconds (divided by `speed`) and settle contact by contact with mixed
// outcomes (./fixtures.mjs says which); credits are charged by the published rules (402 when
// short); a selection already unlocking gets 409; each key has a request budget (429 +
// Retry-After + X-RateLimit-*; with `countRefused`, refused requests count too). Controls under /__sandbox/ (./controls.mjs) hold and release
// tasks, queue faults and read the request log.

import http from "node:http";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";

import { validator } from "./contract.mjs";
import { CORS, readBody, send } from "./http.mjs";
import { control } from "./controls.mjs";
import { START_BALANCE, makePersonnel } from "./fixtures.mjs";
import { match } from "./routes.mjs";

export async function startSandbox(options = {}) {
  const state = {
    speed: Number(options.speed ?? 1),
    personnel: makePersonnel(options.people),
    balances: new Map(), // key -> { lensmor, salesfinity }
    tasks: new Map(),
    enrichments: new Map(),
    nextTask: 321,
    // The account's runtime limit on one selection: above it a create is a 422
    // LEAD_SELECTION_LIMIT_EXCEEDED (the schema's own bound is 2000).
    selectionLimit: options.selectionLimit ?? 2000,
    requests: [],
    faults: [], // queued faults: { method?, path?, kind, status, body, headers, count }
    hold: false, // while on, new tasks stay `processing` until released
    // countRefused: a stricter limiter, in which refused requests use up the window too.
    rate: { limit: options.rateLimit ?? 120, windowMs: options.rateWindowMs ?? 60_000, countRefused: Boolean(options.countRefused) },
    hits: new Map(), // key -> [timestamps]
    taskMs: options.taskMs ?? [2_000, 12_000],
    balanceOf(key) {
      // A key containing "broke" starts with no credits (for 402 tests).
      if (!this.balances.has(key)) this.balances.set(key, key.includes("broke") ? { lensmor: 0, salesfinity: 0 } : { ...START_BALANCE });
      return this.balances.get(key);
    },
    /** When a new task's contacts start and settle. */
    timing() {
      const [min, max] = this.taskMs;
      const now = Date.now();
      return { startAt: now + min / 3 / this.speed, settleAt: now + (min + Math.random() * (max - min)) / this.speed };
    },
  };
  const server = http.createServer((req, res) => handle(state, req, res).catch((err) => {
    console.error("sandbox error:", err.message);
    if (!res.headersSent) send(res, 500, { code: 500, message: `sandbox: ${err.message}`, errorKey: "SANDBOX_ERROR", traceId: trace() });
  }));
  await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const ttl = setTimeout(() => server.close(), (options.ttlSeconds ?? 600) * 1000);
  ttl.unref();
  return {
    url,
    state,
    close: () => new Promise((resolve) => { clearTimeout(ttl); server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

function trace() {
  return randomBytes(8).toString("hex");
}

function apiError(res, status, errorKey, message, headers = {}, details = undefined) {
  send(res, status, { code: status, message, errorKey, ...(details === undefined ? {} : { details }), traceId: trace() }, headers);
}

/** A refusal in the provider's own error shape. */
function refuse(res, provider, status, errorKey, message, details) {
  if (provider === "salesfinity") return send(res, status, { statusCode: status, message });
  return apiError(res, status, errorKey, message, {}, details);
}

function parseJson(text) {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return null;
  }
}

function keyOf(req, provider) {
  if (provider === "lensmor") {
    const match = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    return match ? match[1] : null;
  }
  return req.headers["x-api-key"] || null;
}

/** Sliding-window rate limit per key; answers 429 with Retry-After when spent. */
function rateLimited(state, key, res) {
  const now = Date.now();
  const window = state.rate.windowMs;
  const hits = (state.hits.get(key) ?? []).filter((t) => t > now - window);
  state.hits.set(key, hits);
  const resetAt = Math.ceil(((hits[0] ?? now) + window) / 1000);
  if (hits.length >= state.rate.limit) {
    if (state.rate.countRefused) hits.push(now);
    const retryAfter = Math.max(1, Math.ceil((hits[0] + window - now) / 1000));
    apiError(res, 429, "RATE_LIMIT_EXCEEDED", "Too many requests", {
      "retry-after": String(retryAfter),
      "x-ratelimit-limit": String(state.rate.limit),
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(resetAt),
    });
    return null;
  }
  hits.push(now);
  return {
    "x-ratelimit-limit": String(state.rate.limit),
    "x-ratelimit-remaining": String(state.rate.limit - hits.length),
    "x-ratelimit-reset": String(resetAt),
  };
}

/** A queued fault for this request, if any: consumed as it is used. */
function takeFault(state, method, path) {
  const index = state.faults.findIndex((f) => (f.method ?? method) === method && path.startsWith(f.path ?? "/"));
  if (index < 0) return null;
  const fault = state.faults[index];
  if (fault.skip > 0) {
    fault.skip--; // this many matching requests pass first
    return null;
  }
  fault.count = (fault.count ?? 1) - 1;
  if (fault.count <= 0) state.faults.splice(index, 1);
  return fault;
}

/** Faults that replace the answer. Returns true when the fault answered (or hung up). */
async function applyFault(fault, req, res) {
  if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
  switch (fault.kind) {
    case "hang": // never answers: the client's per-request timeout must fire
      return true;
    case "reset":
      req.socket.destroy();
      return true;
    case "malformed":
      res.writeHead(200, { "content-type": "application/json", ...CORS });
      res.end('{"taskId": "321", "taskStatus": ');
      return true;
    case "html":
      send(res, fault.status ?? 200, "<html><body>Gateway says hi</body></html>");
      return true;
    case "status":
      apiError(res, fault.status, fault.errorKey ?? "FAULT", fault.message ?? "Injected fault", fault.headers ?? {}, fault.details);
      return true;
    case "body": // a raw body with a status, e.g. an ApiError inside a 200
      send(res, fault.status ?? 200, fault.body, fault.headers ?? {});
      return true;
    case "trickle": { // a body that arrives a byte at a time, never whole
      res.writeHead(200, { "content-type": "application/json", ...CORS });
      res.write("{");
      const drip = setInterval(() => res.write(" "), fault.everyMs ?? 100);
      res.on("close", () => clearInterval(drip));
      setTimeout(() => { clearInterval(drip); res.end("}"); }, fault.forMs ?? 60_000).unref();
      return true;
    }
    case "huge": // a body far over any documented answer (the client must refuse it unread)
      res.writeHead(200, { "content-type": "application/json", ...CORS });
      res.end(`{"taskId":"321","pad":"${"x".repeat(5 * 1024 * 1024)}"}`);
      return true;
    default: // "delay" only slows the real answer; the rest bend the route's answer
      return false;
  }
}

/** The query as an object. Only `sourceType` may repeat (0.27: "comma-separated or repeated"):
 *  its values are joined with commas, as one comma-separated value. */
function queryObject(url) {
  const query = {};
  for (const [name, value] of url.searchParams) {
    if (name in query && name !== "sourceType") return null; // no other documented parameter repeats
    query[name] = name in query ? `${query[name]},${value}` : value;
  }
  return query;
}

async function handle(state, req, res) {
  const url = new URL(req.url, "http://sandbox");
  const path = url.pathname;
  if (req.method === "OPTIONS") return send(res, 204, "");
  if (path.startsWith("/__sandbox/")) return control(state, req, res, path);

  const found = match(req.method, path);
  const provider = found?.route.provider ?? (path.startsWith("/v1/") ? "salesfinity" : "lensmor");
  const key = keyOf(req, provider);
  const record = { at: Date.now(), method: req.method, path, query: url.search, provider, hasKey: Boolean(key), body: null };
  state.requests.push(record);
  res.on("finish", () => (record.status = res.statusCode));

  const fault = takeFault(state, req.method, path);
  if (fault && (await applyFault(fault, req, res))) return;
  if (!found) return refuse(res, provider, 404, "NOT_FOUND", `No route ${req.method} ${path}`);
  const { route, params } = found;

  if (!key || key.includes("revoked")) return refuse(res, provider, 401, "INVALID_API_KEY", "Missing or invalid API key");
  const limitHeaders = rateLimited(state, key, res);
  if (!limitHeaders) return;

  const bad = (message) => refuse(res, provider, 400, "INVALID_REQUEST", message);
  const source = req.headers["x-call-source"];
  if (provider === "lensmor" && source !== undefined && validator("callSourceHeader")(source)) {
    return bad("x-call-source must be api or agent");
  }
  const query = queryObject(url);
  const queryProblems = query ? validator(route.query)(query) : ["a query parameter is repeated"];
  if (queryProblems) return bad(`query: ${queryProblems.join("; ")}`);
  for (const [name, value] of Object.entries(params)) {
    const problems = route.params?.[name] && validator(route.params[name])(value);
    if (problems) return bad(`path parameter ${name}: ${problems.join("; ")}`);
  }

  let body;
  if (route.body) {
    const text = await readBody(req);
    const parsed = parseJson(text);
    if (!parsed) return bad("Body is not JSON");
    body = parsed.value;
    record.body = body;
    const problems = validator(route.body)(body);
    if (problems) return bad(`body: ${problems.join("; ")}`);
  }

  const out = route.handle({ state, key, body, query, params, fault, validate: (name, value) => validator(name)(value) });
  if (out.error) return refuse(res, provider, out.status, out.error.errorKey, out.error.message, out.error.details);
  // The sandbox's own answers must match the contract too; a mismatch is a sandbox bug and
  // fails loudly (500) instead of teaching the package a shape the provider never sends.
  const schema = out.status < 300 ? route.answer : provider !== "lensmor" ? null : out.status === 422 ? "selectionLimitError" : "apiError";
  const problems = schema && !out.unchecked ? validator(schema)(out.body) : null;
  if (problems) throw new Error(`answer of ${route.method} ${route.path} breaks ${schema}: ${problems.join("; ")}`);
  return send(res, out.status, out.body, limitHeaders);
}

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const sandbox = await startSandbox({
    port: Number(flag("port", 0)),
    speed: Number(flag("speed", 1)),
    ttlSeconds: Number(flag("ttl", 600)),
  });
  console.log(JSON.stringify({ url: sandbox.url }));
}
