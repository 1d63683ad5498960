// The edge side of unlock-tasks: a proxy that keeps the provider keys on the server and spends
// credits only for signed-in users, within a daily budget each.
//
// The browser uses the package as usual, pointed at this worker and signed in:
//   new UnlockClient({ provider: "lensmor", baseUrl: "https://<worker>/lensmor",
//                      headers: async () => ({ authorization: `Bearer ${await sessionToken()}` }) })
// The worker answers only documented routes, in the providers' own shapes, and adds the key.
//
// Every route but CORS preflight needs `Authorization: Bearer <JWT>`: HS256, signed by the app's
// server with SESSION_SECRET, with `sub` (the user) and `exp`. Replace `verifySession` to use
// another identity provider: `handle(request, env, { authenticate })`.
// Starts are validated by the package before anything is spent, reserve their worst-case cost
// in the user's daily budget, and are made once per user and selection, however many arrive at
// once: a Durable Object named after them creates the task and then drives it to the end with
// alarms. Tasks are readable only by the user who started them. Salesfinity callbacks need the
// callback secret, are hints confirmed by reading back, and trigger at most one read per task
// per interval. No request follows a redirect; every upstream call has a time limit and a size
// limit; no response carries a key.
//
// One provider key serves every user: every request to a provider (a user's start or read, a
// task object's poll, a callback's read-back) first asks that key's governor (./governor.js),
// which keeps the key's window for all of them, a person's start first. A user's read of a task
// the worker drives is answered from that task's latest answer, never sent upstream. Contact
// values are shown only to the user who unlocked them (./visibility.js).
//
// Settings (see README, "Deploy"): LENSMOR_API_KEY, SALESFINITY_API_KEY, SESSION_SECRET,
// ALLOWED_ORIGIN, TASKS and GOVERNORS (Durable Object namespaces), DAILY_CREDITS_PER_USER,
// REQUESTS_PER_MINUTE_PER_USER, UPSTREAM_TIMEOUT_MS, CALLBACK_SECRET, PUBLIC_URL,
// CALLBACK_INTERVAL_MS, LENSMOR_RATE_LIMIT, LENSMOR_RATE_WINDOW_MS, SALESFINITY_RATE_LIMIT,
// SALESFINITY_RATE_WINDOW_MS, QUEUE_WAIT_MS, CONTACT_VISIBILITY, GROUP_HOLD_MS; for tests LENSMOR_BASE_URL,
// SALESFINITY_BASE_URL, POLL_DELAYS_MS.
import { UnlockClient, UnlockError, checkEnrichInput, checkUnlockInput, createdAnswer, creditsPerContact, providerFacts, proxyStatus, readGroupHeader, resplitSize, tokenFor } from "unlock-tasks";
import { DEFAULT_HOLD_MS, available, current, held, reserve, settle } from "./budget.js";
import { KeyGovernors, keyLine } from "./governor.js";
import { secretPattern, scrub } from "./secrets.js";
import { keysFor, masked, ownedKey, visibility } from "./visibility.js";

export { KeyGovernors };

/** Each provider's settings here; where it is and how its key is sent come from the package. */
const PROVIDERS = Object.fromEntries(["lensmor", "salesfinity"].map((name) => {
  const { baseUrl, authHeader, authPrefix } = providerFacts(name);
  const upper = name.toUpperCase();
  return [name, { base: `${upper}_BASE_URL`, key: `${upper}_API_KEY`, production: baseUrl, auth: (key) => ({ [authHeader]: authPrefix + key }) }];
}));

/** Request bodies above this are refused before they are read whole, let alone parsed. */
const MAX_BODY_BYTES = 64 * 1024;
/** Provider answers above this are refused: reading stops there. */
const MAX_UPSTREAM_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_CHARS = 4096;

/** The only routes served, each one documented by its provider. `start` routes create tasks;
 *  `task` routes read one (its owner only); the rest are forwarded with only the query
 *  parameters named in `query` (Lensmor OpenAPI 0.25). */
const ROUTES = [
  { method: "GET", path: /^\/lensmor\/external\/credits\/balance$/ },
  { method: "GET", path: /^\/lensmor\/external\/personnel\/list$/, query: ["event_id", "page", "pageSize", "exhibitor_id", "department", "level", "search_query", "sourceType"], contacts: "list" },
  { method: "GET", path: /^\/lensmor\/external\/personnel\/profile$/, query: ["personnel_id"], contacts: "profile" },
  { method: "POST", path: /^\/lensmor\/external\/actions\/precheck$/, check: "precheck" },
  { method: "POST", path: /^\/lensmor\/external\/contacts\/unlock$/, start: "lensmor.email" },
  { method: "POST", path: /^\/lensmor\/external\/contacts\/unlock-phone$/, start: "lensmor.phone" },
  { method: "GET", path: /^\/lensmor\/external\/contacts\/unlock-tasks\/([^/]+)$/, task: "lensmor.email" },
  { method: "GET", path: /^\/lensmor\/external\/contacts\/unlock-phone-tasks\/([^/]+)$/, task: "lensmor.phone" },
  { method: "GET", path: /^\/salesfinity\/v1\/api\/enrichment\/credits$/ },
  { method: "POST", path: /^\/salesfinity\/v1\/api\/enrichment\/email$/, start: "salesfinity.email" },
  { method: "GET", path: /^\/salesfinity\/v1\/api\/enrichment\/email\/([^/]+)$/, task: "salesfinity.email" },
];

