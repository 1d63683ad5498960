// The published contracts: the sandbox refuses what Lensmor's OpenAPI 0.27 refuses and takes
// what it allows (so it cannot drift back into an older contract, or into accepting what the real
// API would not), and every Lensmor call of the package passes it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { UnlockClient, tokenFor } from "../../pkg/node.js";
import { EVENT_ID, idPicker, rejection, testSandbox } from "../support/sandbox.mjs";

const KEY = "uak_contract_secret_31";
let sandbox;
const ids = idPicker();

before(async () => {
  sandbox = await testSandbox({ speed: 40 });
});
after(() => sandbox.close());

async function raw(method, path, { body, headers = {}, key = KEY } = {}) {
  const auth = path.startsWith("/v1/") ? { "x-api-key": key } : { authorization: `Bearer ${key}` };
  const res = await fetch(sandbox.url + path, {
    method,
    headers: { ...auth, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const many = (n) => Array.from({ length: n }, (_, i) => String(789 + i));
const unlock = (extra) => ({ event_id: EVENT_ID, personnel_ids: ["789"], ...extra });
const precheck = (extra) => ({ action_type: "unlock_contact_emails", params: unlock(), ...extra });

/** [what, method, path, options]: each is refused with 400 (or 404 for a route) before anything is charged. */
const REFUSED = [
  ["precheck with the input at the top level (the package's old body)", "POST", "/external/actions/precheck", { body: { action_type: "unlock_contact_emails", event_id: EVENT_ID, personnel_ids: ["789"] } }],
  ["precheck without params", "POST", "/external/actions/precheck", { body: { action_type: "unlock_contact_emails" } }],
  ["precheck with an empty action_type", "POST", "/external/actions/precheck", { body: precheck({ action_type: "" }) }],
  ["precheck with a 101-character action_type", "POST", "/external/actions/precheck", { body: precheck({ action_type: "a".repeat(101) }) }],
  ["precheck with a 101-character call_source", "POST", "/external/actions/precheck", { body: precheck({ call_source: "c".repeat(101) }) }],
  ["precheck with an empty call_source", "POST", "/external/actions/precheck", { body: precheck({ call_source: "" }) }],
  ["precheck with a 21-character locale", "POST", "/external/actions/precheck", { body: precheck({ locale: "l".repeat(21) }) }],
  ["precheck with a 201-character trace_id", "POST", "/external/actions/precheck", { body: precheck({ trace_id: "t".repeat(201) }) }],
  ["precheck with a 201-character conversation_id", "POST", "/external/actions/precheck", { body: precheck({ conversation_id: "t".repeat(201) }) }],
  ["precheck with a 201-character channel_message_id", "POST", "/external/actions/precheck", { body: precheck({ channel_message_id: "t".repeat(201) }) }],
  ["precheck with a field the schema forbids", "POST", "/external/actions/precheck", { body: precheck({ callSource: "api" }) }],
  ["precheck of an unlock without personnel_ids in params", "POST", "/external/actions/precheck", { body: { action_type: "unlock_contact_emails", params: { event_id: EVENT_ID } } }],
  ["unlock without personnel_ids", "POST", "/external/contacts/unlock", { body: { event_id: EVENT_ID } }],
  ["unlock with an empty event_id", "POST", "/external/contacts/unlock", { body: unlock({ event_id: "" }) }],
  ["unlock with a 101-character event_id", "POST", "/external/contacts/unlock", { body: unlock({ event_id: "1".repeat(101) }) }],
  ["unlock with no personnel ids", "POST", "/external/contacts/unlock", { body: unlock({ personnel_ids: [] }) }],
  ["unlock with 2,001 personnel ids", "POST", "/external/contacts/unlock", { body: unlock({ personnel_ids: many(2001) }) }],
  ["unlock with numeric personnel ids", "POST", "/external/contacts/unlock", { body: unlock({ personnel_ids: [789] }) }],
  ["unlock with a body that is not JSON", "POST", "/external/contacts/unlock", { body: "{" }],
  ["phone unlock with 2,001 personnel ids", "POST", "/external/contacts/unlock-phone", { body: unlock({ personnel_ids: many(2001) }) }],
  ["phone unlock without personnel_ids", "POST", "/external/contacts/unlock-phone", { body: {} }],
  ["an email task whose id is not decimal", "GET", "/external/contacts/unlock-tasks/phone_321", {}],
  ["an email task id with a letter", "GET", "/external/contacts/unlock-tasks/12a", {}],
  ["an email task id with a space", "GET", "/external/contacts/unlock-tasks/%20321", {}],
  ["a phone task whose id is not decimal", "GET", "/external/contacts/unlock-phone-tasks/phone_321", {}],
  ["an x-call-source the schema does not list", "POST", "/external/contacts/unlock", { body: unlock(), headers: { "x-call-source": "robot" } }],
  ["personnel list without event_id", "GET", "/external/personnel/list?page=1", {}],
  ["personnel list with pageSize 51", "GET", `/external/personnel/list?event_id=${EVENT_ID}&pageSize=51`, {}],
  ["personnel list with page 0", "GET", `/external/personnel/list?event_id=${EVENT_ID}&page=0`, {}],
  ["personnel list with a 201-character search_query", "GET", `/external/personnel/list?event_id=${EVENT_ID}&search_query=${"q".repeat(201)}`, {}],
  ["personnel list with an unknown sourceType", "GET", `/external/personnel/list?event_id=${EVENT_ID}&sourceType=vip`, {}],
  ["personnel list with a known and an unknown sourceType", "GET", `/external/personnel/list?event_id=${EVENT_ID}&sourceType=social,vip`, {}],
  ["personnel list with a 201-character sourceType", "GET", `/external/personnel/list?event_id=${EVENT_ID}&sourceType=${"social,".repeat(28)}social`, {}],
  ["personnel list with an undocumented parameter", "GET", `/external/personnel/list?event_id=${EVENT_ID}&page_size=10`, {}],
  ["profile with a 21-character personnel_id", "GET", `/external/personnel/profile?personnel_id=${"9".repeat(21)}`, {}],
  ["profile without personnel_id", "GET", "/external/personnel/profile", {}],
  ["balance with a query", "GET", "/external/credits/balance?debug=1", {}],
  ["Salesfinity enrichment of a URL that is not a profile", "POST", "/v1/api/enrichment/email", { body: { linkedin_url: "https://example.com/in/x", type: "work" } }],
  ["Salesfinity enrichment without type", "POST", "/v1/api/enrichment/email", { body: { linkedin_url: "https://www.linkedin.com/in/ada" } }],
  ["Salesfinity enrichment with a 257-character external_id", "POST", "/v1/api/enrichment/email", { body: { linkedin_url: "https://www.linkedin.com/in/ada", type: "work", external_id: "x".repeat(257) } }],
];

test("the sandbox refuses every shape the published schemas refuse, and charges nothing", async () => {
  const before = (await raw("GET", "/external/credits/balance")).body.totalBalance;
  for (const [what, method, path, options] of REFUSED) {
    const answer = await raw(method, path, options);
    assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
    if (!path.startsWith("/v1/")) {
      // Lensmor's ApiError: all four fields required.
      assert.deepEqual(Object.keys(answer.body).sort(), ["code", "errorKey", "message", "traceId"], what);
    }
  }
  assert.equal((await raw("GET", "/external/credits/balance")).body.totalBalance, before);
});

test("the sandbox serves no route its providers do not document", async () => {
  for (const [method, path] of [
    ["GET", `/external/events/${EVENT_ID}/personnel`],
    ["GET", "/external/contacts/unlock"],
    ["POST", "/external/contacts/unlock-tasks/321"],
    ["GET", "/v1/api/enrichment"],
  ]) {
    assert.equal((await raw(method, path)).status, 404, `${method} ${path}`);
  }
  // The right shapes pass, so the refusals above are about the shapes.
  const checked = await raw("POST", "/external/actions/precheck", { body: precheck({ call_source: "api" }) });
  assert.equal(checked.status, 200);
  assert.equal(checked.body.ok, true);
  const other = await raw("POST", "/external/actions/precheck", { body: { action_type: "query_event_personnel", params: { event_id: EVENT_ID } } });
  assert.deepEqual([other.status, other.body.allowed, other.body.reason_code], [200, false, "unsupported_action"]);
});

/** Shapes 0.25 refused and 0.27 allows: the sandbox must take each (refuse nothing it allows). */
test("the sandbox takes what 0.27 allows and 0.25 refused", async () => {
  const from = (await sandbox.requests()).length;
  const free = (extra) => precheck({ call_source: "a".repeat(100), locale: "en-US-x-twelve", trace_id: "t".repeat(200), conversation_id: "c".repeat(200), channel_message_id: "m".repeat(200), ...extra });
  const any = await raw("POST", "/external/actions/precheck", { body: free({ action_type: "integration_status" }) });
  assert.deepEqual([any.status, any.body.allowed, any.body.reason_code], [200, false, "unsupported_action"]);
  assert.equal((await raw("POST", "/external/actions/precheck", { body: free({ action_type: "x".repeat(100) }) })).status, 200);
  const noEvent = await raw("POST", "/external/actions/precheck", { body: precheck({ params: { personnel_ids: ["789"] } }) });
  assert.deepEqual([noEvent.status, noEvent.body.ok], [200, true]);
  assert.notEqual(noEvent.body.reason_code, "not_found", "no event, no membership check");
  for (const channel of ["unlock", "unlock-phone"]) {
    const created = await raw("POST", `/external/contacts/${channel}`, { body: { personnel_ids: ["99991"] } });
    assert.deepEqual([created.status, created.body.status], [201, "success"], `${channel} without event_id`);
    const big = await raw("POST", `/external/contacts/${channel}`, { body: unlock({ personnel_ids: many(2000).map((id) => `9${id}`) }) });
    assert.equal(big.status, 201, `${channel} with 2,000 ids: ${JSON.stringify(big.body).slice(0, 200)}`);
  }
  for (const query of ["sourceType=social,visitors", "sourceType=social&sourceType=visitors", `sourceType=${"social,".repeat(27)}social`]) {
    const page = await raw("GET", `/external/personnel/list?event_id=${EVENT_ID}&${query}`);
    assert.equal(page.status, 200, `${query}: ${JSON.stringify(page.body).slice(0, 200)}`);
  }
  const refused = (await sandbox.requests()).slice(from).filter((r) => r.status >= 400);
  assert.deepEqual(refused, []);
});

test("every Lensmor call of the package passes the strict sandbox", async () => {
  const client = new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url, callSource: "agent", polling: { delaysMs: [20, 40], jitter: 0 } });
  const from = (await sandbox.requests()).length;
  // 794 was unlocked before; "99999" is no contact: both skipped with their reasons, uncharged.
  const fresh = ids(3);
  const selection = { eventId: EVENT_ID, personnelIds: [...fresh, "794", "99999"] };

  const check = await client.precheckEmails(selection);
  assert.deepEqual([check.allowed, check.reasonCode, check.credits, check.chargeableCount], [true, "ok", 45, 3]);
  assert.deepEqual(check.chargeableIds, fresh);
  assert.deepEqual(check.missingIds, ["99999"]);
  assert.equal(check.alreadyUnlockedCount, 1);
  const phones = await client.precheckPhones({ eventId: EVENT_ID, personnelIds: fresh });
  assert.equal(phones.credits, 450);

  const task = await client.unlockEmails(selection);
  assert.equal(task.started, true);
  assert.deepEqual(task.skipped, [{ id: "794", reason: "already-unlocked" }, { id: "99999", reason: "missing" }]);
  assert.deepEqual(task.skippedDetail, { already_unlocked_personnel_ids: ["794"], missing_personnel_ids: ["99999"] });
  const result = await client.waitForTask(task.token);
  assert.equal(result.items.length, 3);
  assert.deepEqual(result.anomalies, []);

  // The already-unlocked contact's value is read from the contact routes, not the task.
  const known = await client.getContact("794");
  assert.equal(known.emailStatus, "unlocked");
  assert.match(known.email, /@.+\.example$/);

  // Held, then released: one pollOnce sees it running, the next sees it done, on any machine.
  await sandbox.hold();
  const phoneTask = await client.unlockPhones({ eventId: EVENT_ID, personnelIds: fresh.slice(0, 1) });
  const running = await client.pollOnce(phoneTask.token);
  assert.deepEqual([running.done, running.snapshot.status], [false, "processing"]);
  await sandbox.hold(false);
  assert.deepEqual(await sandbox.release(phoneTask.taskId), [phoneTask.taskId]);
  const step = await client.pollOnce(running.token);
  assert.equal(step.done, true);
  assert.equal(step.result.kind, "lensmor.phone");
  assert.ok((await client.creditBalance()).balance < 1000);

  const pages = [];
  for (let page = 1; page <= 3; page++) pages.push(await client.listContacts({ eventId: EVENT_ID, page, pageSize: 50 }));
  assert.deepEqual(pages.map((p) => p.items.length), [50, 50, 50]);
  assert.deepEqual(pages.map((p) => p.hasMore), [true, true, false]);
  const unlocked = pages.flatMap((p) => p.items).filter((c) => c.emailStatus === "unlocked");
  assert.ok(unlocked.length >= 14 && unlocked.every((c) => c.email), "unlocked contacts carry their email");
  const filtered = await client.listContacts({ eventId: EVENT_ID, searchQuery: "jane", sourceType: "exhibitor", department: "Sales", level: "vp", exhibitorId: "1" });
  assert.equal(filtered.page, 1);
  const sources = await client.listContacts({ eventId: EVENT_ID, sourceType: ["visitors", "social"] });
  assert.equal(sources.page, 1);
  const noEvent = await client.precheckEmails({ personnelIds: fresh });
  assert.equal(noEvent.requestedCount, 3);

  const sent = (await sandbox.requests()).slice(from);
  assert.ok(sent.length >= 12, `the calls reached the sandbox (${sent.length})`);
  const refused = sent.filter((r) => r.status >= 400);
  assert.deepEqual(refused, [], "no call of the package was refused");
  assert.ok(sent.filter((r) => r.path === "/external/actions/precheck").every((r) => r.body.call_source === "agent" && r.body.params));
});

test("the preview window: a page past it resolves empty and not accessible", async () => {
  const client = new UnlockClient({ provider: "lensmor", apiKey: "uak_preview_contract", baseUrl: sandbox.url });
  const first = await client.listContacts({ eventId: EVENT_ID, pageSize: 50 });
  assert.deepEqual([first.items.length, first.accessible, first.accessMode, first.previewLimit, first.hasMore], [50, true, "preview", 50, false]);
  const past = await client.listContacts({ eventId: EVENT_ID, page: 2, pageSize: 50 });
  assert.deepEqual([past.items.length, past.accessible, past.total], [0, false, 150]);
});

test("inputs past the documented limits are refused before any request", async () => {
  const client = new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url });
  const from = (await sandbox.requests()).length;
  const cases = [
    [client.unlockEmails({ eventId: "e".repeat(101), personnelIds: ["789"] }), "eventId"],
    [client.precheckPhones({ eventId: "e".repeat(101), personnelIds: ["789"] }), "eventId"],
    [client.listContacts({ eventId: EVENT_ID, pageSize: 51 }), "pageSize"],
    [client.listContacts({ eventId: EVENT_ID, page: 0 }), "page"],
    [client.listContacts({ eventId: EVENT_ID, level: "x".repeat(51) }), "level"],
    [client.listContacts({ eventId: EVENT_ID, sourceType: "vip" }), "sourceType"],
    [client.listContacts({ eventId: EVENT_ID, sourceType: ["social", "vip"] }), "sourceType"],
    [client.listContacts({ eventId: EVENT_ID, sourceType: [5] }), "sourceType"],
    [client.unlockEmails({ eventId: EVENT_ID, personnelIds: many(10_001) }), "personnelIds"],
    [client.precheckEmails({ personnelIds: many(10_001) }), "personnelIds"],
    [client.unlockEmails({ eventId: "", personnelIds: ["789"] }), "eventId"],
    [client.getContact("9".repeat(21)), "personnelId"],
    [client.getContact(789), "personnelId"],
  ];
  for (const [promise, field] of cases) {
    const error = await rejection(promise);
    assert.deepEqual([error.name, error.code, error.field], ["UnlockError", "validation", field]);
  }
  const salesfinity = new UnlockClient({ provider: "salesfinity", apiKey: "sf_x", baseUrl: sandbox.url });
  assert.equal((await rejection(salesfinity.listContacts({ eventId: EVENT_ID }))).field, "provider");
  assert.throws(() => new UnlockClient({ provider: "lensmor", apiKey: KEY, maxBatch: 2001 }), { code: "validation", field: "maxBatch" });
  assert.equal((await sandbox.requests()).length, from, "nothing was sent");
});

