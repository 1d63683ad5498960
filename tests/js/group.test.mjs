// Whole attendee lists: a selection larger than one task starts as a group, one token resumes
// every part, a refusal for size cuts the parts smaller, and a refusal of another kind stops the
// group honestly (what started runs on, what did not is listed). Against the strict sandbox.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { UnlockClient, readGroupHeader, resplitSize } from "../../pkg/node.js";
import { EVENT_ID, busiestWindow, rejection, testSandbox, whileHeld } from "../support/sandbox.mjs";
import { FIRST_ID, unlockedBefore } from "../../sandbox/fixtures.mjs";

const KEY = "uak_group_secret_4f2";
const PEOPLE = 6_000;
let sandbox;
let next = FIRST_ID;

/** `n` personnel ids no earlier test used (skipping the ones unlocked before). */
function fresh(n) {
  const out = [];
  while (out.length < n) {
    const id = String(next++);
    if (!unlockedBefore(id)) out.push(id);
  }
  return out;
}

before(async () => {
  sandbox = await testSandbox({ speed: 40, people: PEOPLE });
  await sandbox.config({ balance: { [KEY]: { lensmor: 1e9 } } });
});
after(() => sandbox.close());

const client = (extra = {}) => new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url, polling: { delaysMs: [20, 40], jitter: 0 }, ...extra });
const creates = async () => (await sandbox.requests()).filter((r) => r.path === "/external/contacts/unlock" && r.method === "POST");
const balance = async () => (await client().creditBalance()).balance;
/** The error `call` throws; fails the test if it returns. */
function rejectionOf(call) {
  try {
    call();
  } catch (error) {
    return error;
  }
  assert.fail("expected a throw");
}

test("2,500 contacts start as a group of two tasks; one token follows both; every contact is reported", async () => {
  const ids = fresh(2_500);
  const before = (await creates()).length;
  const check = await client().precheckEmails({ eventId: EVENT_ID, personnelIds: ids });
  assert.equal(check.requestedCount, 2_500, "one precheck view across the parts");
  const task = await client().unlockEmails({ eventId: EVENT_ID, personnelIds: ids });
  assert.equal(task.started, true);
  assert.match(task.token, /^ug1\./);
  assert.equal(task.parts.length, 2);
  assert.equal(task.taskId, task.parts[0]);
  const sent = (await creates()).slice(before);
  assert.deepEqual(sent.map((r) => r.body.personnel_ids.length), [2_000, 500]);
  assert.deepEqual(sent.flatMap((r) => r.body.personnel_ids), ids, "each contact in one part, in order");
  const result = await client().waitForTask(task.token);
  assert.equal(result.status, "completed");
  assert.deepEqual(result.parts.map((p) => [p.taskId, p.status]), task.parts.map((id) => [id, "completed"]));
  assert.equal(result.items.length + task.skipped.length, 2_500, "every contact reported");
});

test("a 422 with the account's limit cuts the rest into parts of that size; nothing is charged twice", async () => {
  await sandbox.config({ selectionLimit: 100 });
  try {
    const ids = fresh(250);
    const [before, paid] = [(await creates()).length, await balance()];
    const task = await client().unlockEmails({ eventId: EVENT_ID, personnelIds: ids });
    const sent = (await creates()).slice(before);
    assert.deepEqual(sent.map((r) => [r.status, r.body.personnel_ids.length]), [[422, 250], [201, 100], [201, 100], [201, 50]]);
    assert.equal(task.parts.length, 3);
    const result = await client().waitForTask(task.token);
    const charged = result.items.filter((i) => i.chargeable).length;
    assert.equal(paid - (await balance()), 250 * 15, "each contact charged once");
    assert.ok(charged <= 250);
  } finally {
    await sandbox.config({ selectionLimit: 2_000 });
  }
});

