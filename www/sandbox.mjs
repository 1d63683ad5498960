// The sandbox API: a local HTTP server that behaves like the documented Lensmor and Salesfinity
// APIs (see ../shared/API.md), for the demo and every runtime test. No dependencies.
//
//   node www/sandbox.mjs [--port 0] [--speed 1] [--ttl 600]
//     prints one JSON line {"url": "..."} once listening on 127.0.0.1; exits after --ttl seconds.
//
//   import { startSandbox } from "./sandbox.mjs";
//   const sandbox = await startSandbox({ speed: 50 }); ... await sandbox.close();
//
// Behaviour: tasks take seconds (divided by `speed`) and settle contact by contact with mixed
// outcomes; credits are charged by the published rules (402 when short); a selection already
// unlocking gets 409; each key has a request budget (429 + Retry-After + X-RateLimit-*).
// Sandbox-only routes under /__sandbox/ switch faults on and read the request log.

import http from "node:http";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";

const LENSMOR_EMAIL_COST = 15;
const LENSMOR_PHONE_COST = 150;

/** The event and its people. Outcomes depend on the id, so tests know what to expect:
 *  ids ending in 3 fail, ids ending in 7 unlock without a value, the rest deliver. */
function makePersonnel() {
  const first = ["Jane", "Omar", "Li", "Ana", "Ravi", "Sofia", "Ken", "Maya", "Tom", "Ines"];
  const last = ["Doe", "Haddad", "Wei", "Silva", "Patel", "Rossi", "Sato", "Cohen", "Berg", "Lopez"];
  const companies = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"];
  const titles = ["VP of Partnerships", "Head of Sales", "CMO", "Event Manager", "Founder", "Buyer"];
  const people = new Map();
  for (let i = 0; i < 150; i++) {
    const id = String(789 + i);
    const name = `${first[i % 10]} ${last[Math.floor(i / 10) % 10]}`;
    const company = companies[i % companies.length];
    const unlocked = i % 11 === 5; // a few were unlocked before
    const slug = name.toLowerCase().replace(" ", ".");
    people.set(id, {
      id,
      fullName: name,
      title: titles[i % titles.length],
      companyName: `${company} Co`,
      email: unlocked ? `${slug}@${company.toLowerCase()}.example` : null,
      contactUnlockStatus: unlocked ? "unlocked" : "locked",
      phone: null,
      phoneUnlockStatus: null,
      linkedinUrl: `https://www.linkedin.com/in/${slug.replace(".", "-")}-${i}`,
    });
  }
  return people;
}

function outcomeFor(id) {
  if (id.endsWith("3")) return "failed";
  if (id.endsWith("7")) return "empty";
  return "unlocked";
}

export async function startSandbox(options = {}) {
  const speed = Number(options.speed ?? 1);
  const state = {
    speed,
    personnel: makePersonnel(),
    eventIds: new Set(["139574", "evt_sandbox"]),
    balances: new Map(), // key -> { lensmor, salesfinity }
    tasks: new Map(), // id -> task
    enrichments: new Map(),
    nextTask: 321,
    requests: [],
    faults: [], // queued faults: { match, status, body, headers, kind, count }
    rate: { limit: options.rateLimit ?? 120, windowMs: options.rateWindowMs ?? 60_000 },
    hits: new Map(), // key -> [timestamps]
    taskMs: options.taskMs ?? [2_000, 12_000],
  };
  const server = http.createServer((req, res) => handle(state, req, res).catch((err) => {
    console.error("sandbox error", err);
    send(res, 500, { code: 500, message: "sandbox crashed", errorKey: "INTERNAL", traceId: trace() });
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

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, x-api-key, x-call-source, accept",
  "access-control-expose-headers": "retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, x-request-id",
  "access-control-max-age": "600",
};

function send(res, status, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const traceId = body && typeof body === "object" && body.traceId;
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/html" : "application/json",
    ...(traceId ? { "x-request-id": traceId } : {}),
    ...CORS,
    ...headers,
  });
  res.end(text);
}

function apiError(res, status, errorKey, message, headers = {}, extra = {}) {
  send(res, status, { code: status, message, errorKey, traceId: trace(), ...extra }, headers);
}

async function readJson(req) {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 1_000_000) throw new Error("body too large");
  }
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function keyOf(req, provider) {
  if (provider === "lensmor") {
    const auth = req.headers.authorization ?? "";
    const match = /^bearer\s+(\S+)$/i.exec(auth);
    return match ? match[1] : null;
  }
  return req.headers["x-api-key"] || null;
}

function balanceOf(state, key) {
  // A key containing "broke" starts with no credits (for 402 tests).
  const start = key.includes("broke") ? 0 : undefined;
  if (!state.balances.has(key)) state.balances.set(key, { lensmor: start ?? 1000, salesfinity: start ?? 25 });
  return state.balances.get(key);
}

