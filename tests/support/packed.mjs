// Test helper: the npm tarball of pkg/, installed into a new empty folder, as a user would.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "../..");

/** Packs pkg/ and installs the tarball into a fresh folder; returns the folder. */
export function installPackedPackage() {
  const app = mkdtempSync(join(tmpdir(), "unlock-tasks-app-"));
  execFileSync("npm", ["pack", "--quiet", "--pack-destination", app], { cwd: join(root, "pkg"), stdio: "pipe" });
  const tarball = readdirSync(app).find((f) => f.endsWith(".tgz"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `./${tarball}`], { cwd: app, stdio: "pipe" });
  return app;
}
