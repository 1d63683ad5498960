// What the package adds in JavaScript around the WebAssembly client: waits shared by the tabs
// of an origin (./tabs.js), an async iterator of progress, a start-and-wait shortcut for
// scripts, and a readable console.log. Each is built on the client's own methods; no rule of
// polling lives here. (The build inlines ./tabs.js here: nothing more to ship or load.)
import { canShare, sharedWait } from "./tabs.js";

/** The option names of `waitForTask` (as the client checks them). */
const WAIT_OPTIONS = new Set(["signal", "user", "onProgress", "onEvent", "maxWaitMs"]);

/** Adds the shared `waitForTask`, `watch`, `complete` and a readable inspection to the client
 *  class; `describeToken` is the glue's. */
export function extend(UnlockClient, { describeToken }) {
  const ownWait = UnlockClient.prototype.waitForTask;
  function waitForTask(token, options) {
    const own = (t, o) => ownWait.call(this, t, o);
    // Options the client would refuse are left to it, so its error is the one you get.
    const plain = options === undefined || (typeof options === "object" && options !== null && Object.keys(options).every((k) => WAIT_OPTIONS.has(k)));
    if (!this.shareAcrossTabs || !canShare() || !plain) return own(token, options);
    return sharedWait(describeToken, `${this.provider}|${this.baseUrl}`, own, token, options);
  }
  Object.defineProperties(UnlockClient.prototype, {
    waitForTask: { value: waitForTask, writable: true, configurable: true },
    watch: { value: watch, writable: true, configurable: true },
    complete: { value: complete, writable: true, configurable: true },
    [Symbol.for("nodejs.util.inspect.custom")]: { value: inspect, configurable: true },
    [Symbol.toStringTag]: { value: "UnlockClient", configurable: true },
  });
}

/**
 * `for await (const snapshot of client.watch(token, { signal, user, maxWaitMs }))`: each new state of
 * the task; the loop ends when the task does, and the iterator's return value is the result.
 * Leaving the loop early stops this wait (the task runs on at the provider).
 */
async function* watch(token, options = {}) {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const queue = [];
  let wake = null;
  let outcome = null;
  const waiting = this.waitForTask(token, {
    signal,
    user: options.user,
    maxWaitMs: options.maxWaitMs,
    onProgress: (snapshot) => {
      queue.push(snapshot);
      wake?.();
    },
  }).then(
    (result) => (outcome = { result }),
    (error) => (outcome = { error }),
  );
  void waiting.then(() => wake?.());
  try {
    for (;;) {
      if (queue.length) {
        yield queue.shift();
      } else if (outcome) {
        if (outcome.error) throw outcome.error;
        return outcome.result;
      } else {
        await new Promise((resolve) => (wake = resolve));
        wake = null;
      }
    }
  } finally {
    if (!outcome) stop.abort(new Error("The watch loop was left"));
  }
}

/**
 * Starts and waits in one call, for scripts: `await client.complete(client.unlockEmails(input))`.
 * Resolves with the task's result, or `null` when nothing needed unlocking (nothing charged).
 */
async function complete(start, options) {
  const task = await start;
  if (!task.started) return null;
  return this.waitForTask(task.token, options);
}

function inspect() {
  return `UnlockClient { provider: '${this.provider}' }`;
}