/** Sliding-window rate limit per key; answers 429 with Retry-After when spent. */
function rateLimited(state, key, res) {
  const now = Date.now();
  const window = state.rate.windowMs;
  const hits = (state.hits.get(key) ?? []).filter((t) => t > now - window);
  state.hits.set(key, hits);
  const resetAt = Math.ceil(((hits[0] ?? now) + window) / 1000);
  if (hits.length >= state.rate.limit) {
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
  fault.count = (fault.count ?? 1) - 1;
  if (fault.count <= 0) state.faults.splice(index, 1);
  return fault;
}

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
      apiError(res, fault.status, fault.errorKey ?? "FAULT", fault.message ?? "Injected fault", fault.headers ?? {});
      return true;
    case "body": // a raw body with a status, e.g. an ApiError inside a 200
      send(res, fault.status ?? 200, fault.body, fault.headers ?? {});
      return true;
    case "huge": // a body far over any documented answer (the client must refuse it unread)
      res.writeHead(200, { "content-type": "application/json", ...CORS });
      res.end(`{"taskId":"321","pad":"${"x".repeat(5 * 1024 * 1024)}"}`);
      return true;
    case "delay": // only slows the real answer down
    case "drop-items": // handled by the route: the answer leaves an item out
    case "dup-items": // handled by the route: the answer lists every item twice
      return false;
    default:
      return false;
  }
}

async function handle(state, req, res) {
  const url = new URL(req.url, "http://sandbox");
  const path = url.pathname;
  if (req.method === "OPTIONS") return send(res, 204, "");
  if (path.startsWith("/__sandbox/")) return control(state, req, res, path);

  const provider = path.startsWith("/v1/api/enrichment") ? "salesfinity" : "lensmor";
  const key = keyOf(req, provider);
  state.requests.push({ at: Date.now(), method: req.method, path, provider, hasKey: Boolean(key), body: null });
  const record = state.requests[state.requests.length - 1];
  res.on("finish", () => (record.status = res.statusCode));

  const fault = takeFault(state, req.method, path);
  if (fault && (await applyFault(fault, req, res))) return;

  if (!key || key.includes("revoked")) {
    return apiError(res, 401, "INVALID_API_KEY", "Missing or invalid API key");
  }
  const limitHeaders = rateLimited(state, key, res);
  if (!limitHeaders) return;

  const body = req.method === "POST" ? await readJson(req) : {};
  record.body = body ?? null;
  if (body === undefined) return apiError(res, 400, "INVALID_JSON", "Body is not JSON");
  const reply = (status, payload) => send(res, status, payload, limitHeaders);

  let m;
  if (req.method === "GET" && path === "/external/credits/balance") {
    const b = balanceOf(state, key).lensmor;
    return reply(200, { totalAmount: 1000, totalBalance: b, subscriptionAmount: 1000, subscriptionBalance: b, giftAmount: 0, giftBalance: 0, resetAt: null });
  }
  if (req.method === "GET" && (m = /^\/external\/events\/([^/]+)\/personnel$/.exec(path))) {
    if (!state.eventIds.has(decodeURIComponent(m[1]))) return apiError(res, 404, "EVENT_NOT_FOUND", "Event not found");
    return reply(200, { items: [...state.personnel.values()].map(publicPerson) });
  }
  if (req.method === "POST" && path === "/external/actions/precheck") {
    return reply(200, precheck(state, key, body));
  }
  if (req.method === "POST" && (path === "/external/contacts/unlock" || path === "/external/contacts/unlock-phone")) {
    return createUnlock(state, key, body, path.endsWith("phone") ? "phone" : "email", res, reply);
  }
  if (req.method === "GET" && (m = /^\/external\/contacts\/unlock(-phone)?-tasks\/([^/]+)$/.exec(path))) {
    return pollUnlock(state, key, decodeURIComponent(m[2]), m[1] ? "phone" : "email", res, reply, fault);
  }
  if (req.method === "GET" && path === "/v1/api/enrichment/credits") {
    return reply(200, { balance: balanceOf(state, key).salesfinity });
  }
  if (req.method === "POST" && path === "/v1/api/enrichment/email") {
    return createEnrichment(state, key, body, res, reply);
  }
  if (req.method === "GET" && (m = /^\/v1\/api\/enrichment\/email\/([^/]+)$/.exec(path))) {
    return pollEnrichment(state, key, decodeURIComponent(m[1]), res, reply, fault);
  }
  return apiError(res, 404, "NOT_FOUND", `No route ${req.method} ${path}`);
}

