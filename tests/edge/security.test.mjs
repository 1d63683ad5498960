// The edge worker attacked as someone who finds its URL would, in real workerd against the
// sandbox and a recording server. Every test counts what reached the provider.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { rmSync } from "node:fs";
import { installPackedPackage } from "../support/packed.mjs";
import { startEdgeWorker } from "../support/workerd.mjs";
import { testSandbox, idPicker } from "../support/sandbox.mjs";
import { sessionToken, signedIn } from "../support/session.mjs";

const LENSMOR_KEY = "uak_security_secret_4c1e";
const SALESFINITY_KEY = "sf_security_secret_90fa";
const SESSION_SECRET = "session-secret-security-77b2";
const CALLBACK_SECRET = "callback-secret-security-2e6d";
const SECRETS = [LENSMOR_KEY, SALESFINITY_KEY, SESSION_SECRET, CALLBACK_SECRET];
const DAILY = 300;
const PER_MINUTE = 40;
let sandbox, app, worker, recorder;
const ids = idPicker();
const seen = [];

before(async () => {
  sandbox = await testSandbox({ speed: 20 });
  recorder = await startRecorder();
  app = installPackedPackage();
  worker = await startEdgeWorker(app, {
    LENSMOR_API_KEY: LENSMOR_KEY, SALESFINITY_API_KEY: SALESFINITY_KEY, SESSION_SECRET, CALLBACK_SECRET,
    LENSMOR_BASE_URL: sandbox.url, SALESFINITY_BASE_URL: sandbox.url, ALLOWED_ORIGIN: "https://app.example",
    DAILY_CREDITS_PER_USER: String(DAILY), REQUESTS_PER_MINUTE_PER_USER: String(PER_MINUTE),
    UPSTREAM_TIMEOUT_MS: "1500", CALLBACK_INTERVAL_MS: "600000",
    // No background polls during these tests: every read at the sandbox is one a test caused.
    POLL_DELAYS_MS: "[600000]",
  });
});

after(async () => {
  worker?.close();
  await sandbox.close();
  await recorder.close();
  rmSync(app, { recursive: true, force: true });
});

/** A server that records every request it gets: the target of the redirects below. */
async function startRecorder() {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url, headers: req.headers });
    res.end("recorded");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

