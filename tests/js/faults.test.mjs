// The fault matrix (RELIABILITY.md) against the sandbox's fault switches: nothing is lost,
// nothing is charged twice, no secret leaks. Rows already covered elsewhere are named in
// RELIABILITY.md; this file holds the rest.
import { test, before, after } from "node:test";
import http from "node:http";
import assert from "node:assert/strict";
import { startSandbox } from "../../sandbox/server.mjs";
import { UnlockClient, tokenFor } from "../../pkg/node.js";
import { idPicker, rejection, testSandbox } from "../support/sandbox.mjs";

const KEY = "uak_fault_secret_5e2d";
const FAST = { delaysMs: [40, 60, 100, 150], jitter: 0 };
const POLL = "/external/contacts/unlock-tasks/";
const CREATE = "/external/contacts/unlock";
let sandbox;

before(async () => {
  sandbox = await testSandbox({ speed: 40 });
});
after(() => sandbox.close());

const lensmor = (extra = {}) => new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url, polling: FAST, ...extra });
const faults = (list) => sandbox.faults(list);
const log = () => sandbox.requests();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ids = idPicker();
const start = (client, n = 1) => client.unlockEmails({ eventId: "139574", personnelIds: ids(n) });

test("polling: 429 with an HTTP-date Retry-After is waited out", async () => {
  const client = lensmor();
  const task = await start(client);
  const date = new Date(Date.now() + 2000).toUTCString();
  await faults([{ path: POLL, kind: "status", status: 429, errorKey: "RATE_LIMIT_EXCEEDED", headers: { "retry-after": date } }]);
  const events = [];
  const result = await client.waitForTask(task.token, { onEvent: (e) => events.push(e) });
  assert.equal(result.done, true);
  const throttled = events.find((e) => e.type === "throttled");
  assert.ok(throttled.retryAfterMs > 0 && throttled.retryAfterMs <= 2000, JSON.stringify(throttled));
  const polls = events.filter((e) => e.type === "poll").map((e) => e.at);
  assert.ok(polls[1] - polls[0] >= throttled.retryAfterMs - 5, "no poll before the date");
});

test("polling: 429 with no Retry-After keeps polling on the schedule", async () => {
  // A 429 without Retry-After closes the budget for a quarter window (15 s of Lensmor's
  // minute); a 1-second window keeps the test short.
  const client = lensmor({ rateLimit: { requests: 110, windowMs: 1000 } });
  const task = await start(client);
  await faults([{ path: POLL, kind: "status", status: 429, errorKey: "RATE_LIMIT_EXCEEDED", count: 3 }]);
  assert.equal((await client.waitForTask(task.token)).done, true);
});

test("polling: a connection reset mid-response is retried", async () => {
  const client = lensmor();
  const task = await start(client);
  await faults([{ path: POLL, kind: "reset", count: 2 }]);
  const codes = [];
  const result = await client.waitForTask(task.token, { onEvent: (e) => e.type === "retrying" && codes.push(e.code) });
  assert.equal(result.done, true);
  assert.deepEqual(codes, ["network", "network"]);
});

test("polling: items missing or duplicated between polls are never lost nor doubled", async () => {
  // Held until the first answer is in: it is whole and still running; every later one forgets
  // the first contact.
  await sandbox.hold();
  try {
    const client = lensmor();
    const selection = ids(3);
    const task = await client.unlockEmails({ eventId: "139574", personnelIds: selection });
    await faults([{ path: POLL, kind: "delay", delayMs: 0 }, { path: POLL, kind: "drop-items", count: 100 }]);
    let released;
    const result = await client.waitForTask(task.token, {
      onProgress: () => (released ??= sandbox.hold(false).then(() => sandbox.release(task.taskId))),
    });
    assert.deepEqual(await released, [task.taskId]);
    await sandbox.clearFaults();
    assert.deepEqual(result.items.map((i) => i.id).sort(), [...selection].sort(), "every contact is in the result");
    assert.ok(result.unresolved.some((i) => i.id === selection[0]), "the forgotten contact is listed as unresolved");

    const other = await start(client, 2);
    await faults([{ path: POLL, kind: "dup-items", count: 100 }]);
    const doubled = await client.waitForTask(other.token);
    await sandbox.clearFaults();
    assert.equal(new Set(doubled.items.map((i) => i.id)).size, doubled.items.length);
    assert.equal(doubled.items.length, 2);
  } finally {
    await sandbox.hold(false);
  }
});

