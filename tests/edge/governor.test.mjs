// One key, many users: the edge worker in real workerd against a sandbox that enforces the
// provider's rate window and sends its headers. Every request the worker makes goes through the
// key's governor; each test asserts counts at the sandbox, never how long something took.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installPackedPackage } from "../support/packed.mjs";
import { startEdgeWorker } from "../support/workerd.mjs";
import { busiestWindow, idPicker, testSandbox, whileHeld } from "../support/sandbox.mjs";
import { signedIn } from "../support/session.mjs";

const LENSMOR_KEY = "uak_governor_secret_5e2a";
const SESSION_SECRET = "session-secret-governor-81c3";
/** The key's window, scaled down so the tests run in seconds: 12 requests per 1.5 s. */
const LIMIT = 12;
const WINDOW_MS = 1500;
const SETTINGS = {
  LENSMOR_API_KEY: LENSMOR_KEY, SESSION_SECRET, ALLOWED_ORIGIN: "https://app.example",
  LENSMOR_RATE_LIMIT: String(LIMIT), LENSMOR_RATE_WINDOW_MS: String(WINDOW_MS),
  DAILY_CREDITS_PER_USER: "1000000", REQUESTS_PER_MINUTE_PER_USER: "100000", QUEUE_WAIT_MS: "60000",
  UPSTREAM_TIMEOUT_MS: "10000", POLL_DELAYS_MS: "[50]",
};
let sandbox, app, worker;
const ids = idPicker();

before(async () => {
  sandbox = await testSandbox({ speed: 20, rateLimit: LIMIT, rateWindowMs: WINDOW_MS });
  app = installPackedPackage();
  await sandbox.config({ balance: { [LENSMOR_KEY]: { lensmor: 1_000_000 } } });
  worker = await startEdgeWorker(app, { ...SETTINGS, LENSMOR_BASE_URL: sandbox.url });
});

after(async () => {
  worker?.close();
  await sandbox.close();
  rmSync(app, { recursive: true, force: true });
});

async function call(base, path, { method = "GET", body, user }) {
  const headers = { ...signedIn(SESSION_SECRET, user), ...(body ? { "content-type": "application/json" } : {}) };
  const response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null, text };
}

const UNLOCK = "/lensmor/external/contacts/unlock";
const start = (user, n = 1, base = worker.url) => call(base, UNLOCK, { method: "POST", user, body: { event_id: "139574", personnel_ids: ids(n) } });
const keyed = async () => (await sandbox.requests()).filter((r) => r.hasKey);
const isPoll = (r) => r.path.startsWith("/external/contacts/unlock-tasks/");
const isCreate = (r) => r.method === "POST" && r.path === "/external/contacts/unlock";

async function until(condition, what) {
  for (let i = 0; i < 600; i++) {
    const value = await condition();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`gave up waiting for ${what}`);
}

/** Every task of `started` ({ user, taskId }) as its owner reads it from the worker. */
async function states(started) {
  return Promise.all(started.map(async ({ user, taskId }) => (await call(worker.url, `/tasks/lensmor.email/${taskId}`, { user })).body.state));
}

test("40 tasks of 4 users through one key: never over the window, no 429 upstream, every task ends", async () => {
  const from = (await sandbox.requests()).length;
  const users = ["u1", "u2", "u3", "u4"];
  const started = await whileHeld(sandbox, async () => {
    const answers = await Promise.all(users.flatMap((user) => Array.from({ length: 10 }, () => start(user, 1).then((a) => ({ user, a })))));
    for (const { a } of answers) assert.equal(a.status, 201, a.text);
    // Held: the tasks' polls keep the key saturated until released.
    await until(async () => (await keyed()).slice(from).filter(isPoll).length >= 60, "polls of the held tasks");
    return answers.map(({ user, a }) => ({ user, taskId: a.body.task_id }));
  });
  await until(async () => (await states(started)).every((s) => s === "done"), "every task done");
  const sent = (await keyed()).slice(from);
  assert.equal(sent.filter((r) => r.status === 429).length, 0, "no request was refused upstream");
  assert.ok(busiestWindow(sent, WINDOW_MS) <= LIMIT, `busiest window ${busiestWindow(sent, WINDOW_MS)} > ${LIMIT}`);
  assert.equal(sent.filter(isCreate).length, 40, "one create per start");
});

