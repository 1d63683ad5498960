// One poller per task across the tabs of an origin (`shareAcrossTabs`, on by default where the
// browser has Web Locks and BroadcastChannel). The rules of polling stay in the client; this
// file only decides which tab's `waitForTask` runs them and carries what it sees to the rest.
//
// - Every wait on a task asks for one Web Lock named after the task (its key, the same for
//   every token of it) and the client's provider and base URL. The tab that holds it polls,
//   with the client's own `waitForTask`; the others wait in the lock's queue.
// - The leader sends each snapshot, each event (poll, wait, throttled...), a heartbeat and the
//   final result on a BroadcastChannel of the same name. The others resolve with that result
//   and poll nothing themselves.
// - A leader that closes or navigates releases the lock (the browser does it), one that aborts
//   or times out releases it itself, and the next waiter in the queue takes over from the
//   newest token it heard: no new create, the schedule where the leader left it.
// - A leader that stops answering (a frozen tab, or one whose timers are throttled in the
//   background) is replaced: a waiter that heard nothing for STALE_MS steals the lock. The old
//   leader learns it from its lock request failing and stops polling.
// - A page that is hidden for the back/forward cache gives up leadership first (pagehide), so
//   a cached page never holds a task's lock.
// Where either API is missing (Node, workerd, Deno, old browsers) each wait polls on its own.

/** How often a leader says it is alive. */
export const HEARTBEAT_MS = 1_000;
/** A leader that said nothing for this long is replaced. Background tabs' timers are
 *  throttled to once a second, so a hidden leader still beats; a frozen one does not. */
export const STALE_MS = 5_000;

/** A tab granted the lock first listens this long for a result already on its way: the tab
 *  that finished released the lock, and its "done" may arrive after the lock does. */
export const GRACE_MS = 100;

/** Whether this runtime can share waits across tabs. */
export function canShare() {
  return typeof BroadcastChannel === "function" && typeof navigator === "object" && typeof navigator?.locks?.request === "function";
}

/**
 * `wait(token, options)` shared with the other tabs of this origin: `run(token, options)` is
 * the client's own wait, called in the one tab that polls; `scope` tells this client's
 * deployment (provider and base URL) from another's; `describeToken` is the glue's.
 */
export function sharedWait(describeToken, scope, run, token, options = {}) {
  let info;
  try {
    info = describeToken(token);
  } catch {
    return run(token, options); // the client's own wait rejects it, with the same error
  }
  return new SharedWait(`unlock-tasks|${scope}|${info.key}`, run, token, options).promise;
}

