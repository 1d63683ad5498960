// npm run bench: figures, never pass/fail. Medians and ratios measured in this one run.
//   1 size  2 start-up  3 per-response cost  4 polling efficiency  5 edge step
//   6 one key, many users (./edge.mjs)  7 whole attendee lists as groups (./groups.mjs)
//   8 many tabs on one task (./tabs.mjs)
// BENCHMARKS.md records a run, with the machine and the date.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { root } from "../tests/support/packed.mjs";
import { startSandbox } from "../sandbox/server.mjs";
import { launchChromium } from "../tests/support/chromium.mjs";
import { serveStatic } from "../tests/support/static.mjs";
import { PlainPoller, normalize } from "./baselines/plain-poller.js";
import { edge } from "./edge.mjs";
import { groups } from "./groups.mjs";
import { tabs } from "./tabs.mjs";

const only = process.argv[2];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const table = (rows) => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const row of rows) console.log("  " + row.map((c, i) => String(c).padEnd(widths[i])).join("  "));
};

console.log(`unlock-tasks benchmarks · ${new Date().toISOString().slice(0, 10)} · ${cpus().length} × ${cpus()[0].model.trim()} · Node ${process.version}`);

// ---- 1. size ---------------------------------------------------------------------------------
async function bundled(source) {
  const out = await build({ stdin: { contents: source, resolveDir: root, loader: "js" }, bundle: true, minify: true, format: "esm", platform: "browser", write: false, external: ["*.wasm"], logLevel: "silent" });
  return Buffer.from(out.outputFiles[0].contents);
}

async function size() {
  console.log("\n1. Size (bundled and minified with esbuild, gzip -9)");
  const wasm = readFileSync(join(root, "pkg/unlock_tasks_bg.wasm"));
  const glue = await bundled(`export * from "./pkg/index.js";`);
  const rows = [["what", "raw", "gzipped"]];
  rows.push(["unlock-tasks: .wasm", kb(wasm.length), kb(gz(wasm))]);
  rows.push(["unlock-tasks: JS glue + entry", kb(glue.length), kb(gz(glue))]);
  rows.push(["unlock-tasks: total", kb(wasm.length + glue.length), kb(gz(wasm) + gz(glue))]);
  const plain = await bundled(`export * from "./bench/baselines/plain-poller.js";`);
  rows.push(["hand-written plain-JS poller", kb(plain.length), kb(gz(plain))]);
  for (const [name, source] of [
    ["@smithy/util-waiter", `export { createWaiter, WaiterState } from "@smithy/util-waiter";`],
    ["@azure/core-lro", `export { createHttpPoller } from "@azure/core-lro";`],
  ]) {
    try {
      const b = await bundled(source);
      rows.push([name, kb(b.length), kb(gz(b))]);
    } catch {
      rows.push([name, "not installed", ""]);
    }
  }
  table(rows);
}

