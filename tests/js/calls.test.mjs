// Every call of the client: a signal on each (the abort reason kept as `cause`), retries of safe
// reads with counts at the sandbox (creates never), the rate-budget wait as an event, and hooks
// that see every request with no key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { UnlockClient, UnlockError } from "../../pkg/node.js";
import { EVENT_ID, idPicker, rejection, testSandbox, whileHeld } from "../support/sandbox.mjs";

const KEY = "uak_calls_secret_6b0f";
let sandbox;
const ids = idPicker();

before(async () => {
  sandbox = await testSandbox({ speed: 40 });
});
after(() => sandbox.close());

const lensmor = (extra = {}) => new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url, polling: { delaysMs: [40, 60], jitter: 0 }, ...extra });
const count = async (path, method = "GET") => (await sandbox.requests()).filter((r) => r.path === path && r.method === method).length;

test("every method takes a signal: already aborted, it rejects with the reason as cause and sends nothing", async () => {
  const client = lensmor();
  const task = await client.unlockEmails({ eventId: EVENT_ID, personnelIds: ids(1) });
  const before = (await sandbox.requests()).length;
  const reason = new Error("the user left the page");
  const signal = AbortSignal.abort(reason);
  const selection = { eventId: EVENT_ID, personnelIds: ids(1) };
  const calls = {
    unlockEmails: () => client.unlockEmails(selection, { signal }),
    unlockPhones: () => client.unlockPhones(selection, { signal }),
    precheckEmails: () => client.precheckEmails(selection, { signal }),
    precheckPhones: () => client.precheckPhones(selection, { signal }),
    creditBalance: () => client.creditBalance({ signal }),
    getTask: () => client.getTask(task.token, { signal }),
    pollOnce: () => client.pollOnce(task.token, { signal }),
    listContacts: () => client.listContacts({ eventId: EVENT_ID }, { signal }),
    getContact: () => client.getContact("789", { signal }),
    waitForTask: () => client.waitForTask(task.token, { signal }),
    enrichEmail: () => new UnlockClient({ provider: "salesfinity", apiKey: "sf_x", baseUrl: sandbox.url }).enrichEmail({ linkedinUrl: "linkedin.com/in/signal-test", type: "work" }, { signal }),
  };
  for (const [name, call] of Object.entries(calls)) {
    const error = await rejection(call());
    assert.ok(error instanceof UnlockError, name);
    assert.equal(error.code, "aborted", name);
    assert.equal(error.cause, reason, `${name} keeps the reason`);
  }
  assert.equal((await sandbox.requests()).length, before, "nothing was sent");
  assert.equal((await rejection(client.creditBalance({ signal: "no" }))).field, "signal");
  assert.equal((await rejection(client.creditBalance({ sigal: signal }))).field, "sigal");
});

test("AbortSignal.timeout() on a hung read: aborted, with the TimeoutError as cause", async () => {
  await sandbox.faults([{ path: "/external/credits/balance", kind: "hang" }]);
  const error = await rejection(lensmor().creditBalance({ signal: AbortSignal.timeout(200) }));
  assert.equal(error.code, "aborted");
  assert.equal(error.cause?.name, "TimeoutError");
});

