// The built package under hostile input (issue 12): every argument, token and provider answer
// generated at random and adversarially. Whatever comes in, a call fails only with an
// UnlockError (never a TypeError, never a wasm trap), and the module still works after 10,000
// failures in a row. Provider answers come through the `fetch` option: real Response objects,
// no network. The seed is printed; FUZZ_SEED=<n> replays a run.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pkg from "../../pkg/node.js";

const { UnlockClient, UnlockError, tokenFor, parseTaskResponse, checkUnlockInput, checkEnrichInput, creditsPerContact, providerFacts, proxyStatus, createdAnswer, readGroupHeader, resplitSize, describeToken } = pkg;

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
console.log(`hostile.test: FUZZ_SEED=${SEED}`);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  return { next, int, pick };
}

const KINDS = ["lensmor.email", "lensmor.phone", "salesfinity.email"];
const GOOD_TOKEN = tokenFor("lensmor.email", "321");

function hostileValues(r) {
  const sparse = [];
  sparse.length = 1e9;
  const throwing = new Proxy({}, { ownKeys() { throw new Error("ownKeys trap"); }, get() { throw new Error("get trap"); }, getOwnPropertyDescriptor() { throw new Error("gopd trap"); } });
  const getter = { get eventId() { throw new Error("getter"); }, personnelIds: ["1"] };
  const aborted = AbortSignal.abort(new Error("gone"));
  return [
    undefined, null, true, false, 0, -0, 1, -1, NaN, Infinity, -Infinity, 2 ** 53 + 2, 1e300, 123n,
    "", "x", "lensmor.email", "\uD800", "a".repeat(1 << 21), Symbol("s"), () => {}, class {},
    [], [1, "2"], sparse, {}, Object.create(null), new Date(), /re/, new Map(), new Uint8Array(4),
    revoked(), throwing, getter, aborted, { signal: aborted }, { signal: "nope" },
    { __proto__: { baseUrl: "http://evil" } }, JSON.parse('{"__proto__": {"x": 1}}'),
    { eventId: "e", personnelIds: [r.int(10) + 1] }, { eventId: "e".repeat(101), personnelIds: ["1"] },
    { eventId: "e", personnelIds: Array.from({ length: 2001 }, (_, i) => String(i)) },
    { eventId: "e", personnelIds: [2 ** 60] }, { linkedinUrl: "https://www.linkedin.com/in/x", type: "work" },
    { linkedinUrl: "javascript:alert(1)", type: "work" }, { provider: "lensmor", apiKey: 5 },
    GOOD_TOKEN, GOOD_TOKEN.slice(0, -3), GOOD_TOKEN + "x", "ut1." + "A".repeat(r.int(200)),
  ];
}

