// The built package (pkg/node.js) in Node, with real fetch and timers, against the sandbox.
// Run by `npm test` after `npm run build`; or alone: node --test tests/js/node.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSandbox } from "../../sandbox/server.mjs";
import { UnlockClient, UnlockError, parseTaskResponse } from "../../pkg/node.js";
import { idPicker, outcomeFor, rejection, testSandbox } from "../support/sandbox.mjs";

const KEY = "uak_node_secret_7f3a";
const FAST = { delaysMs: [40, 60, 100, 150], jitter: 0 };
let sandbox;

before(async () => {
  sandbox = await testSandbox({ speed: 40 });
});
after(() => sandbox.close());

const lensmor = (extra = {}) => new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url, polling: FAST, ...extra });
const salesfinity = (extra = {}) => new UnlockClient({ provider: "salesfinity", apiKey: "sf_node_secret", baseUrl: sandbox.url, polling: FAST, ...extra });

const requests = () => sandbox.requests();
const faults = (list) => sandbox.faults(list);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Fresh personnel ids for each test, so tests never see each other's unlocks. */
const ids = idPicker();

function assertNoKey(value) {
  const text = JSON.stringify(value, Object.getOwnPropertyNames(value ?? {})) + String(value?.stack ?? "");
  assert.ok(!text.includes(KEY) && !text.includes("sf_node_secret"), `a key leaked: ${text}`);
}

test("unlock emails, wait, and every outcome is listed", async () => {
  const client = lensmor();
  const before = (await client.creditBalance()).balance;
  const selection = ids(6);
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: selection });
  assert.equal(task.started, true);
  assert.equal(task.kind, "lensmor.email");
  assert.equal(typeof task.token, "string");
  assertNoKey(task);
  const result = await client.waitForTask(task.token);
  assert.equal(result.status, "completed");
  assert.equal(result.items.length, 6);
  // The sandbox's fixtures say how each contact ends.
  const expect = (outcome) => selection.filter((id) => outcomeFor(id) === outcome).sort();
  assert.deepEqual(result.failed.map((i) => i.id).sort(), expect("failed"));
  assert.deepEqual(result.noValue.map((i) => i.id).sort(), expect("empty"));
  assert.equal(result.delivered.length + result.failed.length + result.noValue.length, 6);
  for (const item of result.delivered) assert.match(item.value, /@.+\.example$/);
  for (const item of result.failed) assert.equal(item.errorCode, "TASK_FAILED");
  assert.equal(result.credits, 15 * (result.delivered.length + result.noValue.length));
  const after = (await client.creditBalance()).balance;
  assert.equal(before - after, 15 * 6, "the sandbox charged every chargeable contact at create");
});

test("a reload resumes from the token in a new client, without a second create", async () => {
  const first = lensmor();
  const task = await first.unlockEmails({ eventId: "139574", personnelIds: ids(3) });
  const creates = (await requests()).filter((r) => r.method === "POST" && r.path === "/external/contacts/unlock").length;
  const second = lensmor(); // a new page
  const result = await second.waitForTask(task.token);
  assert.equal(result.taskId, task.taskId);
  assert.equal(result.done, true);
  const createsAfter = (await requests()).filter((r) => r.method === "POST" && r.path === "/external/contacts/unlock").length;
  assert.equal(createsAfter, creates);
});

test("a double click creates one task; the second start says reused", async () => {
  const client = lensmor();
  const selection = ids(2);
  const log = (await requests()).length;
  const [a, b] = await Promise.all([
    client.unlockEmails({ eventId: "139574", personnelIds: selection }),
    client.unlockEmails({ eventId: "139574", personnelIds: [...selection].reverse() }),
  ]);
  assert.equal(a.taskId, b.taskId);
  assert.deepEqual([a.reused, b.reused], [false, true]);
  const creates = (await requests()).slice(log).filter((r) => r.method === "POST");
  assert.equal(creates.length, 1);
  await client.waitForTask(a.token);
});

