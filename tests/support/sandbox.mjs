// Test helper: the sandbox with its controls, and the fixtures tests rely on, in one place.
import assert from "node:assert/strict";
import { startSandbox } from "../../sandbox/server.mjs";
import { FIRST_ID, PEOPLE, unlockedBefore } from "../../sandbox/fixtures.mjs";

export { EVENT_ID, outcomeFor, PRICES } from "../../sandbox/fixtures.mjs";

/** Starts a sandbox and returns it with its /__sandbox/ controls as methods. */
export async function testSandbox(options = { speed: 40 }) {
  const sandbox = await startSandbox(options);
  return { ...sandbox, ...sandboxControls(sandbox.url) };
}

/** The /__sandbox/ controls of the sandbox at `url`, as methods. */
export function sandboxControls(url) {
  const call = async (path, body, method = "POST") => {
    const res = await fetch(url + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    return res.json();
  };
  return {
    /** While on, new tasks stay `processing` until released: tests never race a task. */
    hold: (on = true) => call("/__sandbox/hold", { on }),
    /** Settles held tasks now (all, or the one with this id); returns the released ids. */
    release: async (id) => (await call("/__sandbox/release", id === undefined ? {} : { id })).released,
    faults: (list) => call("/__sandbox/faults", list),
    clearFaults: () => call("/__sandbox/faults", undefined, "DELETE"),
    config: (body) => call("/__sandbox/config", body),
    requests: async () => (await call("/__sandbox/requests", undefined, "GET")).requests,
  };
}

/** Runs `body` with the sandbox's new tasks held, and releases them however it ends: a failed
 *  test must not leave tasks polling into the next one. */
export async function whileHeld(sandbox, body) {
  await sandbox.hold();
  try {
    return await body();
  } finally {
    await sandbox.hold(false);
    await sandbox.release();
  }
}

/** The most requests of the log (`{ at }` each) that fall in any one window of `windowMs`. */
export function busiestWindow(requests, windowMs) {
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Hands out personnel ids no earlier call handed out, skipping contacts unlocked before. */
export function idPicker() {
  let next = FIRST_ID;
  return function ids(n, filter = () => true) {
    const out = [];
    while (out.length < n) {
      const id = String(next++);
      if (Number(id) - FIRST_ID >= PEOPLE) throw new Error("sandbox personnel exhausted");
      if (!unlockedBefore(id) && filter(id)) out.push(id);
    }
    return out;
  };
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}