async function call(path, { method = "GET", body, user, headers = {} } = {}) {
  const auth = user ? signedIn(SESSION_SECRET, user) : {};
  const init = { method, headers: { ...auth, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await fetch(worker.url + path, init);
  const text = await response.text();
  seen.push(text, JSON.stringify([...response.headers]));
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed, text };
}

const UNLOCK = "/lensmor/external/contacts/unlock";
const unlockBody = (personnelIds) => ({ event_id: "139574", personnel_ids: personnelIds });
const count = async (filter) => (await sandbox.requests()).filter(filter).length;
const creates = (path = "/external/contacts/unlock") => count((r) => r.method === "POST" && r.path === path);

test("no valid session token, no request to the provider", async () => {
  const now = Math.floor(Date.now() / 1000);
  const tokens = {
    missing: null,
    malformed: "Bearer not-a-jwt",
    forged: `Bearer ${sessionToken("some-other-secret", "mallory")}`,
    expired: `Bearer ${sessionToken(SESSION_SECRET, "mallory", { seconds: -10 })}`,
    "not yet valid": `Bearer ${sessionToken(SESSION_SECRET, "mallory", { claims: { nbf: now + 3600 } })}`,
    "alg none": `Bearer ${sessionToken(SESSION_SECRET, "mallory", { header: { alg: "none" } })}`,
    "no sub": `Bearer ${sessionToken(SESSION_SECRET, "", {})}`,
    "no exp": `Bearer ${sessionToken(SESSION_SECRET, "mallory", { claims: { exp: undefined } })}`,
    "bad signature length": `Bearer ${sessionToken(SESSION_SECRET, "mallory").replace(/\.[\w-]+$/, ".abcde")}`,
  };
  const before = (await sandbox.requests()).length;
  for (const [what, authorization] of Object.entries(tokens)) {
    for (const path of [UNLOCK, "/lensmor/external/credits/balance", "/lensmor/external/personnel/list?event_id=139574", "/tasks/lensmor.email/321"]) {
      const method = path === UNLOCK ? "POST" : "GET";
      const answer = await call(path, { method, body: method === "POST" ? unlockBody(["789"]) : undefined, headers: authorization ? { authorization } : {} });
      assert.equal(answer.status, 401, `${what} ${path}`);
      assert.equal(answer.body.errorKey, "UNAUTHORIZED");
    }
  }
  assert.equal((await sandbox.requests()).length, before, "nothing reached the provider");
});

test("a user's daily credit budget: a start over it is refused with nothing sent; skipped contacts are given back, once each", async () => {
  const user = "budget-user";
  const budget = async () => (await call("/budget", { user })).body;
  assert.deepEqual(await budget(), { limit: DAILY, spent: 0, held: 0, remaining: DAILY, day: new Date().toISOString().slice(0, 10) });
  // 3 fresh contacts, 99999 (no such contact) and 794 (unlocked before, by the key): 75
  // reserved; 15 given back for the missing one. 794 was not charged by Lensmor, but this user
  // did not unlock it: with CONTACT_VISIBILITY=owner (the default) their budget pays its 15
  // and they are shown it from now on.
  const started = await call(UNLOCK, { method: "POST", user, body: unlockBody([...ids(3), "99999", "794"]) });
  assert.equal(started.status, 201, started.text);
  assert.deepEqual(started.body.skipped_personnel_ids.sort(), ["794", "99999"]);
  assert.equal((await budget()).spent, 60);
  // One phone is 150: 60 + 150 fits; a second does not (360 > 300).
  assert.equal((await call("/lensmor/external/contacts/unlock-phone", { method: "POST", user, body: unlockBody(ids(1)) })).status, 201);
  const phonesBefore = await creates("/external/contacts/unlock-phone");
  const refused = await call("/lensmor/external/contacts/unlock-phone", { method: "POST", user, body: unlockBody(ids(1)) });
  assert.equal(refused.status, 402);
  assert.equal(refused.body.errorKey, "USER_BUDGET_EXCEEDED");
  assert.match(refused.body.message, /up to 150 credits; 90 of your 300/);
  assert.equal(await creates("/external/contacts/unlock-phone"), phonesBefore, "the refused start sent nothing");
  // Another user's budget is their own.
  assert.equal((await call("/lensmor/external/contacts/unlock-phone", { method: "POST", user: "other-budget-user", body: unlockBody(ids(1)) })).status, 201);
});

test("contact visibility: a value is shown only to the user who unlocked it (or paid for it); others read the record as locked", async () => {
  const profile = (user, id) => call(`/lensmor/external/personnel/profile?personnel_id=${id}`, { user });
  // 805 was unlocked before any user of this deployment: nobody has paid for it here.
  const stranger = await profile("visibility-stranger", "805");
  assert.equal(stranger.status, 200);
  assert.deepEqual([stranger.body.email, stranger.body.contactUnlockStatus], [null, "locked"]);
  // A user who starts it pays from their budget (Lensmor charges the key nothing) and sees it.
  const owner = "visibility-owner";
  const start = await call(UNLOCK, { method: "POST", user: owner, body: unlockBody(["805"]) });
  assert.equal(start.status, 201, start.text);
  assert.equal((await call("/budget", { user: owner })).body.spent, 15);
  const mine = await profile(owner, "805");
  assert.match(mine.body.email, /@/);
  assert.equal(mine.body.contactUnlockStatus, "unlocked");
  assert.equal((await profile("visibility-stranger", "805")).body.email, null, "still hidden from the others");
  // The list page: the owner sees 805's email; another user sees no email on the page at all
  // (every contact unlocked before was unlocked by nobody of this deployment).
  const page = (user) => call("/lensmor/external/personnel/list?event_id=139574&page=1&pageSize=50", { user });
  const theirs = (await page("visibility-stranger")).body.items;
  assert.equal(theirs.length, 50);
  assert.deepEqual(theirs.filter((i) => i.email !== null || i.contactUnlockStatus === "unlocked"), []);
  const ownersView = (await page(owner)).body.items.filter((i) => i.email !== null).map((i) => i.id);
  assert.deepEqual(ownersView, ["805"]);
});

test("a user's request rate: past the limit, 429 with Retry-After", async () => {
  const statuses = [];
  for (let i = 0; i < PER_MINUTE + 1; i++) statuses.push((await call("/budget", { user: "rate-user" })).status);
  assert.deepEqual(statuses.slice(0, PER_MINUTE), Array(PER_MINUTE).fill(200));
  const last = await call("/budget", { user: "rate-user" });
  assert.equal(last.status, 429);
  assert.equal(last.body.errorKey, "USER_RATE_LIMITED");
  assert.ok(Number(last.headers.get("retry-after")) >= 1);
  assert.equal((await call("/budget", { user: "someone-else" })).status, 200, "other users are not slowed");
});

test("tasks are readable only by their owner", async () => {
  const started = await call(UNLOCK, { method: "POST", user: "owner-a", body: unlockBody(ids(1)) });
  const taskId = started.body.task_id;
  const reads = () => count((r) => r.path === `/external/contacts/unlock-tasks/${taskId}`);
  const before = await reads();
  const foreign = await call(`/lensmor/external/contacts/unlock-tasks/${taskId}`, { user: "owner-b" });
  assert.equal(foreign.status, 404);
  assert.equal((await call(`/tasks/lensmor.email/${taskId}`, { user: "owner-b" })).status, 404);
  assert.equal((await call("/lensmor/external/contacts/unlock-tasks/999999", { user: "owner-b" })).status, 404, "the same answer as no task");
  assert.equal((await call("/tasks/lensmor.email/%E0%A4%A", { user: "owner-b" })).status, 404, "a broken encoding is no task either");
  assert.equal((await call("/lensmor/external/contacts/unlock-tasks/%E0%A4%A", { user: "owner-b" })).status, 404);
  assert.equal(await reads(), before, "the foreign read reached nobody");
  assert.equal((await call(`/lensmor/external/contacts/unlock-tasks/${taskId}`, { user: "owner-a" })).status, 200);
  assert.equal((await call(`/tasks/lensmor.email/${taskId}`, { user: "owner-a" })).body.state, "running");
});

test("20 parallel starts of one selection make one create, and every caller gets that task", async () => {
  const selection = ids(3);
  const variants = Array.from({ length: 20 }, (_, i) => {
    const list = i % 2 ? [...selection].reverse() : [...selection];
    if (i % 3 === 0) list.push(selection[0]); // a duplicate
    if (i % 4 === 0) list[0] = ` ${list[0]} `; // padded
    return list;
  });
  const before = await creates();
  const answers = await Promise.all(variants.map((list) => call(UNLOCK, { method: "POST", user: "crowd", body: unlockBody(list) })));
  assert.deepEqual(answers.map((a) => a.status), Array(20).fill(201));
  assert.equal(new Set(answers.map((a) => a.body.task_id)).size, 1, "one task for all");
  assert.equal(await creates(), before + 1, "one create at the provider");

  const slugs = ["linkedin.com/in/ada-lovelace-sec", "https://www.linkedin.com/in/Ada-Lovelace-Sec/", "https://uk.linkedin.com/in/ada%2Dlovelace%2Dsec", "linkedin.com/in/ADA-LOVELACE-SEC?trk=x"];
  const lookupsBefore = await creates("/v1/api/enrichment/email");
  const lookups = await Promise.all(Array.from({ length: 20 }, (_, i) => call("/salesfinity/v1/api/enrichment/email", { method: "POST", user: "crowd", body: { linkedin_url: slugs[i % slugs.length], type: "work" } })));
  assert.equal(new Set(lookups.map((a) => a.body._id)).size, 1);
  assert.equal(await creates("/v1/api/enrichment/email"), lookupsBefore + 1, "one paid lookup");
});

test("keys never follow a redirect: a provider's 3xx is an error naming it, and the target gets nothing", async () => {
  const redirect = (path, method = "GET") => ({ path, method, kind: "body", status: 302, body: "", headers: { location: `${recorder.url}/stolen` } });
  await sandbox.faults([redirect("/external/credits/balance")]);
  const balance = await call("/lensmor/external/credits/balance", { user: "redirected" });
  assert.equal(balance.status, 502);
  assert.equal(balance.body.errorKey, "UPSTREAM_REDIRECT");
  assert.match(balance.body.message, /HTTP 302/);
  // A start, through the package's own requests.
  await sandbox.faults([redirect("/external/contacts/unlock", "POST")]);
  const start = await call(UNLOCK, { method: "POST", user: "redirected", body: unlockBody(ids(1)) });
  assert.equal(start.status, 502);
  assert.match(start.body.message, /redirect \(HTTP 302\)/);
  assert.equal(recorder.requests.length, 0, "nothing, let alone a key, reached the redirect target");
});

test("provider text that echoes a key leaves without it, in any spelling", async () => {
  const echo = { code: 400, message: `Invalid key ${LENSMOR_KEY}`, errorKey: `KEY_${LENSMOR_KEY}`, traceId: encodeURIComponent(LENSMOR_KEY) };
  const bytes = (text) => Buffer.from(text);
  const spellings = {
    upper: LENSMOR_KEY.toUpperCase(),
    escaped: [...LENSMOR_KEY].map((c, i) => (i % 2 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : c)).join(""),
    base64: bytes(`Basic ${LENSMOR_KEY}:x`).toString("base64"),
    base64url: bytes(`k=${LENSMOR_KEY}`).toString("base64url"),
    hex: bytes(LENSMOR_KEY).toString("hex"),
  };
  await sandbox.faults([{ path: "/external/credits/balance", kind: "body", status: 400, body: `{"code":400,"errorKey":"ECHO","traceId":"t","message":"${Object.values(spellings).join(" ")}"}` }]);
  const transformed = await call("/lensmor/external/credits/balance", { user: "echo" });
  assert.equal(transformed.status, 400);
  for (const [name, spelling] of Object.entries(spellings)) {
    assert.ok(!transformed.text.includes(spelling.replaceAll("\\\\", "\\")), `the ${name} spelling left: ${transformed.text}`);
  }
  assert.equal(transformed.text.match(/\[redacted\]/g)?.length, 5);
  await sandbox.faults([
    { path: "/external/credits/balance", kind: "body", status: 400, body: echo, headers: { "x-request-id": LENSMOR_KEY } },
    { path: "/external/personnel/list", kind: "body", status: 200, body: `<html>${LENSMOR_KEY} ${SESSION_SECRET}</html>` },
    { path: "/external/contacts/unlock", method: "POST", kind: "body", status: 400, body: echo },
  ]);
  const answers = [
    await call("/lensmor/external/credits/balance", { user: "echo" }),
    await call("/lensmor/external/personnel/list?event_id=139574", { user: "echo" }),
    await call(UNLOCK, { method: "POST", user: "echo", body: unlockBody(ids(1)) }),
  ];
  assert.deepEqual(answers.map((a) => a.status), [400, 200, 400]);
  const all = answers.map((a) => a.text + JSON.stringify([...a.headers])).join("\n");
  for (const secret of SECRETS) assert.ok(!all.includes(secret) && !all.includes(encodeURIComponent(secret)), "a secret left");
  assert.match(all, /\[redacted\]/);
});

test("bounded work: a huge body is refused unparsed beside a normal request; a huge or hung answer is cut off", async () => {
  const flood = JSON.stringify(unlockBody(Array.from({ length: 100_000 }, (_, i) => `id-${i}`)));
  assert.ok(flood.length > 800_000);
  const before = await creates();
  const [huge, normal] = await Promise.all([
    call(UNLOCK, { method: "POST", user: "bounded", body: flood }),
    call("/budget", { user: "bounded-other" }),
  ]);
  assert.equal(huge.status, 413);
  assert.equal(huge.body.errorKey, "BODY_TOO_LARGE");
  assert.equal(normal.status, 200);
  assert.equal(await creates(), before);
  // Under the size limit but past the batch: refused by count (ten times the batch in
  // duplicates would be past the size limit first: validate.rs › selection_limits covers it).
  const many = await call(UNLOCK, { method: "POST", user: "bounded", body: unlockBody(Array.from({ length: 2001 }, (_, i) => `i${i}`)) });
  assert.equal(many.status, 400);
  assert.match(many.body.message, /2001 contacts selected; at most 2000/);

  await sandbox.faults([{ path: "/external/credits/balance", kind: "huge" }]);
  const big = await call("/lensmor/external/credits/balance", { user: "bounded" });
  assert.deepEqual([big.status, big.body.errorKey], [502, "UPSTREAM_TOO_LARGE"]);
  await sandbox.faults([{ path: "/external/credits/balance", kind: "hang" }]);
  const hung = await call("/lensmor/external/credits/balance", { user: "bounded" });
  assert.deepEqual([hung.status, hung.body.errorKey], [504, "UPSTREAM_TIMEOUT"]);
  // Headers at once, then a byte every 100 ms: past UPSTREAM_TIMEOUT_MS it is a timeout too.
  await sandbox.faults([{ path: "/external/credits/balance", kind: "trickle", everyMs: 100 }]);
  const trickled = await call("/lensmor/external/credits/balance", { user: "bounded" });
  assert.deepEqual([trickled.status, trickled.body.errorKey], [504, "UPSTREAM_TIMEOUT"]);
});

test("odd upstream: a create answer naming another user's task never moves it to the new user", async () => {
  await sandbox.hold();
  const first = await call(UNLOCK, { method: "POST", user: "task-owner", body: unlockBody(ids(2)) });
  assert.equal(first.status, 201, first.text);
  const taskId = first.body.task_id;
  // The provider answers another user's start with the same task id.
  await sandbox.faults([{ path: "/external/contacts/unlock", method: "POST", kind: "body", status: 201, body: { status: "accepted", task_id: taskId, job_id: taskId } }]);
  const second = await call(UNLOCK, { method: "POST", user: "task-thief", body: unlockBody(ids(2)) });
  assert.deepEqual([second.status, second.body.errorKey], [502, "UPSTREAM_TASK_TAKEN"]);
  assert.equal((await call(`/lensmor/external/contacts/unlock-tasks/${taskId}`, { user: "task-thief" })).status, 404);
  assert.equal((await call(`/tasks/lensmor.email/${taskId}`, { user: "task-thief" })).status, 404);
  const owners = await call(`/lensmor/external/contacts/unlock-tasks/${taskId}`, { user: "task-owner" });
  assert.equal(owners.status, 200);
  assert.equal(owners.body.taskId, taskId);
  await sandbox.hold(false);
  await sandbox.release();
});

test("odd upstream: a start refused with 429 passes Retry-After on; a user's read of a task costs no request upstream", async () => {
  await sandbox.faults([{ path: "/external/contacts/unlock", method: "POST", kind: "status", status: 429, errorKey: "RATE_LIMIT_EXCEEDED", headers: { "retry-after": "2" } }]);
  const refused = await call(UNLOCK, { method: "POST", user: "throttled", body: unlockBody(ids(1)) });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "2");
  // The key's governor learned the wait: the next start waits in line for it, then goes.
  await sandbox.hold();
  const started = await call(UNLOCK, { method: "POST", user: "reader", body: unlockBody(ids(3)) });
  assert.equal(started.status, 201, started.text);
  const path = `/external/contacts/unlock-tasks/${started.body.task_id}`;
  const before = await count((r) => r.path === path);
  for (let i = 0; i < 5; i++) {
    const read = await call(`/lensmor${path}`, { user: "reader" });
    assert.equal(read.status, 200);
    // Before the task object's first poll: the task as created, every contact pending.
    assert.deepEqual(read.body.items.map((item) => item.status), ["pending", "pending", "pending"]);
  }
  assert.equal(await count((r) => r.path === path), before, "no read went upstream");
  await sandbox.hold(false);
  await sandbox.release();
});

