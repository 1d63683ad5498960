// One scenario for every browser test (no bundler, esbuild): runs in the page against the
// sandbox and returns what happened, for the Node side to check.
export async function scenario({ UnlockClient, UnlockError }, sandboxUrl) {
  const out = {};
  const client = new UnlockClient({ provider: "lensmor", apiKey: "uak_browser", baseUrl: sandboxUrl, polling: { delaysMs: [40, 60, 100, 150] } });
  out.balance = (await client.creditBalance()).balance;
  const task = await client.unlockEmails({ eventId: "139574", personnelIds: ["790", "792", "793", "797"] });
  let progress = 0;
  const result = await client.waitForTask(task.token, { onProgress: () => progress++ });
  out.result = { status: result.status, delivered: result.delivered.map((i) => i.id), failed: result.failed.map((i) => i.id), noValue: result.noValue.map((i) => i.id), credits: result.credits };
  out.progress = progress;

  const reloaded = new UnlockClient({ provider: "lensmor", apiKey: "uak_browser", baseUrl: sandboxUrl });
  out.resumed = (await reloaded.waitForTask(task.token)).taskId === task.taskId;

  const slow = await client.unlockPhones({ eventId: "139574", personnelIds: ["800"] });
  const controller = new AbortController();
  // Aborted right after the call, during the wait before the first poll: on any machine.
  const waiting = client.waitForTask(slow.token, { signal: controller.signal });
  controller.abort();
  try {
    await waiting;
  } catch (e) {
    out.aborted = { code: e.code, isUnlockError: e instanceof UnlockError, isError: e instanceof Error, hasToken: typeof e.token === "string" };
  }
  const step = await client.pollOnce(slow.token);
  out.pollOnce = { hasToken: typeof step.token === "string", done: step.done };

  try {
    await client.unlockEmails({ eventId: "139574", personnelIds: Array.from({ length: 10_001 }, (_, i) => `p${i}`) });
  } catch (e) {
    out.validation = { code: e.code, field: e.field };
  }
  try {
    await new UnlockClient({ provider: "lensmor", apiKey: "uak_revoked", baseUrl: sandboxUrl }).creditBalance();
  } catch (e) {
    out.unauthorized = { code: e.code, status: e.status, traceId: typeof e.traceId === "string" };
  }

  // A group (two tasks of at most two contacts), resumed by another client from its token.
  const grouping = new UnlockClient({ provider: "lensmor", apiKey: "uak_browser", baseUrl: sandboxUrl, maxBatch: 2 });
  const group = await grouping.unlockEmails({ eventId: "139574", personnelIds: ["835", "836", "837"] });
  const again = new UnlockClient({ provider: "lensmor", apiKey: "uak_browser", baseUrl: sandboxUrl, polling: { delaysMs: [40, 60] } });
  const whole = await again.waitForTask(group.token);
  out.group = { parts: group.parts.length, status: whole.status, reported: whole.items.length + group.skipped.length, token: group.token };
  return out;
}
