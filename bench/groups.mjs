// Section 7 of `npm run bench`: a whole attendee list as one group. 5,000 contacts through one
// client against the sandbox (Lensmor's window of 120 a minute enforced, the 3/5/10/20 s
// schedule, time scaled), in Lensmor's parts of 2,000, and in parts of 100 as for an account
// whose limit is 100 (the first create answered 422, the rest cut). Figures, never pass/fail.
//
//   GROUP_CONTACTS=5000 GROUP_SCALE=10 node bench/run.mjs groups
import { startSandbox } from "../sandbox/server.mjs";
import { FIRST_ID, unlockedBefore } from "../sandbox/fixtures.mjs";

const CONTACTS = Number(process.env.GROUP_CONTACTS ?? 5_000);
const SCALE = Number(process.env.GROUP_SCALE ?? 10);
const KEY = "uak_bench_groups";

function ids(count) {
  const out = [];
  for (let id = FIRST_ID; out.length < count; id++) if (!unlockedBefore(String(id))) out.push(String(id));
  return out;
}

async function run(UnlockClient, accountLimit) {
  const sandbox = await startSandbox({ speed: SCALE, rateLimit: 120, rateWindowMs: 60_000 / SCALE, people: CONTACTS + 500, selectionLimit: accountLimit });
  sandbox.state.balanceOf(KEY).lensmor = 1e12;
  try {
    const client = new UnlockClient({
      provider: "lensmor", apiKey: KEY, baseUrl: sandbox.url,
      polling: { delaysMs: [3000, 5000, 10000, 20000].map((d) => d / SCALE) }, rateLimit: { requests: 110, windowMs: 60_000 / SCALE },
    });
    const t0 = Date.now();
    const group = await client.unlockEmails({ eventId: "139574", personnelIds: ids(CONTACTS) });
    const started = Date.now();
    const result = await client.waitForTask(group.token);
    const ended = Date.now();
    const log = sandbox.state.requests.filter((r) => r.at >= t0);
    const polls = log.filter((r) => r.method === "GET" && r.path.startsWith("/external/contacts/unlock-tasks/"));
    const perPart = group.parts.map((id) => polls.filter((r) => r.path.endsWith(`/${id}`)).length);
    return {
      parts: group.parts.length,
      creates: log.filter((r) => r.method === "POST" && r.path === "/external/contacts/unlock").length,
      prechecks: log.filter((r) => r.path === "/external/actions/precheck").length,
      polls: polls.length,
      perPart: `${Math.min(...perPart)}-${Math.max(...perPart)} (mean ${(polls.length / group.parts.length).toFixed(1)})`,
      token: group.token.length,
      start: ((started - t0) * SCALE / 1000).toFixed(0),
      done: ((ended - t0) * SCALE / 1000).toFixed(0),
      reported: result.items.length + group.skipped.length,
    };
  } finally {
    await sandbox.close();
  }
}

export async function groups() {
  console.log(`\n7. Whole attendee lists: ${CONTACTS.toLocaleString("en")} contacts in one call, one client; Lensmor's window and schedule, time scaled ${SCALE}× (times below in real seconds)`);
  const { UnlockClient } = await import("../pkg/node.js");
  const rows = [["account limit", "parts", "creates", "prechecks", "polls", "polls per part", "token chars", "started after", "all done after", "contacts reported"]];
  for (const limit of [2_000, 100]) {
    const r = await run(UnlockClient, limit);
    rows.push([limit, r.parts, r.creates, r.prechecks, r.polls, r.perPart, r.token, `${r.start} s`, `${r.done} s`, r.reported]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const row of rows) console.log("  " + row.map((c, i) => String(c).padEnd(widths[i])).join("  "));
  console.log("  (limit 100: the first create is answered 422 with the limit, and the rest is cut into parts of 100)");
}
