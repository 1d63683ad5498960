// The quick start and the groups example of both READMEs (the repository's and the package's), run exactly
// as written, from an app that installed the tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startSandbox } from "../../sandbox/server.mjs";
import { installPackedPackage, root } from "../support/packed.mjs";

const READMES = [["README", "README.md"], ["package README", "pkg-template/README.md"]];

/**
 * Runs the README block that starts with `// <script>` exactly as written, from an app that
 * installed the tarball, against a fresh sandbox with `key` as the Lensmor key; `check` gets
 * its output and the sandbox.
 */
async function runBlock(file, script, key, check, prepare = () => {}) {
  const readme = readFileSync(join(root, file), "utf8");
  const marker = script.replace(".", "\\.");
  const block = new RegExp("```js\\n(\\/\\/ " + marker + "[\\s\\S]*?)```").exec(readme)?.[1];
  assert.ok(block, `the README has a ${script} block`);
  const sandbox = await startSandbox({ speed: 40 });
  prepare(sandbox);
  const app = installPackedPackage();
  try {
    writeFileSync(join(app, script), block);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script], {
      cwd: app,
      timeout: 120_000,
      env: { ...process.env, LENSMOR_BASE_URL: sandbox.url, LENSMOR_API_KEY: key },
    });
    assert.equal(stderr, "");
    check(stdout, sandbox);
  } finally {
    await sandbox.close();
    rmSync(app, { recursive: true, force: true });
  }
}

for (const [name, file] of READMES) test(`the ${name} quick start works when copied`, () => runBlock(file, "quickstart.mjs", "uak_demo", (stdout) => {
  assert.match(stdout, /^3 chargeable, 45 credits, allowed: true \(ok\)$/m);
  assert.match(stdout, /^delivered 789 \S+@\S+\.example$/m);
  assert.match(stdout, /^delivered 792 \S+@\S+\.example$/m);
  assert.match(stdout, /^failed 793 TASK_FAILED$/m);
  assert.match(stdout, /^30 credits$/m);
}));

for (const [name, file] of READMES) test(`the ${name} groups example works when copied`, () => runBlock(file, "groups.mjs", "uak_groups_demo", (stdout, sandbox) => {
  const [, tasks, contacts] = /^(\d+) tasks for (\d+) contacts$/m.exec(stdout) ?? [];
  assert.ok(Number(contacts) > 100 && Number(tasks) === Math.ceil(Number(contacts) / 100), stdout);
  const [, delivered, credits] = /^(\d+) delivered, (\d+) credits$/m.exec(stdout) ?? [];
  assert.ok(Number(delivered) > 100, stdout);
  assert.ok(Number(credits) >= Number(delivered) * 15, stdout);
  const creates = sandbox.state.requests.filter((r) => r.path === "/external/contacts/unlock" && r.method === "POST");
  assert.equal(creates.length, Number(tasks));
}, (sandbox) => (sandbox.state.balanceOf("uak_groups_demo").lensmor = 1e6)));