// ---- 2. start-up -----------------------------------------------------------------------------
async function startup() {
  console.log("\n2. Start-up: import until the first client exists (median of 15 fresh runs)");
  const nodeRun = (module, make) => Number(execFileSync(process.execPath, ["--input-type=module", "-e", `
    const t0 = performance.now();
    const m = await import(${JSON.stringify(module)});
    ${make};
    console.log(performance.now() - t0);`], { encoding: "utf8" }));
  const runs = (f) => Array.from({ length: 15 }, f);
  const wasmNode = runs(() => nodeRun(join(root, "pkg/node.js"), `new m.UnlockClient({ provider: "lensmor" })`));
  const plainNode = runs(() => nodeRun(join(root, "bench/baselines/plain-poller.js"), `new m.PlainPoller({ provider: "lensmor" })`));
  const site = await serveStatic(root);
  const browser = await launchChromium();
  const inPage = async (module, make) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.url}/bench/blank.html`);
    const ms = await page.evaluate(async ([module, make]) => {
      const t0 = performance.now();
      const m = await import(module);
      new Function("m", make)(m);
      return performance.now() - t0;
    }, [module, make]);
    await context.close();
    return ms;
  };
  const wasmPage = [], plainPage = [];
  for (let i = 0; i < 15; i++) {
    wasmPage.push(await inPage("/pkg/index.js", `new m.UnlockClient({ provider: "lensmor" })`));
    plainPage.push(await inPage("/bench/baselines/plain-poller.js", `new m.PlainPoller({ provider: "lensmor" })`));
  }
  await browser.close();
  await site.close();
  table([
    ["runtime", "unlock-tasks", "plain-JS poller", "ratio"],
    ["Node", `${median(wasmNode).toFixed(1)} ms`, `${median(plainNode).toFixed(1)} ms`, `${(median(wasmNode) / median(plainNode)).toFixed(1)}×`],
    ["Chromium (loopback, no cache)", `${median(wasmPage).toFixed(1)} ms`, `${median(plainPage).toFixed(1)} ms`, `${(median(wasmPage) / median(plainPage)).toFixed(1)}×`],
  ]);
}

// ---- 3. per-response cost ----------------------------------------------------------------------
async function perResponse() {
  console.log("\n3. Per response: read and normalize a 100-item task answer (median per call)");
  const pkg = await import(join(root, "pkg/node.js"));
  const body = JSON.stringify({
    taskId: "321", taskStatus: "processing",
    items: Array.from({ length: 100 }, (_, i) => i % 3 === 0
      ? { personnelId: String(1000 + i), status: "unlocked", email: `person${i}@example.com` }
      : i % 3 === 1 ? { personnelId: String(1000 + i), status: "processing" } : { personnelId: String(1000 + i), status: "failed", errorCode: "TASK_FAILED" }),
  });
  const time = (f) => {
    for (let i = 0; i < 200; i++) f(); // warm up
    const batches = [];
    for (let b = 0; b < 30; b++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) f();
      batches.push(Number(process.hrtime.bigint() - t0) / 100);
    }
    return median(batches);
  };
  // Interleaved rounds, so no reader is favoured by when it ran.
  const rounds = { parse: [], plain: [], wasm: [] };
  for (let r = 0; r < 5; r++) {
    rounds.parse.push(time(() => JSON.parse(body)));
    rounds.plain.push(time(() => normalize("lensmor.email", JSON.parse(body))));
    rounds.wasm.push(time(() => pkg.parseTaskResponse("lensmor.email", "321", 200, body)));
  }
  const [parse, plain, wasm] = [median(rounds.parse), median(rounds.plain), median(rounds.wasm)];
  table([
    ["reader", "ns per answer", "vs JSON.parse"],
    ["JSON.parse alone (the floor)", parse.toFixed(0), "1.0×"],
    ["plain JS: JSON.parse + a loop", plain.toFixed(0), `${(plain / parse).toFixed(1)}×`],
    ["unlock-tasks (wasm): parseTaskResponse", wasm.toFixed(0), `${(wasm / parse).toFixed(1)}× (${(wasm / plain).toFixed(1)}× plain JS)`],
  ]);
}

// ---- 4. polling efficiency ---------------------------------------------------------------------
/** The fewest polls the schedule allows for a task that finishes `finishMs` after creation. */
function minimumPolls(delays, finishMs) {
  let at = 0;
  for (let n = 0; ; n++) {
    at += delays[Math.min(n, delays.length - 1)];
    if (at >= finishMs) return n + 1;
  }
}

async function polling() {
  const speed = 100; // the 3/5/10/20 s schedule and 2-12 s tasks run 100 times faster
  const delays = [3000, 5000, 10000, 20000].map((d) => d / speed);
  const window = 60_000 / speed; // Lensmor's 120 a minute, scaled alike
  console.log(`\n4. Polling efficiency (sandbox at ${speed}× speed: tasks finish 2-12 s after creation, schedule 3/5/10/20 s, 120 requests a minute per key, all scaled; times below are in real-speed seconds)`);
  const pkg = await import(join(root, "pkg/node.js"));
  const rows = [["client", "tasks", "started", "polls/task", "minimum", "finish→known p50", "p99", "429s", "heap/task", "CPU/poll"]];
  for (const [label, n] of [["unlock-tasks", 1], ["unlock-tasks", 100], ["unlock-tasks", 1000], ["plain JS", 100], ["plain JS", 1000]]) {
    const sandbox = await startSandbox({ speed, rateLimit: 120, rateWindowMs: window, taskMs: [2000, 12000] });
    try {
      await fetch(`${sandbox.url}/__sandbox/config`, { method: "POST", body: JSON.stringify({ balance: { sf_bench: { salesfinity: 1e9 } } }) });
      const options = { provider: "salesfinity", apiKey: "sf_bench", baseUrl: sandbox.url };
      const client = label === "plain JS" ? new PlainPoller({ ...options, delaysMs: delays }) : new pkg.UnlockClient({ ...options, polling: { delaysMs: delays, jitter: 0.1 }, rateLimit: { requests: 110, windowMs: window } });
      global.gc?.();
      const heap0 = process.memoryUsage().heapUsed;
      const cpu0 = process.cpuUsage();
      const known = new Map();
      const started = await Promise.all(Array.from({ length: n }, async (_, i) => {
        const input = { linkedinUrl: `https://www.linkedin.com/in/bench-${i}`, type: "work" };
        return label === "plain JS" ? client.start("salesfinity.email", input).catch(() => null) : client.enrichEmail(input);
      }));
      const heapPerTask = (process.memoryUsage().heapUsed - heap0) / n;
      await Promise.all(started.filter(Boolean).map(async (task) => {
        const id = task.taskId;
        await (label === "plain JS" ? client.wait(task) : client.waitForTask(task.token)).catch(() => null);
        known.set(id, Date.now());
      }));
      const cpu = process.cpuUsage(cpu0);
      const log = (await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()).requests;
      const polls = log.filter((r) => r.method === "GET");
      const tasks = [...sandbox.state.enrichments.values()];
      const minimum = tasks.reduce((sum, t) => sum + minimumPolls(delays, t.settleAt - t.startAt + 2000 / 3 / speed), 0) / Math.max(1, tasks.length);
      const lag = tasks.filter((t) => known.has(t.id)).map((t) => (known.get(t.id) - t.settleAt) * speed / 1000);
      rows.push([
        label, n, started.filter(Boolean).length, (polls.length / Math.max(1, tasks.length)).toFixed(2), minimum.toFixed(2),
        `${median(lag).toFixed(1)} s`, `${pct(lag, 0.99).toFixed(1)} s`,
        log.filter((r) => r.status === 429).length, kb(heapPerTask),
        `${((cpu.user + cpu.system) / Math.max(1, polls.length)).toFixed(0)} µs`,
      ]);
    } finally {
      await sandbox.close();
    }
  }
  table(rows);
  console.log("  (started: creates that succeeded; minimum: polls the schedule needs for each task's finish time with no rate limit;");
  console.log("   finish→known: from the provider finishing to the caller's promise resolving; CPU/poll includes the sandbox, which runs in this process)");
}