test("group: false is one task or a refusal: more than maxBatch is refused unsent, a 422 rejects with its limit for the caller to cut", async () => {
  const before = (await creates()).length;
  const tooMany = await rejection(client({ maxBatch: 2 }).unlockEmails({ eventId: EVENT_ID, personnelIds: fresh(3) }, { group: false }));
  assert.equal(tooMany.code, "validation");
  assert.equal(tooMany.field, "personnelIds");
  assert.equal((await rejection(client().unlockEmails({ eventId: EVENT_ID, personnelIds: fresh(1) }, { group: "no" }))).field, "group");
  assert.equal((await creates()).length, before, "nothing sent");
  await sandbox.config({ selectionLimit: 2 });
  try {
    const refused = await rejection(client().unlockEmails({ eventId: EVENT_ID, personnelIds: fresh(3) }, { group: false }));
    assert.equal(refused.errorKey, "LEAD_SELECTION_LIMIT_EXCEEDED");
    assert.equal(refused.limit, 2);
    assert.equal(refused.token, undefined);
    assert.equal(resplitSize(refused, 3), 2, "what a proxy asks: the caller cuts the rest into parts of 2");
    assert.equal(resplitSize(refused, 2), undefined);
    assert.equal(resplitSize({ code: "payment_required", status: 402 }, 3), undefined);
    assert.equal(resplitSize({ code: "validation", status: 400 }, 2_000), 100, "an older deployment on 100 per task");
    assert.equal(readGroupHeader("0123456789abcdef;rest=7").rest, 7);
    assert.equal(rejectionOf(() => readGroupHeader("0123456789abcdef;rest=0")).code, "validation");
    assert.equal((await creates()).length, before + 1, "one create, no group");
  } finally {
    await sandbox.config({ selectionLimit: 2_000 });
  }
});

test("a 402 at part 2 of 3: the error holds the token of part 1, which runs on, and lists the contacts not started", async () => {
  const ids = fresh(300);
  const before = (await creates()).length;
  await sandbox.faults({ method: "POST", path: "/external/contacts/unlock", kind: "status", status: 402, errorKey: "INSUFFICIENT_CREDITS", message: "Insufficient credits", skip: 1 });
  const error = await rejection(client({ maxBatch: 100 }).unlockEmails({ eventId: EVENT_ID, personnelIds: ids }));
  assert.deepEqual([error.name, error.code, error.status], ["UnlockError", "payment_required", 402]);
  assert.match(error.message, /^1 task\(s\) of this selection started and run on; 200 contact\(s\) did not start/);
  assert.deepEqual(error.notStarted, ids.slice(100));
  assert.match(error.token, /^ug1\./);
  const sent = (await creates()).slice(before);
  assert.deepEqual(sent.map((r) => r.status), [201, 402], "part 3 was not tried");
  const result = await client().waitForTask(error.token);
  assert.equal(result.parts.length, 1);
  assert.deepEqual(result.items.map((i) => i.id).sort(), ids.slice(0, 100).sort());
  // Starting what did not start starts only that.
  const rest = await client({ maxBatch: 100 }).unlockEmails({ eventId: EVENT_ID, personnelIds: error.notStarted });
  assert.equal(rest.parts.length, 2);
  await client().waitForTask(rest.token);
});

test("a reload in the middle of a group resumes every part with no new create", async () => {
  await whileHeld(sandbox, async () => {
    const ids = fresh(300);
    const task = await client({ maxBatch: 100 }).unlockEmails({ eventId: EVENT_ID, personnelIds: ids });
    assert.equal(task.parts.length, 3);
    const step = await client().pollOnce(task.token);
    assert.deepEqual([step.done, step.snapshot.status, step.snapshot.parts.length], [false, "processing", 3]);
    const count = (await creates()).length;
    // The page reloads: a new client, the stored token.
    const waiting = client().waitForTask(step.token);
    await sandbox.hold(false);
    assert.equal((await sandbox.release()).length, 3);
    const result = await waiting;
    assert.equal(result.status, "completed");
    assert.equal(result.items.length, 300);
    assert.equal((await creates()).length, count, "no new create");
    const read = await client().getTask(step.token);
    assert.equal(read.items.length, 300);
  });
});

test("a group that cannot be paid for starts nothing", async () => {
  const broke = new UnlockClient({ provider: "lensmor", apiKey: "uak_group_broke", baseUrl: sandbox.url, maxBatch: 100 });
  const before = (await creates()).length;
  const error = await rejection(broke.unlockPhones({ eventId: EVENT_ID, personnelIds: fresh(150) }));
  assert.equal(error.code, "payment_required");
  assert.equal(error.token, undefined);
  assert.equal((await creates()).length, before);
  const phones = (await sandbox.requests()).filter((r) => r.path === "/external/contacts/unlock-phone");
  assert.equal(phones.length, 0, "no create was sent");
});

