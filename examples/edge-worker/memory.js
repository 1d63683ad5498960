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
    get: async (key) => structuredClone(data.get(key)),
    put: async (key, value) => void data.set(key, structuredClone(value)),
    setAlarm: async (at) => {
      clearTimeout(timer);
      timer = setTimeout(() => self().alarm(), Math.max(0, at - Date.now()));
    },
  };
}