/** A provider answer: valid, odd, broken or hostile JSON, with a random status. */
function answer(r) {
  const id = r.pick(["321", 321, 2 ** 53 + 1, 12345678901234567890, "", null, {}, [], -1, 1.5]);
  const item = () => ({ personnelId: r.pick(["1", 2, null, "", 2 ** 60]), status: r.pick(["unlocked", "processing", "failed", "weird", 3, null]), email: r.pick(["a@b.c", 1, null]) });
  const deep = (n) => "[".repeat(n) + "]".repeat(n);
  const body = r.pick([
    () => JSON.stringify({ taskId: id, taskStatus: r.pick(["processing", "completed", "failed", 7, null]), items: Array.from({ length: r.int(5) }, item) }),
    () => JSON.stringify({ success: true, data: { taskId: id, taskStatus: "completed", items: [item()] } }),
    () => JSON.stringify({ taskId: id, status: "completed", emailResult: { email: "x@y.z" } }),
    () => JSON.stringify({ traceId: "t-1", errorKey: "E", message: "m", statusCode: r.pick([200, 400, 500]) }),
    () => deep(5000),
    () => `{"items": ${deep(100)}}`,
    () => "<html>oops</html>",
    () => "",
    () => "{".repeat(r.int(10)),
    () => JSON.stringify({ taskId: id, items: "not a list", credits: "x", balance: { nested: [] } }),
    () => JSON.stringify({ id, task_id: id, data: [] }),
  ])();
  const status = r.pick([200, 200, 201, 202, 204, 301, 302, 400, 401, 402, 404, 409, 429, 500, 503, 599]);
  const headers = { "content-type": "application/json" };
  if (r.next() < 0.3) headers["retry-after"] = r.pick(["1", "-5", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", ""]);
  if (r.next() < 0.3) headers["x-request-id"] = r.pick(["req-1", "", "\u00ff"]);
  if (status === 302) headers.location = "http://elsewhere.invalid/";
  return new Response(status === 204 ? null : body, { status, headers });
}

function client(r, options = {}) {
  return new UnlockClient({
    provider: r.pick(["lensmor", "salesfinity"]),
    apiKey: "uak_hostile_secret",
    baseUrl: "http://127.0.0.1:9",
    fetch: async () => {
      if (r.next() < 0.1) throw new TypeError("fetch failed");
      return answer(r);
    },
    polling: { delaysMs: [1], jitter: 0, maxFailures: 1 },
    maxRetries: 0,
    rateLimit: { requests: 1e9, windowMs: 1 },
    ...options,
  });
}

/** One call with hostile arguments; resolves to "ok", or the failure as a value. */
async function hostileCall(r, values) {
  const v = () => r.pick(values);
  const c = client(r);
  const calls = [
    () => new UnlockClient(v()),
    () => new UnlockClient({ provider: "lensmor", [r.pick(["baseUrl", "apiKey", "polling", "rateLimit", "headers", "fetch", "maxBatch", "onRequest", "requestTimeoutMs", "shareAcrossTabs", "store"])]: v() }),
    () => c.unlockEmails(v(), v()),
    () => c.unlockPhones(v()),
    () => c.enrichEmail(v(), v()),
    () => c.precheckEmails(v()),
    () => c.creditBalance(v()),
    () => c.getTask(v(), v()),
    () => c.getTask(r.pick([GOOD_TOKEN, tokenFor(r.pick(KINDS), String(r.int(1e6)))])),
    () => c.pollOnce(r.pick([GOOD_TOKEN, v()])),
    () => c.waitForTask(r.pick([GOOD_TOKEN, v()]), r.pick([{ maxWaitMs: 1 }, v()])),
    () => c.listContacts(v(), v()),
    () => c.getContact(v()),
    () => c.unlockEmails({ eventId: "139574", personnelIds: [String(r.int(1e6))] }),
    () => c.enrichEmail({ linkedinUrl: `https://www.linkedin.com/in/p${r.int(1e6)}`, type: "work" }),
    () => tokenFor(v(), v()),
    () => parseTaskResponse(v(), v(), v(), v()),
    () => parseTaskResponse(r.pick(KINDS), "321", r.pick([200, 404, 500]), r.pick(["{}", "[", '{"taskId":' + "9".repeat(r.int(30) + 1) + "}", "[".repeat(9000)])),
    () => checkUnlockInput(v(), v(), v()),
    () => checkEnrichInput(v()),
    () => creditsPerContact(v()),
    () => providerFacts(v()),
    () => proxyStatus(v()),
    () => createdAnswer(v()),
    () => readGroupHeader(v()),
    () => resplitSize(v(), v()),
    () => describeToken(r.pick([GOOD_TOKEN, v()])),
    () => c.unlockEmails({ personnelIds: ["1"] }, { group: v() }),
    () => c.resumeAll(v()),
    () => c.running(),
  ];
  const index = r.int(calls.length);
  if (process.env.FUZZ_TRACE) console.log("call", index);
  try {
    await calls[index]();
    return { index, ok: true };
  } catch (error) {
    return { index, ok: false, error };
  }
}

const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};

/** A Lensmor client whose every request `fetch` answers; no network. */
const answeredBy = (fetch) => new UnlockClient({ provider: "lensmor", apiKey: "uak_x", baseUrl: "http://127.0.0.1:9", fetch });

const isUnlockError = (error) => error instanceof UnlockError && error.name === "UnlockError" && typeof error.code === "string";

test("random and adversarial calls fail only with UnlockError, never a trap or a TypeError", async () => {
  const r = generator(SEED);
  const values = hostileValues(r);
  const foreign = [];
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const outcome = await hostileCall(r, values);
    if (outcome.ok) continue;
    failures++;
    if (!isUnlockError(outcome.error)) foreign.push(`call ${outcome.index}: ${outcome.error?.name}: ${String(outcome.error?.message).slice(0, 120)}`);
  }
  assert.deepEqual(foreign.slice(0, 10), [], `${foreign.length} failures were not UnlockErrors (seed ${SEED})`);
  assert.ok(failures > 1000, `only ${failures} of 3000 hostile calls failed: the generator is not hostile enough`);
  for (const secret of ["uak_hostile_secret"]) assert.ok(!JSON.stringify(foreign).includes(secret));
});