function publicPerson(p) {
  return { id: p.id, fullName: p.fullName, title: p.title, companyName: p.companyName, email: p.email, contactUnlockStatus: p.contactUnlockStatus, phone: p.phone, phoneUnlockStatus: p.phoneUnlockStatus, linkedinUrl: p.linkedinUrl };
}

/** Sorts a selection the way the real API does before charging. */
function classify(state, body, channel) {
  const ids = [...new Set((body.personnel_ids ?? []).map(String))];
  const out = { ids, chargeable: [], already: [], unlocking: [], missing: [] };
  for (const id of ids) {
    const p = state.personnel.get(id);
    if (!p) out.missing.push(id);
    else if (channel === "email" ? p.contactUnlockStatus === "unlocked" : p.phoneUnlockStatus === "ready") out.already.push(id);
    else if (channel === "email" ? p.contactUnlockStatus === "unlocking" : p.phoneUnlockStatus === "processing") out.unlocking.push(id);
    else out.chargeable.push(id);
  }
  return out;
}

function precheck(state, key, body) {
  const channel = body.action_type === "unlock_contact_phones" ? "phone" : "email";
  const cost = channel === "phone" ? LENSMOR_PHONE_COST : LENSMOR_EMAIL_COST;
  const c = classify(state, body, channel);
  const credits = c.chargeable.length * cost;
  const balance = balanceOf(state, key).lensmor;
  const reason = c.unlocking.length ? "unlock_in_progress" : credits > balance ? "insufficient_balance" : c.chargeable.length === 0 ? "already_unlocked" : "ok";
  return {
    allowed: reason === "ok",
    should_charge: c.chargeable.length > 0,
    credits,
    reason_code: reason,
    detail: {
      personnel_ids: c.chargeable,
      requested_count: c.ids.length,
      chargeable_count: c.chargeable.length,
      already_unlocked_count: c.already.length,
      unlocking_count: c.unlocking.length,
      missing_personnel_ids: c.missing,
      invalid_personnel_ids: [],
    },
  };
}

function createUnlock(state, key, body, channel, res, reply) {
  if (!Array.isArray(body.personnel_ids) || body.personnel_ids.length === 0 || !body.event_id) {
    return apiError(res, 400, "INVALID_BODY", "event_id and personnel_ids are required");
  }
  if (body.personnel_ids.length > 100) {
    return apiError(res, 400, "BATCH_TOO_LARGE", "At most 100 personnel_ids per request");
  }
  if (!state.eventIds.has(String(body.event_id))) return apiError(res, 404, "EVENT_NOT_FOUND", "Event not found");
  const c = classify(state, body, channel);
  if (c.unlocking.length) {
    return apiError(res, 409, "UNLOCK_IN_PROGRESS", `Contacts already unlocking: ${c.unlocking.join(", ")}`);
  }
  const cost = (channel === "phone" ? LENSMOR_PHONE_COST : LENSMOR_EMAIL_COST) * c.chargeable.length;
  const balance = balanceOf(state, key);
  if (cost > balance.lensmor) {
    return apiError(res, 402, "INSUFFICIENT_CREDITS", `This unlock costs ${cost} credits; the balance is ${balance.lensmor}`);
  }
  const skipped = [...c.already, ...c.missing];
  if (c.chargeable.length === 0) {
    return reply(200, { status: "success", skipped_personnel_ids: skipped });
  }
  balance.lensmor -= cost;
  const id = channel === "phone" ? `phone_${state.nextTask++}` : String(state.nextTask++);
  const [min, max] = state.taskMs;
  const now = Date.now();
  const items = c.chargeable.map((pid) => {
    const person = state.personnel.get(pid);
    if (channel === "email") person.contactUnlockStatus = "unlocking";
    else person.phoneUnlockStatus = "processing";
    return { personnelId: pid, settleAt: now + (min + Math.random() * (max - min)) / state.speed, startAt: now + min / 3 / state.speed };
  });
  state.tasks.set(id, { id, key, channel, items, createdAt: now });
  return reply(201, { status: "accepted", task_id: id, job_id: id, ...(skipped.length ? { skipped_personnel_ids: skipped } : {}) });
}

