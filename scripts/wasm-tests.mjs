// Runs tests/wasm.rs (wasm-bindgen-test) in Node and in headless Chromium, each against a fresh
// sandbox. The sandbox's URL reaches the tests at build time (SANDBOX_URL, read with
// option_env!; cargo rebuilds the test when it changes).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox } from "../sandbox/server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Async on purpose: the sandbox answers from this process's event loop. */
async function cargoTest(label, env) {
  console.log(`== wasm-bindgen-test in ${label}`);
  const sandbox = await startSandbox({ speed: 40 });
  const code = await new Promise((resolve) => {
    const child = spawn("cargo", ["test", "--target", "wasm32-unknown-unknown", "--test", "wasm"], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, SANDBOX_URL: sandbox.url, ...env },
    });
    child.on("exit", (code) => resolve(code ?? 1));
  });
  await sandbox.close();
  return code;
}

let failed = 0;
failed += (await cargoTest("Node", {})) !== 0;
failed += (await cargoTest("headless Chromium", {
  WASM_BINDGEN_USE_BROWSER: "1",
  CHROMEDRIVER: process.env.CHROMEDRIVER ?? "/usr/bin/chromedriver",
})) !== 0;
process.exit(failed ? 1 : 0);
