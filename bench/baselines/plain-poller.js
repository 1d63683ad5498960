// Baseline: what a careful developer writes by hand with fetch and setTimeout for the same three
// APIs: create, poll on the 3/5/10/20 s schedule, honour Retry-After, abort, and sort items
// (delivered only with a value). No resume token, no validation, no shared budget, no retry
// budget: the features the package adds are what its extra bytes pay for.
const ROUTES = {
  "lensmor.email": { create: "/external/contacts/unlock", poll: "/external/contacts/unlock-tasks/", value: "email" },
  "lensmor.phone": { create: "/external/contacts/unlock-phone", poll: "/external/contacts/unlock-phone-tasks/", value: "phone" },
  "salesfinity.email": { create: "/v1/api/enrichment/email", poll: "/v1/api/enrichment/email/" },
};
const DELAYS = [3000, 5000, 10000, 20000];
const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener("abort", () => { clearTimeout(timer); reject(new Error("aborted")); }, { once: true });
});

export class PlainPoller {
  constructor({ provider, apiKey, baseUrl, delaysMs = DELAYS }) {
    this.provider = provider;
    this.baseUrl = baseUrl;
    this.delays = delaysMs;
    this.headers = provider === "lensmor" ? { authorization: `Bearer ${apiKey}` } : { "x-api-key": apiKey };
  }

  async request(method, path, body, signal) {
    const response = await fetch(this.baseUrl + path, {
      method, signal, body: body && JSON.stringify(body),
      headers: { accept: "application/json", ...(body ? { "content-type": "application/json" } : {}), ...this.headers },
    });
    const data = await response.json().catch(() => null);
    if (!response.ok || data?.errorKey) {
      const error = new Error(data?.message ?? `HTTP ${response.status}`);
      Object.assign(error, { status: response.status, traceId: data?.traceId, retryAfter: Number(response.headers.get("retry-after")) || 0 });
      throw error;
    }
    return data;
  }

  async start(kind, input) {
    const body = kind === "salesfinity.email"
      ? { linkedin_url: input.linkedinUrl, type: input.type }
      : { event_id: input.eventId, personnel_ids: input.personnelIds };
    const created = await this.request("POST", ROUTES[kind].create, body);
    return { kind, taskId: String(created.task_id ?? created._id) };
  }

  async wait({ kind, taskId }, { signal } = {}) {
    for (let n = 0; ; n++) {
      let wait = this.delays[Math.min(n, this.delays.length - 1)];
      await sleep(wait, signal);
      try {
        const snapshot = normalize(kind, await this.request("GET", ROUTES[kind].poll + encodeURIComponent(taskId), undefined, signal));
        if (snapshot.done) return snapshot;
      } catch (error) {
        if (error.status === 429 || error.status >= 500) { await sleep(error.retryAfter * 1000, signal); continue; }
        throw error;
      }
    }
  }
}

/** A provider's answer as { status, done, items, delivered, failed }. */
export function normalize(kind, data) {
  if (kind === "salesfinity.email") {
    const found = data.email?.email;
    const status = data.status ?? (found ? "completed" : "unknown");
    const item = { id: data.linkedin_url ?? data._id, status: status === "completed" ? (found ? "delivered" : "no-value") : status, value: found };
    return { status, done: ["completed", "not-found", "failed"].includes(status), items: [item], delivered: item.status === "delivered" ? [item] : [], failed: status === "failed" ? [item] : [] };
  }
  const field = ROUTES[kind].value;
  const items = (data.items ?? []).map((i) => ({
    id: String(i.personnelId),
    status: i.status === "unlocked" ? (i[field] ? "delivered" : "no-value") : i.status,
    value: i.status === "unlocked" ? i[field] ?? undefined : undefined,
    errorCode: i.errorCode,
  }));
  return {
    status: data.taskStatus,
    done: data.taskStatus === "completed" || data.taskStatus === "failed",
    items,
    delivered: items.filter((i) => i.status === "delivered"),
    failed: items.filter((i) => i.status === "failed"),
  };
}