test("two waiters on one task share one poll", async () => {
  const client = lensmor();
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(2) });
  let polls = 0;
  const [r1, r2] = await Promise.all([
    client.waitForTask(task.token, { onEvent: (e) => { if (e.type === "poll") polls++; } }),
    client.waitForTask(task.token),
  ]);
  assert.deepEqual(r1, r2);
  assert.notEqual(r1, r2, "each waiter gets its own object");
  const gets = (await requests()).filter((r) => r.method === "GET" && r.path.endsWith(`/unlock-tasks/${task.taskId}`)).length;
  assert.equal(gets, polls, "every poll the first waiter saw is every poll sent");
});

test("abort rejects with aborted and a token, and stops polling", async () => {
  const client = lensmor({ polling: { delaysMs: [200], jitter: 0 } });
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(1) });
  const controller = new AbortController();
  // The first poll is due 200 ms after the create: aborting right after the call is during
  // that wait, on any machine.
  const waiting = client.waitForTask(task.token, { signal: controller.signal });
  controller.abort();
  const error = await rejection(waiting);
  assert.ok(error instanceof UnlockError && error instanceof Error);
  assert.equal(error.code, "aborted");
  assert.equal(typeof error.token, "string");
  const count = (await requests()).filter((r) => r.path.endsWith(`/unlock-tasks/${task.taskId}`)).length;
  await sleep(400);
  const later = (await requests()).filter((r) => r.path.endsWith(`/unlock-tasks/${task.taskId}`)).length;
  assert.equal(later, count, "no poll after abort");
  assert.equal(count, 0, "aborted during the first wait: nothing was sent");
  // The task runs on at the provider; the token resumes it.
  const result = await client.waitForTask(error.token);
  assert.equal(result.done, true);
  // An already-aborted signal rejects at once.
  const early = await rejection(client.waitForTask(task.token, { signal: AbortSignal.abort() }));
  assert.equal(early.code, "aborted");
});

test("maxWaitMs ends in timeout with a token that resumes", async () => {
  const client = lensmor({ polling: { delaysMs: [50, 400], jitter: 0 } });
  // Held: the task is still running when the wait's 200 ms are up, however slow the machine.
  await sandbox.hold();
  try {
    const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(1) });
    const error = await rejection(client.waitForTask(task.token, { maxWaitMs: 200 }));
    assert.equal(error.code, "timeout");
    assert.match(error.message, /did not finish within 200 ms/);
    assert.match(error.message, /resume it from its token/);
    await sandbox.hold(false);
    assert.deepEqual(await sandbox.release(task.taskId), [task.taskId]);
    const result = await client.waitForTask(error.token);
    assert.equal(result.done, true);
  } finally {
    await sandbox.hold(false);
  }
});

test("bad input is refused before any request", async () => {
  const client = lensmor();
  const foreignToken = await salesfinityToken();
  const before = (await requests()).length;
  const cases = [
    [client.unlockEmails({ eventId: "139574", personnelIds: Array.from({ length: 10_001 }, (_, i) => `p${i}`) }), "personnelIds"],
    [client.unlockEmails({ eventId: "", personnelIds: ["1"] }), "eventId"],
    [client.unlockEmails({ eventId: "139574", personnelIds: "789" }), "personnelIds"],
    [client.unlockEmails({ eventId: "139574", personnelIds: ["1", {}] }), "personnelIds[1]"],
    [client.unlockPhones({ eventId: "139574", personnelIds: [] }), "personnelIds"],
    [client.waitForTask("not-a-token"), "token"],
    [client.waitForTask("ut1.AAAA"), "token"],
    [salesfinity().enrichEmail({ linkedinUrl: "https://www.linkedin.com/company/acme", type: "work" }), "linkedinUrl"],
    [salesfinity().enrichEmail({ linkedinUrl: "linkedin.com/in/jane", type: "email" }), "type"],
    [salesfinity().enrichEmail({ linkedinUrl: "linkedin.com/in/jane", type: "work", externalId: "x".repeat(257) }), "externalId"],
    [client.waitForTask(foreignToken), "token"],
  ];
  for (const [promise, field] of cases) {
    const error = await rejection(promise);
    assert.equal(error.code, "validation", error.message);
    assert.equal(error.field, field, error.message);
  }
  assert.throws(() => new UnlockClient({ provider: "lensmor", baseUrl: "http://example.com" }), (e) => e.code === "validation" && e.field === "baseUrl");
  assert.throws(() => new UnlockClient({ provider: "lensmor", polling: { delaysMs: [0] } }), (e) => e.field === "polling.delaysMs");
  assert.throws(() => new UnlockClient({}), (e) => e.field === "provider");
  assert.equal((await requests()).length, before, "no request was sent");
});