/** Response headers passed on from the provider; nothing else (no cookies, no server details). */
const PASSED_HEADERS = ["content-type", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-request-id"];

/** The deployment's settings, with safe defaults. */
function settings(env) {
  const int = (value, fallback) => (Number.isSafeInteger(Number(value)) && Number(value) > 0 ? Number(value) : fallback);
  return {
    dailyCredits: int(env.DAILY_CREDITS_PER_USER, 1500),
    perMinute: int(env.REQUESTS_PER_MINUTE_PER_USER, 60),
    upstreamTimeoutMs: int(env.UPSTREAM_TIMEOUT_MS, 15_000),
    callbackIntervalMs: int(env.CALLBACK_INTERVAL_MS, 30_000),
    groupHoldMs: int(env.GROUP_HOLD_MS, DEFAULT_HOLD_MS),
    delays: env.POLL_DELAYS_MS ? JSON.parse(env.POLL_DELAYS_MS) : undefined,
  };
}

export default {
  fetch: (request, env) => handle(request, env),
};

export async function handle(request, env, { authenticate = verifySession } = {}) {
  const url = new URL(request.url);
  const origin = request.headers.get("origin");
  if (origin && origin !== env.ALLOWED_ORIGIN) return apiError(403, "ORIGIN_NOT_ALLOWED", "This origin may not use this proxy.");
  const cors = origin ? corsHeaders(origin) : {};
  if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
  let response;
  try {
    response = await route(request, url, env, authenticate);
  } catch (error) {
    response = errorResponse(error);
  }
  return withHeaders(await redacted(response, env), cors);
}

async function route(request, url, env, authenticate) {
  if (request.method === "POST" && url.pathname === "/callbacks/salesfinity") return salesfinityCallback(request, url, env);
  const user = await authenticate(request, env);
  if (!user?.id) throw refusal(401, "UNAUTHORIZED", "Sign in: this proxy needs a session token.");
  if (!env.TASKS || !env.GOVERNORS) throw refusal(503, "NO_STATE", "This deployment lacks its TASKS or GOVERNORS Durable Object namespace: it cannot keep budgets, owners or the key's window.");
  const admitted = await call(userStub(env, user.id), "/admit", { perMinute: settings(env).perMinute });
  if (!admitted.ok) {
    const seconds = Math.max(1, Math.ceil(admitted.retryAfterMs / 1000));
    return apiError(429, "USER_RATE_LIMITED", `Too many requests from this user; try again in ${seconds} s.`, undefined, { "retry-after": String(seconds) });
  }
  if (request.method === "GET" && url.pathname === "/budget") {
    return Response.json(await call(userStub(env, user.id), "/budget", { limit: settings(env).dailyCredits }));
  }
  const task = /^\/tasks\/([a-z.]+)\/([^/]+)$/.exec(url.pathname);
  if (request.method === "GET" && task) {
    const id = decoded(task[2]);
    return id === null ? notFound() : taskState(env, user, task[1], id);
  }
  const match = ROUTES.find((r) => r.method === request.method && r.path.test(url.pathname));
  if (!match) return apiError(404, "NO_SUCH_ROUTE", "This proxy does not serve that route.");
  if (match.start) return start(match.start, await readJson(request), groupOf(request), env, user);
  if (match.task) {
    // The task object polls it already: its latest answer is the user's, and costs the key nothing.
    const id = decoded(match.path.exec(url.pathname)[1]);
    if (id === null || !(await owns(env, user, match.task, id))) return notFound();
    return latestAnswer(env, match.task, id);
  }
  const body = match.check === "precheck" ? JSON.stringify(precheckBody(await readJson(request))) : undefined;
  const answer = await forward(env, url, request.method, body, request.headers, match.query ?? [], user);
  return match.contacts ? visibleContacts(env, user, match.contacts, answer) : answer;
}

/** A path segment percent-decoded, or null when its encoding is broken (`%E0%A4%A`). */
function decoded(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

// ---- who is calling ------------------------------------------------------------------------

/**
 * The default session check: `Authorization: Bearer <JWT>` signed with HS256 and
 * SESSION_SECRET (WebCrypto), with `sub` and `exp` required and `nbf` honoured. Returns
 * `{ id }` or throws a 401. Replace it with your identity provider's check.
 */
export async function verifySession(request, env) {
  const header = request.headers.get("authorization") ?? "";
  const parts = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(header);
  const unauthorized = (why) => refusal(401, "UNAUTHORIZED", `The session token is ${why}.`);
  if (!parts || header.length > MAX_TOKEN_CHARS) throw unauthorized("missing or malformed");
  if (!env.SESSION_SECRET) throw refusal(503, "NO_SESSION_SECRET", "SESSION_SECRET is not set: no session can be checked.");
  let head, claims, signature;
  try {
    head = JSON.parse(base64urlText(parts[1]));
    claims = JSON.parse(base64urlText(parts[2]));
    signature = base64urlBytes(parts[3]);
  } catch {
    throw unauthorized("malformed");
  }
  if (head?.alg !== "HS256") throw unauthorized("not signed with HS256");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(env.SESSION_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const signed = new TextEncoder().encode(`${parts[1]}.${parts[2]}`);
  if (!(await crypto.subtle.verify("HMAC", key, signature, signed))) throw unauthorized("not signed by this app");
  const now = Date.now() / 1000;
  if (typeof claims?.exp !== "number" || claims.exp <= now) throw unauthorized("expired (or has no exp)");
  if (typeof claims.nbf === "number" && claims.nbf > now) throw unauthorized("not valid yet");
  if (typeof claims.sub !== "string" || !claims.sub || claims.sub.length > 256) throw unauthorized("without a user (sub)");
  return { id: claims.sub };
}

function base64urlBytes(text) {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function base64urlText(text) {
  return new TextDecoder("utf-8", { fatal: true }).decode(base64urlBytes(text));
}

// ---- starts: validated, budgeted, once per user and selection --------------------------------------

/** The provider's create body, read into the package's input shape and checked. The
 *  Salesfinity callback URL is this deployment's, never the caller's. */
function startInput(kind, body, env) {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw validation("The body must be a JSON object.");
  if (kind === "salesfinity.email") {
    const input = { linkedinUrl: body.linkedin_url, type: body.type, externalId: body.external_id, callbackUrl: callbackUrl(env) };
    const checked = checkEnrichInput(input);
    return { input: { ...input, linkedinUrl: checked.linkedinUrl }, key: checked.key, contacts: 1 };
  }
  const checked = checkUnlockInput(kind, { eventId: body.event_id, personnelIds: body.personnel_ids });
  return { input: { eventId: checked.eventId, personnelIds: checked.personnelIds }, key: checked.key, contacts: checked.personnelIds.length };
}

/** The ids a start asked for (none for an enrichment). */
function requestedIds(kind, input) {
  return kind === "salesfinity.email" ? [] : input.personnelIds;
}

function callbackUrl(env) {
  if (!env.PUBLIC_URL || !env.CALLBACK_SECRET) return undefined;
  return `${env.PUBLIC_URL.replace(/\/$/, "")}/callbacks/salesfinity?secret=${encodeURIComponent(env.CALLBACK_SECRET)}`;
}

/** Lensmor's `ActionPrecheckRequest` (OpenAPI 0.25): the unlock's input inside `params`. Only
 *  the two unlock actions are served, checked as the unlock itself would be. */
function precheckBody(body) {
  const kinds = { unlock_contact_emails: "lensmor.email", unlock_contact_phones: "lensmor.phone" };
  const kind = kinds[body?.action_type];
  if (!kind) throw validation("action_type must be unlock_contact_emails or unlock_contact_phones.");
  const checked = checkUnlockInput(kind, { eventId: body?.params?.event_id, personnelIds: body?.params?.personnel_ids });
  const source = body.call_source === "api" || body.call_source === "agent" ? { call_source: body.call_source } : {};
  return { action_type: body.action_type, params: { event_id: checked.eventId, personnel_ids: checked.personnelIds }, ...source };
}

/** The group a start is a part of, as the package's client announces it (`x-unlock-group`:
 *  the group's id and its contacts not yet started), or null for a start on its own. */
function groupOf(request) {
  const header = request.headers.get("x-unlock-group");
  return header === null ? null : readGroupHeader(header);
}

async function start(kind, body, announced, env, user) {
  const { input, key, contacts } = startInput(kind, body, env);
  const group = announced && { id: `${kind}:${announced.group}`, rest: announced.rest };
  const started = await call(env.TASKS.get(env.TASKS.idFromName(`start:${user.id}\n${key}`)), "/start", { kind, input, contacts, group, owner: user.id });
  if (started.error) return errorResponse(started.error);
  return Response.json(createdAnswer(started), { status: 201 });
}


/** Whether the package's group start sends a refused part's contacts again in smaller parts.
 *  An error of the worker's own (the key's line was busy) is no refusal of a part's size. */
function resplits(error, contacts) {
  try {
    return resplitSize(error, contacts) !== undefined;
  } catch {
    return false;
  }
}

/** The provider of a task kind: "lensmor.email" → "lensmor". */
function providerOf(kind) {
  return kind.split(".")[0];
}

/** The line at the key this deployment holds for `name` (./governor.js). */
function lineFor(env, name) {
  return keyLine(env, name, env[PROVIDERS[name].key]);
}

/** The package's client for one call, with the governed, bounded fetch: every request it
 *  makes holds a ticket of the key's governor (the first one `ticket`, if given; later ones
 *  wait in line as `claim`), has no redirects, a time limit and a size limit. `onAnswer` sees
 *  each answer's status and text. */
function client(env, kind, { claim, ticket, onAnswer } = {}) {
  const name = providerOf(kind);
  const provider = PROVIDERS[name];
  const { upstreamTimeoutMs, delays } = settings(env);
  const line = lineFor(env, name);
  let next = ticket;
  return new UnlockClient({
    provider: name,
    apiKey: env[provider.key],
    baseUrl: env[provider.base] || undefined,
    polling: delays && { delaysMs: delays },
    requestTimeoutMs: upstreamTimeoutMs,
    // The governor is the budget: the client's own would only add a second line.
    rateLimit: { requests: 1_000_000, windowMs: 1 },
    fetch: async (input, init) => {
      const held = next ?? (await line.admit(claim, init?.signal));
      next = undefined;
      let answer = null;
      try {
        answer = await boundedFetch(input, init, upstreamTimeoutMs);
        if (onAnswer) onAnswer(answer.status, await answer.clone().text());
        return answer;
      } finally {
        await line.settle(held, answer);
      }
    },
  });
}

/** Creates the task as `owner`'s start: first in the key's line. The place in line is taken
 *  before the client runs, so its time limit covers only the request itself (a wait in line
 *  that outlasted it would read as a create whose outcome is unknown). */
async function create(env, kind, input, owner) {
  const claim = { id: `start:${crypto.randomUUID()}`, priority: "start", user: owner, since: Date.now() };
  const ticket = await lineFor(env, providerOf(kind)).admit(claim);
  const c = client(env, kind, { claim, ticket });
  // One create, never a group of its own: a part the provider refuses for its size goes back
  // to the browser's client with the provider's limit, and that client cuts the rest smaller
  // (a group made here would start tasks the browser's token never names).
  const one = { group: false };
  return kind === "salesfinity.email" ? c.enrichEmail(input) : kind === "lensmor.phone" ? c.unlockPhones(input, one) : c.unlockEmails(input, one);
}

// ---- upstream calls ----------------------------------------------------------------------------

/**
 * Every keyed request goes through here: redirects are never followed (the runtime would send
 * the key to the new address; a 3xx comes back as it is, without its body, for the caller to
 * refuse), the call has a time limit, and at most MAX_UPSTREAM_BYTES of the answer are read.
 * Returns a Response whose body is fully read.
 */
async function boundedFetch(input, init, timeoutMs) {
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  let upstream;
  try {
    upstream = await fetch(input, { ...init, redirect: "manual", signal });
  } catch (error) {
    if (error?.name === "TimeoutError" || signal.reason?.name === "TimeoutError") throw refusal(504, "UPSTREAM_TIMEOUT", `The provider did not answer within ${timeoutMs} ms.`);
    throw refusal(502, "UPSTREAM_UNREACHABLE", "The provider could not be reached.");
  }
  if (isRedirect(upstream.status)) {
    await upstream.body?.cancel();
    return new Response(null, { status: upstream.status });
  }
  let text;
  try {
    text = await readCapped(upstream.body, MAX_UPSTREAM_BYTES, () => refusal(502, "UPSTREAM_TOO_LARGE", `The provider's answer is larger than ${MAX_UPSTREAM_BYTES} bytes; it was not read.`));
  } catch (error) {
    if (error?.code === "proxy") throw error;
    // A body that trickles past the time limit is a timeout, like an answer that never came.
    if (signal.aborted) throw refusal(504, "UPSTREAM_TIMEOUT", `The provider's answer did not arrive whole within ${timeoutMs} ms.`);
    throw refusal(502, "UPSTREAM_UNREACHABLE", "The provider's answer broke off.");
  }
  const headers = new Headers();
  for (const header of PASSED_HEADERS) if (upstream.headers.has(header)) headers.set(header, upstream.headers.get(header));
  return new Response(text, { status: upstream.status, headers });
}

function isRedirect(status) {
  return status === 0 || (status >= 300 && status < 400);
}

/** Reads a body as text, stopping (and cancelling the rest) past `limit` bytes. */
async function readCapped(body, limit, tooLarge) {
  if (!body) return "";
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** A request body as JSON, refused (413) past MAX_BODY_BYTES before it is parsed. */
async function readJson(request) {
  if (Number(request.headers.get("content-length")) > MAX_BODY_BYTES) throw tooLargeBody();
  const text = await readCapped(request.body, MAX_BODY_BYTES, tooLargeBody);
  try {
    return JSON.parse(text);
  } catch {
    throw validation("The body is not JSON.");
  }
}

function tooLargeBody() {
  return refusal(413, "BODY_TOO_LARGE", `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
}

/** Sends a user's read (balance, contacts, precheck) to the provider once the key's governor
 *  admits it, ahead of background polls. */
async function forward(env, url, method, body, incoming, queryNames, user) {
  const [, name, ...rest] = url.pathname.split("/");
  const provider = PROVIDERS[name];
  const line = lineFor(env, name);
  const ticket = await line.admit({ id: `read:${crypto.randomUUID()}`, priority: "read", user: user.id, since: Date.now() });
  let answer = null;
  try {
    answer = await sendUpstream(env, url, method, body, incoming, queryNames, name, provider, rest);
    return answer;
  } finally {
    await line.settle(ticket, answer);
  }
}

async function sendUpstream(env, url, method, body, incoming, queryNames, name, provider, rest) {
  const base = (env[provider.base] || provider.production).replace(/\/$/, "");
  const headers = { accept: "application/json", ...provider.auth(env[provider.key]) };
  if (body) headers["content-type"] = "application/json";
  const callSource = incoming.get("x-call-source");
  if (name === "lensmor" && (callSource === "api" || callSource === "agent")) headers["x-call-source"] = callSource;
  const query = new URLSearchParams();
  for (const [key, value] of url.searchParams) if (queryNames.includes(key)) query.append(key, value);
  const search = query.size ? `?${query}` : "";
  const answer = await boundedFetch(`${base}/${rest.join("/")}${search}`, { method, headers, body }, settings(env).upstreamTimeoutMs);
  if (isRedirect(answer.status)) {
    throw refusal(502, "UPSTREAM_REDIRECT", `The provider answered with a redirect (HTTP ${answer.status}); it was not followed, so the key stayed here.`);
  }
  return answer;
}

// ---- owned tasks and callbacks ------------------------------------------------------------------

function taskStub(env, kind, taskId) {
  return env.TASKS.get(env.TASKS.idFromName(`task:${kind}:${taskId}`));
}

function userStub(env, userId) {
  return env.TASKS.get(env.TASKS.idFromName(`user:${userId}`));
}

async function owns(env, user, kind, taskId) {
  tokenFor(kind, taskId); // validates the kind and the id
  const { owner } = await call(taskStub(env, kind, taskId), "/owner", {});
  return owner === user.id;
}

/** The provider's latest answer for a task the worker drives, in the provider's own shape, as
 *  its task object stored it: a user's read never goes upstream. */
async function latestAnswer(env, kind, taskId) {
  const latest = await call(taskStub(env, kind, taskId), "/answer", {});
  if (latest.error) return errorResponse(latest.error);
  const headers = { "content-type": "application/json", ...(latest.requestId ? { "x-request-id": latest.requestId } : {}) };
  return new Response(latest.text, { status: 200, headers });
}

/** A personnel answer with the values this user did not unlock hidden (CONTACT_VISIBILITY). */
async function visibleContacts(env, user, route, answer) {
  if (visibility(env) === "shared" || answer.status !== 200) return answer;
  let body;
  try {
    body = JSON.parse(await answer.clone().text());
  } catch {
    return answer; // not JSON: the package refuses it as a protocol error; nothing to show
  }
  const { owned } = await call(userStub(env, user.id), "/owned", { keys: keysFor(route, body) });
  const headers = new Headers(answer.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(masked(route, body, new Set(owned))), { status: 200, headers });
}

/** A task's stored state, for its owner only: anyone else gets the same 404 as for no task. */
async function taskState(env, user, kind, taskId) {
  if (!(await owns(env, user, kind, taskId))) return notFound();
  return Response.json(await call(taskStub(env, kind, taskId), "/state", {}));
}

/** A callback is a hint: it needs the callback secret, and the request is read back from
 *  Salesfinity (at most once per interval, never after the task ended) before anything is stored. */
async function salesfinityCallback(request, url, env) {
  if (!env.CALLBACK_SECRET || !env.TASKS || !sameText(url.searchParams.get("secret") ?? "", env.CALLBACK_SECRET)) return notFound();
  const hint = await readJson(request);
  const id = typeof hint?._id === "string" ? hint._id : null;
  if (!id) throw validation("A callback must name the request's _id.");
  tokenFor("salesfinity.email", id);
  return Response.json(await call(taskStub(env, "salesfinity.email", id), "/confirm", { intervalMs: settings(env).callbackIntervalMs }));
}

/** Compares secrets in time that does not depend on where they differ. */
function sameText(a, b) {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

async function call(stub, path, body) {
  const response = await stub.fetch(`https://do${path}`, { method: "POST", body: JSON.stringify(body) });
  return response.json();
}

// ---- the Durable Object ------------------------------------------------------------------------

/**
 * One class, three roles by name:
 * - `user:<id>`: the user's request rate and daily credit budget;
 * - `start:<user>\n<selection>`: creates the task once, however many starts arrive at once;
 * - `task:<kind>:<id>`: the task's owner, its polling by alarms, its result.
 */
export class UnlockTasks {
  constructor(state, env) {
    this.storage = state.storage;
    this.env = env;
    this.hits = []; // request times in the last minute (user role)
    this.inflight = null; // the create in progress (start role)
  }

  async fetch(request) {
    const { pathname } = new URL(request.url);
    const body = request.method === "POST" ? await request.json() : {};
    try {
      const handler = {
        "/admit": () => this.admit(body),
        "/reserve": () => this.reserve(body),
        "/settle": () => this.settle(body),
        "/budget": () => this.budget(body),
        "/grant": () => this.grant(body),
        "/owned": () => this.owned(body),
        "/start": () => this.start(body),
        "/track": () => this.track(body),
        "/owner": () => this.owner(),
        "/state": () => this.state(),
        "/answer": () => this.answer(),
        "/confirm": () => this.confirm(body),
      }[pathname];
      if (!handler) return apiError(404, "NO_SUCH_ROUTE", "unknown");
      return Response.json(await handler());
    } catch (error) {
      return Response.json({ error: errorFields(error) });
    }
  }

  // -- user: request rate and credit budget

  /** A sliding one-minute window of this user's requests. */
  admit({ perMinute }) {
    const now = Date.now();
    this.hits = this.hits.filter((t) => t > now - 60_000);
    if (this.hits.length >= perMinute) return { ok: false, retryAfterMs: this.hits[0] + 60_000 - now };
    this.hits.push(now);
    return { ok: true };
  }

  /** Today's budget as of now (./budget.js): the stored record, a new day's, expired holds gone. */
  async currentBudget() {
    return current(await this.storage.get("budget"), Date.now(), settings(this.env).groupHoldMs);
  }

  /** Today's budget: `{ limit, spent, held, remaining, day }`; `held` is set aside for the
   *  groups being started. */
  async budget({ limit }) {
    const record = await this.currentBudget();
    return { limit, spent: record.spent, held: held(record), remaining: available(record, limit), day: record.day };
  }

  /** Reserves a start's worst case (a group's first part: the whole group's) in today's
   *  budget, or says how much is left. One object per user, so two reservations never
   *  interleave. */
  async reserve({ credits, limit, group }) {
    const record = await this.currentBudget();
    const reserved = reserve(record, { credits, limit, group }, Date.now());
    if (reserved.ok) await this.storage.put("budget", record);
    return { ...reserved, day: record.day };
  }

  /** Gives back what a start did not spend (skipped contacts, a refused create), and ends or
   *  keeps its group's hold. */
  async settle(request) {
    const record = await this.currentBudget();
    settle(record, request, Date.now());
    await this.storage.put("budget", record);
    return { ok: true };
  }

  /** Records the values this user unlocked (or paid for in their budget): they are the only
   *  ones the user's contact reads show (CONTACT_VISIBILITY=owner). */
  async grant({ kind, ids }) {
    const keys = [...new Set(ids.map(String))].map((id) => ownedKey(kind, id));
    for (let i = 0; i < keys.length; i += 128) {
      await this.storage.put(Object.fromEntries(keys.slice(i, i + 128).map((key) => [key, true])));
    }
    return { granted: keys.length };
  }

  /** Which of `keys` this user unlocked. */
  async owned({ keys }) {
    const owned = [];
    for (let i = 0; i < keys.length; i += 128) {
      const found = await this.storage.get(keys.slice(i, i + 128));
      for (const [key, value] of found) if (value) owned.push(key);
    }
    return { owned };
  }

  // -- start: once per user and selection

  /** Joins the create in progress, or returns the running task, or creates one. */
  async start(request) {
    this.inflight ??= this.startOnce(request).finally(() => (this.inflight = null));
    return this.inflight;
  }

  async startOnce({ kind, input, contacts, group: announced, owner }) {
    const previous = await this.storage.get("started");
    if (previous?.started) {
      const state = await call(taskStub(this.env, previous.kind, previous.taskId), "/state", {});
      if (state.state === "running") return { ...previous, reused: true };
    }
    const price = creditsPerContact(kind);
    const limit = settings(this.env).dailyCredits;
    const worstCase = price * contacts;
    const user = userStub(this.env, owner);
    // A group's part: the group's worst case is what its first part holds.
    const rest = announced ? Math.max(announced.rest, contacts) : 0;
    const group = announced ? { id: announced.id, credits: price * rest, rest, contacts } : undefined;
    const reserved = await call(user, "/reserve", { credits: worstCase, limit, group });
    if (!reserved.ok) {
      const what = reserved.group ? `This selection (${rest} contacts not yet started) may cost up to` : "This start may cost up to";
      return { error: { code: "payment_required", status: 402, errorKey: "USER_BUDGET_EXCEEDED", message: `${what} ${reserved.wanted} credits; ${reserved.remaining} of your ${limit} for today are left.` } };
    }
    let started;
    try {
      started = await create(this.env, kind, input, owner);
    } catch (error) {
      // Refused by the provider: nothing was charged. No answer, or a 5xx: it may have been,
      // so the reservation stays. A group goes on only after a refusal of its part's size
      // (the package sends the same contacts again in smaller parts); otherwise it stops here,
      // and what it still held is freed.
      const unknown = ["network", "server", "timeout", "protocol"].includes(error?.code);
      // (Nothing to give back and no group to end: no call.)
      if (!unknown || announced) {
        const resplit = !unknown && Boolean(announced) && resplits(error, contacts);
        await call(user, "/settle", { refund: unknown ? 0 : worstCase, day: reserved.day, group: announced?.id, contacts, resplit });
      }
      throw error;
    }
    const { refunded, paidFor } = await this.skippedContacts(kind, input, started, owner);
    await call(user, "/settle", { refund: price * refunded, day: reserved.day });
    if (paidFor.length) await call(user, "/grant", { kind, ids: paidFor });
    if (started.started) {
      const tracked = await call(taskStub(this.env, kind, started.taskId), "/track", { started, owner, ids: requestedIds(kind, input) });
      // The provider named a task another user owns: it stays theirs. This start may have been
      // charged, so its reservation stays too.
      if (tracked.error) return { error: tracked.error };
    }
    await this.storage.put("started", started);
    return started;
  }

  /**
   * What a create's skipped contacts mean for the user's budget. Only ids that were in the
   * request count, once each, whatever the provider listed. Skipped contacts were not charged
   * and are given back, except (CONTACT_VISIBILITY=owner) those already unlocked by another
   * user of the key: this user pays their price from the budget and is shown them, as if
   * unlocked now; the provider charges the key nothing for them.
   */
  async skippedContacts(kind, input, started, owner) {
    const requested = new Set(requestedIds(kind, input));
    if (kind === "salesfinity.email") return { refunded: started.started ? 0 : 1, paidFor: [] };
    const reasons = new Map();
    for (const { id, reason } of started.skipped ?? []) if (requested.has(id) && !reasons.has(id)) reasons.set(id, reason);
    for (const id of started.skippedIds ?? []) if (requested.has(id) && !reasons.has(id)) reasons.set(id, "unspecified");
    const alreadyUnlocked = [...reasons].filter(([, reason]) => reason === "already-unlocked").map(([id]) => id);
    let paidFor = [];
    if (visibility(this.env) === "owner" && alreadyUnlocked.length) {
      const { owned } = await call(userStub(this.env, owner), "/owned", { keys: alreadyUnlocked.map((id) => ownedKey(kind, id)) });
      const mine = new Set(owned);
      paidFor = alreadyUnlocked.filter((id) => !mine.has(ownedKey(kind, id)));
    }
    // Nothing started and nothing skipped (a create answer without a task): nothing was charged.
    const unaccounted = started.started ? 0 : requested.size - reasons.size;
    return { refunded: reasons.size - paidFor.length + unaccounted, paidFor };
  }

  // -- task: owner, polling, result

  async track({ started, owner, ids }) {
    const previous = await this.storage.get("owner");
    if (previous !== undefined && previous !== owner) {
      return { error: { code: "proxy", status: 502, errorKey: "UPSTREAM_TASK_TAKEN", message: "The provider answered this start with the id of a task another user started; that task stays theirs. Contact support with this start's time." } };
    }
    await this.storage.put("owner", owner);
    await this.storage.put("ids", ids);
    await this.storage.put("token", started.token);
    await this.storage.put("state", { state: "running", kind: started.kind, taskId: started.taskId });
    const delays = settings(this.env).delays ?? [3000];
    await this.storage.setAlarm(started.createdAt + delays[0]);
    return { tracking: true };
  }

  async owner() {
    return { owner: (await this.storage.get("owner")) ?? null };
  }

  async state() {
    return (await this.storage.get("state")) ?? { state: "unknown" };
  }

  /** The provider's latest answer for this task, for its owner's reads: as the provider sent
   *  it, or before the first poll, the task as just created (every contact pending). */
  async answer() {
    const current = await this.storage.get("state");
    if (!current?.taskId) return { error: { code: "not_found", status: 404, errorKey: "TASK_NOT_FOUND", message: "No such task." } };
    // Polling ended in an error (the provider lost the task, the key was revoked): the owner's
    // reads end in it too, instead of following a stale answer forever.
    if (current.state === "failed") return { error: current.error };
    const stored = await getText(this.storage, "answer");
    if (stored !== undefined) return { text: stored, requestId: await this.storage.get("answerRequestId") };
    return { text: JSON.stringify(pendingAnswer(current.kind, current.taskId, (await this.storage.get("ids")) ?? [])) };
  }

  /** One poll per alarm, at the time the token asks for, once the key's governor admits it; if
   *  the key is busy, the alarm moves to the poll's place in line (never earlier than due). */
  async alarm() {
    const current = await this.storage.get("state");
    const token = await this.storage.get("token");
    if (!token || current?.state !== "running") return;
    const { claim, admission } = await this.askToPoll(current, (await this.storage.get("queuedSince")) ?? Date.now());
    if (!admission.go) {
      await this.storage.put("queuedSince", claim.since);
      await this.storage.setAlarm(admission.at);
      return;
    }
    await this.storage.delete("queuedSince");
    let answer = null;
    const onAnswer = (status, text) => (answer = status === 200 ? text : null);
    try {
      const step = await client(this.env, current.kind, { claim, ticket: admission.ticket, onAnswer }).pollOnce(token);
      await this.storage.put("token", step.token);
      // Only an answer the package read as the task is kept for the owner's reads; a throttled
      // or failed poll keeps the last one, and the last snapshot.
      if (answer !== null && step.snapshot) {
        await putText(this.storage, "answer", answer);
        await this.storage.put("answerRequestId", step.snapshot.requestId ?? null);
      }
      if (step.done) {
        await this.storage.put("state", { ...current, state: "done", snapshot: step.snapshot ?? current.snapshot, result: step.result });
        await this.grantDelivered(current.kind, step.result);
      } else {
        await this.storage.put("state", { ...current, snapshot: step.snapshot ?? current.snapshot ?? null });
        await this.storage.setAlarm(step.nextPollAt);
      }
    } catch (error) {
      await this.storage.put("state", { ...current, state: "failed", error: errorFields(error) });
    }
  }

  /** Asks the key's governor for this task's poll, as its owner's, waiting `since`. */
  async askToPoll(current, since) {
    const claim = { id: `task:${current.kind}:${current.taskId}`, priority: "poll", user: (await this.storage.get("owner")) ?? "?", since };
    return { claim, admission: await lineFor(this.env, providerOf(current.kind)).ask(claim) };
  }

  /** The owner may see what the task delivered (CONTACT_VISIBILITY=owner). */
  async grantDelivered(kind, result) {
    const owner = await this.storage.get("owner");
    const ids = (result?.delivered ?? []).map((item) => item.id);
    if (owner && ids.length && kind !== "salesfinity.email") await call(userStub(this.env, owner), "/grant", { kind, ids });
  }

  /** A callback arrived for this task: read it back, at most once per interval and never after
   *  the task ended; store it only if Salesfinity says it is done. */
  async confirm({ intervalMs }) {
    const current = await this.storage.get("state");
    if (!current?.taskId) return { confirmed: false, reason: "This task was not started through this proxy." };
    if (current.state !== "running") return { confirmed: current.state === "done", status: current.result?.status ?? null };
    const last = (await this.storage.get("lastConfirmAt")) ?? 0;
    if (Date.now() - last < intervalMs) return { confirmed: false, reason: "A read-back ran recently; the task's own polling goes on." };
    // Taken before the first await that leaves the object: callbacks arriving meanwhile see it
    // (they used to all pass this check while the first one asked the governor).
    await this.storage.put("lastConfirmAt", Date.now());
    // Through the key's governor as this task's poll: if the key is busy, the task's own
    // polling reads it back in its turn.
    const { claim, admission } = await this.askToPoll(current, Date.now());
    if (!admission.go) return { confirmed: false, reason: "The provider key is busy; the task's own polling reads it back in its turn." };
    const step = await client(this.env, current.kind, { claim, ticket: admission.ticket }).pollOnce(tokenFor(current.kind, current.taskId));
    if (step.done) await this.storage.put("state", { ...current, state: "done", result: step.result });
    return { confirmed: step.done, status: step.snapshot?.status ?? null };
  }
}

/** A long text in storage, in parts under the per-value limit (128 KiB on Cloudflare). */
const PART_CHARS = 32 * 1024;

async function putText(storage, key, text) {
  const parts = Math.max(1, Math.ceil(text.length / PART_CHARS));
  const entries = { [key]: parts };
  for (let i = 0; i < parts; i++) entries[`${key}:${i}`] = text.slice(i * PART_CHARS, (i + 1) * PART_CHARS);
  const names = Object.keys(entries);
  for (let i = 0; i < names.length; i += 128) await storage.put(Object.fromEntries(names.slice(i, i + 128).map((n) => [n, entries[n]])));
}

async function getText(storage, key) {
  const parts = await storage.get(key);
  if (typeof parts !== "number") return undefined;
  const names = Array.from({ length: parts }, (_, i) => `${key}:${i}`);
  let text = "";
  for (let i = 0; i < names.length; i += 128) {
    const found = await storage.get(names.slice(i, i + 128));
    for (const name of names.slice(i, i + 128)) text += found.get(name) ?? "";
  }
  return text;
}

/** A task just created, in its provider's answer shape: what its owner reads before the first
 *  poll (every contact pending). */
function pendingAnswer(kind, taskId, ids) {
  if (kind === "salesfinity.email") return { _id: taskId, status: "pending" };
  return { taskId, taskStatus: "pending", items: ids.map((personnelId) => ({ personnelId, status: "pending" })) };
}

// ---- answers -----------------------------------------------------------------------------------

function corsHeaders(origin) {
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, accept, x-call-source, x-unlock-group",
    "access-control-expose-headers": PASSED_HEADERS.join(", "),
    "access-control-max-age": "600",
    vary: "origin",
  };
}

/** One pattern for every secret this deployment holds, in every spelling (./secrets.js). */
let patternFor = { env: null, pattern: null };
function secrets(env) {
  if (patternFor.env !== env) patternFor = { env, pattern: secretPattern([env.LENSMOR_API_KEY, env.SALESFINITY_API_KEY, env.SESSION_SECRET, env.CALLBACK_SECRET]) };
  return patternFor.pattern;
}

/** The response with every secret replaced, in its body and its headers: whatever a provider
 *  echoes (a message, an errorKey, a traceId, a header, an HTML page) leaves without a key. */
async function redacted(response, env) {
  const pattern = secrets(env);
  if (!pattern || response.status === 101) return response;
  const clean = (text) => scrub(text, pattern);
  const headers = new Headers();
  for (const [name, value] of response.headers) headers.set(name, clean(value));
  const body = response.body ? clean(await response.text()) : null;
  return new Response(body, { status: response.status, headers });
}

function refusal(status, errorKey, message) {
  return Object.assign(new Error(message), { name: "UnlockError", code: "proxy", status, errorKey });
}

function validation(message) {
  return Object.assign(new Error(message), { name: "UnlockError", code: "validation", status: 400 });
}

function notFound() {
  return apiError(404, "TASK_NOT_FOUND", "No such task.");
}

function errorFields(error) {
  if (error?.code === "proxy" || (error?.code === "validation" && !(error instanceof UnlockError))) {
    return { code: error.code, status: error.status, errorKey: error.errorKey, message: error.message, retryAfterMs: error.retryAfterMs };
  }
  if (!(error instanceof UnlockError)) return { code: "server", status: 500, message: "The proxy failed." };
  return { code: error.code, status: error.status, message: error.message, errorKey: error.errorKey, traceId: error.traceId, field: error.field, retryAfterMs: error.retryAfterMs, details: error.details };
}

/** The status for an error code, as the package reads it back (an unknown code is a 500). */
function statusOf(code) {
  try {
    return proxyStatus(code);
  } catch {
    return 500;
  }
}

/** An error in the providers' ApiError shape, so the browser's client reads code and traceId. */
function errorResponse(error) {
  const fields = error instanceof Error ? errorFields(error) : error;
  // A provider's own status only when it is an error status (a 3xx named in the message is not).
  const status = fields.status >= 400 && fields.status <= 599 ? fields.status : statusOf(fields.code);
  // A 429's wait goes on to the client (the provider's Retry-After, or the key's line).
  const wait = status === 429 && Number.isFinite(fields.retryAfterMs) ? { "retry-after": String(Math.max(1, Math.ceil(fields.retryAfterMs / 1000))) } : {};
  return apiError(status, fields.errorKey ?? fields.code.toUpperCase(), fields.message, fields.traceId, wait, fields.details);
}

/** The providers' ApiError body; `details` as the provider sent them (a 422's limit: the
 *  browser's client cuts a group's parts by it). */
function apiError(status, errorKey, message, traceId = crypto.randomUUID(), headers = {}, details = undefined) {
  return Response.json({ code: status, message, errorKey, traceId, ...(details === undefined ? {} : { details }) }, { status, headers: { "x-request-id": traceId, ...headers } });
}

/** A response from a Durable Object stub has immutable headers: copy it to add CORS. */
function withHeaders(response, extra) {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(response.body, { status: response.status, headers });
}