test("random item texts come back whole: every id, status, value and error code, in key order", () => {
  const r = generator(SEED + 1);
  // Code points from every range a JSON string can carry: ASCII, controls, quotes and
  // backslashes, Latin-1, U+2028, CJK, and past U+FFFF (two UTF-16 units each).
  const ranges = [[0x20, 0x7e], [0x00, 0x1f], [0x22, 0x22], [0x5c, 0x5c], [0xa0, 0xff], [0x2028, 0x2029], [0x4e00, 0x4fff], [0x1f300, 0x1faff], [0x10000, 0x10ffff]];
  const text = () => {
    let out = "";
    for (let n = r.int(12); n > 0; n--) {
      const [lo, hi] = r.pick(ranges);
      out += String.fromCodePoint(lo + r.int(hi - lo + 1));
    }
    return out;
  };
  for (let round = 0; round < 300; round++) {
    // Some answers short, some past 1,024 UTF-16 units (copied into wasm by another path).
    const raw = Array.from({ length: r.int(round % 2 ? 40 : 4) + 1 }, (_, i) => {
      const status = r.pick(["unlocked", "failed", "processing", "pending"]);
      return { personnelId: `${i}:${text()}`, status, email: status === "unlocked" ? `<${text()}>` : undefined, errorCode: status === "failed" ? text() : undefined };
    });
    const body = JSON.stringify({ taskId: "321", taskStatus: "processing", items: raw });
    const snapshot = parseTaskResponse("lensmor.email", "321", 200, body);
    const expected = raw.map((item) => ({
      id: item.personnelId,
      status: item.status === "unlocked" ? "delivered" : item.status,
      providerStatus: item.status,
      ...(item.email === undefined ? {} : { value: item.email }),
      ...(item.errorCode ? { errorCode: item.errorCode } : {}),
      chargeable: item.status === "unlocked",
    }));
    assert.deepEqual(snapshot.items, expected, `round ${round}, FUZZ_SEED=${SEED}`);
    assert.deepEqual(snapshot.items.map(Object.keys), expected.map(Object.keys));
  }
});

test("the module still works after 10,000 failures in a row", async () => {
  const r = generator(SEED + 1);
  const values = hostileValues(r);
  const c = client(r);
  const failing = [
    () => c.getTask(r.pick([1, {}, null, "ut1.bad", Symbol()])),
    () => new UnlockClient(r.pick([1, { provider: "x" }, values[values.indexOf(undefined)]])),
    () => tokenFor(r.pick([1, {}, "nope"]), "1"),
    () => parseTaskResponse("lensmor.email", "321", 200, "[".repeat(5000)),
    () => checkUnlockInput(r.pick(["nope", 1, null, "lensmor.email"]), r.pick([1, "x", [], null, Symbol(), revoked(), { eventId: "e", personnelIds: [] }])),
    () => c.unlockEmails({ get eventId() { throw new Error("getter"); }, personnelIds: ["1"] }),
  ];
  let failed = 0;
  for (let i = 0; i < 10_000; i++) {
    try {
      await failing[i % failing.length]();
    } catch (error) {
      assert.ok(isUnlockError(error), `failure ${i} was ${error?.name}: ${error?.message}`);
      failed++;
    }
  }
  assert.equal(failed, 10_000);
  // Then ordinary work: a check, a token, a full answer read, a poll through fetch.
  const checked = checkUnlockInput("lensmor.email", { eventId: "139574", personnelIds: ["2", "1"] });
  assert.equal(checked.key, checkUnlockInput("lensmor.email", { eventId: "139574", personnelIds: ["1", "2"] }).key);
  const snapshot = parseTaskResponse("lensmor.email", "321", 200, JSON.stringify({ taskId: "321", taskStatus: "completed", items: [{ personnelId: "1", status: "unlocked", email: "a@b.c" }] }));
  assert.equal(snapshot.items[0].value, "a@b.c");
  const ok = answeredBy(async () => new Response(JSON.stringify({ taskId: "321", taskStatus: "processing", items: [] }), { status: 200 }));
  const step = await ok.pollOnce(tokenFor("lensmor.email", "321"));
  assert.equal(step.done, false);
  assert.equal(typeof step.token, "string");
});

