// Many tabs, one poller: pages of one Chromium context following one task share its polling
// (Web Locks elect the tab that polls, BroadcastChannel carries what it sees). Each page counts
// its own polls (onRequest) and the polls it was told of (onEvent); the sandbox counts what it
// was sent. Tasks are held at the sandbox until the test releases them: nothing here depends on
// how fast this machine is.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchChromium } from "../support/chromium.mjs";
import { serveStatic } from "../support/static.mjs";
import { idPicker, testSandbox } from "../support/sandbox.mjs";
import { root } from "../support/packed.mjs";
import { UnlockClient } from "../../pkg/node.js";

const KEY = "uak_tabs_secret_5c1";
let sandbox, site, browser;
const ids = idPicker();

before(async () => {
  sandbox = await testSandbox({ speed: 40 });
  site = await serveStatic(root);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await sandbox?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A held task, started from Node: `{ token, taskId }`. */
async function heldTask() {
  await sandbox.hold();
  const client = new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url });
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ids(3) });
  await sandbox.hold(false); // later tasks are not held; this one stays held until released
  return task;
}

const polls = async (taskId) => (await sandbox.requests()).filter((r) => r.method === "GET" && r.path === `/external/contacts/unlock-tasks/${taskId}`).length;
const creates = async () => (await sandbox.requests()).filter((r) => r.method === "POST" && r.path === "/external/contacts/unlock").length;

/** `n` pages of one browser context (one origin, as a person's tabs), each following `task`. */
async function tabs(n, task, { disableApis = false, pollute = false } = {}) {
  const context = await browser.newContext();
  if (disableApis) {
    // An old browser: neither Web Locks nor BroadcastChannel.
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined });
      delete globalThis.BroadcastChannel;
    });
  }
  const pages = [];
  for (let i = 0; i < n; i++) {
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error("page error:", e));
    await page.goto(`${site.url}/tests/browser/tabs.html`);
    await page.waitForFunction(() => window.ready);
    pages.push(page);
  }
  // Not awaited: each page's wait runs on; its outcome is read from window.tab. (A page the
  // test closes ends its evaluate with an error, which is expected.)
  for (const page of pages) page.evaluate((t) => window.follow(t), { token: task.token, baseUrl: sandbox.url, apiKey: KEY, pollute }).catch(() => {});
  return { context, pages };
}

const tab = (page) => page.evaluate(() => window.tab);
/** A result without its requestId: a tab that read the final answer itself (±1 poll) has its own. */
const outcome = ({ requestId, ...rest }) => rest;