async function salesfinityToken() {
  const task = await salesfinity().enrichEmail({ linkedinUrl: "linkedin.com/in/token-maker", type: "work" });
  return task.token;
}

test("provider errors keep their status, errorKey and traceId, never the key", async () => {
  const revoked = new UnlockClient({ provider: "lensmor", apiKey: "uak_revoked", baseUrl: sandbox.url });
  const e401 = await rejection(revoked.unlockEmails({ eventId: "139574", personnelIds: ["800"] }));
  assert.equal(e401.code, "unauthorized");
  assert.equal(e401.status, 401);
  assert.equal(e401.errorKey, "INVALID_API_KEY");
  assert.match(e401.traceId, /^[0-9a-f]{16}$/);
  assert.ok(e401.message.includes(e401.traceId));

  const client = lensmor();
  await sandbox.config({ balance: { [KEY]: { lensmor: 20 } } });
  const e402 = await rejection(client.unlockEmails({ eventId: "139574", personnelIds: ids(2) }));
  assert.equal(e402.code, "payment_required");
  assert.match(e402.message, /top up/);
  await sandbox.config({ balance: { [KEY]: { lensmor: 100000 } } });

  const selection = ids(2);
  const running = await lensmor().unlockEmails({ eventId: "139574", personnelIds: selection });
  const e409 = await rejection(lensmor().unlockEmails({ eventId: "139574", personnelIds: selection }));
  assert.equal(e409.code, "conflict", "another client's start of a running selection");
  await client.waitForTask(running.token);

  const e404 = await rejection(client.unlockEmails({ eventId: "no-such-event", personnelIds: ["800"] }));
  assert.equal(e404.code, "not_found");
  for (const e of [e401, e402, e409, e404]) assertNoKey(e);
});

test("429 while polling is waited out, with a throttled event", async () => {
  const client = lensmor();
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(1) });
  await faults([{ path: "/external/contacts/unlock-tasks/", kind: "status", status: 429, errorKey: "RATE_LIMIT_EXCEEDED", headers: { "retry-after": "1" } }]);
  const events = [];
  const started = Date.now();
  const result = await client.waitForTask(task.token, { onEvent: (e) => events.push(e) });
  assert.equal(result.done, true);
  const throttled = events.find((e) => e.type === "throttled");
  assert.ok(throttled, "a throttled event");
  assert.equal(throttled.retryAfterMs, 1000);
  assert.ok(Date.now() - started >= 1000, "never polled before Retry-After");
});

test("5xx bursts: shorter than the budget recover, longer end in server", async () => {
  const client = lensmor();
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(1) });
  await faults([{ path: "/external/contacts/unlock-tasks/", kind: "status", status: 503, count: 3 }]);
  const result = await client.waitForTask(task.token);
  assert.equal(result.done, true);

  const other = await client.unlockEmails({ eventId: "139574", personnelIds: ids(1) });
  await faults([{ path: "/external/contacts/unlock-tasks/", kind: "status", status: 502, count: 5 }]);
  const error = await rejection(client.waitForTask(other.token));
  assert.equal(error.code, "server");
  assert.equal(error.status, 502);
  assert.match(error.message, /Gave up after 5 failed polls in a row/);
  await sandbox.clearFaults();
});

