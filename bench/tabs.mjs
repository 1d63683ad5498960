// Section 8 of `npm run bench`: many tabs on one task. 1, 3 and 10 pages of one Chromium context
// (one person's browser) follow one task for a fixed window while the sandbox holds it, with
// `shareAcrossTabs: false` (each tab polls: the package before issue 21) and true (one tab
// polls, the others are told). Directly against the sandbox: the task's polls at the provider.
// Through the edge worker: the browsers' requests to the worker (each spends the user's
// per-minute allowance there) and the worker's own polls upstream. Figures, never pass/fail.
//
//   TABS_WINDOW_MS=4000 node bench/run.mjs tabs
import { rmSync } from "node:fs";
import { root, installPackedPackage } from "../tests/support/packed.mjs";
import { launchChromium } from "../tests/support/chromium.mjs";
import { serveStatic } from "../tests/support/static.mjs";
import { sandboxControls } from "../tests/support/sandbox.mjs";
import { startEdgeWorker } from "../tests/support/workerd.mjs";
import { signedIn } from "../tests/support/session.mjs";
import { startSandbox } from "../sandbox/server.mjs";
import { FIRST_ID, unlockedBefore } from "../sandbox/fixtures.mjs";

const WINDOW_MS = Number(process.env.TABS_WINDOW_MS ?? 4_000);
/** The demo's schedule: 8 polls in 4 s for one tab, as issue 21 measured. */
const DELAYS = [300, 500, 1000, 2000].map((d) => d / 4);
const KEY = "uak_bench_tabs";
const SECRET = "bench-tabs-session-secret";

export async function tabs() {
  console.log(`\n8. Many tabs on one task (pages of one Chromium context, the task held ${WINDOW_MS / 1000} s; schedule ${DELAYS.join(", ")} ms)`);
  const { UnlockClient } = await import("../pkg/node.js");
  const sandbox = await startSandbox({ speed: 40, rateLimit: 100_000 });
  const controls = sandboxControls(sandbox.url);
  const site = await serveStatic(root);
  const browser = await launchChromium();
  const app = installPackedPackage();
  const worker = await startEdgeWorker(app, {
    LENSMOR_API_KEY: KEY, ALLOWED_ORIGIN: site.url, LENSMOR_BASE_URL: sandbox.url, SESSION_SECRET: SECRET,
    POLL_DELAYS_MS: JSON.stringify(DELAYS), REQUESTS_PER_MINUTE_PER_USER: "100000", LENSMOR_RATE_LIMIT: "100000",
  });
  let next = FIRST_ID;
  const fresh = () => {
    while (unlockedBefore(String(next))) next++;
    return [String(next++)];
  };
  const rows = [["tabs", "shareAcrossTabs", "direct: polls of the task", "via worker: browser requests", "via worker: upstream polls"]];
  try {
    for (const n of [1, 3, 10]) {
      for (const share of [false, true]) {
        const direct = await follow({ n, share, via: "direct" });
        const proxied = await follow({ n, share, via: "worker" });
        rows.push([n, String(share), direct.polls, proxied.requests, proxied.polls]);
      }
    }
  } finally {
    await browser.close();
    worker.close();
    await site.close();
    await sandbox.close();
    rmSync(app, { recursive: true, force: true });
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const row of rows) console.log("  " + row.map((c, i) => String(c).padEnd(widths[i])).join("  "));

  /** `n` tabs follow one held task for the window; counts what each side sent. */
  async function follow({ n, share, via }) {
    const user = `bench-${n}-${share}-${via}`;
    const headers = via === "worker" ? signedIn(SECRET, user) : undefined;
    const baseUrl = via === "worker" ? `${worker.url}/lensmor` : sandbox.url;
    await controls.hold();
    const starter = new UnlockClient({ provider: "lensmor", apiKey: via === "direct" ? KEY : undefined, baseUrl, headers, polling: { delaysMs: DELAYS } });
    const task = await starter.unlockEmails({ eventId: "139574", personnelIds: fresh() });
    await controls.hold(false);
    const context = await browser.newContext();
    let requests = 0;
    context.on("request", (r) => r.url().startsWith(worker.url) && r.url().includes("/unlock-tasks/") && requests++);
    const pages = [];
    for (let i = 0; i < n; i++) {
      const page = await context.newPage();
      await page.goto(`${site.url}/tests/browser/tabs.html`);
      await page.waitForFunction(() => window.ready);
      pages.push(page);
    }
    for (const page of pages) page.evaluate((t) => window.follow(t), { token: task.token, baseUrl, apiKey: via === "direct" ? KEY : undefined, shareAcrossTabs: share, headers, delaysMs: DELAYS }).catch(() => {});
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const polls = async () => (await controls.requests()).filter((r) => r.method === "GET" && r.path === `/external/contacts/unlock-tasks/${task.taskId}`).length;
    const counted = { polls: await polls(), requests };
    await controls.release(task.taskId);
    for (const page of pages) await page.waitForFunction(() => window.tab.result || window.tab.error, null, { timeout: 60_000 });
    await context.close();
    return counted;
  }
}