test("polling: a task that 404s or a key revoked mid-way stops at once", async () => {
  for (const [status, code] of [[404, "not_found"], [401, "unauthorized"]]) {
    const client = lensmor();
    const task = await start(client);
    await faults([{ path: POLL, kind: "delay", delayMs: 0 }, { path: POLL, kind: "status", status, errorKey: "X" }]);
    const error = await rejection(client.waitForTask(task.token));
    assert.equal(error.code, code);
    const count = (await log()).filter((r) => r.path === POLL + task.taskId).length;
    await sleep(300);
    assert.equal((await log()).filter((r) => r.path === POLL + task.taskId).length, count, "no poll after the error");
    await sandbox.clearFaults();
  }
});

test("polling: an ApiError inside a 200, a huge body, and prototype-pollution JSON", async () => {
  const client = lensmor();
  const task = await start(client);
  await faults([{ path: POLL, kind: "body", status: 200, body: { code: 404, message: "expired", errorKey: "TASK_NOT_FOUND", traceId: "t-200" } }]);
  const error = await rejection(client.waitForTask(task.token));
  assert.deepEqual([error.code, error.traceId], ["not_found", "t-200"]);

  const big = await start(client);
  await faults([{ path: POLL, kind: "huge" }]);
  const codes = [];
  assert.equal((await client.waitForTask(big.token, { onEvent: (e) => e.type === "retrying" && codes.push(e.code) })).done, true);
  assert.deepEqual(codes, ["protocol"], "the huge body is refused unread, then polling goes on");

  const polluted = await start(client);
  const body = `{"taskId":"${polluted.taskId}","taskStatus":"completed","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"items":[{"personnelId":"__proto__","status":"unlocked","email":"x@y.example","__proto__":{"polluted":true}}]}`;
  await faults([{ path: POLL, kind: "body", status: 200, body, count: 5 }]);
  const result = await client.waitForTask(polluted.token);
  assert.equal({}.polluted, undefined);
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.equal(result.items[0].id, "__proto__");
  assert.equal(Object.getPrototypeOf(result.items[0]), Object.prototype);
  await sandbox.clearFaults();
});

