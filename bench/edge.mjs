// Section 6 of `npm run bench`: one key, many users. N users × M tasks through the edge worker in
// real workerd (browsers following their tasks through the proxy), against a sandbox that
// enforces the key's window, with time scaled; beside one in-process client on the same load.
// Figures, never pass/fail.
//
//   EDGE_USERS=20 EDGE_TASKS=50 EDGE_SCALE=10 node --expose-gc bench/run.mjs edge
//   EDGE_WORKER=/path/to/worker.js  measures another worker (e.g. an older commit's) the same way
//   EDGE_MODES=worker,strict,in-process,in-process-full  which runs to make (default all); the
//   last is the in-process client given the key's whole window, as the worker is
//   EDGE_PROBES=40  new users arriving during the load (the p95 is of their starts)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../tests/support/packed.mjs";
import { installPackedPackage } from "../tests/support/packed.mjs";
import { startWorkerd } from "../tests/support/workerd.mjs";
import { signedIn } from "../tests/support/session.mjs";
import { busiestWindow } from "../tests/support/sandbox.mjs";
import { startSandbox } from "../sandbox/server.mjs";
import { FIRST_ID, unlockedBefore } from "../sandbox/fixtures.mjs";

const USERS = Number(process.env.EDGE_USERS ?? 20);
const TASKS = Number(process.env.EDGE_TASKS ?? 50);
const SCALE = Number(process.env.EDGE_SCALE ?? 10);
const PROBES = Number(process.env.EDGE_PROBES ?? 40);
const LIMIT = 120; // Lensmor: 120 requests per key per 60 s
const WINDOW_MS = 60_000 / SCALE;
const DELAYS = [3000, 5000, 10000, 20000].map((d) => d / SCALE);
const KEY = "uak_bench_edge_key";
const SECRET = "bench-session-secret";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Personnel ids no earlier task used, skipping contacts unlocked before (one task each). */
function ids(count) {
  const out = [];
  for (let id = FIRST_ID; out.length < count; id++) if (!unlockedBefore(String(id))) out.push(String(id));
  return out;
}

/** Starts `input` with `client`, as a person would: a refusal for the rate (429) is tried again
 *  after the wait it names. Returns the task, or null when it could not be started. */
async function startLikeAPerson({ client, call }, input, attempts) {
  for (let i = 0; i < 200; i++) {
    attempts.n++;
    try {
      return await client.unlockEmails(input, call);
    } catch (error) {
      if (error.code !== "rate_limited") return null;
      await sleep(error.retryAfterMs ?? 1000 / SCALE);
    }
  }
  return null;
}

/**
 * One run: USERS users start TASKS tasks each (one contact per task) and follow each to its end;
 * PROBES new users each start one task during the load. `clientFor(user)` gives the client a
 * user's browser (or the one server) uses, and the options its calls take (`{ user }` for the
 * one server).
 */
