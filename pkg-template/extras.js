// What the package adds in JavaScript around the WebAssembly client: an async iterator of
// progress, a start-and-wait shortcut for scripts, and a readable console.log. Each is built
// on the client's own methods; no rule of polling lives here.

/** Adds `watch`, `complete` and a readable inspection to the client class. */
export function extend(UnlockClient) {
  Object.defineProperties(UnlockClient.prototype, {
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
