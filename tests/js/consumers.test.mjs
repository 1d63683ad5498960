// The packed package as its users consume it: every snippet of the package's README compiles
// under strict TypeScript, misuse does not, CommonJS works without Node's require(esm), Jest
// runs it in its default mode, and the package linters find nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installPackedPackage, root } from "../support/packed.mjs";

let app;
before(() => {
  app = installPackedPackage();
});
after(() => rmSync(app, { recursive: true, force: true }));

const bin = (name) => join(root, "node_modules/.bin", name);
const STRICT = ["--noEmit", "--strict", "--exactOptionalPropertyTypes", "--target", "es2022", "--lib", "es2022,dom,esnext.disposable", "--skipLibCheck", "false"];
const RESOLUTIONS = {
  nodenext: ["--module", "nodenext", "--moduleResolution", "nodenext"],
  bundler: ["--module", "esnext", "--moduleResolution", "bundler"],
};
/** What a Node app has that the snippets use, without pulling in @types/node. */
const PRELUDE = "declare const process: { env: Record<string, string | undefined> };\n";

/** Runs tsc; returns its output ("" when it compiled). */
function tsc(files, resolution) {
  try {
    execFileSync(bin("tsc"), [...STRICT, ...RESOLUTIONS[resolution], ...files], { cwd: app, encoding: "utf8", stdio: "pipe" });
    return "";
  } catch (error) {
    return String(error.stdout) + String(error.stderr);
  }
}

test("every snippet of the package README compiles under strict, exactOptionalPropertyTypes, NodeNext and bundler resolution", () => {
  const readme = readFileSync(join(app, "node_modules/unlock-tasks/README.md"), "utf8");
  const blocks = [...readme.matchAll(/```(js|ts)\n([\s\S]*?)```/g)].map((m) => m[2]);
  assert.ok(blocks.length >= 5, `the README has its snippets (${blocks.length})`);
  mkdirSync(join(app, "snippets"), { recursive: true });
  writeFileSync(join(app, "snippets/prelude.d.ts"), PRELUDE);
  const files = blocks.map((code, i) => {
    const file = `snippets/snippet-${i}.mts`;
    writeFileSync(join(app, file), code);
    return file;
  });
  for (const resolution of Object.keys(RESOLUTIONS)) {
    assert.equal(tsc(["snippets/prelude.d.ts", ...files], resolution), "", `${resolution}: the snippets compile`);
  }
});

/** Each must be a compile error. */
const MISUSES = {
  "enrich-on-lensmor": `new UnlockClient({ provider: "lensmor" }).enrichEmail({ linkedinUrl: "x", type: "work" });`,
  "unlock-on-salesfinity": `new UnlockClient({ provider: "salesfinity" }).unlockPhones({ eventId: "1", personnelIds: ["2"] });`,
  "unknown-provider": `new UnlockClient({ provider: "hubspot" });`,
  "misspelled-option": `new UnlockClient({ provider: "lensmor", baseURL: "https://x.example" });`,
  "token-not-narrowed": `const c = new UnlockClient({ provider: "lensmor" }); const t = await c.unlockEmails({ eventId: "1", personnelIds: ["2"] }); await c.waitForTask(t.token);`,
  "token-maybe-null": `declare const saved: string | null; await new UnlockClient({ provider: "lensmor" }).waitForTask(saved);`,
  "event-id-number": `await new UnlockClient({ provider: "lensmor" }).unlockEmails({ eventId: 139574, personnelIds: ["2"] });`,
  "wrong-email-type": `await new UnlockClient({ provider: "salesfinity" }).enrichEmail({ linkedinUrl: "x", type: "home" });`,
  "result-before-done": `const s = await new UnlockClient({ provider: "lensmor" }).pollOnce("t"); s.result.delivered;`,
  "group-not-boolean": `await new UnlockClient({ provider: "lensmor" }).unlockEmails({ personnelIds: ["2"] }, { group: "no" });`,
  "group-on-precheck": `await new UnlockClient({ provider: "lensmor" }).precheckEmails({ personnelIds: ["2"] }, { group: false });`,
};

test("misuse is a compile error, each one", () => {
  mkdirSync(join(app, "misuse"), { recursive: true });
  const files = Object.entries(MISUSES).map(([name, code]) => {
    const file = `misuse/${name}.mts`;
    writeFileSync(join(app, file), `import { UnlockClient } from "unlock-tasks";\n${code}\nexport {};\n`);
    return file;
  });
  for (const resolution of Object.keys(RESOLUTIONS)) {
    const output = tsc(files, resolution);
    for (const file of files) assert.match(output, new RegExp(`${file.replace(".", "\\.")}\\(\\d+,\\d+\\): error TS`), `${resolution}: ${file} must not compile`);
  }
});

test("CommonJS: require works without Node's require(esm), and the module is the whole API", () => {
  writeFileSync(join(app, "cjs.cjs"), `
    const { UnlockClient, UnlockError, checkUnlockInput, creditsPerContact } = require("unlock-tasks");
    const client = new UnlockClient({ provider: "lensmor", apiKey: "sk_x" });
    let field = null;
    try { new UnlockClient({ provider: "lensmor", apiKey: "sk_x", baseURL: "https://x.example" }); }
    catch (e) { field = e instanceof UnlockError ? e.field : "not an UnlockError"; }
    console.log(JSON.stringify({ provider: client.provider, ids: checkUnlockInput("lensmor.email", { eventId: "1", personnelIds: [" 7", "7", "8"] }).personnelIds, field, price: creditsPerContact("lensmor.phone") }));
  `);
  const out = execFileSync(process.execPath, ["--no-experimental-require-module", "cjs.cjs"], { cwd: app, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { provider: "lensmor", ids: ["7", "8"], field: "baseURL", price: 150 });
});

test("Jest in its default (CommonJS) mode runs a test that uses the package", () => {
  mkdirSync(join(app, "jest"), { recursive: true });
  writeFileSync(join(app, "jest/unlock.test.js"), `
    const { UnlockClient, UnlockError, tokenFor } = require("unlock-tasks");
    test("the package loads and validates under Jest", async () => {
      const client = new UnlockClient({ provider: "lensmor", apiKey: "sk_x", baseUrl: "http://127.0.0.1:9" });
      const error = await client.unlockEmails({ eventId: "", personnelIds: [] }).catch((e) => e);
      expect(error).toBeInstanceOf(UnlockError);
      expect(error.code).toBe("validation");
      expect(typeof tokenFor("lensmor.email", "321")).toBe("string");
    });
  `);
  const out = execFileSync(process.execPath, [join(root, "node_modules/jest/bin/jest.js"), "--ci", "--rootDir", join(app, "jest")], { cwd: app, encoding: "utf8", stdio: "pipe" });
  assert.equal(typeof out, "string");
});

test("the package linters find nothing: @arethetypeswrong/cli and publint", () => {
  const tarball = execFileSync("npm", ["pack", "--quiet", "--pack-destination", app], { cwd: join(root, "pkg"), encoding: "utf8" }).trim().split("\n").at(-1);
  const attw = execFileSync(bin("attw"), [join(app, tarball)], { encoding: "utf8" });
  assert.match(attw, /No problems found/);
  const publint = execFileSync(bin("publint"), ["--strict", join(root, "pkg")], { encoding: "utf8" });
  assert.match(publint, /All good/);
});
