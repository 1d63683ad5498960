// The package in the edge runtimes: real workerd (the "workerd" export condition, the .wasm as a
// compiled module, as wrangler bundles it) and Deno (the "deno" condition), against the sandbox.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { copyFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startSandbox } from "../../sandbox/server.mjs";
import { installPackedPackage, root } from "../support/packed.mjs";
import { freePort, startWorkerd } from "../support/workerd.mjs";
import { signedIn } from "../support/session.mjs";

let sandbox, app;

before(async () => {
  sandbox = await startSandbox({ speed: 40 });
  app = installPackedPackage();
});
after(async () => {
  await sandbox.close();
  rmSync(app, { recursive: true, force: true });
});

test("workerd: a worker bundled with the workerd condition unlocks and waits", async () => {
  const workerd = await startWorkerd({
    app,
    entry: join(root, "tests/edge/worker.js"),
    bindings: { SANDBOX_URL: sandbox.url, LENSMOR_API_KEY: "uak_workerd" },
  });
  try {
    const response = await fetch(`${workerd.url}/`);
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body) + workerd.log());
    assert.deepEqual(body, { status: "completed", delivered: ["789", "792"], failed: ["793"], stepToken: "string" });
    // A group token made in Node resumes in workerd, every part.
    const { UnlockClient } = await import("../../pkg/node.js");
    const node = new UnlockClient({ provider: "lensmor", apiKey: "uak_workerd", baseUrl: sandbox.url, maxBatch: 2 });
    const group = await node.unlockEmails({ eventId: "139574", personnelIds: ["835", "836", "837"] });
    assert.match(group.token, /^ug1\./);
    const resumed = await (await fetch(`${workerd.url}/?token=${encodeURIComponent(group.token)}`)).json();
    assert.deepEqual(resumed, { status: "completed", parts: ["completed", "completed"], items: 3 - group.skipped.length });
  } finally {
    workerd.close();
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

test("Deno: the edge proxy's handler under Deno.serve adds the key and refuses other routes", async () => {
  const key = "uak_deno_proxy_secret";
  for (const file of readdirSync(join(root, "examples/edge-worker")).filter((f) => f.endsWith(".js"))) {
    copyFileSync(join(root, "examples/edge-worker", file), join(app, file));
  }
  const secret = "deno-session-secret";
  const port = await freePort();
  const deno = spawn(join(root, "node_modules/.bin/deno"), ["run", "--allow-net=127.0.0.1", "--allow-env", "--allow-read=.", "deno.js"], {
    cwd: app,
    env: { ...process.env, PORT: String(port), LENSMOR_API_KEY: key, LENSMOR_BASE_URL: sandbox.url, ALLOWED_ORIGIN: "https://app.example", SESSION_SECRET: secret, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    await new Promise((resolve, reject) => {
      deno.stdout.on("data", (d) => String(d).includes("port") && resolve());
      deno.on("exit", (code) => reject(new Error(`deno exited ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const user = signedIn(secret, "deno-user");
    const anonymous = await fetch(`${base}/lensmor/external/contacts/unlock`, { method: "POST", headers: { origin: "https://app.example", "content-type": "application/json" }, body: JSON.stringify({ event_id: "139574", personnel_ids: ["820", "821"] }) });
    assert.equal(anonymous.status, 401);
    const created = await fetch(`${base}/lensmor/external/contacts/unlock`, { method: "POST", headers: { origin: "https://app.example", "content-type": "application/json", ...user }, body: JSON.stringify({ event_id: "139574", personnel_ids: ["820", "821"] }) });
    const body = await created.text();
    assert.equal(created.status, 201, body);
    const taskId = JSON.parse(body).task_id;
    const polled = await fetch(`${base}/lensmor/external/contacts/unlock-tasks/${taskId}`, { headers: { origin: "https://app.example", ...user } });
    const foreign = await fetch(`${base}/lensmor/external/contacts/unlock-tasks/${taskId}`, { headers: { origin: "https://app.example", ...signedIn(secret, "someone-else") } });
    assert.equal(foreign.status, 404, "another user's task is not there");
    const polledBody = await polled.text();
    assert.equal(polled.status, 200);
    assert.equal(JSON.parse(polledBody).taskId, taskId);
    assert.equal((await fetch(`${base}/lensmor/external/whatever`, { headers: user })).status, 404);
    assert.ok(![body, polledBody].join().includes(key));
  } finally {
    deno.kill();
  }
});
