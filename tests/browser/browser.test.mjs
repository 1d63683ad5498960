// The package in headless Chromium (Debian's, driven by playwright-core), against the sandbox:
// loaded as a plain ES module with no bundler, and bundled into an app by esbuild.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { launchChromium } from "../support/chromium.mjs";
import { serveStatic } from "../support/static.mjs";
import { startSandbox } from "../../sandbox/server.mjs";
import { installPackedPackage, root } from "../support/packed.mjs";

let sandbox, site, browser, bundleDir, app;

before(async () => {
  sandbox = await startSandbox({ speed: 40 });
  site = await serveStatic(root);
  browser = await launchChromium();
  // The esbuild app resolves "unlock-tasks" through the installed package's exports map.
  app = installPackedPackage();
  copyFileSync(join(root, "tests/browser/scenario.js"), join(app, "scenario.js"));
  copyFileSync(join(root, "tests/browser/bundled-app.js"), join(app, "app.js"));
  bundleDir = mkdtempSync(join(tmpdir(), "unlock-tasks-bundle-"));
  await build({ entryPoints: [join(app, "app.js")], bundle: true, format: "esm", platform: "browser", target: "es2022", minify: true, outfile: join(bundleDir, "app.js"), logLevel: "error" });
  // esbuild leaves `new URL("./unlock_tasks_bg.wasm", import.meta.url)` as is: the .wasm is
  // served next to the bundle (the README says so).
  copyFileSync(join(app, "node_modules/unlock-tasks/unlock_tasks_bg.wasm"), join(bundleDir, "unlock_tasks_bg.wasm"));
  writeFileSync(join(bundleDir, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>');
});

after(async () => {
  await browser?.close();
  await site?.close();
  await sandbox?.close();
  for (const dir of [bundleDir, app]) if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runPage(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__result || window.__error, null, { timeout: 30_000 });
    const error = await page.evaluate(() => window.__error);
    assert.equal(error, undefined, error);
    assert.deepEqual(errors, []);
    return await page.evaluate(() => window.__result);
  } finally {
    await page.close();
  }
}

function check(out) {
  assert.equal(out.balance, 1000);
  assert.deepEqual(out.result, { status: "completed", delivered: ["790", "792"], failed: ["793"], noValue: ["797"], credits: 45 });
  assert.ok(out.progress >= 1);
  assert.equal(out.resumed, true);
  assert.deepEqual(out.aborted, { code: "aborted", isUnlockError: true, isError: true, hasToken: true });
  assert.equal(out.pollOnce.hasToken, true);
  assert.deepEqual(out.validation, { code: "validation", field: "personnelIds" });
  assert.deepEqual(out.unauthorized, { code: "unauthorized", status: 401, traceId: true });
  assert.deepEqual([out.group.parts, out.group.status, out.group.reported], [2, "completed", 3]);
  assert.match(out.group.token, /^ug1\./);
}

test("Chromium: the package as an ES module, no bundler", async () => {
  await fetch(sandbox.url + "/__sandbox/config", { method: "POST", body: JSON.stringify({ balance: { uak_browser: { lensmor: 1000 } } }) });
  const out = await runPage(`${site.url}/tests/browser/no-bundler.html?sandbox=${encodeURIComponent(sandbox.url)}`);
  check(out);
  // The group token the page made resumes in Node, every part.
  const { UnlockClient } = await import("../../pkg/node.js");
  const node = new UnlockClient({ provider: "lensmor", apiKey: "uak_browser", baseUrl: sandbox.url });
  const snapshot = await node.getTask(out.group.token);
  assert.deepEqual(snapshot.parts.map((p) => p.status), ["completed", "completed"]);
});

test("Chromium: an app bundled by esbuild from the installed package", async () => {
  const fresh = await startSandbox({ speed: 40 });
  const bundleSite = await serveStatic(bundleDir);
  try {
    check(await runPage(`${bundleSite.url}/index.html?sandbox=${encodeURIComponent(fresh.url)}`));
  } finally {
    await bundleSite.close();
    await fresh.close();
  }
});

test("Chromium: loading you control — a failed load is an error the app catches, then a retry from a chosen URL works", async () => {
  const out = await runPage(`${site.url}/tests/browser/init.html?sandbox=${encodeURIComponent(sandbox.url)}`);
  assert.deepEqual(out.failed, { name: "UnlockError", code: "network", isUnlockError: true, hasCause: true });
  assert.equal(out.balance, 1000);
  assert.equal(out.watchedToTheEnd, true);
  assert.equal(out.shown, "[object UnlockClient]");
});
