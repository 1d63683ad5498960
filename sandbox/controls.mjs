// Sandbox-only routes under /__sandbox/ (never a provider's): what tests use to make the sandbox
// do a thing at a moment they choose, instead of waiting for it and hoping.
//
//   POST   /__sandbox/hold     {"on": true|false}  tasks created while on stay `processing`
//   POST   /__sandbox/release  {"id"?: "321"}      settle held tasks now (all, or one by id)
//   POST   /__sandbox/faults   fault | [fault]     queue faults for matching requests ({skip: n}
//                                                  lets the first n of them through)
//   DELETE /__sandbox/faults                       drop queued faults
//   GET    /__sandbox/requests                     the request log
//   POST   /__sandbox/config   {rateLimit, rateWindowMs, speed, taskMs, balance, selectionLimit}

import { readBody, send } from "./http.mjs";
import { releaseHeld } from "./routes.mjs";

async function json(req) {
  const text = await readBody(req);
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return undefined;
  }
}

export async function control(state, req, res, path) {
  const route = `${req.method} ${path}`;
  if (route === "GET /__sandbox/requests") return send(res, 200, { requests: state.requests });
  if (route === "DELETE /__sandbox/faults") {
    state.faults.length = 0;
    return send(res, 200, { queued: 0 });
  }
  const body = req.method === "POST" ? await json(req) : undefined;
  if (req.method === "POST" && (body === undefined || body === null)) return send(res, 400, { message: "body is not JSON" });
  switch (route) {
    case "POST /__sandbox/hold":
      state.hold = body.on !== false;
      return send(res, 200, { hold: state.hold });
    case "POST /__sandbox/release":
      return send(res, 200, { released: releaseHeld(state, body.id === undefined ? undefined : String(body.id)) });
    case "POST /__sandbox/faults":
      state.faults.push(...(Array.isArray(body) ? body : [body]));
      return send(res, 200, { queued: state.faults.length });
    case "POST /__sandbox/config":
      if (body.rateLimit) state.rate.limit = body.rateLimit;
      if (body.rateWindowMs) state.rate.windowMs = body.rateWindowMs;
      if (body.speed) state.speed = body.speed;
      if (body.taskMs) state.taskMs = body.taskMs;
      if (body.selectionLimit) state.selectionLimit = body.selectionLimit;
      for (const [key, b] of Object.entries(body.balance ?? {})) state.balances.set(key, { ...state.balanceOf(key), ...b });
      return send(res, 200, { ok: true });
    default:
      return send(res, 404, { message: "unknown sandbox route" });
  }
}
