// The newcomer's first command, checked as a newcomer runs it: `npm run demo` on this checkout
// (a clean clone in CI: no node_modules, no pkg/), until the page, its module and its .wasm are
// served. Then the demo is stopped. Imports only node: modules, since nothing is installed yet.
//
//   node scripts/demo-check.mjs        (.ci/run runs it before anything else is installed)
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
/** The first run installs wasm-bindgen-cli (about 4 minutes on 2 cores) and builds. */
const LIMIT_MS = 20 * 60 * 1000;

const child = spawn("npm", ["run", "demo", "--", "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "inherit"], detached: true });
const stop = () => {
  try {
    process.kill(-child.pid, "SIGTERM"); // npm, node and the servers: the whole group
  } catch {}
};
const fail = (message) => {
  stop();
  console.error(`demo-check: ${message}`);
  process.exit(1);
};
const timer = setTimeout(() => fail(`no URL printed within ${LIMIT_MS / 60000} minutes`), LIMIT_MS);
child.on("exit", (code) => fail(`npm run demo exited (code ${code}) before serving the page`));

let output = "";
child.stdout.on("data", async (chunk) => {
  process.stdout.write(chunk);
  output += chunk;
  const url = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
  if (!url || output === null) return;
  output = null; // once
  clearTimeout(timer);
  try {
    await expect(url, "text/html", (body) => body.includes("<script"));
    await expect(`${url}pkg/index.js`, "text/javascript", (body) => body.includes("UnlockClient"));
    await expect(`${url}pkg/unlock_tasks_bg.wasm`, "application/wasm", (body) => body.startsWith("\0asm"));
    const config = await expect(`${url}demo-config.json`, "application/json", (body) => JSON.parse(body).sandboxUrl.startsWith("http://127.0.0.1:"));
    const { sandboxUrl, demoKey } = JSON.parse(config);
    await expect(`${sandboxUrl}/external/credits/balance`, "application/json", (body) => typeof JSON.parse(body).totalBalance === "number", { authorization: `Bearer ${demoKey}` });
  } catch (error) {
    fail(error.message);
  }
  child.removeAllListeners("exit");
  stop();
  console.log("demo-check: the page, its module, its .wasm are served and the sandbox answers");
  process.exit(0);
});

async function expect(url, type, check, headers = {}) {
  const response = await fetch(url, { headers });
  const body = Buffer.from(await response.arrayBuffer()).toString("latin1");
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  if (!response.headers.get("content-type")?.startsWith(type)) throw new Error(`${url}: content-type ${response.headers.get("content-type")}`);
  if (!check(body)) throw new Error(`${url}: not the expected content (${body.length} bytes)`);
  console.log(`demo-check: ${url} ${body.length} bytes`);
  return body;
}
