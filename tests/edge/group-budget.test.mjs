// Groups through the edge worker, in real workerd against the sandbox: the browser's client
// starts a whole attendee list as parts, each announcing its group (x-unlock-group), and the
// worker reserves the whole group's worst case in the user's daily budget at its first part.
// A selection the user cannot pay for whole starts nothing; two groups at once never leave
// both half-started; a group the provider stops frees what it held at once. The rules
// themselves: budget.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { idPicker, rejection, testSandbox } from "../support/sandbox.mjs";
import { installPackedPackage } from "../support/packed.mjs";
import { startEdgeWorker } from "../support/workerd.mjs";
import { UnlockClient } from "../../pkg/node.js";
import { signedIn } from "../support/session.mjs";

const SESSION_SECRET = "session-secret-for-group-tests-51e2";
const ORIGIN = "https://app.example";
const SALESFINITY_KEY = "sf_group_budget_9d2e";
const DAILY = 100; // credits per user: 6 emails (90), not 7
let sandbox, app, worker;
const ids = idPicker();

before(async () => {
  sandbox = await testSandbox({ speed: 40 });
  app = installPackedPackage();
  worker = await startEdgeWorker(app, {
    LENSMOR_API_KEY: "uak_group_budget_3f1c", SALESFINITY_API_KEY: SALESFINITY_KEY, ALLOWED_ORIGIN: ORIGIN,
    LENSMOR_BASE_URL: sandbox.url, SALESFINITY_BASE_URL: sandbox.url, POLL_DELAYS_MS: "[100, 150, 250]",
    SESSION_SECRET, DAILY_CREDITS_PER_USER: String(DAILY),
  });
});

after(async () => {
  worker?.close();
  await sandbox.close();
  rmSync(app, { recursive: true, force: true });
});

/** A browser's client signed in to the worker as `user`, in parts of `maxBatch`. */
function tab(user, provider = "lensmor", maxBatch = 2) {
  return new UnlockClient({ provider, baseUrl: `${worker.url}/${provider}`, headers: () => signedIn(SESSION_SECRET, user), polling: { delaysMs: [100, 150, 250] }, maxBatch });
}

async function budget(user) {
  const response = await fetch(`${worker.url}/budget`, { headers: signedIn(SESSION_SECRET, user) });
  return response.json();
}

async function creates(path = "/external/contacts/unlock") {
  return (await sandbox.requests()).filter((r) => r.method === "POST" && r.path === path);
}

test("a selection the user's budget cannot pay for whole starts nothing", async () => {
  const before = (await creates()).length;
  // 8 emails in parts of 2: 120 credits of the user's 100. Part by part, three parts (90)
  // would have started before the fourth was refused.
  const error = await rejection(tab("whole").unlockEmails({ eventId: "139574", personnelIds: ids(8) }));
  assert.equal(error.code, "payment_required");
  assert.equal(error.errorKey, "USER_BUDGET_EXCEEDED");
  assert.match(error.message, /This selection \(8 contacts not yet started\) may cost up to 120 credits; 100 of your 100/);
  assert.equal(error.token, undefined, "nothing started, nothing to resume");
  assert.equal((await creates()).length, before, "no create reached the provider");
  assert.deepEqual(await budget("whole"), { limit: DAILY, spent: 0, held: 0, remaining: DAILY, day: new Date().toISOString().slice(0, 10) });
});

test("a group that fits is held at its first part and drawn by each part, to the credit", async () => {
  const before = (await creates()).length;
  const group = await tab("fits").unlockEmails({ eventId: "139574", personnelIds: ids(6) });
  assert.equal(group.parts.length, 3);
  assert.equal((await creates()).length, before + 3);
  // Every announced contact was drawn: nothing is held any more, and 10 credits are left.
  const after = await budget("fits");
  assert.deepEqual([after.spent, after.held, after.remaining], [90, 0, 10]);
  const result = await tab("fits").waitForTask(group.token);
  assert.equal(result.items.length, 6);
});

test("two groups started at once by one user: one starts whole, the other starts nothing", async () => {
  const before = (await creates()).length;
  // 4 emails each (60 credits) against 100: both fit alone, not together.
  const [a, b] = await Promise.allSettled([
    tab("twice").unlockEmails({ eventId: "139574", personnelIds: ids(4) }),
    tab("twice").unlockEmails({ eventId: "139574", personnelIds: ids(4) }),
  ]);
  const outcomes = [a, b].map((o) => o.status).sort();
  assert.deepEqual(outcomes, ["fulfilled", "rejected"]);
  const started = [a, b].find((o) => o.status === "fulfilled").value;
  const refused = [a, b].find((o) => o.status === "rejected").reason;
  assert.equal(started.parts.length, 2);
  assert.equal(refused.errorKey, "USER_BUDGET_EXCEEDED");
  assert.equal(refused.token, undefined, "the other group started no part");
  assert.equal((await creates()).length, before + 2);
  assert.deepEqual([(await budget("twice")).spent, (await budget("twice")).held], [60, 0]);
});