test("Salesfinity: 300 profiles in one call, at most maxConcurrency creates at once, within the client's budget; one token follows them all", async () => {
  const SF = "sf_group_secret_77";
  // The provider's window scaled to a second (110 of it), the client's budget 100 of it.
  await sandbox.config({ balance: { [SF]: { salesfinity: 10_000 } }, rateLimit: 110, rateWindowMs: 1_000 });
  try {
    let inFlight = 0;
    let most = 0;
    const sf = new UnlockClient({
      provider: "salesfinity", apiKey: SF, baseUrl: sandbox.url, polling: { delaysMs: [20, 40], jitter: 0 },
      rateLimit: { requests: 100, windowMs: 1_000 },
      onRequest: (r) => r.method === "POST" && (most = Math.max(most, ++inFlight)),
      onResponse: (r) => r.method === "POST" && inFlight--,
    });
    const profiles = Array.from({ length: 300 }, (_, i) => ({ linkedinUrl: `https://www.linkedin.com/in/group-${i}`, type: "work" }));
    // A repeat is sent once and reported.
    const given = [...profiles, { linkedinUrl: "https://linkedin.com/in/group-7/", type: "work" }];
    const from = (await sandbox.requests()).length;
    // Each create takes a moment, so creates overlap.
    await sandbox.faults({ method: "POST", path: "/v1/api/enrichment/email", kind: "delay", delayMs: 15, count: 300 });
    const group = await sf.enrichEmails(given, { maxConcurrency: 3 });
    assert.equal(group.parts.length, 300);
    assert.deepEqual(group.duplicates, ["https://www.linkedin.com/in/group-7"]);
    assert.equal(most, 3, "never more than three creates at once, and three did overlap");
    const creates = (await sandbox.requests()).slice(from).filter((r) => r.method === "POST");
    assert.equal(creates.length, 300);
    assert.ok(busiestWindow(creates, 1_000) <= 100, "within the client's budget");
    assert.equal(creates.filter((r) => r.status === 429).length, 0);
    const result = await sf.waitForTask(group.token);
    assert.equal(result.kind, "salesfinity.email");
    assert.equal(result.parts.length, 300);
    assert.equal(result.items.length, 300);
  } finally {
    await sandbox.clearFaults();
    await sandbox.config({ rateLimit: 120, rateWindowMs: 60_000 });
  }
});

test("Salesfinity: a bad profile is refused before anything is sent; a 402 part-way lists the profiles not started", async () => {
  const SF = "sf_group_partial_5";
  await sandbox.config({ balance: { [SF]: { salesfinity: 10_000 } } });
  const sf = new UnlockClient({ provider: "salesfinity", apiKey: SF, baseUrl: sandbox.url, polling: { delaysMs: [20], jitter: 0 } });
  const from = (await sandbox.requests()).length;
  const bad = await rejection(sf.enrichEmails([{ linkedinUrl: "https://www.linkedin.com/in/a", type: "work" }, { linkedinUrl: "https://evil.example/in/b", type: "work" }]));
  assert.deepEqual([bad.code, bad.field], ["validation", "profiles[1].linkedinUrl"]);
  assert.equal((await rejection(sf.enrichEmails([], {}))).field, "profiles");
  assert.equal((await rejection(sf.enrichEmails([{ linkedinUrl: "https://www.linkedin.com/in/a", type: "work" }], { maxConcurrency: 0 }))).field, "maxConcurrency");
  assert.equal((await sandbox.requests()).length, from, "nothing was sent");

  const profiles = Array.from({ length: 5 }, (_, i) => ({ linkedinUrl: `https://www.linkedin.com/in/partial-${i}`, type: "personal" }));
  await sandbox.faults({ method: "POST", path: "/v1/api/enrichment/email", kind: "status", status: 402, message: "Insufficient credits", skip: 2 });
  const error = await rejection(sf.enrichEmails(profiles, { maxConcurrency: 1 }));
  await sandbox.clearFaults();
  assert.deepEqual([error.code, error.notStarted], ["payment_required", profiles.slice(2).map((p) => p.linkedinUrl)]);
  const result = await sf.waitForTask(error.token);
  assert.equal(result.parts.length, 2, "the two that started run on");
});

test("a group finished through pollOnce frees its selection: a start of it again is not the old group", async () => {
  const c = client({ maxBatch: 100 });
  const ids = fresh(150);
  const group = await c.unlockEmails({ eventId: EVENT_ID, personnelIds: ids });
  let step = await c.pollOnce(group.token);
  while (!step.done) {
    // At the step's own time, as a scheduler would (every 20 ms spent the client's budget and
    // waited ~50 s for it).
    await new Promise((r) => setTimeout(r, Math.max(0, step.nextPollAt - Date.now())));
    step = await c.pollOnce(step.token);
  }
  const again = await c.unlockEmails({ eventId: EVENT_ID, personnelIds: ids });
  assert.equal(again.reused, false, "the finished group's start is forgotten");
});