test("safe reads are retried after a 503 or a reset, with counts at the sandbox; creates never", async () => {
  const waits = [];
  const client = lensmor({ onWait: (info) => waits.push(info) });
  const before = await count("/external/credits/balance");
  await sandbox.faults([{ path: "/external/credits/balance", kind: "status", status: 503, count: 1 }, { path: "/external/credits/balance", kind: "reset", count: 1 }]);
  const balance = await client.creditBalance();
  assert.equal(typeof balance.balance, "number");
  assert.equal(await count("/external/credits/balance"), before + 3, "two failures, then the answer");
  assert.deepEqual(waits.map((w) => [w.reason, w.code]), [["retry", "server"], ["retry", "network"]]);

  const strict = lensmor({ maxRetries: 0 });
  await sandbox.faults([{ path: "/external/credits/balance", kind: "status", status: 503 }]);
  assert.equal((await rejection(strict.creditBalance())).code, "server");

  await sandbox.faults([{ path: "/external/actions/precheck", method: "POST", kind: "status", status: 502 }]);
  const check = await client.precheckEmails({ eventId: EVENT_ID, personnelIds: ids(1) });
  assert.equal(check.allowed, true, "a precheck is a safe read too");

  const creates = await count("/external/contacts/unlock", "POST");
  await sandbox.faults([{ path: "/external/contacts/unlock", method: "POST", kind: "status", status: 503 }]);
  const error = await rejection(client.unlockEmails({ eventId: EVENT_ID, personnelIds: ids(1) }));
  assert.equal(error.code, "server");
  assert.match(error.message, /may have reached the provider/);
  assert.equal(await count("/external/contacts/unlock", "POST"), creates + 1, "a create is sent once");

  await sandbox.faults([{ path: "/external/credits/balance", kind: "status", status: 401 }]);
  const before401 = await count("/external/credits/balance");
  assert.equal((await rejection(client.creditBalance())).code, "unauthorized");
  assert.equal(await count("/external/credits/balance"), before401 + 1, "a 401 is not retried");
});

test("waiting for the client's rate budget is an event, and the signal ends it", async () => {
  const waits = [];
  const client = lensmor({ rateLimit: { requests: 1, windowMs: 60_000 }, onWait: (info) => waits.push(info) });
  await client.creditBalance();
  const controller = new AbortController();
  const second = client.creditBalance({ signal: controller.signal });
  await new Promise((r) => setImmediate(r));
  assert.equal(waits.length, 1);
  assert.equal(waits[0].reason, "rate-budget");
  assert.ok(waits[0].until > waits[0].at);
  const before = await count("/external/credits/balance");
  controller.abort();
  assert.equal((await rejection(second)).code, "aborted");
  assert.equal(await count("/external/credits/balance"), before, "the waiting request was never sent");
});

test("the client's budget serves a start and the caller's reads before waitForTask's polls", async () => {
  await whileHeld(sandbox, async () => {
    const free = lensmor();
    const tasks = await Promise.all([1, 2, 3, 4, 5, 6].map(() => free.unlockEmails({ eventId: EVENT_ID, personnelIds: ids(1) })));
    const sent = [];
    const onRequest = (info) => sent.push(new URL(info.url).pathname);
    // Four requests a window, one of them kept for the caller's own calls: six tasks polled
    // every 10 ms keep the line full of polls.
    const client = lensmor({ rateLimit: { requests: 4, windowMs: 300 }, polling: { delaysMs: [10], jitter: 0 }, onRequest });
    const controller = new AbortController();
    const waits = tasks.map((t) => client.waitForTask(t.token, { signal: controller.signal }).catch((e) => e));
    while (sent.length < 8) await new Promise((r) => setTimeout(r, 20)); // polls are in line
    const at = sent.length;
    const [balance, started] = await Promise.all([client.creditBalance(), client.unlockEmails({ eventId: EVENT_ID, personnelIds: ids(1) })]);
    assert.equal(typeof balance.balance, "number");
    assert.equal(started.started, true);
    const next = sent.slice(at, at + 3);
    // At most one poll admitted before the calls may still be on its way; then the two calls.
    assert.ok(next.filter((p) => p.includes("/unlock-tasks/")).length <= 1, `after the calls: ${next.join(", ")}`);
    assert.ok(next.includes("/external/contacts/unlock") && next.includes("/external/credits/balance"), `after the calls: ${next.join(", ")}`);
    controller.abort();
    for (const error of await Promise.all(waits)) assert.equal(error.code, "aborted");
  });
});