/** Waits (up to a minute) until `check` holds. */
async function until(check, what) {
  for (let i = 0; i < 1200; i++) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting until ${what}`);
}

test("3 tabs on one task: one polls, all get the same result, the sandbox sees one tab's polls", async () => {
  const task = await heldTask();
  const createsBefore = await creates();
  const { context, pages } = await tabs(3, task);
  try {
    assert.ok((await tab(pages[0])).sharing, "Chromium has Web Locks and BroadcastChannel");
    await until(async () => (await polls(task.taskId)) >= 6, "the task was polled 6 times");
    await sandbox.release(task.taskId);
    await until(async () => (await Promise.all(pages.map(tab))).every((t) => t.result || t.error), "every tab has an outcome");
    const states = await Promise.all(pages.map(tab));
    assert.deepEqual(states.map((s) => s.error), [null, null, null]);
    assert.equal(states[0].result.status, "completed");
    for (const s of states) assert.deepEqual(outcome(s.result), outcome(states[0].result), "the same result in every tab");
    const sent = await polls(task.taskId);
    // One tab polled (±1: as it finished, another may have been given the lock before the
    // result reached it), and the sandbox saw only the tabs' polls; every tab was told of them.
    assert.equal(states.reduce((sum, s) => sum + s.ownPolls, 0), sent);
    assert.ok(Math.max(...states.map((s) => s.ownPolls)) >= sent - 1, `one tab made ${Math.max(...states.map((s) => s.ownPolls))} of the ${sent} polls`);
    for (const s of states) assert.ok(s.seenPolls >= sent - 1 && s.seenPolls <= sent, `a tab saw ${s.seenPolls} of ${sent} polls`);
    for (const s of states) assert.ok(s.progress >= 1, "every tab saw progress");
    assert.equal(await creates(), createsBefore, "no tab created anything");
  } finally {
    await context.close();
  }
});

test("the polling tab closes: another takes over, with no new create and no lost result", async () => {
  const task = await heldTask();
  const createsBefore = await creates();
  const { context, pages } = await tabs(3, task);
  try {
    await until(async () => (await polls(task.taskId)) >= 3, "the task was polled 3 times");
    const states = await Promise.all(pages.map(tab));
    const leader = states.findIndex((s) => s.ownPolls > 0);
    assert.equal(states.filter((s) => s.ownPolls > 0).length, 1, "one tab polls");
    await pages[leader].close();
    const rest = pages.filter((_, i) => i !== leader);
    const closedAt = Date.now();
    await until(async () => (await Promise.all(rest.map(tab))).some((t) => t.ownPolls > 0), "another tab polls");
    console.log(`takeover: the next poll came ${Date.now() - closedAt} ms after the polling tab closed (schedule: 100, 150, 250 ms)`);
    await sandbox.release(task.taskId);
    await until(async () => (await Promise.all(rest.map(tab))).every((t) => t.result || t.error), "every open tab has an outcome");
    const after = await Promise.all(rest.map(tab));
    assert.deepEqual(after.map((s) => s.error), [null, null]);
    assert.deepEqual(outcome(after[0].result), outcome(after[1].result));
    assert.equal(after[0].result.status, "completed");
    assert.ok(after.some((s) => s.ownPolls > 0), "a tab took over");
    assert.equal(await creates(), createsBefore);
  } finally {
    await context.close();
  }
});

test("a frozen polling tab is replaced after the heartbeat timeout, and stops polling when it thaws", async () => {
  const task = await heldTask();
  const { context, pages } = await tabs(3, task);
  try {
    await until(async () => (await polls(task.taskId)) >= 3, "the task was polled 3 times");
    const leader = (await Promise.all(pages.map(tab))).findIndex((s) => s.ownPolls > 0);
    // Frozen: its JavaScript stops (the debugger pauses it), so it holds the lock and says
    // nothing. (Page.setWebLifecycleState "frozen" left a visible headless page running.)
    const ownBeforeFreeze = (await tab(pages[leader])).ownPolls;
    const cdp = await context.newCDPSession(pages[leader]);
    await cdp.send("Debugger.enable");
    await cdp.send("Debugger.pause");
    const rest = pages.filter((_, i) => i !== leader);
    await until(async () => (await Promise.all(rest.map(tab))).some((t) => t.ownPolls > 0), "another tab took over from the frozen one");
    await sandbox.release(task.taskId);
    await until(async () => (await Promise.all(rest.map(tab))).every((t) => t.result), "the open tabs have the result");
    await cdp.send("Debugger.resume");
    await until(async () => (await tab(pages[leader])).result || (await tab(pages[leader])).error, "the thawed tab has an outcome");
    const thawed = await tab(pages[leader]);
    assert.equal(thawed.error, null);
    // The same outcome; the thawed tab may have read it with the one poll it had due when it
    // froze (then its requestId is its own answer's).
    assert.deepEqual(outcome(thawed.result), outcome((await tab(rest[0])).result), "the thawed tab gets the same result");
    // Thawed, it learns another tab holds the task and stops: at most the poll that was on its
    // way as the pause landed, and the one it had due.
    assert.ok(thawed.ownPolls - ownBeforeFreeze <= 2, `the thawed tab polled ${thawed.ownPolls - ownBeforeFreeze} more times`);
  } finally {
    await context.close();
  }
});

test("without Web Locks and BroadcastChannel each tab polls on its own, as before", async () => {
  const task = await heldTask();
  const { context, pages } = await tabs(3, task, { disableApis: true });
  try {
    assert.equal((await tab(pages[0])).sharing, false);
    await until(async () => (await Promise.all(pages.map(tab))).every((t) => t.ownPolls >= 2), "every tab polled twice");
    await sandbox.release(task.taskId);
    await until(async () => (await Promise.all(pages.map(tab))).every((t) => t.result || t.error), "every tab has an outcome");
    const states = await Promise.all(pages.map(tab));
    assert.deepEqual(states.map((s) => s.result?.status), ["completed", "completed", "completed"]);
    assert.equal(states.reduce((sum, s) => sum + s.ownPolls, 0), await polls(task.taskId), "every poll came from some tab");
  } finally {
    await context.close();
  }
});

test("a wait option another script put on Object.prototype is never read, shared or not", async () => {
  const task = await heldTask();
  const { context, pages } = await tabs(2, task, { pollute: true });
  try {
    // Read as an option, Object.prototype.maxWaitMs = 1 would end both waits at once.
    await until(async () => (await polls(task.taskId)) >= 3, "the task was polled 3 times");
    assert.deepEqual((await Promise.all(pages.map(tab))).map((t) => t.error), [null, null]);
    await sandbox.release(task.taskId);
    await until(async () => (await Promise.all(pages.map(tab))).every((t) => t.result || t.error), "both tabs have an outcome");
    assert.deepEqual((await Promise.all(pages.map(tab))).map((t) => t.result?.status), ["completed", "completed"]);
  } finally {
    await context.close();
  }
});
