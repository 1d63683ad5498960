// Test helper: bundle a worker as wrangler would (the "workerd" export condition, the .wasm as a
// module) and run it in real workerd on a free loopback port.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import { root } from "./packed.mjs";

export async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Bundles `entry` where it is, with its own imports (resolving "unlock-tasks" from `app`, a
 * folder that installed the tarball), and serves it. `bindings` are text bindings;
 * `durableObjects` maps exported classes to their binding names. With `storageDir`, Durable
 * Objects keep their storage on disk there, so a restarted workerd finds it again.
 */
export async function startWorkerd({ app, entry, bindings = {}, durableObjects = {}, storageDir, port: given }) {
  const dist = join(app, "dist");
  mkdirSync(dist, { recursive: true });
  await build({
    entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", nodePaths: [join(app, "node_modules")],
    conditions: ["workerd", "worker", "browser"], external: ["*.wasm"], outfile: join(dist, "worker.js"), logLevel: "error",
  });
  copyFileSync(join(app, "node_modules/unlock-tasks/unlock_tasks_bg.wasm"), join(dist, "unlock_tasks_bg.wasm"));
  const port = given ?? (await freePort());
  const classes = Object.keys(durableObjects);
  const objects = classes.map((name) => `(className = "${name}", uniqueKey = "${name}-test")`).join(", ");
  const objectBindings = classes.map((name) => `(name = "${durableObjects[name]}", durableObjectNamespace = (className = "${name}"))`);
  if (storageDir) mkdirSync(storageDir, { recursive: true });
  const storage = storageDir ? `(localDisk = "do-disk")` : "(inMemory = void)";
  const textBindings = Object.entries(bindings).map(([name, value]) => `(name = "${name}", text = ${JSON.stringify(value)})`);
  writeFileSync(join(dist, "config.capnp"), `
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # workerd refuses private addresses by default; the sandbox is on loopback.
    (name = "loopback", network = (allow = ["local"])),
    ${storageDir ? `(name = "do-disk", disk = (path = ${JSON.stringify(storageDir)}, writable = true)),` : ""}
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
  ${classes.length ? `durableObjectNamespaces = [${objects}],\n  durableObjectStorage = ${storage},` : ""}
  bindings = [${[...textBindings, ...objectBindings].join(", ")}],
);
`);
  const child = spawn(join(root, "node_modules/.bin/workerd"), ["serve", "config.capnp"], { cwd: dist, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  // Ready when the port accepts a connection (an HTTP probe would run the worker).
  const listening = () => new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket.end() && true)).on("error", () => resolve(false));
  });
  for (let i = 0; i < 100; i++) {
    if (await listening()) return { url, log: () => log, close: () => child.kill() };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`workerd did not start: ${log}`);
}

/** The repository's edge worker (examples/edge-worker/worker.js) with its Durable Objects. */
export function startEdgeWorker(app, bindings, options = {}) {
  return startWorkerd({ app, entry: join(root, "examples/edge-worker/worker.js"), durableObjects: { UnlockTasks: "TASKS", KeyGovernors: "GOVERNORS" }, bindings, ...options });
}
