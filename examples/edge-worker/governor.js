// One provider key, many users: every request the worker sends to a provider first asks that
// key's governor, one Durable Object per key. It holds the package's KeyGovernor (the rules are
// the core's, tested natively): at most the key's window, learned tighter from Retry-After and
// X-RateLimit-*, kept in storage so a restart allows no burst; a person's start first, then a
// person's read, then background polls; users take turns; polls stretched, never dropped.
//
// Settings: <PROVIDER>_RATE_LIMIT and <PROVIDER>_RATE_WINDOW_MS (Lensmor documents 120 a minute
// per key), QUEUE_WAIT_MS (how long a person's request may wait in line before it is answered
// 429 with Retry-After). Binding: GOVERNORS (this class).
import { KeyGovernor } from "unlock-tasks";

/** Each provider's documented window; Salesfinity documents none, so the package's default. */
const DEFAULT_WINDOWS = { lensmor: { requests: 120, windowMs: 60_000 }, salesfinity: { requests: 110, windowMs: 60_000 } };
const DEFAULT_QUEUE_WAIT_MS = 20_000;

function positive(value, fallback) {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** The key's window as configured: `{ requests, windowMs }`. */
export function keyWindow(env, provider) {
  const upper = provider.toUpperCase();
  const fallback = DEFAULT_WINDOWS[provider];
  return { requests: positive(env[`${upper}_RATE_LIMIT`], fallback.requests), windowMs: positive(env[`${upper}_RATE_WINDOW_MS`], fallback.windowMs) };
}

/** The Durable Object: one per provider key. Requests to it are handled one at a time, which
 *  is what one line in front of one window needs. */
export class KeyGovernors {
  constructor(state, env) {
    this.storage = state.storage;
    this.env = env;
    this.loading = null;
  }

  /** The governor, restored from storage after a restart (never a burst: a request in flight
   *  when it stopped counts from the restart). */
  governor(window) {
    this.loading ??= this.storage.get("window").then((saved) => new KeyGovernor(saved ? { ...window, saved, now: Date.now() } : window));
    return this.loading;
  }

  async fetch(request) {
    const { pathname } = new URL(request.url);
    const { window, claim, ticket, answer, id } = await request.json();
    const governor = await this.governor(window);
    const now = Date.now();
    let result = {};
    try {
      if (pathname === "/admit") result = governor.admit(claim, now);
      else if (pathname === "/settle") governor.settle(ticket, now, answer ?? null);
      else if (pathname === "/withdraw") governor.withdraw(id);
      else return Response.json({ error: "unknown route" }, { status: 404 });
    } catch (error) {
      return Response.json({ error: { code: error.code ?? "server", message: error.message } }, { status: 400 });
    }
    // Not awaited: the Durable Object's output gate holds the answer until the write is stored.
    if (pathname !== "/withdraw") this.storage.put("window", governor.save());
    return Response.json(result);
  }
}

/** The governor of the key the worker uses for `provider`. Named by a hash of the key: a new key
 *  gets a new window, and no name or log holds the key. */
async function governorStub(env, provider, key) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${provider}\n${key ?? ""}`)));
  const name = `${provider}:${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  return env.GOVERNORS.get(env.GOVERNORS.idFromName(name));
}

async function send(env, provider, key, path, body) {
  const stub = await governorStub(env, provider, key);
  const response = await stub.fetch(`https://governor${path}`, { method: "POST", body: JSON.stringify({ window: keyWindow(env, provider), ...body }) });
  const answer = await response.json();
  if (answer.error) throw Object.assign(new Error(`governor: ${answer.error.message}`), { name: "UnlockError", code: "proxy", status: 500, errorKey: "GOVERNOR_FAILED" });
  return answer;
}

/**
 * A line at one provider key: `ask` once (a background poll sets its alarm to `at`), `admit`
 * a person's request (waits in line, near its front), `settle` each ticket with the answer.
 */
export function keyLine(env, provider, key) {
  const line = {
    /** `{ go: true, ticket }` or `{ go: false, at }`; `claim`: `{ id, priority, user, since }`. */
    ask: (claim) => send(env, provider, key, "/admit", { claim }),
    withdraw: (id) => send(env, provider, key, "/withdraw", { id }),
    /** The request of `ticket` ended: with the provider's answer (a Response), or none. */
    settle: (ticket, response) => send(env, provider, key, "/settle", { ticket, answer: response ? { status: response.status, headers: rateHeaders(response.headers) } : null }),
    /**
     * Waits until the key admits a person's request, and returns its ticket. A person is not
     * kept waiting for longer than QUEUE_WAIT_MS: past that the answer is a 429 whose
     * Retry-After says when the key has room (the provider closed it, or a deployment far
     * over its window), and the request gives up its place.
     */
    async admit(claim, signal) {
      const limit = Date.now() + positive(env.QUEUE_WAIT_MS, DEFAULT_QUEUE_WAIT_MS);
      for (;;) {
        if (signal?.aborted) {
          await line.withdraw(claim.id);
          throw signal.reason;
        }
        const admission = await line.ask(claim);
        if (admission.go) return admission.ticket;
        if (admission.at > limit) {
          await line.withdraw(claim.id);
          const seconds = Math.max(1, Math.ceil((admission.at - Date.now()) / 1000));
          throw Object.assign(new Error(`The provider key is busy; try again in ${seconds} s.`), { name: "UnlockError", code: "proxy", status: 429, errorKey: "KEY_BUSY", retryAfterMs: seconds * 1000 });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, admission.at - Date.now())));
      }
    },
  };
  return line;
}

/** The answer's headers the governor learns from. */
function rateHeaders(headers) {
  const out = {};
  for (const name of ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}