test("task ids the contract forbids are refused before any request", async () => {
  const from = (await sandbox.requests()).length;
  for (const kind of ["lensmor.email", "lensmor.phone"]) {
    for (const id of ["phone_321", "12a", " 321", "321 ", "", "1e3", "٣٢١"]) {
      assert.throws(() => tokenFor(kind, id), { name: "UnlockError", code: "validation", field: "taskId" }, `${kind} ${JSON.stringify(id)}`);
    }
    assert.ok(tokenFor(kind, "321"));
  }
  assert.ok(tokenFor("salesfinity.email", "65f0c0ffee"), "Salesfinity's ids are opaque");
  assert.equal((await sandbox.requests()).length, from, "nothing was sent");
});

test("2,000 contacts in one task, and an account limit below it: a 422 read into an error with the limit, nothing charged", async () => {
  const big = await testSandbox({ speed: 40, people: 2100 });
  try {
    const client = new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: big.url, polling: { delaysMs: [20, 40], jitter: 0 } });
    const selection = { personnelIds: many(2000) };
    const check = await client.precheckEmails(selection);
    assert.equal(check.requestedCount, 2000);
    await big.config({ balance: { [KEY]: { lensmor: 1e9 } } });
    const task = await client.unlockEmails(selection);
    assert.equal(task.started, true);
    const result = await client.waitForTask(task.token);
    assert.equal(result.items.length + task.skipped.length, 2000, "every contact is reported");
    const creates = (await big.requests()).filter((r) => r.path === "/external/contacts/unlock");
    assert.equal(creates.length, 1);
    assert.equal(creates[0].body.personnel_ids.length, 2000);
    assert.equal("event_id" in creates[0].body, false, "no event named, none sent");

    // The 422's limit and details, read into the error (a limit no smaller than the request:
    // nothing to cut), nothing charged.
    const before = (await client.creditBalance()).balance;
    const details = { requestedCount: 150, limit: 150, selectionMode: "selected" };
    await big.faults({ method: "POST", path: "/external/contacts/unlock-phone", kind: "status", status: 422, errorKey: "LEAD_SELECTION_LIMIT_EXCEEDED", message: "Selected leads limit exceeded", details });
    const error = await rejection(client.unlockPhones({ eventId: EVENT_ID, personnelIds: many(150) }));
    assert.deepEqual([error.code, error.status, error.errorKey, error.limit, error.field], ["validation", 422, "LEAD_SELECTION_LIMIT_EXCEEDED", 150, "personnelIds"]);
    assert.deepEqual(error.details, details);
    assert.match(error.traceId, /./);
    assert.equal((await client.creditBalance()).balance, before, "nothing was charged");
    // The account's limit below the request: the selection starts as a group of parts that fit.
    await big.config({ selectionLimit: 100 });
    const group = await client.unlockPhones({ eventId: EVENT_ID, personnelIds: many(150) });
    assert.equal(group.parts.length, 2);
    const phones = (await big.requests()).filter((r) => r.path === "/external/contacts/unlock-phone");
    assert.deepEqual(phones.slice(-3).map((r) => [r.status, r.body.personnel_ids.length]), [[422, 150], [201, 100], [201, 50]]);
  } finally {
    await big.close();
  }
});

test("odd task answers: every readable item is reported, the odd ones are named", async () => {
  const client = new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url, polling: { delaysMs: [20], jitter: 0 } });
  const [a, b] = ids(2);
  const task = await client.unlockEmails({ eventId: EVENT_ID, personnelIds: [a, b] });
  const body = JSON.stringify({
    taskId: task.taskId, taskStatus: "completed", items: [
      { personnelId: "", status: "unlocked", email: "nobody@x.example" },
      { personnelId: a, status: "unlocked", email: "kept@x.example" },
      { personnelId: a, status: "failed", errorCode: "TASK_FAILED" },
      { personnelId: b, status: "unlocked_later" },
    ],
  });
  await sandbox.faults({ path: `/external/contacts/unlock-tasks/${task.taskId}`, kind: "body", status: 200, body });
  const snapshot = await client.getTask(task.token);
  assert.deepEqual(snapshot.items.map((i) => [i.id, i.status, i.value ?? null]), [[a, "delivered", "kept@x.example"], [b, "unknown", null]]);
  assert.deepEqual(snapshot.anomalies, [{ problem: "item-without-id", index: 0 }, { problem: "repeated-id", id: a }]);
});
