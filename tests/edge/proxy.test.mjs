// The edge-worker proxy (examples/edge-worker/worker.js) in real workerd with Durable Objects
// and alarms, against the sandbox: starts validated and made once, alarms drive tasks to the
// end, the browser's client works through it, keys never leak, and only its routes are served.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { sandboxControls, testSandbox } from "../support/sandbox.mjs";
import { installPackedPackage } from "../support/packed.mjs";
import { startEdgeWorker } from "../support/workerd.mjs";
import { UnlockClient } from "../../pkg/node.js";
import { startDemo } from "../../scripts/demo.mjs";
import { launchChromium } from "../support/chromium.mjs";
import { sessionToken, signedIn } from "../support/session.mjs";

const LENSMOR_KEY = "uak_edge_secret_91ab";
const SALESFINITY_KEY = "sf_edge_secret_77cd";
const ORIGIN = "https://app.example";
const SESSION_SECRET = "session-secret-for-tests-3d9f";
const CALLBACK_SECRET = "callback-secret-for-tests-8a1c";
let sandbox, app, worker;
const seen = []; // every response body and header the worker sent, to search for keys

before(async () => {
  sandbox = await testSandbox({ speed: 20 });
  app = installPackedPackage();
  worker = await startEdgeWorker(app, {
    LENSMOR_API_KEY: LENSMOR_KEY, SALESFINITY_API_KEY: SALESFINITY_KEY, ALLOWED_ORIGIN: ORIGIN,
    LENSMOR_BASE_URL: sandbox.url, SALESFINITY_BASE_URL: sandbox.url, POLL_DELAYS_MS: "[100, 150, 250]",
    SESSION_SECRET, CALLBACK_SECRET, PUBLIC_URL: "https://proxy.example",
  });
});

after(async () => {
  worker?.close();
  await sandbox.close();
  rmSync(app, { recursive: true, force: true });
});

/** A request to the worker, signed in as `user` (null: no session). */
async function call(path, { method = "GET", body, origin = ORIGIN, user = "proxy-user" } = {}) {
  const headers = { ...(origin ? { origin } : {}), ...(body ? { "content-type": "application/json" } : {}), ...(user ? signedIn(SESSION_SECRET, user) : {}) };
  const response = await fetch(worker.url + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  seen.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}
const sandboxLog = () => sandbox.requests();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function finished(kind, taskId) {
  for (let i = 0; i < 200; i++) {
    const { body } = await call(`/tasks/${kind}/${encodeURIComponent(taskId)}`);
    if (body.state !== "running" && body.state !== "unknown") return body;
    await sleep(100);
  }
  assert.fail("the task did not finish in the background");
}

test("a start is made once per selection, and alarms drive the task to its result", async () => {
  // Held: the task cannot finish before the second start, however slow this machine is.
  await sandbox.hold();
  const created = await call("/lensmor/external/contacts/unlock", { method: "POST", body: { event_id: "139574", personnel_ids: ["789", "792", "793"] } });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal(created.body.status, "accepted");
  const again = await call("/lensmor/external/contacts/unlock", { method: "POST", body: { event_id: "139574", personnel_ids: ["793", "789", "792", "789"] } });
  assert.equal(again.body.task_id, created.body.task_id, "the same selection gets the running task");
  const creates = (await sandboxLog()).filter((r) => r.method === "POST" && r.path === "/external/contacts/unlock");
  assert.equal(creates.length, 1);
  await sandbox.hold(false);
  assert.deepEqual(await sandbox.release(), [created.body.task_id]);

  // Nobody polls from here: the Durable Object's alarms do.
  const state = await finished("lensmor.email", created.body.task_id);
  assert.equal(state.state, "done");
  assert.deepEqual(state.result.delivered.map((i) => i.id).sort(), ["789", "792"]);
  assert.deepEqual(state.result.failed.map((i) => i.id), ["793"]);
  const polls = (await sandboxLog()).filter((r) => r.path === `/external/contacts/unlock-tasks/${created.body.task_id}`);
  assert.ok(polls.length >= 1 && polls.every((r) => r.hasKey), "the worker polled, with the key");
});

test("the browser's client works through the proxy with no key", async () => {
  // Signed in through the `headers` option: a function, called before each request.
  let calls = 0;
  const headers = async () => (calls++, signedIn(SESSION_SECRET, "browser-user"));
  const browserClient = new UnlockClient({ provider: "lensmor", baseUrl: `${worker.url}/lensmor`, headers, polling: { delaysMs: [100, 150, 250] } });
  const check = await browserClient.precheckEmails({ eventId: "139574", personnelIds: ["800", "801"] });
  assert.equal(check.credits, 30);
  const task = await browserClient.unlockPhones({ eventId: "139574", personnelIds: ["800", "801"] });
  const result = await browserClient.waitForTask(task.token);
  assert.equal(result.kind, "lensmor.phone");
  assert.equal(result.delivered.length, 2);
  assert.ok((await browserClient.creditBalance()).balance < 1000);
  const validation = await browserClient.unlockEmails({ eventId: "139574", personnelIds: [] }).catch((e) => e);
  assert.equal(validation.code, "validation");
  assert.ok(calls >= 4, "the headers function ran before each request");
  const anonymous = new UnlockClient({ provider: "lensmor", baseUrl: `${worker.url}/lensmor` });
  assert.equal((await anonymous.creditBalance().catch((e) => e)).code, "unauthorized");
});

test("a group through the proxy: the browser's client starts each part, the worker runs each once, one token follows them", async () => {
  const tab = () => new UnlockClient({ provider: "lensmor", baseUrl: `${worker.url}/lensmor`, headers: () => signedIn(SESSION_SECRET, "group-user"), polling: { delaysMs: [100, 150, 250] }, maxBatch: 2 });
  const browserClient = tab();
  const ids = ["840", "841", "842", "843", "844"];
  const creates = async () => (await sandboxLog()).filter((r) => r.method === "POST" && r.path === "/external/contacts/unlock").length;
  const before = await creates();
  const group = await browserClient.unlockEmails({ eventId: "139574", personnelIds: ids });
  assert.equal(group.parts.length, 3);
  assert.equal(await creates(), before + 3, "one create per part");
  // The same selection from another tab: the worker runs each part once per user and
  // selection, so the same tasks come back (no new create).
  const again = await tab().unlockEmails({ eventId: "139574", personnelIds: ids });
  assert.deepEqual(again.parts, group.parts);
  assert.equal(await creates(), before + 3);
  const result = await browserClient.waitForTask(group.token);
  assert.equal(result.status, "completed");
  assert.equal(result.items.length + group.skipped.length, 5);
  assert.deepEqual(result.parts.map((p) => p.status), ["completed", "completed", "completed"]);
});

test("input is validated before anything is spent", async () => {
  // Only starts count: the Durable Objects of earlier tests keep polling (GETs) in the background.
  const starts = async () => (await sandboxLog()).filter((r) => r.method === "POST").length;
  const before = await starts();
  const tooMany = await call("/lensmor/external/contacts/unlock", { method: "POST", body: { event_id: "139574", personnel_ids: Array.from({ length: 2001 }, (_, i) => `p${i}`) } });
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.errorKey, "VALIDATION");
  assert.match(tooMany.body.message, /at most 2000/);
  const badUrl = await call("/salesfinity/v1/api/enrichment/email", { method: "POST", body: { linkedin_url: "https://evil.example/in/x", type: "work" } });
  assert.equal(badUrl.status, 400);
  const notJson = await fetch(`${worker.url}/lensmor/external/contacts/unlock`, { method: "POST", body: "{", headers: { origin: ORIGIN, ...signedIn(SESSION_SECRET, "proxy-user") } });
  assert.equal(notJson.status, 400);
  assert.equal(await starts(), before, "nothing reached the provider");
});