test("one client serving many people gives each `user` turns: a newcomer's start goes before another user's queued starts", async () => {
  const client = lensmor({ rateLimit: { requests: 2, windowMs: 400 } });
  for (const user of ["", "u".repeat(513), 5]) {
    const error = await rejection(client.unlockEmails({ eventId: EVENT_ID, personnelIds: ids(1) }, { user }));
    assert.equal(error.code, "validation");
    assert.equal(error.field, "user");
  }
  const creates = async () => (await sandbox.requests()).filter((r) => r.path === "/external/contacts/unlock" && r.method === "POST");
  const before = (await creates()).length;
  const ana = ids(6);
  const anas = ana.map((id) => client.unlockEmails({ eventId: EVENT_ID, personnelIds: [id] }, { user: "ana" }));
  while ((await creates()).length < before + 1) await new Promise((r) => setTimeout(r, 10)); // ana's burst is out
  const [newcomer] = ids(1);
  const started = await Promise.all([...anas, client.unlockEmails({ eventId: EVENT_ID, personnelIds: [newcomer] }, { user: "cy" })]);
  assert.ok(started.every((t) => t.started));
  const order = (await creates()).slice(before).map((r) => r.body.personnel_ids[0]);
  assert.deepEqual([...order].sort(), [...ana, newcomer].sort(), "every start sent once, none from the bad calls");
  // The window's burst (two) went to ana before cy asked; cy is next, not seventh.
  assert.ok(order.indexOf(newcomer) <= 2, `creates in order: ${order.join(", ")}`);
});

test("waitForTask honours maxWaitMs while the client's budget is spent: a timeout, not a wait for the window", async () => {
  await whileHeld(sandbox, async () => {
    const task = await lensmor().unlockEmails({ eventId: EVENT_ID, personnelIds: ids(1) });
    const path = `/external/contacts/unlock-tasks/${task.taskId}`;
    const client = lensmor({ rateLimit: { requests: 3, windowMs: 600_000 }, polling: { delaysMs: [20], jitter: 0 } });
    const error = await rejection(client.waitForTask(task.token, { maxWaitMs: 1_000 }));
    assert.equal(error.code, "timeout");
    assert.match(error.message, /did not finish within 1 s: the next poll would be (9|10) min/);
    // Polls may use two of the three places (one is kept for the caller's own calls).
    assert.equal(await count(path), 2, "two polls fit the budget; none was sent past it");
    assert.ok(error.token, "the task resumes from the error's token");
  });
});

test("hooks see every request and answer, with the provider's request id and never a key; results carry the request id", async () => {
  const seen = [];
  const client = lensmor({ onRequest: (info) => seen.push(["request", info]), onResponse: (info) => seen.push(["response", info]) });
  const balance = await client.creditBalance();
  assert.match(balance.requestId, /^[0-9a-f]{16}$/);
  const task = await client.unlockEmails({ eventId: EVENT_ID, personnelIds: ids(1) });
  assert.match(task.requestId, /^[0-9a-f]{16}$/);
  const snapshot = await client.getTask(task.token);
  assert.match(snapshot.requestId, /^[0-9a-f]{16}$/);
  assert.equal(seen.length, 6);
  const result = await lensmor().waitForTask(task.token);
  assert.match(result.requestId, /^[0-9a-f]{16}$/, "a waited result carries its last answer's request id");
  assert.deepEqual(seen.map(([kind, info]) => [kind, info.method]), [["request", "GET"], ["response", "GET"], ["request", "POST"], ["response", "POST"], ["request", "GET"], ["response", "GET"]]);
  const [, response] = seen[1];
  assert.equal(response.status, 200);
  assert.equal(response.traceId, balance.requestId);
  assert.ok(response.durationMs >= 0 && response.url.endsWith("/external/credits/balance"));
  assert.ok(!JSON.stringify(seen).includes(KEY), "no key in what hooks see");
  const throwing = lensmor({ onRequest: () => { throw new Error("a logging bug"); } });
  const original = console.error;
  console.error = () => {};
  try {
    assert.equal(typeof (await throwing.creditBalance()).balance, "number", "a hook that throws loses nothing");
  } finally {
    console.error = original;
  }
});
