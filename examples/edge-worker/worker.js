// The edge side of unlock-tasks: a proxy that keeps the provider keys on the server.
//
// The browser uses the package as usual, pointed at this worker:
//   new UnlockClient({ provider: "lensmor", baseUrl: "https://<worker>/lensmor" })
// The worker answers only the routes a browser needs, in the providers' own shapes, and adds
// the key. Starts are validated by the package before anything is spent, and made once per
// selection: a Durable Object named after the selection creates the task, then drives it to
// the end with alarms (pollOnce at the times the token asks for) and keeps the result, so a
// browser can close and come back to a finished task. Salesfinity callbacks are hints,
// confirmed by reading the request back before they are believed (they are not signed).
//
// env: LENSMOR_API_KEY, SALESFINITY_API_KEY, ALLOWED_ORIGIN (the page's origin), TASKS (the
// Durable Object namespace; optional: without it starts go straight to the provider and
// nothing polls in the background), and for tests LENSMOR_BASE_URL, SALESFINITY_BASE_URL,
// POLL_DELAYS_MS (a JSON array).
import { UnlockClient, UnlockError, checkEnrichInput, checkUnlockInput, tokenFor } from "unlock-tasks";

const PROVIDERS = {
  lensmor: { base: "LENSMOR_BASE_URL", key: "LENSMOR_API_KEY", auth: (key) => ({ authorization: `Bearer ${key}` }) },
  salesfinity: { base: "SALESFINITY_BASE_URL", key: "SALESFINITY_API_KEY", auth: (key) => ({ "x-api-key": key }) },
};

/** The only routes served, each one documented by its provider. `start` routes create tasks;
 *  the rest are forwarded with only the query parameters named in `query` (Lensmor OpenAPI 0.25). */
const ROUTES = [
  { method: "GET", path: /^\/lensmor\/external\/credits\/balance$/ },
  { method: "GET", path: /^\/lensmor\/external\/personnel\/list$/, query: ["event_id", "page", "pageSize", "exhibitor_id", "department", "level", "search_query", "sourceType"] },
  { method: "GET", path: /^\/lensmor\/external\/personnel\/profile$/, query: ["personnel_id"] },
  { method: "POST", path: /^\/lensmor\/external\/actions\/precheck$/, check: "precheck" },
  { method: "POST", path: /^\/lensmor\/external\/contacts\/unlock$/, start: "lensmor.email" },
  { method: "POST", path: /^\/lensmor\/external\/contacts\/unlock-phone$/, start: "lensmor.phone" },
  { method: "GET", path: /^\/lensmor\/external\/contacts\/unlock(-phone)?-tasks\/[^/]+$/ },
  { method: "GET", path: /^\/salesfinity\/v1\/api\/enrichment\/credits$/ },
  { method: "POST", path: /^\/salesfinity\/v1\/api\/enrichment\/email$/, start: "salesfinity.email" },
  { method: "GET", path: /^\/salesfinity\/v1\/api\/enrichment\/email\/[^/]+$/ },
];

