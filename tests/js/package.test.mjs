// The packed npm tarball, installed into an empty folder and used with nothing else:
// plain Node ESM, require(), and a strict TypeScript consumer of the shipped types.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startSandbox } from "../../sandbox/server.mjs";
import { installPackedPackage, root } from "../support/packed.mjs";

let sandbox;
let app;

before(async () => {
  sandbox = await startSandbox({ speed: 40 });
  app = installPackedPackage();
});

after(async () => {
  await sandbox.close();
  rmSync(app, { recursive: true, force: true });
});

/** Runs a script in the app folder. Asynchronously: the sandbox answers from this process. */
async function node(file, source) {
  writeFileSync(join(app, file), source);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: app, env: { ...process.env, SANDBOX_URL: sandbox.url }, timeout: 60_000 });
  return stdout;
}

const SCENARIO = `
  const client = new UnlockClient({ provider: "lensmor", apiKey: "uak_pkg", baseUrl: process.env.SANDBOX_URL, polling: { delaysMs: [40, 60, 100] } });
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ["789", "792", "793"] });
  const result = await client.waitForTask(task.token);
  let code;
  try { await client.unlockEmails({ eventId: "", personnelIds: ["1"] }); } catch (e) { code = (e instanceof UnlockError) + ":" + e.code; }
  console.log(JSON.stringify({ status: result.status, delivered: result.delivered.length, failed: result.failed.map((i) => i.id), code }));
`;

test("the tarball holds what the exports map names, and nothing else", () => {
  const files = readdirSync(join(app, "node_modules/unlock-tasks")).sort();
  assert.deepEqual(files, [
    "LICENSE", "README.md", "api.cjs", "api.d.cts", "api.d.ts", "api.js", "extras.cjs", "extras.js", "index.d.cts", "index.d.ts", "index.js",
    "init.cjs", "init.d.cts", "init.d.ts", "init.js", "node.cjs", "node.js", "package.json", "unlock_tasks.cjs",
    "unlock_tasks.d.cts", "unlock_tasks.d.ts", "unlock_tasks.js", "unlock_tasks_bg.wasm", "unlock_tasks_bg.wasm.d.cts",
    "unlock_tasks_bg.wasm.d.ts", "workerd.js",
  ]);
  // The package's own README, for its users: no repository scripts, no unshipped links.
  const readme = readFileSync(join(app, "node_modules/unlock-tasks/README.md"), "utf8");
  assert.doesNotMatch(readme, /npm run (demo|sandbox|test|build)|\]\((?!https?:)[^)]+\)/);
});

test("every entry exports the same API: ESM, require(), and unlock-tasks/init in both", async () => {
  const out = JSON.parse(await node("names.mjs", `
    import { createRequire } from "node:module";
    const require = createRequire(import.meta.url);
    const names = (api) => Object.keys(api).filter((name) => name !== "init").sort();
    const esmInit = await import("unlock-tasks/init"); // its names, before any init()
    console.log(JSON.stringify({
      esm: names(await import("unlock-tasks")), cjs: names(require("unlock-tasks")),
      esmInit: names(esmInit), cjsInit: names(require("unlock-tasks/init")),
    }));
  `));
  const api = ["KeyGovernor", "UnlockClient", "UnlockError", "checkEnrichInput", "checkUnlockInput", "createdAnswer", "creditsPerContact", "describeToken", "parseTaskResponse", "providerFacts", "proxyStatus", "readGroupHeader", "resplitSize", "tokenFor"];
  assert.deepEqual(out, { esm: api, cjs: api, esmInit: api, cjsInit: api });
});

