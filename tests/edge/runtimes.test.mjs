// The package in the edge runtimes: real workerd (the "workerd" export condition, the .wasm as a
// compiled module, as wrangler bundles it) and Deno (the "deno" condition), against the sandbox.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { startSandbox } from "../../www/sandbox.mjs";
import { installPackedPackage, root } from "../js/packed.mjs";

let sandbox, app;

before(async () => {
  sandbox = await startSandbox({ speed: 40 });
  app = installPackedPackage();
});
after(async () => {
  await sandbox.close();
  rmSync(app, { recursive: true, force: true });
});

/** A free port: workerd's config needs a fixed one. */
async function freePort() {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test("workerd: a worker bundled with the workerd condition unlocks and waits", async () => {
  copyFileSync(join(root, "tests/edge/worker.js"), join(app, "worker.js"));
  await build({
    entryPoints: [join(app, "worker.js")], bundle: true, format: "esm", platform: "neutral",
    conditions: ["workerd", "worker", "browser"], external: ["*.wasm"], outfile: join(app, "dist/worker.js"), logLevel: "error",
  });
  copyFileSync(join(app, "node_modules/unlock-tasks/unlock_tasks_bg.wasm"), join(app, "dist/unlock_tasks_bg.wasm"));
  const port = await freePort();
  writeFileSync(join(app, "dist/config.capnp"), `
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # workerd refuses private addresses by default; the sandbox is on loopback.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "unlock_tasks_bg.wasm", wasm = embed "unlock_tasks_bg.wasm"),
  ],
  compatibilityDate = "2025-01-01",
  globalOutbound = "loopback",
  bindings = [
    (name = "SANDBOX_URL", text = "${sandbox.url}"),
    (name = "LENSMOR_API_KEY", text = "uak_workerd"),
  ],
);
`);
  const workerd = spawn(join(root, "node_modules/.bin/workerd"), ["serve", "config.capnp"], { cwd: join(app, "dist"), stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  workerd.stdout.on("data", (d) => (log += d));
  workerd.stderr.on("data", (d) => (log += d));
  try {
    let response;
    for (let i = 0; i < 100 && !response; i++) {
      response = await fetch(`http://127.0.0.1:${port}/`).catch(() => new Promise((r) => setTimeout(r, 100)));
    }
    assert.ok(response, `workerd did not start: ${log}`);
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body) + log);
    assert.deepEqual(body, { status: "completed", delivered: ["789", "792"], failed: ["793"], stepToken: "string" });
  } finally {
    workerd.kill();
  }
});

test("Deno: the installed package, by name, with network limited to loopback", async () => {
  copyFileSync(join(root, "tests/edge/deno-script.mjs"), join(app, "deno-script.mjs"));
  const { stdout } = await promisify(execFile)(join(root, "node_modules/.bin/deno"), ["run", "--allow-net=127.0.0.1", "--allow-read=.", "--allow-env=SANDBOX_URL", "deno-script.mjs"], {
    cwd: app,
    timeout: 120_000,
    env: { ...process.env, SANDBOX_URL: sandbox.url, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  assert.deepEqual(JSON.parse(stdout), { value: "grace-hopper@mail.example", code: "true:validation" });
});