test("malformed JSON, an HTML page and a hung request are retried", async () => {
  const client = lensmor({ requestTimeoutMs: 150 });
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(1) });
  await faults([
    { path: "/external/contacts/unlock-tasks/", kind: "malformed" },
    { path: "/external/contacts/unlock-tasks/", kind: "html" },
    { path: "/external/contacts/unlock-tasks/", kind: "hang" },
  ]);
  const retries = [];
  const result = await client.waitForTask(task.token, { onEvent: (e) => e.type === "retrying" && retries.push(e.code) });
  assert.equal(result.done, true);
  assert.deepEqual(retries, ["protocol", "protocol", "network"]);
});

test("an unknown task status keeps polling and is named in the timeout", async () => {
  const client = lensmor();
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(1) });
  await faults([{ path: "/external/contacts/unlock-tasks/", kind: "unknown-status", status: "queued_v2", count: 50 }]);
  const error = await rejection(client.waitForTask(task.token, { maxWaitMs: 300 }));
  assert.equal(error.code, "timeout");
  assert.match(error.message, /"queued_v2"/);
  await sandbox.clearFaults();
  assert.equal((await client.waitForTask(error.token)).done, true);
});

test("pollOnce steps a task to the end, one request each", async () => {
  const client = lensmor();
  const selection = ids(2);
  const task = await client.unlockPhones({ eventId: "139574", personnelIds: selection });
  let token = task.token;
  let step;
  for (let i = 0; i < 100; i++) {
    step = await client.pollOnce(token);
    token = step.token;
    if (step.done) break;
    assert.ok(step.nextPollAt > Date.now() - 5);
    await sleep(Math.max(0, step.nextPollAt - Date.now()));
  }
  assert.equal(step.done, true);
  assert.equal(step.nextPollAt, null);
  assert.equal(step.result.kind, "lensmor.phone");
  for (const item of step.result.delivered) assert.match(item.value, /^\+1 555 \d{4}$/);
  assert.equal(step.result.credits, 150 * (step.result.delivered.length + step.result.noValue.length));
  const snapshot = await client.getTask(token);
  assert.equal(snapshot.done, true);
  // Finished through pollOnce: a new start of the same selection is a new task, not "reused".
  const again = await client.unlockPhones({ eventId: "139574", personnelIds: selection });
  assert.equal(again.reused, false);
  assert.notEqual(again.taskId, task.taskId);
});

test("Salesfinity: found, not found and failed lookups", async () => {
  const client = salesfinity();
  const before = (await client.creditBalance()).balance;
  const found = await client.enrichEmail({ linkedinUrl: "https://uk.linkedin.com/in/jane-doe-1/", type: "work", externalId: "lead-42" });
  const nobody = await client.enrichEmail({ linkedinUrl: "linkedin.com/in/nobody-here", type: "personal" });
  const broken = await client.enrichEmail({ linkedinUrl: "linkedin.com/in/broken-profile", type: "work" });
  const [r1, r2, r3] = await Promise.all([found, nobody, broken].map((t) => client.waitForTask(t.token)));
  assert.equal(r1.delivered[0].value, "jane-doe-1@work.example");
  assert.equal(r1.delivered[0].valueType, "work");
  assert.equal(r1.delivered[0].id, "https://www.linkedin.com/in/jane-doe-1");
  assert.equal(r1.externalId, "lead-42");
  assert.equal(r1.credits, 1);
  assert.equal(r2.status, "completed");
  assert.equal(r2.notFound.length, 1);
  assert.equal(r2.credits, 0);
  assert.equal(r3.status, "failed");
  assert.equal(r3.failed.length, 1);
  assert.equal((await client.creditBalance()).balance, before - 1);
});