test("a person's start goes before every background poll that waited longer; a throttled poll keeps the last snapshot", async () => {
  await whileHeld(sandbox, async () => {
    const busy = await Promise.all(Array.from({ length: 8 }, () => start("busy", 1)));
    const tasks = busy.map((b) => ({ user: "busy", taskId: b.body.task_id }));
    const snapshots = async () => Promise.all(tasks.map(async ({ user, taskId }) => (await call(worker.url, `/tasks/lensmor.email/${taskId}`, { user })).body.snapshot));
    await until(async () => (await snapshots()).every((s) => s?.status === "processing"), "a snapshot of every task");
    const from = (await sandbox.requests()).length;
    // The provider closes the key for 3 s: every task's poll waits in line meanwhile.
    await sandbox.faults([{ path: "/external/contacts/unlock-tasks/", kind: "status", status: 429, errorKey: "RATE_LIMIT_EXCEEDED", headers: { "retry-after": "3" } }]);
    const refused = await until(async () => (await sandbox.requests()).slice(from).find((r) => r.status === 429), "the 429");
    // Polls join the line while the key is closed; then a new user starts.
    await new Promise((r) => setTimeout(r, 300)); // the held tasks' alarms ask, and queue
    const newcomer = await start("newcomer", 1);
    assert.equal(newcomer.status, 201, newcomer.text);
    const reopened = (await sandbox.requests()).slice(from).filter((r) => r.at >= refused.at + 1000);
    assert.ok(isCreate(reopened[0]), `first after the reopening: ${reopened.slice(0, 3).map((r) => r.path).join(", ")}`);
    assert.equal(busy.every((b) => b.status === 201), true);
    const throttled = tasks.find((t) => refused.path.endsWith(`/${t.taskId}`));
    const kept = (await call(worker.url, `/tasks/lensmor.email/${throttled.taskId}`, { user: "busy" })).body;
    assert.equal(kept.snapshot?.status, "processing", "the throttled poll kept the last snapshot");
  });
});

test("two greedy users cannot starve a third: users take turns at a saturated key", async () => {
  await whileHeld(sandbox, async () => {
    await Promise.all(Array.from({ length: 24 }, (_, i) => start(i % 2 ? "greedy-a" : "greedy-b", 1)));
    const third = await start("third", 1);
    assert.equal(third.status, 201, third.text);
    const path = `/external/contacts/unlock-tasks/${third.body.task_id}`;
    const from = (await sandbox.requests()).length;
    const next = await until(async () => {
      const polls = (await sandbox.requests()).slice(from).filter(isPoll);
      return polls.length >= 24 && polls.slice(0, 24);
    }, "24 polls");
    const mine = next.filter((r) => r.path === path).length;
    // 25 tasks of three users: by turns the third gets about a third of the slots; by age alone
    // it would get one in 25.
    assert.ok(mine >= 6, `the third user's task got ${mine} of 24 polls`);
  });
});

test("a restarted governor allows no burst: the window it kept in storage holds after the restart", async () => {
  const storageDir = mkdtempSync(join(tmpdir(), "governor-storage-"));
  const limited = await testSandbox({ speed: 20, rateLimit: 1000, rateWindowMs: 1000 });
  const settings = { ...SETTINGS, LENSMOR_BASE_URL: limited.url, LENSMOR_RATE_LIMIT: "6", LENSMOR_RATE_WINDOW_MS: "4000" };
  let edge = await startEdgeWorker(app, settings, { storageDir });
  const balance = (base) => call(base, "/lensmor/external/credits/balance", { user: "restart" });
  try {
    for (let i = 0; i < 6; i++) assert.equal((await balance(edge.url)).status, 200);
    const port = new URL(edge.url).port;
    edge.close();
    edge = await startEdgeWorker(app, settings, { storageDir, port: Number(port) });
    const after = await Promise.all(Array.from({ length: 4 }, () => balance(edge.url)));
    assert.deepEqual(after.map((a) => a.status), [200, 200, 200, 200]);
    const sent = (await limited.requests()).filter((r) => r.hasKey);
    assert.equal(sent.length, 10);
    assert.ok(busiestWindow(sent, 4000) <= 6, `after the restart ${busiestWindow(sent, 4000)} requests went in one window of 6`);
  } finally {
    edge.close();
    await limited.close();
    rmSync(storageDir, { recursive: true, force: true });
  }
});