class SharedWait {
  constructor(name, run, token, options) {
    this.name = name;
    this.run = run;
    this.token = token; // the newest token heard, this wait's own to begin with
    this.options = options;
    this.lastHeard = Date.now();
    this.lastSnapshot = null;
    this.ended = false;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event) => this.heard(event.data);
    // Hidden for the back/forward cache: no lock held or queued while frozen there.
    this.onHide = () => {
      this.hidden = true;
      this.queued?.abort();
      this.leading?.abort(new DOMException("The page was hidden", "AbortError"));
    };
    this.onShow = () => {
      this.hidden = false;
      this.lastHeard = Date.now();
      if (!this.leading) this.follow(false);
    };
    globalThis.addEventListener?.("pagehide", this.onHide);
    globalThis.addEventListener?.("pageshow", this.onShow);
    // This wait's own signal and deadline. While it leads, the client's wait ends it itself
    // (with its newest token); while it follows, they end it here.
    const { signal, maxWaitMs } = options;
    if (signal?.aborted) return this.finish(() => this.reject(abortedError(signal, this.token)));
    signal?.addEventListener("abort", () => this.leading || this.finish(() => this.reject(abortedError(signal, this.token))), { once: true });
    if (maxWaitMs !== undefined) {
      this.deadlineAt = Date.now() + maxWaitMs;
      this.deadline = setTimeout(() => this.leading || this.finish(() => this.reject(timeoutError(maxWaitMs, this.token))), maxWaitMs);
    }
    this.watchdog = setInterval(() => this.checkLeader(), HEARTBEAT_MS);
    this.post({ t: "hello" });
    this.follow(false);
  }

  /** Queues for the task's lock (or steals it from a leader that stopped answering). */
  follow(steal) {
    if (this.ended || this.hidden) return;
    this.queued?.abort();
    const queued = steal ? null : new AbortController();
    this.queued = queued;
    const options = steal ? { steal: true } : { signal: queued.signal };
    const attempt = {}; // this request's, so that a late failure of an older one changes nothing
    navigator.locks.request(this.name, options, () => this.lead(attempt)).catch((error) => {
      // Stolen from this tab while this request's leadership ran: it stops, and queues again.
      // Aborted in the queue (this wait ended, or it chose to steal instead): nothing to do.
      if (this.leading?.attempt === attempt) this.leading.abort(new DOMException("Another tab took over this task", "AbortError"));
      else if (error?.name !== "AbortError" && !this.ended) this.finish(() => this.reject(error));
    });
  }

  /** Holds the lock: polls with the client's own wait until the task ends or this wait does.
   *  Giving leadership up (stolen, the page hidden, this wait ended) releases the lock at once,
   *  without waiting for the client's wait to settle: in a page being unloaded, the task that
   *  would settle it (a fetch's abort) never runs, and the lock would stay held until stolen. */
  async lead(attempt) {
    if (this.ended) return;
    if (this.heardOthers) await new Promise((resolve) => setTimeout(resolve, GRACE_MS));
    if (this.ended) return;
    this.queued = null;
    const leading = Object.assign(new AbortController(), { attempt });
    this.leading = leading;
    const beat = setInterval(() => this.post({ t: "alive", token: this.token }), HEARTBEAT_MS);
    this.post({ t: "alive", token: this.token });
    const own = this.options.signal;
    const signal = own ? AbortSignal.any([own, leading.signal]) : leading.signal;
    // What is left of this wait's own deadline, not a new one.
    const left = this.deadlineAt === undefined ? {} : { maxWaitMs: Math.max(1, this.deadlineAt - Date.now()) };
    const running = this.run(this.token, {
      ...this.options,
      ...left,
      signal,
      onProgress: (snapshot) => {
        this.post({ t: "progress", snapshot, token: this.token });
        this.progress(snapshot);
      },
      onEvent: (event) => {
        this.post({ t: "event", event, token: this.token });
        this.options.onEvent?.(event);
      },
    });
    const givenUp = new Promise((resolve) => leading.signal.addEventListener("abort", () => resolve({ givenUp: true }), { once: true }));
    const outcome = await Promise.race([running.then((result) => ({ result }), (error) => ({ error })), givenUp]);
    clearInterval(beat);
    if (this.leading === leading) this.leading = null;
    if (outcome.givenUp) {
      running.catch((error) => error?.token && (this.token = error.token)); // it ends aborted
      if (!this.ended) {
        // Stolen, or the page was hidden: another tab polls; this wait follows it again.
        this.lastHeard = Date.now();
        queueMicrotask(() => this.follow(false));
      }
      return;
    }
    if (outcome.result !== undefined) {
      this.post({ t: "done", result: outcome.result });
      return this.finish(() => this.resolve(outcome.result));
    }
    const { error } = outcome;
    if (error?.token) this.token = error.token;
    // This wait's own end (its signal, its maxWaitMs) is not the task's: the others go on.
    const ownEnd = error?.code === "aborted" || error?.code === "timeout";
    if (!ownEnd) this.post({ t: "fail", error: fieldsOf(error), message: error?.message, token: this.token });
    this.finish(() => this.reject(error));
  }

  heard(message) {
    if (this.ended || !message || typeof message !== "object") return;
    if (message.t !== "hello") {
      this.lastHeard = Date.now(); // only the leader's words are signs of life
      this.heardOthers = true;
    }
    if (typeof message.token === "string") this.token = message.token;
    switch (message.t) {
      case "hello":
        // A wait that just joined: the leader tells it where the task stands.
        if (this.leading) this.post({ t: "progress", snapshot: this.lastSnapshot, token: this.token });
        break;
      case "progress":
        if (!this.leading && message.snapshot) this.progress(message.snapshot);
        break;
      case "event":
        if (!this.leading) this.options.onEvent?.(message.event);
        break;
      case "done":
        if (!this.leading) this.finish(() => this.resolve(message.result));
        break;
      case "fail":
        if (!this.leading) this.finish(() => this.reject(Object.assign(new Error(message.message), message.error, { name: "UnlockError", token: this.token })));
        break;
    }
  }

  /** Hands a snapshot to this wait's onProgress once, whichever tab saw it. */
  progress(snapshot) {
    const text = JSON.stringify(snapshot);
    if (text === this.lastText) return;
    this.lastText = text;
    this.lastSnapshot = snapshot;
    try {
      this.options.onProgress?.(snapshot);
    } catch (error) {
      console.error("unlock-tasks: a callback threw; polling goes on.", error);
    }
  }

  /** A follower that heard nothing from the leader for STALE_MS takes the lock. */
  async checkLeader() {
    if (this.ended || this.leading || Date.now() - this.lastHeard < STALE_MS) return;
    const { held = [] } = await navigator.locks.query();
    if (this.ended || this.leading) return;
    if (held.some((lock) => lock.name === this.name)) {
      this.lastHeard = Date.now();
      this.follow(true);
    }
  }

  post(message) {
    try {
      this.channel.postMessage(message);
    } catch {
      // A snapshot that cannot be cloned is only not shared; this tab's wait goes on.
    }
  }

  finish(settle) {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.watchdog);
    clearTimeout(this.deadline);
    this.queued?.abort();
    this.leading?.abort(new DOMException("This wait ended", "AbortError"));
    globalThis.removeEventListener?.("pagehide", this.onHide);
    globalThis.removeEventListener?.("pageshow", this.onShow);
    this.channel.close();
    settle();
  }
}

/** The fields of an UnlockError, as they cross to another tab (structured clone keeps data,
 *  not the Error's class). */
function fieldsOf(error) {
  const fields = {};
  for (const name of ["code", "status", "errorKey", "traceId", "retryAfterMs", "field", "details", "limit"]) {
    if (error?.[name] !== undefined) fields[name] = error[name];
  }
  return fields;
}

function abortedError(signal, token) {
  return Object.assign(new Error("The wait was aborted; the task runs on at the provider. Resume from the token."), { name: "UnlockError", code: "aborted", token, cause: signal.reason });
}

function timeoutError(maxWaitMs, token) {
  return Object.assign(new Error(`The task did not finish within maxWaitMs (${maxWaitMs} ms); it runs on at the provider. Resume from the token.`), { name: "UnlockError", code: "timeout", token });
}
