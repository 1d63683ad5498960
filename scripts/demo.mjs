// npm run demo: builds what is missing, starts the sandbox API and serves the demo page on
// 127.0.0.1, then prints the URL. No account, no network.
//
//   node scripts/demo.mjs [--port 8788] [--speed 2]
//
// Also imported by the demo's browser test: startDemo({ port: 0, speed, polling }).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
// Only node: modules above: on a fresh clone nothing is installed yet. The sandbox needs npm
// packages (ajv), so it is imported once ensureBuilt() has run setup.

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".png": "image/png", ".svg": "image/svg+xml" };

/** Installs what is missing (npm packages, the wasm target, wasm-bindgen-cli) and builds pkg/
 *  when it is missing or older than the Rust sources. */
function ensureBuilt() {
  const wasm = join(root, "pkg/unlock_tasks_bg.wasm");
  const newest = ["src", "src/js", "src/providers", "pkg-template"].flatMap((dir) =>
    readdirSync(join(root, dir)).map((f) => statSync(join(root, dir, f)).mtimeMs),
  );
  const installed = existsSync(join(root, "node_modules/.package-lock.json"));
  const built = existsSync(wasm) && statSync(wasm).mtimeMs > Math.max(...newest);
  if (installed && built) return;
  console.log("Installing and building (first run: npm packages, the wasm target and wasm-bindgen-cli, a few minutes)...");
  execFileSync("bash", [join(root, "scripts/setup.sh")], { stdio: "inherit" });
  if (!built) execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });
}

/** The page is served from www/, the package from pkg/. */
function serve(config) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, "http://demo");
    if (url.pathname === "/demo-config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(JSON.stringify(config));
    }
    const path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = path.startsWith("/pkg/") ? join(root, path) : join(root, "www", path === "/" ? "index.html" : path);
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
}

const DEMO_KEY = "uak_demo_sandbox";

export async function startDemo({ port = 8788, speed = 2, polling, ttlSeconds = 3600 } = {}) {
  const { startSandbox } = await import("../sandbox/server.mjs");
  // An event of several hundred contacts, and credits for all of them: "Select all locked"
  // starts a whole attendee list, in tasks of 100 (maxBatch below) so the page shows a group.
  const sandbox = await startSandbox({ speed, ttlSeconds, people: 400 });
  sandbox.state.balanceOf(DEMO_KEY).lensmor = 20_000;
  const server = serve({ sandboxUrl: sandbox.url, demoKey: DEMO_KEY, eventId: "139574", polling, maxBatch: 100 });
  await new Promise((resolve, reject) => {
    server.once("error", (error) => (error.code === "EADDRINUSE" && port !== 0 ? server.listen(0, "127.0.0.1", resolve) : reject(error)));
    server.listen(port, "127.0.0.1", resolve);
  });
  const stop = setTimeout(() => server.close(), ttlSeconds * 1000);
  stop.unref();
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    sandbox,
    close: async () => {
      clearTimeout(stop);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await sandbox.close();
    },
  };
}

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  ensureBuilt();
  const demo = await startDemo({ port: Number(flag("port", 8788)), speed: Number(flag("speed", 2)) });
  console.log(`\nunlock-tasks demo: open ${demo.url}\n(sandbox API at ${demo.sandbox.url}; stops after an hour, or Ctrl-C)`);
}
