// npm run build: the Rust core + facade → pkg/, the npm package.
//
//   cargo build (wasm32, release) → wasm-bindgen --target web (no name/producers sections)
//   → wasm-opt -Oz (npm binaryen; Debian's 108 breaks current wasm-bindgen output)
//   → pkg-template/ files around it (entries per runtime, types, package.json, README).
//
// Needs the wasm32 target and wasm-bindgen-cli at the version pinned in Cargo.toml;
// scripts/setup.sh installs both.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });

const pinned = /wasm-bindgen = "=([^"]+)"/.exec(readFileSync(join(root, "Cargo.toml"), "utf8"))[1];
let cli = "";
try {
  cli = execFileSync("wasm-bindgen", ["--version"], { encoding: "utf8" }).trim().split(" ")[1];
} catch {}
if (cli !== pinned) {
  console.error(`wasm-bindgen ${pinned} is needed (found ${cli || "none"}): run scripts/setup.sh`);
  process.exit(1);
}

run("cargo", ["build", "--quiet", "--lib", "--release", "--target", "wasm32-unknown-unknown"]);
rmSync(pkg, { recursive: true, force: true });
run("wasm-bindgen", [
  "--target", "web", "--out-dir", pkg, "--out-name", "unlock_tasks",
  "--remove-name-section", "--remove-producers-section",
  join(root, "target/wasm32-unknown-unknown/release/unlock_tasks.wasm"),
]);
const wasm = join(pkg, "unlock_tasks_bg.wasm");
run(join(root, "node_modules/.bin/wasm-opt"), ["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext", "--enable-reference-types", "--enable-multivalue", "--enable-mutable-globals", wasm, "-o", wasm]);

// wasm-bindgen drops the `?` of an optional parameter that has a custom TypeScript type, so the
// optional arguments of the API (every method's last `options`) are marked here; the build
// fails if they are not where expected.
const dts = join(pkg, "unlock_tasks.d.ts");
let types = readFileSync(dts, "utf8");
const optional = [/options: WaitOptions\)/g, /options: CallOptions\)/g, /options: UnlockOptions\)/g, /max_batch: number\)/g];
const expected = { "options: WaitOptions)": 1, "options: CallOptions)": 8, "options: UnlockOptions)": 2, "max_batch: number)": 1 };
for (const pattern of optional) {
  const found = types.match(pattern)?.length ?? 0;
  const want = expected[pattern.source.replaceAll("\\", "")];
  if (found !== want) throw new Error(`unlock_tasks.d.ts declares ${pattern.source} ${found} times, not ${want}`);
  types = types.replace(pattern, (m) => m.replace(":", "?:"));
}
writeFileSync(dts, types);

// wasm-bindgen copies the JS that Rust imports (src/js/boundary.js) under snippets/; it is inlined
// into the glue, so the package keeps one glue file, which every entry (and workerd's, which is
// not bundled) imports.
const { buildSync } = await import("esbuild");
const glue = join(pkg, "unlock_tasks.js");
buildSync({ entryPoints: [glue], outfile: glue, allowOverwrite: true, bundle: true, format: "esm", platform: "neutral", logLevel: "error" });
rmSync(join(pkg, "snippets"), { recursive: true, force: true });
if (readFileSync(glue, "utf8").includes("./snippets/")) throw new Error("unlock_tasks.js still imports a snippet");

for (const name of readdirSync(join(root, "pkg-template"))) {
  copyFileSync(join(root, "pkg-template", name), join(pkg, name));
}
rmSync(join(pkg, ".gitignore"), { force: true });
copyFileSync(join(root, "LICENSE"), join(pkg, "LICENSE"));

// extras.js with ./tabs.js and ./store.js inlined, so it ships as one file (and its CommonJS copy needs nothing
// more); workerd's entry, which is not bundled here, imports it.
buildSync({ entryPoints: [join(pkg, "extras.js")], outfile: join(pkg, "extras.js"), allowOverwrite: true, bundle: true, format: "esm", platform: "neutral", logLevel: "error" });
for (const inlined of ["tabs.js", "store.js"]) rmSync(join(pkg, inlined));

// CommonJS for require() (Jest's default mode, Node before 20.19): the same glue, converted by
// esbuild; it is always initialized with the .wasm's bytes, so its import.meta default is unused.
for (const [from, to] of [["unlock_tasks.js", "unlock_tasks.cjs"], ["extras.js", "extras.cjs"], ["api.js", "api.cjs"]]) {
  buildSync({ entryPoints: [join(pkg, from)], outfile: join(pkg, to), format: "cjs", platform: "node", logLevel: "error", logOverride: { "empty-import-meta": "silent" } });
}
// api.cjs re-exports the CommonJS glue, not the ESM one.
const apiCjs = join(pkg, "api.cjs");
const apiText = readFileSync(apiCjs, "utf8");
if (!apiText.includes('require("./unlock_tasks.js")')) throw new Error("api.cjs: esbuild no longer writes the glue's require as expected");
writeFileSync(apiCjs, apiText.replace('require("./unlock_tasks.js")', 'require("./unlock_tasks.cjs")'));
// The browser's and Node's entries as one file each, the glue, extras and API inlined: through
// separate modules a page learns of the glue only after fetching the entry, and of the .wasm
// only after evaluating them all, one round trip per level. Bundled, a fresh Chromium page's
// import fell from about 44 to about 28 ms, and Node's start-up from 14.2 to 12.7 ms
// (BENCHMARKS.md). workerd's entry imports the .wasm as a module, which wrangler bundles.
for (const [entry, platform] of [["index.js", "neutral"], ["init.js", "neutral"], ["node.js", "node"]]) {
  buildSync({ entryPoints: [join(pkg, entry)], outfile: join(pkg, entry), allowOverwrite: true, bundle: true, format: "esm", platform, logLevel: "error" });
}
// TypeScript reads .d.cts for require() in a "type": "module" package.
copyFileSync(join(pkg, "unlock_tasks.d.ts"), join(pkg, "unlock_tasks.d.cts"));
copyFileSync(join(pkg, "unlock_tasks_bg.wasm.d.ts"), join(pkg, "unlock_tasks_bg.wasm.d.cts"));
writeFileSync(join(pkg, "init.d.cts"), readFileSync(join(pkg, "init.d.ts"), "utf8").replaceAll('"./index.js"', '"./index.cjs"'));
writeFileSync(join(pkg, "index.d.cts"), readFileSync(join(pkg, "index.d.ts"), "utf8").replaceAll('"./unlock_tasks.js"', '"./unlock_tasks.cjs"').replaceAll('"./api.js"', '"./api.cjs"'));
writeFileSync(join(pkg, "api.d.cts"), readFileSync(join(pkg, "api.d.ts"), "utf8").replaceAll('"./unlock_tasks.js"', '"./unlock_tasks.cjs"'));

const version = /^version = "([^"]+)"/m.exec(readFileSync(join(root, "Cargo.toml"), "utf8"))[1];
const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
manifest.version = version;
writeFileSync(join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

const size = (file) => {
  const bytes = readFileSync(join(pkg, file));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const w = size("unlock_tasks_bg.wasm");
const g = size("unlock_tasks.js");
console.log(`pkg/ built: unlock_tasks_bg.wasm ${w.raw} B (${w.gzip} B gzipped), glue ${g.raw} B (${g.gzip} B gzipped); total gzipped ${((w.gzip + g.gzip) / 1024).toFixed(1)} KiB`);