test("creating: each refusal has its code; a 5xx or a lost answer says the outcome is unknown, and is never re-sent", async () => {
  const cases = [
    [{ status: 400 }, "validation"], [{ status: 422 }, "validation"],
    [{ status: 429, headers: { "retry-after": "7" } }, "rate_limited"], [{ status: 500 }, "server"], [{ status: 503 }, "server"],
  ];
  for (const [fault, code] of cases) {
    const before = (await log()).filter((r) => r.method === "POST" && r.path === CREATE).length;
    await faults([{ path: CREATE, method: "POST", kind: "status", errorKey: "FAULT", ...fault }]);
    const error = await rejection(start(lensmor()));
    assert.equal(error.code, code, JSON.stringify(fault));
    if (code === "rate_limited") assert.equal(error.retryAfterMs, 7000);
    assert.equal(/may have reached the provider/.test(error.message), code === "server", error.message);
    const after = (await log()).filter((r) => r.method === "POST" && r.path === CREATE).length;
    assert.equal(after - before, 1, "sent once, never retried");
  }
  await faults([{ path: CREATE, method: "POST", kind: "reset" }]);
  const lost = await rejection(start(lensmor()));
  assert.equal(lost.code, "network");
  assert.match(lost.message, /may have reached the provider: check the contacts' unlock state/);
});

test("lifecycle: abort while a request hangs rejects at once, not at the request timeout", async () => {
  const client = lensmor({ requestTimeoutMs: 20_000 });
  const task = await start(client);
  await faults([{ path: POLL, kind: "hang" }]);
  const controller = new AbortController();
  const waiting = client.waitForTask(task.token, { signal: controller.signal, onEvent: (e) => e.type === "wait" && setTimeout(() => controller.abort(), 150) });
  const started = Date.now();
  const error = await rejection(waiting);
  assert.equal(error.code, "aborted");
  assert.ok(Date.now() - started < 2000, "the request in flight was aborted");
});

test("lifecycle: a reload at every stage resumes the one task", async () => {
  const task = await start(lensmor(), 2);
  let token = task.token;
  for (let stage = 0; stage < 3; stage++) {
    const step = await lensmor().pollOnce(token); // a new page each time
    token = step.token;
    if (step.done) break;
  }
  const result = await lensmor().waitForTask(token);
  assert.equal(result.taskId, task.taskId);
  const creates = (await log()).filter((r) => r.method === "POST" && r.path === CREATE && r.body?.personnel_ids?.includes(result.items[0].id));
  assert.equal(creates.length, 1);
});

test("hostile ids stay one path segment; tampered tokens are refused", async () => {
  // Lensmor's task ids are decimal (OpenAPI 0.27): anything else is refused before it is sent.
  const sent = (await log()).length;
  for (const id of ["../../credits/balance", "a b", "50%", "é/ü", "..."]) {
    assert.throws(() => tokenFor("lensmor.email", id), (e) => e.code === "validation" && e.field === "taskId", id);
  }
  assert.equal((await log()).length, sent);
  // Salesfinity's are opaque: each stays one path segment.
  const salesfinity = new UnlockClient({ provider: "salesfinity", apiKey: "sf_faults", baseUrl: sandbox.url });
  const ENRICHMENT = "/v1/api/enrichment/email/";
  for (const id of ["../../credits/balance", "a b", "50%", "é/ü", "..."]) {
    const error = await rejection(salesfinity.getTask(tokenFor("salesfinity.email", id)));
    assert.equal(error.code, "not_found", id);
  }
  const paths = (await log()).slice(-5).map((r) => r.path);
  assert.ok(paths.every((p) => p.startsWith(ENRICHMENT) && !p.slice(ENRICHMENT.length).includes("/")), paths.join(" "));
  const client = lensmor();
  // "." and "..": URL parsers resolve them even percent-encoded, so they are no task ids.
  const before = (await log()).length;
  for (const id of [".", ".."]) {
    assert.throws(() => tokenFor("lensmor.email", id), (e) => e.code === "validation" && e.field === "taskId");
  }
  assert.equal((await log()).length, before);
  const token = tokenFor("lensmor.email", "321");
  const tampered = token.slice(0, -3) + (token.endsWith("A") ? "BBB" : "AAA");
  assert.equal((await rejection(client.waitForTask(tampered))).code, "validation");
});

test("hostile answers: JSON nested 4,400 deep is a protocol error, and the module works on", async () => {
  const client = lensmor({ maxRetries: 0 });
  const task = await start(client);
  const deep = `{"taskId":"${task.taskId}","taskStatus":"processing","items":${"[".repeat(4400)}${"]".repeat(4400)}}`;
  await faults([{ path: POLL + task.taskId, kind: "body", status: 200, body: deep }]);
  const error = await rejection(client.getTask(task.token));
  assert.equal(error.code, "protocol");
  assert.match(error.message, /nested more than 64 levels/);
  assert.equal((await client.waitForTask(task.token)).done, true, "the same client goes on");
});

test("secrets: a redirect is never followed, so the key never reaches another address", async () => {
  const stolen = [];
  const thief = http.createServer((req, res) => {
    stolen.push(req.headers);
    res.end("{}");
  });
  await new Promise((resolve) => thief.listen(0, "127.0.0.1", resolve));
  try {
    const location = `http://127.0.0.1:${thief.address().port}/collect`;
    for (const status of [301, 302, 307, 308]) {
      await faults([{ path: "/external/credits/balance", kind: "body", status, body: "", headers: { location } }]);
      const error = await rejection(lensmor().creditBalance());
      assert.deepEqual([error.code, error.status], ["protocol", status]);
      assert.match(error.message, new RegExp(`redirect \\(HTTP ${status}\\), which was not followed`));
    }
    const task = await start(lensmor());
    await faults([{ path: POLL, kind: "body", status: 302, body: "", headers: { location }, count: 2 }]);
    const result = await lensmor().waitForTask(task.token);
    assert.equal(result.done, true, "a redirected poll is retried like any unreadable answer");
    assert.deepEqual(stolen, [], "nothing reached the redirect target");
  } finally {
    await new Promise((r) => thief.close(r));
  }
});

test("the headers and fetch options: sent with every request, the package's own headers first", async () => {
  const seen = [];
  const fetchSpy = (url, init) => {
    seen.push({ url, redirect: init.redirect, headers: Object.fromEntries(init.headers) });
    return fetch(url, init);
  };
  let refreshed = 0;
  const client = lensmor({ fetch: fetchSpy, headers: async () => ({ "x-session": `s${++refreshed}`, authorization: "Bearer not-the-key" }) });
  await client.creditBalance();
  await client.precheckEmails({ eventId: "139574", personnelIds: ids(1) });
  assert.equal(seen.length, 2);
  assert.deepEqual(seen.map((s) => s.headers["x-session"]), ["s1", "s2"], "the function ran before each request");
  assert.ok(seen.every((s) => s.redirect === "manual" && s.headers.authorization === `Bearer ${KEY}`), "the key header is the package's");
  const fixed = lensmor({ fetch: fetchSpy, headers: { "x-team": "blue" } });
  await fixed.creditBalance();
  assert.equal(seen.at(-1).headers["x-team"], "blue");
  for (const bad of [{ "x-n": 1 }, ["x"], "x"]) {
    assert.throws(() => lensmor({ headers: bad }), (e) => e.code === "validation" && e.field === "headers");
  }
  const throwing = lensmor({ headers: () => { throw new Error("no session"); } });
  assert.equal((await rejection(throwing.creditBalance())).field, "headers");
  const notAResponse = lensmor({ fetch: async () => "nope" });
  assert.equal((await rejection(notAResponse.creditBalance())).code, "network");
});

test("secrets: the key is in no token, message, field, stack or log line", async () => {
  const printed = [];
  const original = console.error;
  console.error = (...args) => printed.push(args.map(String).join(" "));
  try {
    const client = lensmor({ requestTimeoutMs: 300 });
    const errors = [];
    const task = await start(client);
    const tokens = [task.token];
    await faults([{ path: POLL, kind: "status", status: 401, errorKey: "INVALID_API_KEY" }]);
    errors.push(await rejection(client.waitForTask(task.token, { onProgress: () => { throw new Error("a user callback bug"); } })));
    await faults([{ path: POLL, kind: "hang" }]);
    const slow = await start(client);
    tokens.push(slow.token);
    errors.push(await rejection(client.waitForTask(slow.token, { maxWaitMs: 50 })));
    errors.push(await rejection(client.unlockEmails({ eventId: "", personnelIds: [] })));
    errors.push(await rejection(new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: "http://127.0.0.1:9" }).creditBalance()));
    await faults([{ path: CREATE, method: "POST", kind: "reset" }]);
    errors.push(await rejection(start(client)));
    await sandbox.clearFaults();
    const everything = [
      ...tokens, ...printed,
      ...errors.flatMap((e) => [e.message, e.stack, JSON.stringify(e), JSON.stringify(Object.entries(e)), e.token ?? ""]),
    ].join("\n");
    assert.ok(errors.length === 5 && everything.length > 500);
    assert.ok(!everything.includes(KEY), "the key leaked");
  } finally {
    console.error = original;
  }
});