test("every entry file declares the same exports, the browser's bundled ones included", async () => {
  const { buildSync } = await import("esbuild");
  const folder = join(app, "node_modules/unlock-tasks");
  const exportsOf = (file) => {
    const { metafile } = buildSync({ entryPoints: [join(folder, file)], bundle: true, write: false, format: "esm", platform: "neutral", metafile: true, outdir: "out", external: ["*.wasm", "node:*"], logLevel: "silent" });
    return Object.values(metafile.outputs).find((o) => o.entryPoint).exports.filter((name) => name !== "init").sort();
  };
  const api = ["KeyGovernor", "UnlockClient", "UnlockError", "checkEnrichInput", "checkUnlockInput", "createdAnswer", "creditsPerContact", "describeToken", "parseTaskResponse", "providerFacts", "proxyStatus", "readGroupHeader", "resplitSize", "tokenFor"];
  for (const file of ["index.js", "init.js", "node.js", "workerd.js"]) assert.deepEqual(exportsOf(file), api, file);
  // The browser's and Node's entries are one file each: nothing to load before the .wasm but
  // Node's own modules.
  for (const file of ["index.js", "init.js", "node.js"]) {
    assert.doesNotMatch(readFileSync(join(folder, file), "utf8"), /^\s*(import|export)\s[^;]*\sfrom\s+"(?!node:)/m, file);
  }
});

test("import from plain Node ESM", async () => {
  const out = JSON.parse(await node("esm.mjs", `import { UnlockClient, UnlockError } from "unlock-tasks";\n(async () => {${SCENARIO}})();`));
  assert.deepEqual(out, { status: "completed", delivered: 2, failed: ["793"], code: "true:validation" });
});

test("require from CommonJS", async () => {
  const out = JSON.parse(await node("cjs.cjs", `const { UnlockClient, UnlockError } = require("unlock-tasks");\n(async () => {${SCENARIO.replace(/"789", "792", "793"/, '"800", "802", "803"')}})();`));
  assert.deepEqual(out, { status: "completed", delivered: 2, failed: ["803"], code: "true:validation" });
});

test("the shipped types check a strict consumer, and catch a wrong one", () => {
  const tsc = join(root, "node_modules/.bin/tsc");
  const flags = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2022,dom", "--skipLibCheck", "false"];
  writeFileSync(join(app, "good.ts"), `
    import { UnlockClient, UnlockError, type TaskResult, type Snapshot, type StartedTask, type UnlockEvent, type ContactPage, type SkipReason, type Anomaly } from "unlock-tasks";
    const client = new UnlockClient({ provider: "lensmor", baseUrl: "https://proxy.example", polling: { delaysMs: [3000], jitter: 0.2 } });
    async function run(signal: AbortSignal): Promise<number> {
      const task: StartedTask = await client.unlockEmails({ eventId: "139574", personnelIds: ["789", 790] });
      if (!task.started || task.token === null) return 0;
      const result: TaskResult = await client.waitForTask(task.token, {
        signal, maxWaitMs: 60000,
        onProgress: (s: Snapshot) => s.items.filter((i) => i.status === "delivered").length,
        onEvent: (e: UnlockEvent) => { if (e.type === "throttled") e.resumeAt.toFixed(); },
      });
      const reasons: SkipReason[] = task.skipped.map((s) => s.reason);
      const odd: Anomaly[] = result.anomalies;
      const page: ContactPage = await client.listContacts({ eventId: "139574", page: 2, pageSize: 50, sourceType: "visitors" });
      const emails = page.items.filter((c) => c.emailStatus === "unlocked").map((c) => c.email ?? "");
      const one = await client.getContact("789");
      if (!page.accessible || one.phoneStatus === "ready") return reasons.length + odd.length + emails.length;
      const step = await client.pollOnce(task.token);
      if (step.done) step.result.credits.toFixed(); else step.nextPollAt.toFixed();
      try { await client.creditBalance(); } catch (e) { if (e instanceof UnlockError && e.code === "rate_limited") return e.retryAfterMs ?? 0; }
      return result.delivered.length + result.credits;
    }
    void run;
  `);
  execFileSync(tsc, [...flags, "good.ts"], { cwd: app, stdio: "pipe" });

  writeFileSync(join(app, "bad.ts"), `
    import { UnlockClient } from "unlock-tasks";
    void new UnlockClient({ provider: "hubspot" });
    void new UnlockClient({ provider: "lensmor" }).unlockEmails({ eventId: 139574, personnelIds: ["1"] });
  `);
  let output = "";
  try {
    execFileSync(tsc, [...flags, "bad.ts"], { cwd: app, stdio: "pipe", encoding: "utf8" });
  } catch (error) {
    output = String(error.stdout);
  }
  assert.match(output, /"hubspot"/, "a wrong provider is a type error");
  assert.match(output, /bad\.ts\(4,\d+\): error TS2322/, "a numeric eventId is a type error");
});