async function run(sandbox, clientFor) {
  const all = ids(USERS * TASKS + PROBES);
  const attempts = { n: 0 };
  const t0 = Date.now();
  const ended = [];
  let lost = 0;
  const why = new Map();
  const lose = (reason) => {
    lost++;
    why.set(reason, (why.get(reason) ?? 0) + 1);
  };
  const follow = async ({ client, call }, task) => {
    if (!task?.token) return void lose(task ? "nothing started" : "not started");
    try {
      const result = await client.waitForTask(task.token, { ...call, maxWaitMs: 60 * WINDOW_MS });
      ended.push(Date.now());
      if (result.status !== "completed") lose(`ended ${result.status}`);
    } catch (error) {
      lose(`${error.code}: ${error.message.slice(0, 80)}`);
    }
  };
  const users = Array.from({ length: USERS }, (_, u) => (async () => {
    const person = clientFor(`user-${u}`);
    const follows = [];
    for (let t = 0; t < TASKS; t++) {
      const task = await startLikeAPerson(person, { eventId: "139574", personnelIds: [all[u * TASKS + t]] }, attempts);
      follows.push(follow(person, task));
    }
    await Promise.all(follows);
  })());
  // New users arrive while the load runs: how long until their start reaches the provider.
  const probeIds = all.slice(USERS * TASKS);
  const probes = [];
  // Spread over the time the load needs at the window's rate (its floor).
  const floorMs = ((2 * (USERS * TASKS + PROBES)) / LIMIT) * WINDOW_MS;
  for (let p = 0; p < PROBES; p++) {
    await sleep(floorMs / (PROBES + 1));
    const person = clientFor(`newcomer-${p}`);
    const sent = Date.now();
    probes.push(startLikeAPerson(person, { eventId: "139574", personnelIds: [probeIds[p]] }, attempts).then((task) => ({ sent, task, id: probeIds[p], person })));
  }
  const probed = await Promise.all(probes);
  await Promise.all([...users, ...probed.map(({ person, task }) => follow(person, task))]);
  const log = sandbox.state.requests.filter((r) => r.hasKey && r.at >= t0);
  const creates = log.filter((r) => r.method === "POST");
  const createOf = (id) => creates.find((r) => r.body?.personnel_ids?.includes(id) && r.status !== 429);
  const latencies = probed.map(({ sent, id }) => {
    const create = createOf(id);
    return create ? (create.at - sent) / (WINDOW_MS / LIMIT) : Infinity;
  });
  // What reached the provider between a new user's click and its create: requests admitted
  // ahead of it (or already on their way), and how many of them were background polls.
  const ahead = probed.map(({ sent, id }) => {
    const create = createOf(id);
    const between = create ? log.filter((r) => r.at > sent && r.at < create.at) : [];
    return { all: between.length, polls: between.filter((r) => r.method === "GET").length };
  });
  if (why.size) console.log(`  lost: ${JSON.stringify([...why])}`);
  return {
    busiest: busiestWindow(log, WINDOW_MS),
    refused: log.filter((r) => r.status === 429).length,
    creates: creates.length,
    polls: log.length - creates.length,
    attempts: attempts.n,
    allDone: ended.length ? (Math.max(...ended) - t0) / floorMs : Infinity,
    probeP50: median(latencies),
    probeP95: pct(latencies, 0.95),
    aheadP50: median(ahead.map((a) => a.all)),
    aheadP95: pct(ahead.map((a) => a.all), 0.95),
    pollsAheadMax: Math.max(...ahead.map((a) => a.polls)),
    lost,
  };
}

async function viaWorker(app, { countRefused, entry }) {
  const sandbox = await startSandbox({ speed: SCALE, rateLimit: LIMIT, rateWindowMs: WINDOW_MS, people: USERS * TASKS + PROBES + 200, countRefused, ttlSeconds: 3600 });
  sandbox.state.balanceOf(KEY).lensmor = 1e12;
  const source = readFileSync(entry, "utf8");
  const governed = source.includes("KeyGovernors");
  // Durable Objects keep their storage on disk, as on Cloudflare: workerd's in-memory storage
  // goes with an object evicted while idle (a task waiting in line for seconds).
  const storageDir = mkdtempSync(join(tmpdir(), "bench-edge-storage-"));
  const worker = await startWorkerd({
    app, entry, storageDir, durableObjects: governed ? { UnlockTasks: "TASKS", KeyGovernors: "GOVERNORS" } : { UnlockTasks: "TASKS" },
    bindings: {
      LENSMOR_API_KEY: KEY, LENSMOR_BASE_URL: sandbox.url, SESSION_SECRET: SECRET, ALLOWED_ORIGIN: "https://app.example",
      LENSMOR_RATE_LIMIT: String(LIMIT), LENSMOR_RATE_WINDOW_MS: String(WINDOW_MS), POLL_DELAYS_MS: JSON.stringify(DELAYS),
      DAILY_CREDITS_PER_USER: "1000000000", REQUESTS_PER_MINUTE_PER_USER: "1000000", QUEUE_WAIT_MS: String(WINDOW_MS * 10),
      UPSTREAM_TIMEOUT_MS: "30000",
    },
  });
  const { UnlockClient } = await import(join(app, "node_modules/unlock-tasks/node.js"));
  try {
    return await run(sandbox, (user) => ({
      client: new UnlockClient({
        provider: "lensmor", baseUrl: `${worker.url}/lensmor`, headers: signedIn(SECRET, user),
        // A browser's own budget: the package's default of 110 a (scaled) minute per page.
        polling: { delaysMs: DELAYS, jitter: 0.1 }, rateLimit: { requests: 110, windowMs: WINDOW_MS },
      }),
      call: {},
    }));
  } finally {
    worker.close();
    await sandbox.close();
    rmSync(storageDir, { recursive: true, force: true });
  }
}