// ---- 5. edge step ------------------------------------------------------------------------------
async function edgeStep() {
  console.log("\n5. Edge step: one pollOnce (decode token, one request, encode token), network excluded");
  const pkg = await import(join(root, "pkg/node.js"));
  const body = JSON.stringify({ taskId: "321", taskStatus: "processing", items: Array.from({ length: 10 }, (_, i) => ({ personnelId: String(i), status: "processing" })) });
  const realFetch = globalThis.fetch;
  // The network is replaced by an answer ready at once: what is left is the package's own work.
  globalThis.fetch = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  try {
    const client = new pkg.UnlockClient({ provider: "lensmor", apiKey: "uak_bench", baseUrl: "http://127.0.0.1:9", rateLimit: { requests: 1e9, windowMs: 1 } });
    const token = pkg.tokenFor("lensmor.email", "321");
    for (let i = 0; i < 200; i++) await client.pollOnce(token);
    const samples = [];
    for (let b = 0; b < 30; b++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 50; i++) await client.pollOnce(token);
      samples.push(Number(process.hrtime.bigint() - t0) / 50 / 1000);
    }
    const fetchOnly = [];
    for (let b = 0; b < 30; b++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 50; i++) await (await globalThis.fetch("x")).text();
      fetchOnly.push(Number(process.hrtime.bigint() - t0) / 50 / 1000);
    }
    table([
      ["step", "µs (median)"],
      ["pollOnce with an instant answer", median(samples).toFixed(1)],
      ["of which the stand-in fetch + body read", median(fetchOnly).toFixed(1)],
      ["the package's own work", (median(samples) - median(fetchOnly)).toFixed(1)],
    ]);
  } finally {
    globalThis.fetch = realFetch;
  }
}

for (const [name, run] of Object.entries({ size, startup, perResponse, polling, edgeStep, edge, groups, tabs })) {
  if (!only || only === name) await run();
}
