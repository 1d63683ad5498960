// What the package adds in JavaScript around the WebAssembly client: waits shared by the tabs
// of an origin (./tabs.js), running tasks kept in the client's store (./store.js), an async
// iterator of progress, a start-and-wait shortcut for scripts, and a readable console.log. Each
// is built on the client's own methods; no rule of polling lives here. (The build inlines
// ./tabs.js and ./store.js here: nothing more to ship or load.)
import { canShare, sharedWait } from "./tabs.js";
import { Keeper, notKept, progressOf } from "./store.js";

/** The option names of `waitForTask` (as the client checks them). */
const WAIT_OPTIONS = new Set(["signal", "user", "onProgress", "onEvent", "maxWaitMs"]);
const RESUME_OPTIONS = new Set(["signal", "user", "onProgress", "maxWaitMs"]);
/** The methods that start tasks: what they start is kept in the client's store. */
const STARTS = ["unlockEmails", "unlockPhones", "enrichEmail", "enrichEmails"];

/** Adds the shared and kept `waitForTask`, the kept starts, `running`, `resumeAll`, `watch`,
 *  `complete` and a readable inspection to the client class; `describeToken` is the glue's. */
export function extend(UnlockClient, { describeToken }) {
  const proto = UnlockClient.prototype;
  const keepers = new WeakMap();
  /** The client's keeper of running tasks, or null without a `store`. */
  const keeperOf = (client) => {
    if (client.store === undefined) return null;
    if (!keepers.has(client)) keepers.set(client, new Keeper(client.store, `${client.provider}|${client.baseUrl}`, describeToken));
    return keepers.get(client);
  };
  const own = (options, name) => (Object.hasOwn(options, name) ? options[name] : undefined);
  /** Whether `options` is absent or an object naming only `known`; false when it cannot even be
   *  read (a Proxy whose traps throw): the client's own method then reports it. */
  const plainOptions = (options, known) => {
    if (options === undefined) return true;
    try {
      return typeof options === "object" && options !== null && Object.keys(options).every((k) => known.has(k)) && [...known].every((k) => (own(options, k), true));
    } catch {
      return false;
    }
  };

  const ownWait = proto.waitForTask;
  function waitForTask(token, options) {
    const wait = (t, o) => ownWait.call(this, t, o);
    // Options the client would refuse are left to it, so its error is the one you get.
    if (!plainOptions(options, WAIT_OPTIONS)) return wait(token, options);
    // Own properties only, as the client reads them: an option another script put on
    // Object.prototype is never one.
    let opts = Object.assign(Object.create(null), options);
    const keeper = keeperOf(this);
    if (keeper) {
      const onProgress = opts.onProgress;
      let kept = "";
      opts = Object.assign(Object.create(null), opts, { onProgress: (snapshot) => {
        // Written when what the store shows changes (settled count or status), not per snapshot.
        const progress = progressOf(snapshot);
        const text = JSON.stringify(progress);
        if (text !== kept) {
          kept = text;
          keeper.progress(token, progress).catch(storeWarning);
        }
        if (typeof onProgress === "function") onProgress(snapshot);
      } });
    }
    const shared = this.shareAcrossTabs && canShare();
    const waiting = shared ? sharedWait(describeToken, `${this.provider}|${this.baseUrl}`, wait, token, opts) : wait(token, opts);
    if (!keeper) return waiting;
    // Delivered (or gone at the provider): the task leaves the store. A timeout or an abort
    // keeps it, to resume later.
    return waiting.then(
      async (result) => {
        await keeper.remove(token).catch(storeWarning);
        return result;
      },
      async (error) => {
        if (error?.code === "not_found") await keeper.remove(token).catch(storeWarning);
        throw error;
      },
    );
  }

  const ownPollOnce = proto.pollOnce;
  async function pollOnce(token, options) {
    const step = await ownPollOnce.call(this, token, options);
    const keeper = keeperOf(this);
    if (keeper && step.done) await keeper.remove(token).catch(storeWarning);
    return step;
  }

  const starts = {};
  for (const name of STARTS) {
    const start = proto[name];
    starts[name] = {
      async value(...args) {
        const keeper = keeperOf(this);
        if (!keeper) return start.apply(this, args);
        let task;
        try {
          task = await start.apply(this, args);
        } catch (error) {
          // A group stopped part-way: the parts that started are kept too.
          if (typeof error?.token === "string") await keeper.add(error.token).catch(storeWarning);
          throw error;
        }
        if (task.started && typeof task.token === "string") {
          try {
            await keeper.add(task.token);
          } catch (cause) {
            throw notKept(cause, task);
          }
        }
        return task;
      },
      writable: true,
      configurable: true,
    };
  }

  /** The running tasks this client's store keeps: `{ kind, taskId, token, startedAt, parts, progress }`. */
  async function running() {
    const keeper = keeperOf(this);
    if (!keeper) throw noStore("running()");
    return keeper.list();
  }

  /** Waits on every kept task under this client's one budget: each entry with its `result`,
   *  or its `error` (a timeout or abort keeps it in the store). */
  async function resumeAll(options = {}) {
    if (!plainOptions(options, RESUME_OPTIONS)) {
      throw Object.assign(new Error(`resumeAll takes { ${[...RESUME_OPTIONS].join(", ")} }.`), { name: "UnlockError", code: "validation", field: "options" });
    }
    const tasks = await this.running();
    const onProgress = own(options, "onProgress");
    const base = {};
    for (const name of ["signal", "user", "maxWaitMs"]) if (own(options, name) !== undefined) base[name] = own(options, name);
    return Promise.all(tasks.map(async (task) => {
      const wait = { ...base, ...(typeof onProgress === "function" ? { onProgress: (snapshot) => onProgress(snapshot, task) } : {}) };
      try {
        return { ...task, result: await this.waitForTask(task.token, wait) };
      } catch (error) {
        return { ...task, error };
      }
    }));
  }

  Object.defineProperties(proto, {
    ...starts,
    waitForTask: { value: waitForTask, writable: true, configurable: true },
    pollOnce: { value: pollOnce, writable: true, configurable: true },
    running: { value: running, writable: true, configurable: true },
    resumeAll: { value: resumeAll, writable: true, configurable: true },
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

function noStore(method) {
  return Object.assign(new Error(`${method} lists the tasks the client's store keeps: create the client with a store ("local", or an object with get, set and delete).`), { name: "UnlockError", code: "validation", field: "store" });
}

/** A store that fails where the caller already gets what matters (a wait's result, a stopped
 *  group's error with its token, a progress note) must not take that away: it is said, and
 *  the store is as it was (an entry left behind costs a poll when resumed, nothing more). */
function storeWarning(error) {
  console.error("unlock-tasks: the store failed; the caller still got the task's result or token.", error);
}