/** One in-process client with the key, on its default budget (110 a minute of Lensmor's 120,
 *  leaving room for the key's other users), or on `requests` of the window. */
async function inProcess(app, requests = 110) {
  const sandbox = await startSandbox({ speed: SCALE, rateLimit: LIMIT, rateWindowMs: WINDOW_MS, people: USERS * TASKS + PROBES + 200, ttlSeconds: 3600 });
  sandbox.state.balanceOf(KEY).lensmor = 1e12;
  const { UnlockClient } = await import(join(app, "node_modules/unlock-tasks/node.js"));
  const client = new UnlockClient({ provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url, polling: { delaysMs: DELAYS, jitter: 0.1 }, rateLimit: { requests, windowMs: WINDOW_MS } });
  try {
    // One server, one client for everyone: each call names its user, who takes turns.
    return await run(sandbox, (user) => ({ client, call: { user } }));
  } finally {
    await sandbox.close();
  }
}

export async function edge() {
  console.log(`\n6. One key, many users: ${USERS} users × ${TASKS} tasks (one contact each) + ${PROBES} new users' starts during the load; Lensmor's window of ${LIMIT} a minute and the 3/5/10/20 s schedule, time scaled ${SCALE}×`);
  const app = installPackedPackage();
  const entry = process.env.EDGE_WORKER ?? join(root, "examples/edge-worker/worker.js");
  const rows = [["mode", "busiest window", "upstream 429s", "creates sent", "polls sent", "start attempts", "all ended / floor", "new start p50", "p95", "sent ahead p50", "p95", "polls ahead (max)", "lost"]];
  try {
    const runs = [
      ["edge worker", () => viaWorker(app, { countRefused: false, entry })],
      ["edge worker, strict limiter", () => viaWorker(app, { countRefused: true, entry })],
      ["one in-process client", () => inProcess(app)],
      [`one in-process client, budget ${LIMIT}`, () => inProcess(app, LIMIT)],
    ];
    const only = process.env.EDGE_MODES?.split(",");
    for (const [label, measure] of runs.filter((_, i) => !only || only.includes(["worker", "strict", "in-process", "in-process-full"][i]))) {
      const r = await measure();
      rows.push([label, `${r.busiest} / ${LIMIT}`, r.refused, r.creates, r.polls, r.attempts, `${r.allDone.toFixed(2)}×`, `${r.probeP50.toFixed(1)} slots`, `${r.probeP95.toFixed(1)} slots`, r.aheadP50, r.aheadP95, r.pollsAheadMax, r.lost]);
      console.log(`  ${label}: done`);
    }
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const row of rows) console.log("  " + row.map((c, i) => String(c).padEnd(widths[i])).join("  "));
  console.log(`  (floor: one create and one poll per task at ${LIMIT} per window; a slot is window ÷ limit = ${(WINDOW_MS / LIMIT).toFixed(0)} ms scaled;`);
  console.log("   new start: from a new user's click to its create reaching the provider; sent ahead: requests that reached the provider in that time;");
  console.log("   lost: tasks started that never ended completed)");
  if (process.env.EDGE_WORKER) console.log(`  worker measured: ${entry}`);
}