test("only the proxy's routes are served, and only to the configured origin", async () => {
  assert.equal((await call("/lensmor/external/anything/else")).status, 404);
  assert.equal((await call("/lensmor/external/contacts/unlock", { method: "GET" })).status, 404);
  assert.equal((await call("/other/external/credits/balance")).status, 404);
  assert.equal((await call("/lensmor/../__sandbox/requests")).status, 404);
  const foreign = await call("/lensmor/external/credits/balance", { origin: "https://evil.example" });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.get("access-control-allow-origin"), null);
  const preflight = await fetch(`${worker.url}/lensmor/external/contacts/unlock`, { method: "OPTIONS", headers: { origin: ORIGIN } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), ORIGIN);
  const foreignPreflight = await fetch(`${worker.url}/lensmor/external/contacts/unlock`, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
  assert.equal(foreignPreflight.status, 403);
});

test("a forged Salesfinity callback is not trusted; a real one is confirmed by reading back", async () => {
  // Held: the forged callback arrives while the lookup runs, on any machine.
  await sandbox.hold();
  const created = await call("/salesfinity/v1/api/enrichment/email", { method: "POST", body: { linkedin_url: "linkedin.com/in/ada-lovelace", type: "work" } });
  assert.equal(created.status, 201);
  const id = created.body._id;
  // A forged "completed" while the lookup still runs: the worker reads it back and stores nothing.
  const callback = `/callbacks/salesfinity?secret=${CALLBACK_SECRET}`;
  const forged = await call(callback, { method: "POST", origin: null, user: null, body: { _id: id, status: "completed", email: { email: "attacker@evil.example", type: "work" } } });
  assert.equal(forged.body.confirmed, false);
  const unknown = await call(callback, { method: "POST", origin: null, user: null, body: { _id: "not-a-real-id", status: "completed" } });
  assert.equal(unknown.body.confirmed, false);
  const noSecret = await call("/callbacks/salesfinity", { method: "POST", origin: null, user: null, body: { _id: id } });
  assert.equal(noSecret.status, 404, "a callback without the secret is not served");
  await sandbox.hold(false);
  assert.deepEqual(await sandbox.release(id), [id]);

  const state = await finished("salesfinity.email", id);
  assert.equal(state.result.delivered[0].value, "ada-lovelace@work.example");
  const reads = (await sandboxLog()).filter((r) => r.path.endsWith(id)).length;
  const real = await call(callback, { method: "POST", origin: null, user: null, body: { _id: id, status: "completed" } });
  assert.equal(real.body.confirmed, true);
  assert.equal((await sandboxLog()).filter((r) => r.path.endsWith(id)).length, reads, "an ended task is not read again");
  assert.ok(!JSON.stringify(await call(`/tasks/salesfinity.email/${id}`)).includes("attacker"));
});