test("callbacks: the secret is required, reads are throttled, and the callback URL is the worker's own", async () => {
  await sandbox.hold();
  const created = await call("/salesfinity/v1/api/enrichment/email", { method: "POST", user: "callbacks", body: { linkedin_url: "linkedin.com/in/grace-callback", type: "work", callback_url: "https://evil.example/steal" } });
  await sandbox.hold(false);
  const id = created.body._id;
  const sent = (await sandbox.requests()).filter((r) => r.path === "/v1/api/enrichment/email").at(-1);
  assert.equal(sent.body.callback_url, undefined, "the caller's callback_url is not passed on (no PUBLIC_URL here)");
  const reads = () => count((r) => r.path === `/v1/api/enrichment/email/${id}`);
  const before = await reads();
  const anonymous = await call("/callbacks/salesfinity", { method: "POST", body: { _id: id } });
  assert.equal(anonymous.status, 404);
  const burst = await Promise.all(Array.from({ length: 200 }, () => call(`/callbacks/salesfinity?secret=${CALLBACK_SECRET}`, { method: "POST", body: { _id: id, status: "completed" } })));
  assert.ok(burst.every((a) => a.status === 200 && a.body.confirmed === false));
  assert.equal(await reads(), before + 1, "200 callbacks, one read");
});

test("no response of the worker carried a secret", () => {
  assert.ok(seen.length > 100);
  const all = seen.join("\n");
  for (const secret of SECRETS) assert.ok(!all.includes(secret), "a secret appeared in a response");
});