/** Response headers passed on from the provider; nothing else (no cookies, no server details). */
const PASSED_HEADERS = ["content-type", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-request-id"];

export default {
  fetch: (request, env) => handle(request, env),
};

export async function handle(request, env) {
  const url = new URL(request.url);
  const origin = request.headers.get("origin");
  if (origin && origin !== env.ALLOWED_ORIGIN) return apiError(403, "ORIGIN_NOT_ALLOWED", "This origin may not use this proxy.");
  const cors = origin ? corsHeaders(origin) : {};
  if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
  try {
    return withHeaders(await route(request, url, env), cors);
  } catch (error) {
    return withHeaders(errorResponse(error), cors);
  }
}

async function route(request, url, env) {
  if (request.method === "POST" && url.pathname === "/callbacks/salesfinity") return salesfinityCallback(request, env);
  const task = /^\/tasks\/([a-z.]+)\/([^/]+)$/.exec(url.pathname);
  if (request.method === "GET" && task) return taskState(env, task[1], decodeURIComponent(task[2]));
  const match = ROUTES.find((r) => r.method === request.method && r.path.test(url.pathname));
  if (!match) return apiError(404, "NO_SUCH_ROUTE", "This proxy does not serve that route.");
  if (match.start) return start(match.start, await request.json().catch(() => null), env);
  const body = match.check === "precheck" ? JSON.stringify(precheckBody(await request.json().catch(() => null))) : undefined;
  return forward(env, url, request.method, body, request.headers, match.query ?? []);
}

// ---- starts: validated, once per selection ------------------------------------------------------

/** The provider's create body, read into the package's input shape and checked. */
function startInput(kind, body) {
  if (!body || typeof body !== "object") throw validation("The body must be a JSON object.");
  if (kind === "salesfinity.email") {
    const input = { linkedinUrl: body.linkedin_url, type: body.type, callbackUrl: body.callback_url, externalId: body.external_id };
    return { input, key: checkEnrichInput(input).key };
  }
  const input = { eventId: body.event_id, personnelIds: body.personnel_ids };
  return { input, key: checkUnlockInput(kind, input).key };
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

async function start(kind, body, env) {
  const { input, key } = startInput(kind, body);
  const started = env.TASKS
    ? await (await env.TASKS.get(env.TASKS.idFromName(`start:${key}`)).fetch("https://do/start", { method: "POST", body: JSON.stringify({ kind, input }) })).json()
    : await create(env, kind, input);
  if (started.error) return errorResponse(started.error);
  return Response.json(createdAnswer(started), { status: 201 });
}

/** The provider's create answer (`ContactUnlockSubmission`), so the browser's client reads it
 *  as usual, skip reasons included. */
function createdAnswer(started) {
  if (started.kind === "salesfinity.email") return { _id: started.taskId, status: started.providerStatus || "pending" };
  const detail = started.skippedDetail && typeof started.skippedDetail === "object" ? { skipped_detail: started.skippedDetail } : {};
  const skipped = { skipped_personnel_ids: started.skippedIds, ...detail };
  if (!started.started) return { status: "success", ...skipped };
  return { status: "accepted", task_id: started.taskId, job_id: started.taskId, ...skipped };
}

function client(env, kind) {
  const provider = PROVIDERS[kind.split(".")[0]];
  const delays = env.POLL_DELAYS_MS ? JSON.parse(env.POLL_DELAYS_MS) : undefined;
  return new UnlockClient({ provider: kind.split(".")[0], apiKey: env[provider.key], baseUrl: env[provider.base] || undefined, polling: delays && { delaysMs: delays } });
}

function create(env, kind, input) {
  const c = client(env, kind);
  return kind === "salesfinity.email" ? c.enrichEmail(input) : kind === "lensmor.phone" ? c.unlockPhones(input) : c.unlockEmails(input);
}

// ---- forwarding ------------------------------------------------------------------------------

async function forward(env, url, method, body, incoming, queryNames) {
  const [, name, ...rest] = url.pathname.split("/");
  const provider = PROVIDERS[name];
  const base = (env[provider.base] || (name === "lensmor" ? "https://platform.lensmor.com" : "https://client-api.salesfinity.co")).replace(/\/$/, "");
  const headers = { accept: "application/json", ...provider.auth(env[provider.key]) };
  if (body) headers["content-type"] = "application/json";
  const callSource = incoming.get("x-call-source");
  if (name === "lensmor" && (callSource === "api" || callSource === "agent")) headers["x-call-source"] = callSource;
  let upstream;
  try {
    const query = new URLSearchParams();
    for (const [name, value] of url.searchParams) if (queryNames.includes(name)) query.append(name, value);
    const search = query.size ? `?${query}` : "";
    upstream = await fetch(`${base}/${rest.join("/")}${search}`, { method, headers, body });
  } catch {
    return apiError(502, "UPSTREAM_UNREACHABLE", "The provider could not be reached.");
  }
  const passed = new Headers();
  for (const header of PASSED_HEADERS) if (upstream.headers.has(header)) passed.set(header, upstream.headers.get(header));
  return new Response(await upstream.text(), { status: upstream.status, headers: passed });
}

// ---- task state and callbacks ------------------------------------------------------------------

function taskStub(env, kind, taskId) {
  return env.TASKS.get(env.TASKS.idFromName(`task:${kind}:${taskId}`));
}

async function taskState(env, kind, taskId) {
  if (!env.TASKS) return apiError(404, "NO_BACKGROUND", "This deployment keeps no task state.");
  tokenFor(kind, taskId); // validates kind and id
  return taskStub(env, kind, taskId).fetch("https://do/state");
}

/** A callback is a hint: the request is read back from Salesfinity before anything is stored. */
async function salesfinityCallback(request, env) {
  const hint = await request.json().catch(() => null);
  const id = typeof hint?._id === "string" ? hint._id : null;
  if (!id) return apiError(400, "INVALID_CALLBACK", "A callback must name the request's _id.");
  if (env.TASKS) return taskStub(env, "salesfinity.email", id).fetch("https://do/confirm", { method: "POST" });
  const step = await client(env, "salesfinity.email").pollOnce(tokenFor("salesfinity.email", id));
  return Response.json({ confirmed: step.done, status: step.snapshot?.status ?? null });
}

// ---- the Durable Object ------------------------------------------------------------------------

/** One per selection (`start:<key>`: creates once) and one per task (`task:<kind>:<id>`: polls). */
export class UnlockTasks {
  constructor(state, env) {
    this.storage = state.storage;
    this.env = env;
  }

  async fetch(request) {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === "/start") return Response.json(await this.start(await request.json()));
      if (pathname === "/track") return Response.json(await this.track(await request.json()));
      if (pathname === "/state") return Response.json((await this.storage.get("state")) ?? { state: "unknown" });
      if (pathname === "/confirm") return Response.json(await this.confirm());
      return apiError(404, "NO_SUCH_ROUTE", "unknown");
    } catch (error) {
      return Response.json({ error: errorFields(error) });
    }
  }

  /** Creates the task unless this selection's task is still running: then that one. */
  async start({ kind, input }) {
    const previous = await this.storage.get("started");
    if (previous?.started) {
      const state = await (await taskStub(this.env, previous.kind, previous.taskId).fetch("https://do/state")).json();
      if (state.state === "running") return { ...previous, reused: true };
    }
    const started = await create(this.env, kind, input);
    await this.storage.put("started", started);
    if (started.started) {
      await taskStub(this.env, kind, started.taskId).fetch("https://do/track", { method: "POST", body: JSON.stringify(started) });
    }
    return started;
  }

  async track(started) {
    await this.storage.put("token", started.token);
    await this.storage.put("state", { state: "running", kind: started.kind, taskId: started.taskId });
    const delays = this.env.POLL_DELAYS_MS ? JSON.parse(this.env.POLL_DELAYS_MS) : [3000];
    await this.storage.setAlarm(started.createdAt + delays[0]);
    return { tracking: true };
  }

  /** One poll per alarm, at the time the token asks for. */
  async alarm() {
    const current = await this.storage.get("state");
    const token = await this.storage.get("token");
    if (!token || current?.state !== "running") return;
    try {
      const step = await client(this.env, current.kind).pollOnce(token);
      await this.storage.put("token", step.token);
      if (step.done) {
        await this.storage.put("state", { ...current, state: "done", result: step.result });
      } else {
        await this.storage.put("state", { ...current, snapshot: step.snapshot });
        await this.storage.setAlarm(step.nextPollAt);
      }
    } catch (error) {
      await this.storage.put("state", { ...current, state: "failed", error: errorFields(error) });
    }
  }

  /** A callback arrived for this task: read it back; store it only if Salesfinity says it is done. */
  async confirm() {
    const current = await this.storage.get("state");
    if (!current?.taskId) return { confirmed: false, reason: "This task was not started through this proxy." };
    const step = await client(this.env, current.kind).pollOnce(tokenFor(current.kind, current.taskId));
    if (step.done) await this.storage.put("state", { ...current, state: "done", result: step.result });
    return { confirmed: step.done, status: step.snapshot?.status ?? null };
  }
}