test("the demo page's proxy mode: browser → worker → provider, with no key in the browser", async () => {
  const demo = await startDemo({ port: 0, speed: 20, polling: { delaysMs: [200, 300, 500], jitter: 0 } });
  const proxy = await startEdgeWorker(app, { LENSMOR_API_KEY: LENSMOR_KEY, ALLOWED_ORIGIN: new URL(demo.url).origin, LENSMOR_BASE_URL: demo.sandbox.url, POLL_DELAYS_MS: "[200, 300, 500]", SESSION_SECRET });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const browserRequests = [];
    page.on("request", (r) => r.url().startsWith(proxy.url) && browserRequests.push(r.headers()));
    await page.goto(demo.url);
    await page.waitForSelector("tr[data-id='789']");
    await page.check("input[name=mode][value=proxy]");
    await page.fill("#proxy-token", sessionToken(SESSION_SECRET, "demo-user"));
    await page.fill("#proxy-url", proxy.url);
    await page.dispatchEvent("#proxy-url", "change");
    await page.waitForSelector("tr[data-id='830'] input:not([disabled])");
    await page.check("tr[data-id='830'] input");
    await page.check("tr[data-id='831'] input");
    await page.waitForFunction(() => document.getElementById("estimate").textContent === "30");
    await page.click("#start");
    await page.waitForFunction(() => document.getElementById("task-status").textContent.startsWith("Done"), null, { timeout: 30_000 });
    assert.equal(await page.textContent("[data-outcome=delivered] dd"), "2");
    assert.ok(browserRequests.length >= 4, "the page talked to the proxy");
    assert.ok(browserRequests.every((h) => !h["x-api-key"] && !h.authorization?.includes(LENSMOR_KEY)), "the browser sent no key");
    assert.ok(browserRequests.filter((h) => h.authorization).length >= 4, "the page signed in to the proxy");
    const upstream = (await (await fetch(`${demo.sandbox.url}/__sandbox/requests`)).json()).requests;
    assert.ok(upstream.length > 0 && upstream.every((r) => r.hasKey), "the proxy added the key to every request, the contact list's too");
    assert.ok(upstream.some((r) => r.path === "/external/personnel/list"), "the contacts came from the documented personnel route");

    // The whole event (about 400 locked contacts, parts of 100, 15 credits each) is past this
    // user's 1,500 for today: the worker refuses the group at its first part, nothing is
    // created, and the page says why. In Chromium, so CORS lets x-unlock-group through.
    const creates = upstream.filter((r) => r.method === "POST" && r.path === "/external/contacts/unlock").length;
    await sandboxControls(demo.sandbox.url).config({ balance: { [LENSMOR_KEY]: { lensmor: 1e6 } } }); // the key could pay
    await page.click("#select-all");
    await page.waitForFunction(() => Number(document.getElementById("selected-count").textContent) > 300);
    await page.click("#start");
    await page.waitForFunction(() => document.getElementById("selection-message").textContent.includes("This selection ("), null, { timeout: 30_000 });
    assert.match(await page.textContent("#selection-message"), /not yet started\) may cost up to \d+ credits; 1470 of your 1500 for today are left/);
    const after = (await (await fetch(`${demo.sandbox.url}/__sandbox/requests`)).json()).requests;
    assert.equal(after.filter((r) => r.method === "POST" && r.path === "/external/contacts/unlock").length, creates, "no part was created");
  } finally {
    await browser.close();
    proxy.close();
    await demo.close();
  }
});

test("the personnel routes are forwarded with only their documented query parameters", async () => {
  const page = await call("/lensmor/external/personnel/list?event_id=139574&page=2&pageSize=10&admin=1&debug=true");
  assert.equal(page.status, 200);
  assert.equal(page.body.page, 2);
  assert.equal(page.body.items.length, 10);
  const forwarded = (await sandboxLog()).filter((r) => r.path === "/external/personnel/list").at(-1);
  assert.equal(forwarded.query, "?event_id=139574&page=2&pageSize=10");
  const one = await call("/lensmor/external/personnel/profile?personnel_id=789");
  assert.equal(one.body.id, "789");
  assert.equal((await call("/lensmor/external/events/139574/personnel")).status, 404, "an undocumented route is not served");
});

// Last, so it reads every response the tests above received; a failure is reported here.
test("no response of the worker carried a provider key", () => {
  assert.ok(seen.length > 20, "responses were recorded");
  const all = seen.join("\n");
  for (const secret of [LENSMOR_KEY, SALESFINITY_KEY, SESSION_SECRET, CALLBACK_SECRET]) assert.ok(!all.includes(secret), "a secret appeared in a response");
});
