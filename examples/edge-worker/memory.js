// Durable Objects in one process, for runtimes without them (Deno, a single server): the same
// UnlockTasks class, its storage a Map and its alarm a timer. Budgets, owners and
// once-per-selection hold within this one process only; deploy on Cloudflare for more.

export function memoryNamespace(ObjectClass, env) {
  const instances = new Map();
  const instance = (name) => {
    if (!instances.has(name)) instances.set(name, new ObjectClass({ storage: memoryStorage(() => instances.get(name)) }, env));
    return instances.get(name);
  };
  return {
    idFromName: (name) => name,
    get: (name) => ({ fetch: (url, init) => instance(name).fetch(new Request(url, init)) }),
  };
}

function memoryStorage(self) {
  const data = new Map();
  let timer;
  return {
    // One key, or an object of entries; a list of keys reads a Map (as Durable Objects do).
    get: async (key) => (Array.isArray(key) ? new Map(key.filter((k) => data.has(k)).map((k) => [k, structuredClone(data.get(k))])) : structuredClone(data.get(key))),
    put: async (key, value) => {
      if (typeof key === "object") for (const [k, v] of Object.entries(key)) data.set(k, structuredClone(v));
      else data.set(key, structuredClone(value));
    },
    delete: async (key) => data.delete(key),
    setAlarm: async (at) => {
      clearTimeout(timer);
      timer = setTimeout(() => self().alarm(), Math.max(0, at - Date.now()));
    },
  };
}