test("a create that fails in the network says its outcome is unknown", async () => {
  const dead = await startSandbox();
  const url = dead.url;
  await dead.close();
  const client = new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: url });
  const error = await rejection(client.unlockEmails({ eventId: "139574", personnelIds: ["800"] }));
  assert.equal(error.code, "network");
  assert.match(error.message, /may have reached the provider/);
  assertNoKey(error);
});

test("one client's budget keeps many tasks under the provider's rate limit", async () => {
  const limited = await startSandbox({ speed: 40, rateLimit: 12, rateWindowMs: 1000 });
  try {
    const client = new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: limited.url, polling: { delaysMs: [20, 30, 50], jitter: 0.2 }, rateLimit: { requests: 10, windowMs: 1000 } });
    const tasks = [];
    for (const id of ["790", "791", "792", "796", "797", "798", "799", "800"]) {
      tasks.push(await client.unlockEmails({ eventId: "139574", personnelIds: [id] }));
    }
    const results = await Promise.all(tasks.map((t) => client.waitForTask(t.token)));
    assert.ok(results.every((r) => r.done));
    const log = (await (await fetch(limited.url + "/__sandbox/requests")).json()).requests;
    assert.ok(log.length > 12, "enough requests to have hit the limit without a budget");
    // The sandbox answers 429 with errorKey RATE_LIMIT_EXCEEDED; none was earned.
    const statuses = await Promise.all(tasks.map((t) => client.getTask(t.token).then(() => 200, (e) => e.status)));
    assert.ok(statuses.every((s) => s === 200));
    for (let i = 0; i < log.length; i++) {
      const inWindow = log.filter((r) => r.at >= log[i].at && r.at < log[i].at + 1000).length;
      assert.ok(inWindow <= 12, `${inWindow} requests within one second`);
    }
  } finally {
    await limited.close();
  }
});

test("parseTaskResponse reads an answer already in hand, as polling would", () => {
  const body = '{"taskId":"321","taskStatus":"completed","items":[{"personnelId":"789","status":"unlocked","email":"jane@acme.example"},{"personnelId":"790","status":"unlocked","email":null}]}';
  const snapshot = parseTaskResponse("lensmor.email", "321", 200, body);
  assert.deepEqual(snapshot.items.map((i) => i.status), ["delivered", "no-value"]);
  assert.equal(snapshot.done, true);
  const error = (() => { try { parseTaskResponse("lensmor.email", "321", 404, '{"code":404,"message":"gone","errorKey":"TASK_NOT_FOUND","traceId":"t1"}'); } catch (e) { return e; } })();
  assert.ok(error instanceof UnlockError);
  assert.deepEqual([error.code, error.traceId], ["not_found", "t1"]);
  assert.throws(() => parseTaskResponse("hubspot.email", "1", 200, "{}"), (e) => e.field === "kind");
});