test("a group the provider stops at part 2 frees what it held: a retry of the rest fits", async () => {
  const selection = ids(6);
  await sandbox.faults({ method: "POST", path: "/external/contacts/unlock", kind: "status", status: 402, errorKey: "INSUFFICIENT_CREDITS", message: "Insufficient credits", skip: 1 });
  const error = await rejection(tab("stopped").unlockEmails({ eventId: "139574", personnelIds: selection }));
  assert.equal(error.code, "payment_required");
  assert.ok(error.token?.startsWith("ug1."), "the part that started runs on from the error's token");
  assert.deepEqual(error.notStarted, selection.slice(2));
  // Part 1 spent 30; the 60 held for parts 2 and 3 are free again (held, they would leave 10).
  assert.deepEqual([(await budget("stopped")).spent, (await budget("stopped")).held], [30, 0]);
  const retry = await tab("stopped").unlockEmails({ eventId: "139574", personnelIds: error.notStarted });
  assert.equal(retry.parts.length, 2);
  assert.equal((await budget("stopped")).spent, 90);
});

test("a part refused for its size is cut smaller, drawn from the same hold, charged once", async () => {
  const before = (await creates()).length;
  await sandbox.config({ selectionLimit: 2 });
  try {
    // Parts of 3 against an account limit of 2: the first part is refused (422, nothing
    // charged) and the rest goes as parts of 2, within the hold its first try made.
    const group = await tab("resplit", "lensmor", 3).unlockEmails({ eventId: "139574", personnelIds: ids(6) });
    assert.equal(group.parts.length, 3);
  } finally {
    await sandbox.config({ selectionLimit: 2000 });
  }
  const sent = (await creates()).slice(before);
  assert.deepEqual(sent.map((r) => r.body.personnel_ids.length), [3, 2, 2, 2]);
  assert.deepEqual([(await budget("resplit")).spent, (await budget("resplit")).held], [90, 0]);
});

test("enrichEmails through the worker: the whole list of lookups is held first", async () => {
  const path = "/v1/api/enrichment/email";
  const before = (await creates(path)).length;
  const profiles = (n, from) => Array.from({ length: n }, (_, i) => ({ linkedinUrl: `linkedin.com/in/group-budget-${from + i}`, type: "work" }));
  await sandbox.config({ balance: { [SALESFINITY_KEY]: { salesfinity: 1000 } } }); // the key's own balance is no limit here
  // 101 lookups at 1 credit each, of the user's 100: none is sent.
  const error = await rejection(tab("lookups", "salesfinity").enrichEmails(profiles(101, 0), { maxConcurrency: 4 }));
  assert.equal(error.errorKey, "USER_BUDGET_EXCEEDED");
  assert.equal(error.token, undefined);
  assert.equal((await creates(path)).length, before);
  // 20 at 4 at once: all start, each drawn from the one hold.
  const group = await tab("lookups", "salesfinity").enrichEmails(profiles(20, 200), { maxConcurrency: 4 });
  assert.equal(group.parts.length, 20);
  assert.deepEqual([(await budget("lookups")).spent, (await budget("lookups")).held], [20, 0]);
});

test("a malformed group announcement is refused before anything is spent; browsers may send it", async () => {
  const before = (await sandbox.requests()).filter((r) => r.method === "POST").length;
  for (const value of ["nope", "0123456789abcdef;rest=0", "0123456789abcdef;rest=10001", "0123456789ABCDEF;rest=2"]) {
    const response = await fetch(`${worker.url}/lensmor/external/contacts/unlock`, {
      method: "POST",
      headers: { ...signedIn(SESSION_SECRET, "malformed"), "content-type": "application/json", "x-unlock-group": value },
      body: JSON.stringify({ event_id: "139574", personnel_ids: ids(1) }),
    });
    const body = await response.json();
    assert.equal(response.status, 400, value);
    assert.match(body.message, /x-unlock-group must be/);
  }
  assert.equal((await sandbox.requests()).filter((r) => r.method === "POST").length, before);
  const preflight = await fetch(`${worker.url}/lensmor/external/contacts/unlock`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-headers": "authorization, content-type, x-unlock-group" } });
  assert.match(preflight.headers.get("access-control-allow-headers"), /x-unlock-group/);
});

test("only a client without the key announces its parts (it talks to a proxy)", async () => {
  const announced = async (apiKey) => {
    const values = [];
    const client = new UnlockClient({
      provider: "lensmor", apiKey, baseUrl: apiKey ? sandbox.url : `${worker.url}/lensmor`, maxBatch: 2,
      headers: apiKey ? {} : signedIn(SESSION_SECRET, "announcer"),
      fetch: (input, init) => {
        const value = new Headers(init?.headers).get("x-unlock-group");
        if (value !== null) values.push(value);
        return fetch(input, init);
      },
    });
    const group = await client.unlockEmails({ eventId: "139574", personnelIds: ids(3) });
    assert.equal(group.parts.length, 2);
    return values;
  };
  assert.deepEqual(await announced("uak_direct_1"), [], "to the provider itself: no announcement");
  // Through the worker (no key): each part names the group and the contacts not yet started.
  assert.deepEqual((await announced(undefined)).map((v) => v.replace(/^[0-9a-f]{16};/, "")), ["rest=3", "rest=1"]);
});
