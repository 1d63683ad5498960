// Every running task resumable after a reload: a client with a `store` keeps the token of each
// task (and group) it starts, `running()` lists them, and a new client on the same store (a
// reload, another process) resumes them all with `resumeAll()`, creating nothing. Tasks are held
// at the sandbox until the test releases them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { UnlockClient, UnlockError } from "../../pkg/node.js";
import { idPicker, rejection, testSandbox } from "../support/sandbox.mjs";

const KEY = "uak_store_secret_8e3a";
let sandbox;
const ids = idPicker();

before(async () => {
  sandbox = await testSandbox({ speed: 40 });
});
after(() => sandbox.close());

/** A server's store: async, as a database or a KV namespace would be. */
function memoryStore() {
  const data = new Map();
  return {
    data,
    get: async (key) => data.get(key) ?? null,
    set: async (key, value) => void data.set(key, value),
    delete: async (key) => void data.delete(key),
  };
}

const client = (store, extra = {}) => new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url, store, polling: { delaysMs: [20, 40], jitter: 0 }, ...extra });
const creates = async () => (await sandbox.requests()).filter((r) => r.method === "POST" && r.path.startsWith("/external/contacts/unlock")).length;

test("a reload resumes 3 tasks and a group from the store, with no create; delivered tasks leave it", async () => {
  const store = memoryStore();
  await sandbox.hold();
  let started;
  try {
    const first = client(store, { maxBatch: 2 });
    started = [
      await first.unlockEmails({ eventId: "139574", personnelIds: ids(2) }),
      await first.unlockEmails({ eventId: "139574", personnelIds: ids(1) }),
      await first.unlockPhones({ eventId: "139574", personnelIds: ids(2) }),
      await first.unlockEmails({ eventId: "139574", personnelIds: ids(5) }), // a group of 3
    ];
  } finally {
    await sandbox.hold(false);
  }
  assert.equal(started[3].parts.length, 3);
  const createsBefore = await creates();

  // The reload: a new client, the same store.
  const reloaded = client(store);
  const running = await reloaded.running();
  assert.deepEqual(running.map((t) => [t.kind, t.taskId, t.parts]), started.map((t) => [t.kind, t.taskId, t.parts?.length ?? 1]));
  for (const t of running) assert.ok(t.token.startsWith(t.parts > 1 ? "ug1." : "ut1.") && t.startedAt > 0 && t.progress === null);

  const seen = new Set();
  const resuming = reloaded.resumeAll({ onProgress: (snapshot, task) => seen.add(task.taskId) });
  await sandbox.release();
  const resumed = await resuming;
  assert.deepEqual(resumed.map((r) => [r.taskId, r.error, r.result?.status]), started.map((t) => [t.taskId, undefined, "completed"]));
  assert.equal(resumed[3].result.items.length, 5, "the group's every contact");
  assert.equal(seen.size, 4, "progress of every task, named");
  assert.equal(await creates(), createsBefore, "nothing was created again");
  assert.deepEqual(await reloaded.running(), [], "delivered tasks left the store");
  assert.equal(store.data.size, 0);
});

test("progress is kept as it changes; a timeout keeps the task for later", async () => {
  const store = memoryStore();
  await sandbox.hold();
  try {
    const c = client(store);
    const task = await c.unlockEmails({ eventId: "139574", personnelIds: ids(2) });
    const error = await rejection(c.waitForTask(task.token, { maxWaitMs: 150 }));
    assert.equal(error.code, "timeout");
    const [kept] = await c.running();
    assert.equal(kept.taskId, task.taskId, "still kept after the timeout");
    assert.deepEqual(kept.progress, { status: "processing", settled: 0, total: 2 });
  } finally {
    await sandbox.hold(false);
    await sandbox.release();
  }
  const [kept] = await client(store).running();
  await client(store).waitForTask(kept.token);
  assert.deepEqual(await client(store).running(), []);
});

test("a store that throws is a clear error, and nothing is lost", async () => {
  const broken = { get: async () => null, set: async () => { throw new Error("disk full"); }, delete: async () => {} };
  const error = await rejection(client(broken).unlockEmails({ eventId: "139574", personnelIds: ids(2) }));
  assert.ok(error instanceof UnlockError);
  assert.equal(error.code, "store");
  assert.match(error.message, /the store did not keep its token \(disk full\)\. Nothing is lost/);
  assert.equal(error.cause.message, "disk full");
  assert.equal(error.started.started, true);
  // The task runs on; its token, from the error, finds it.
  const result = await client(undefined).waitForTask(error.token);
  assert.equal(result.status, "completed");
  assert.equal(result.taskId, error.started.taskId);

  // A store that holds something else is refused, not overwritten.
  const foreign = memoryStore();
  await foreign.set(`unlock-tasks:running:lensmor|${sandbox.url}`, "not json");
  const unreadable = await rejection(client(foreign).running());
  assert.equal(unreadable.code, "store");
  assert.match(unreadable.message, /not JSON/);
});

test("the store holds tokens, never a key", async () => {
  const store = memoryStore();
  await sandbox.hold();
  try {
    await client(store).unlockEmails({ eventId: "139574", personnelIds: ids(3) });
    const text = [...store.data.values()].join("\n");
    assert.ok(text.includes("ut1."), "the token is kept");
    assert.ok(!text.includes(KEY) && !text.includes(KEY.slice(4)), "no key, whole or in part");
  } finally {
    await sandbox.hold(false);
    await sandbox.release();
  }
  await client(store).resumeAll();
});

test("store and resumeAll are checked: a wrong store, store \"local\" without localStorage, running() without a store", async () => {
  for (const store of [5, "session", {}, { get() {}, set() {} }]) {
    assert.throws(() => client(store), (e) => e.code === "validation" && e.field === "store", JSON.stringify(store));
  }
  const local = await rejection(client("local").running());
  assert.equal(local.code, "validation");
  assert.match(local.message, /localStorage/);
  assert.equal((await rejection(client(undefined).running())).field, "store");
  assert.equal((await rejection(client(memoryStore()).resumeAll({ onprogress: () => {} }))).code, "validation");
  // A class instance's methods are its prototype's: that is a store too.
  class Kv { get() { return null; } set() {} delete() {} }
  assert.deepEqual(await client(new Kv()).running(), []);
});