test("every item comes back whole, whatever its text (the packed item list of src/js/boundary.js)", () => {
  // Quotes, backslashes, control characters, U+2028, characters past U+FFFF (two UTF-16 units
  // each, so a length counted in bytes or characters would cut the next text wrongly).
  const odd = ['"', "\\", "\n", "\u0000", "\u001f", "\u2028", "é", "☃", "😀", "𝄞", "a", "<", ">", "{", "]", ","];
  let seed = 7;
  const pick = () => odd[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % odd.length];
  const text = (n) => "<" + Array.from({ length: n }, pick).join("") + ">";
  const statuses = ["unlocked", "failed", "processing", "weird😀"];
  const raw = Array.from({ length: 120 }, (_, i) => ({
    personnelId: `${i}${text(i % 7)}`,
    status: statuses[i % 4],
    email: i % 4 === 0 ? text(i % 11) : undefined,
    errorCode: i % 4 === 1 ? text(i % 5) : undefined,
  }));
  const snapshot = parseTaskResponse("lensmor.email", "321", 200, JSON.stringify({ taskId: "321", taskStatus: "processing", items: raw }));
  const expected = raw.map((r) => ({
    id: r.personnelId,
    status: { unlocked: "delivered", failed: "failed", processing: "processing" }[r.status] ?? "unknown",
    providerStatus: r.status,
    ...(r.email === undefined ? {} : { value: r.email }),
    ...(r.errorCode === undefined ? {} : { errorCode: r.errorCode }),
    chargeable: r.status === "unlocked",
  }));
  assert.deepEqual(snapshot.items, expected);
  assert.deepEqual(Object.keys(snapshot.items[0]), ["id", "status", "providerStatus", "value", "chargeable"]);
  assert.deepEqual(snapshot.anomalies, []);
  // A text of 55,264 UTF-16 units or more has its length written in three characters.
  const long = "😀".repeat(40_000);
  const big = parseTaskResponse("lensmor.email", "321", 200, JSON.stringify({ taskStatus: "completed", items: [{ personnelId: "1", status: "unlocked", email: long }, { personnelId: "2", status: "failed", errorCode: "E" }] }));
  assert.deepEqual(big.items.map((i) => [i.id, i.value?.length, i.errorCode]), [["1", 80_000, undefined], ["2", undefined, "E"]]);
  assert.equal(big.items[0].value, long);
  // A lone surrogate in the text (not JSON-escaped) reads as U+FFFD, as Response.text() does,
  // in a short answer and in a long one (copied into wasm by another path).
  for (const pad of [0, 2000]) {
    const body = `{"taskStatus":"completed","pad":"${"x".repeat(pad)}","items":[{"personnelId":"1","status":"unlocked","email":"a\ud800b"}]}`;
    assert.equal(parseTaskResponse("lensmor.email", "321", 200, body).items[0].value, "a\ufffdb");
  }
});

test("a token that is not a string is a validation error, never a trap", async () => {
  const client = lensmor();
  for (const bad of [null, undefined, 123, {}, true, ["ut1.x"]]) {
    for (const call of [() => client.waitForTask(bad), () => client.getTask(bad), () => client.pollOnce(bad)]) {
      const error = await rejection(call());
      assert.ok(error instanceof UnlockError, String(error));
      assert.deepEqual([error.code, error.field], ["validation", "token"]);
    }
  }
  assert.match((await rejection(client.waitForTask(null))).message, /started nothing has no token/);
});

test("watch: an async iterator of progress that ends with the task; leaving early stops the wait", async () => {
  const client = lensmor();
  await sandbox.hold();
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(2) });
  const iterator = client.watch(task.token);
  let step = await iterator.next();
  assert.deepEqual([step.done, step.value.status], [false, "processing"], "held: the first state is processing");
  await sandbox.hold(false);
  assert.deepEqual(await sandbox.release(task.taskId), [task.taskId]);
  const statuses = [];
  while (!(step = await iterator.next()).done) statuses.push(step.value.status);
  assert.equal(statuses.at(-1), "completed");
  assert.equal(step.value.done, true, "the iterator's return value is the result");
  assert.equal(step.value.items.length, 2);

  await sandbox.hold();
  const other = await client.unlockEmails({ eventId: "139574", personnelIds: ids(1) });
  const polls = async () => (await sandbox.requests()).filter((r) => r.path.endsWith(`/unlock-tasks/${other.taskId}`)).length;
  for await (const snapshot of client.watch(other.token)) {
    assert.equal(snapshot.status, "processing");
    break;
  }
  const after = await polls();
  await sleep(400);
  assert.equal(await polls(), after, "no poll after the loop was left");
  await sandbox.hold(false);
  await sandbox.release(other.taskId);
});

test("complete: start and wait in one call; null when nothing needed unlocking", async () => {
  const client = lensmor();
  const result = await client.complete(client.unlockEmails({ eventId: "139574", personnelIds: ids(2) }));
  assert.equal(result.done, true);
  assert.equal(result.items.length, 2);
  // 794 was unlocked before the tests: nothing to do, nothing charged.
  assert.equal(await client.complete(client.unlockEmails({ eventId: "139574", personnelIds: ["794"] })), null);
});