function pollUnlock(state, key, id, channel, res, reply, fault) {
  const task = state.tasks.get(id);
  if (!task || task.key !== key || task.channel !== channel) return apiError(res, 404, "TASK_NOT_FOUND", "Task not found");
  const now = Date.now();
  const items = task.items.map((item) => {
    const person = state.personnel.get(item.personnelId);
    if (now < item.startAt) return { personnelId: item.personnelId, status: "pending" };
    if (now < item.settleAt) return { personnelId: item.personnelId, status: "processing" };
    const outcome = outcomeFor(item.personnelId);
    if (outcome === "failed") {
      if (channel === "email") person.contactUnlockStatus = "failed";
      else person.phoneUnlockStatus = "failed";
      return { personnelId: item.personnelId, status: "failed", errorCode: "TASK_FAILED" };
    }
    if (channel === "email") {
      person.contactUnlockStatus = "unlocked";
      if (outcome === "unlocked") person.email ??= `${person.fullName.toLowerCase().replace(" ", ".")}@${person.companyName.split(" ")[0].toLowerCase()}.example`;
      return { personnelId: item.personnelId, status: "unlocked", email: outcome === "unlocked" ? person.email : null };
    }
    person.phoneUnlockStatus = "ready";
    if (outcome === "unlocked") person.phone ??= `+1 555 ${person.id.padStart(4, "0").slice(-4)}`;
    return { personnelId: item.personnelId, status: "unlocked", phone: outcome === "unlocked" ? person.phone : null };
  });
  const settled = items.every((i) => i.status === "unlocked" || i.status === "failed");
  const anyRunning = items.some((i) => i.status === "processing");
  let taskStatus = settled ? "completed" : anyRunning ? "processing" : "pending";
  if (fault?.kind === "unknown-status") taskStatus = fault.status ?? "queued_v2";
  const answered = fault?.kind === "drop-items" ? items.slice(1) : fault?.kind === "dup-items" ? [...items, ...items] : items;
  return reply(200, { taskId: id, taskStatus, items: answered });
}

const LINKEDIN = /^https:\/\/(www\.)?linkedin\.com\/in\/([^/?#]+)\/?$/;

function createEnrichment(state, key, body, res, reply) {
  const match = LINKEDIN.exec(body.linkedin_url ?? "");
  if (!match || !["work", "personal"].includes(body.type)) {
    return send(res, 400, { statusCode: 400, message: ["linkedin_url must be a linkedin.com/in/ URL", "type must be work or personal"] });
  }
  if (balanceOf(state, key).salesfinity <= 0) {
    return send(res, 402, { statusCode: 402, message: "Insufficient credits" });
  }
  const id = randomBytes(12).toString("hex");
  const now = Date.now();
  const [min, max] = state.taskMs;
  state.enrichments.set(id, {
    id, key, username: match[2], type: body.type, url: body.linkedin_url, externalId: body.external_id,
    callbackUrl: body.callback_url, startAt: now + min / 3 / state.speed, settleAt: now + (min + Math.random() * (max - min)) / state.speed, charged: false,
  });
  return reply(201, { _id: id, status: "pending", linkedin_url: body.linkedin_url });
}

function pollEnrichment(state, key, id, res, reply, fault) {
  const e = state.enrichments.get(id);
  if (!e || e.key !== key) return send(res, 404, { statusCode: 404, message: "Enrichment request not found" });
  const now = Date.now();
  const base = { _id: e.id, linkedin_url: e.url, ...(e.externalId ? { external_id: e.externalId } : {}) };
  if (now < e.startAt) return reply(200, { ...base, status: "pending" });
  if (now < e.settleAt) return reply(200, { ...base, status: fault?.kind === "unknown-status" ? "queued_v2" : "processing" });
  if (e.username.includes("nobody")) return reply(200, { ...base, status: "not-found", email: null, enrichment_type: `${e.type}_email` });
  if (e.username.includes("broken")) return reply(200, { ...base, status: "failed" });
  if (!e.charged) {
    e.charged = true;
    balanceOf(state, key).salesfinity -= 1;
  }
  const domain = e.type === "work" ? "work.example" : "mail.example";
  return reply(200, { ...base, status: "completed", enrichment_type: `${e.type}_email`, email: { email: `${e.username}@${domain}`, type: e.type } });
}

/** Sandbox-only routes: faults, request log, state for tests. */
async function control(state, req, res, path) {
  if (path === "/__sandbox/faults" && req.method === "POST") {
    const body = await readJson(req);
    const list = Array.isArray(body) ? body : [body];
    state.faults.push(...list);
    return send(res, 200, { queued: state.faults.length });
  }
  if (path === "/__sandbox/faults" && req.method === "DELETE") {
    state.faults.length = 0;
    return send(res, 200, { queued: 0 });
  }
  if (path === "/__sandbox/requests") {
    return send(res, 200, { requests: state.requests });
  }
  if (path === "/__sandbox/config" && req.method === "POST") {
    const body = await readJson(req);
    if (body.rateLimit) state.rate.limit = body.rateLimit;
    if (body.rateWindowMs) state.rate.windowMs = body.rateWindowMs;
    if (body.speed) state.speed = body.speed;
    if (body.taskMs) state.taskMs = body.taskMs;
    if (body.balance) for (const [key, b] of Object.entries(body.balance)) state.balances.set(key, { ...balanceOf(state, key), ...b });
    return send(res, 200, { ok: true });
  }
  return send(res, 404, { message: "unknown sandbox route" });
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