test("an endless body is cut at 4 MB and its stream cancelled; a used body or a stream of non-bytes is an UnlockError", async () => {
  let pulled = 0;
  let cancelled = false;
  const endless = () => new ReadableStream({
    pull(controller) { pulled += 65536; controller.enqueue(new Uint8Array(65536).fill(32)); },
    cancel() { cancelled = true; },
  });
  // requestTimeoutMs bounds the old way of reading (the whole text first), which never ends here.
  const client = new UnlockClient({ provider: "lensmor", apiKey: "uak_x", baseUrl: "http://127.0.0.1:9", requestTimeoutMs: 5000, maxRetries: 0, fetch: async () => new Response(endless(), { status: 200 }) });
  const error = await client.getTask(tokenFor("lensmor.email", "321")).catch((e) => e);
  assert.ok(error instanceof UnlockError, String(error));
  assert.equal(error.code, "protocol", error.message);
  assert.match(error.message, /more than the 4194304 bytes/);
  assert.ok(cancelled, "the stream was cancelled");
  assert.ok(pulled < 5 * 1024 * 1024, `read ${pulled} bytes, not much past the limit`);

  const used = new Response("{}");
  await used.text();
  const strings = new Response(new ReadableStream({ start(c) { c.enqueue("not bytes"); c.close(); } }));
  for (const answer of [used, strings]) {
    const e = await answeredBy(async () => answer).getTask(tokenFor("lensmor.email", "321"), { signal: undefined }).catch((x) => x);
    assert.ok(e instanceof UnlockError, String(e));
    assert.equal(e.code, "network", e.message);
  }
  // Read as Response.text() reads: a leading byte-order mark is dropped.
  const bom = answeredBy(async () => new Response("\uFEFF" + JSON.stringify({ taskId: "321", taskStatus: "processing", items: [] })));
  assert.equal((await bom.getTask(tokenFor("lensmor.email", "321"))).status, "processing");
});

test("a caller's fetch or body stream that ignores the abort still ends at requestTimeoutMs", { timeout: 30_000 }, async () => {
  const never = new Promise(() => {});
  const silent = () => new Response(new ReadableStream({ pull() { return never; } }));
  for (const fetch of [() => never, async () => silent()]) {
    const client = new UnlockClient({ provider: "lensmor", apiKey: "uak_x", baseUrl: "http://127.0.0.1:9", requestTimeoutMs: 300, maxRetries: 0, fetch });
    const error = await client.getTask(tokenFor("lensmor.email", "321")).catch((e) => e);
    assert.ok(error instanceof UnlockError, String(error));
    assert.equal(error.code, "network", error.message);
    assert.match(error.message, /within 300 ms/);
  }
});

test("numeric task ids past 2^53 are kept to the last digit, and past 2^64 refused by name", async () => {
  const answering = (body) => answeredBy(async () => new Response(body, { status: 201 }));
  const input = { eventId: "139574", personnelIds: ["1"] };
  const started = await answering('{"status":"accepted","task_id":9007199254740993}').unlockEmails(input);
  assert.equal(started.taskId, "9007199254740993"); // JSON.parse would have read ...992
  const error = await answering('{"status":"success","task_id":123456789012345678901234}').unlockEmails(input).catch((e) => e);
  assert.ok(isUnlockError(error) && error.code === "protocol", String(error));
  assert.match(error.message, /task_id is a number too large/);
  const snapshot = parseTaskResponse("lensmor.email", "9007199254740993", 200, '{"taskId":9007199254740993,"taskStatus":"processing","items":[{"personnelId":9007199254740995,"status":"processing"}]}');
  assert.equal(snapshot.taskId, "9007199254740993");
  assert.equal(snapshot.items[0].id, "9007199254740995");
});

test("a string over 1 MiB is refused by its length, before it is copied into wasm memory", async () => {
  const client = answeredBy(async () => assert.fail("nothing may be sent"));
  const error = await client.unlockEmails({ eventId: "e".repeat(1 << 21), personnelIds: ["1"] }).catch((e) => e);
  assert.ok(isUnlockError(error) && error.code === "validation" && error.field === "eventId", String(error));
  assert.match(error.message, /at most 1 MiB/);
});

test("options without a prototype are read; inherited ones never are", async () => {
  const seen = [];
  const fetch = async (url) => {
    seen.push(url);
    return new Response('{"taskId":"1","taskStatus":"processing","items":[]}', { status: 200 });
  };
  const bare = Object.assign(Object.create(null), { provider: "lensmor", apiKey: "uak_x", baseUrl: "http://127.0.0.1:9/bare", fetch });
  await new UnlockClient(bare).getTask(tokenFor("lensmor.email", "1"));
  const inherited = Object.create({ baseUrl: "http://127.0.0.1:9/inherited" });
  Object.assign(inherited, { provider: "lensmor", apiKey: "uak_x", fetch });
  await new UnlockClient(inherited).getTask(tokenFor("lensmor.email", "1"));
  assert.equal(seen.length, 2);
  assert.ok(seen[0].startsWith("http://127.0.0.1:9/bare/"), seen[0]);
  assert.ok(seen[1].startsWith("https://platform.lensmor.com/"), seen[1]);
});
