// The tokens of a client's running tasks, kept in a store (the `store` option), so that a reload
// or a new process lists them (`running()`) and resumes them all (`resumeAll()`). A token holds
// no key, so neither does the store.
//
// One store key per deployment (provider and base URL) holds `{ v: 1, tasks: { [key]: entry } }`,
// an entry per task or group, named by the token's key (`describeToken`): the same task started
// again, or its token advanced, replaces its entry instead of adding one. Every change is a
// read, change, write of that value, one at a time: under a Web Lock across the tabs of an origin
// where there is one, and in order within this realm always.

export const STORE_VERSION = 1;

/** What `store: "local"` means: the browser's localStorage. */
function localStore() {
  const storage = globalThis.localStorage;
  if (!storage) throw Object.assign(new Error('store: "local" needs localStorage (a browser page); here, pass an object with get, set and delete.'), { name: "UnlockError", code: "validation", field: "store" });
  return {
    get: (key) => storage.getItem(key),
    set: (key, value) => storage.setItem(key, value),
    delete: (key) => storage.removeItem(key),
  };
}

/** Changes of one store value, in order (per store object and key, across clients). */
const queues = new WeakMap();

export class Keeper {
  constructor(store, scope, describeToken) {
    this.store = store === "local" ? localStore() : store;
    this.queueOwner = store === "local" ? globalThis : store;
    this.key = `unlock-tasks:running:${scope}`;
    this.describeToken = describeToken;
  }

  /** The kept tasks, oldest first. */
  async list() {
    const tasks = Object.values((await this.read()).tasks);
    return tasks.sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Keeps a started task's (or group's) token. */
  add(token, progress = null) {
    const info = this.describeToken(token);
    const entry = { kind: info.kind, taskId: info.taskId, token, startedAt: info.createdAt, parts: info.parts, progress };
    return this.change((tasks) => {
      tasks[info.key] = entry;
    });
  }

  /** Notes a task's progress (`{ status, settled, total }`), if it is kept. */
  progress(token, progress) {
    const { key } = this.describeToken(token);
    return this.change((tasks) => {
      if (!tasks[key]) return false;
      tasks[key] = { ...tasks[key], progress };
    });
  }

  /** Forgets a task whose result was delivered. */
  remove(token) {
    const { key } = this.describeToken(token);
    return this.change((tasks) => {
      if (!tasks[key]) return false;
      delete tasks[key];
    });
  }

  async read() {
    const text = await this.store.get(this.key);
    if (text === null || text === undefined) return { v: STORE_VERSION, tasks: {} };
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      throw storeFailure(`the store's value for ${this.key} is not JSON`);
    }
    if (value?.v !== STORE_VERSION || typeof value.tasks !== "object" || value.tasks === null) throw storeFailure(`the store's value for ${this.key} is not this package's`);
    return value;
  }

  /** Reads, changes (`edit` returns false when nothing changed) and writes the value. */
  change(edit) {
    const run = async () => {
      const value = await this.read();
      if (edit(value.tasks) === false) return;
      if (Object.keys(value.tasks).length) await this.store.set(this.key, JSON.stringify(value));
      else await this.store.delete(this.key);
    };
    const locked = () => (typeof navigator === "object" && navigator?.locks?.request ? navigator.locks.request(`unlock-tasks|store|${this.key}`, run) : run());
    const byKey = queues.get(this.queueOwner) ?? new Map();
    queues.set(this.queueOwner, byKey);
    const next = (byKey.get(this.key) ?? Promise.resolve()).then(locked, locked);
    byKey.set(this.key, next.catch(() => {}));
    return next;
  }
}

/** A snapshot's progress as a store keeps it. */
export function progressOf(snapshot) {
  const items = snapshot?.items ?? [];
  const settled = items.filter((i) => i.status !== "pending" && i.status !== "processing").length;
  return { status: snapshot?.status ?? "pending", settled, total: items.length };
}

function storeFailure(message) {
  return Object.assign(new Error(`The store failed: ${message}.`), { name: "UnlockError", code: "store" });
}

/** The error of a start the provider accepted but the store did not keep: nothing is lost, the
 *  start's answer and its token are on the error. */
export function notKept(cause, started) {
  const why = cause?.message ?? String(cause);
  return Object.assign(new Error(`The task started, but the store did not keep its token (${why}). Nothing is lost: error.token resumes it, error.started is the start's answer.`), {
    name: "UnlockError", code: "store", token: started.token, started, cause,
  });
}