test("budget: 200 tasks tracked at once under 120 requests per window earn no 429", async () => {
  const limited = await startSandbox({ speed: 40, rateLimit: 120, rateWindowMs: 1000 });
  try {
    await fetch(`${limited.url}/__sandbox/config`, { method: "POST", body: JSON.stringify({ balance: { sf_budget: { salesfinity: 100000 } } }) });
    // The same budget as Lensmor's 120 a minute, on a 1-second window so the test is quick.
    const client = new UnlockClient({ provider: "salesfinity", apiKey: "sf_budget", baseUrl: limited.url, polling: { delaysMs: [100, 200, 400], jitter: 0.2 }, rateLimit: { requests: 110, windowMs: 1000 } });
    const tasks = await Promise.all(Array.from({ length: 200 }, (_, i) => client.enrichEmail({ linkedinUrl: `linkedin.com/in/person-${i}`, type: "work" })));
    const results = await Promise.all(tasks.map((t) => client.waitForTask(t.token)));
    assert.equal(results.filter((r) => r.done).length, 200);
    const requests = (await (await fetch(`${limited.url}/__sandbox/requests`)).json()).requests;
    assert.ok(requests.length >= 400, `${requests.length} requests`);
    assert.deepEqual(requests.filter((r) => r.status === 429), [], "no 429 earned");
  } finally {
    await limited.close();
  }
});