// ---- answers -----------------------------------------------------------------------------------

function corsHeaders(origin) {
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "content-type, accept, x-call-source",
    "access-control-expose-headers": PASSED_HEADERS.join(", "),
    "access-control-max-age": "600",
    vary: "origin",
  };
}

function validation(message) {
  return Object.assign(new Error(message), { name: "UnlockError", code: "validation", status: 400 });
}

function errorFields(error) {
  if (!(error instanceof UnlockError)) return { code: "server", status: 500, message: "The proxy failed." };
  return { code: error.code, status: error.status, message: error.message, errorKey: error.errorKey, traceId: error.traceId, field: error.field };
}

const STATUS_OF = { validation: 400, unauthorized: 401, payment_required: 402, not_found: 404, conflict: 409, rate_limited: 429, network: 502, timeout: 504, protocol: 502 };

/** An error in the providers' ApiError shape, so the browser's client reads code and traceId. */
function errorResponse(error) {
  const fields = error instanceof Error ? errorFields(error) : error;
  const status = fields.status ?? STATUS_OF[fields.code] ?? 500;
  return apiError(status, fields.errorKey ?? fields.code.toUpperCase(), fields.message, fields.traceId);
}

function apiError(status, errorKey, message, traceId = crypto.randomUUID()) {
  return Response.json({ code: status, message, errorKey, traceId }, { status, headers: { "x-request-id": traceId } });
}

/** A copy with more headers (a Durable Object's response has immutable headers). */
function withHeaders(response, headers) {
  const copy = new Response(response.body, response);
  for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
  return copy;
}
