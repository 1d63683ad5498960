// Every route the sandbox serves, and nothing else: each one is documented by its provider.
// A route names the schemas its query, body and answer must match (./contract.mjs).

import * as lensmor from "./lensmor.mjs";
import * as salesfinity from "./salesfinity.mjs";

export const routes = [
  // Lensmor (OpenAPI 0.27)
  { provider: "lensmor", method: "GET", path: "/external/credits/balance", query: "noQuery", answer: "creditBalance", handle: lensmor.balance },
  { provider: "lensmor", method: "POST", path: "/external/actions/precheck", query: "noQuery", body: "precheckBody", answer: "precheckAnswer", handle: lensmor.precheck },
  { provider: "lensmor", method: "POST", path: "/external/contacts/unlock", query: "noQuery", body: "unlockBody", answer: "unlockSubmission", handle: lensmor.createUnlock("email") },
  { provider: "lensmor", method: "GET", path: "/external/contacts/unlock-tasks/{taskId}", params: { taskId: "taskIdPath" }, query: "noQuery", answer: "emailTask", handle: lensmor.pollUnlock("email") },
  { provider: "lensmor", method: "POST", path: "/external/contacts/unlock-phone", query: "noQuery", body: "unlockBody", answer: "unlockSubmission", handle: lensmor.createUnlock("phone") },
  { provider: "lensmor", method: "GET", path: "/external/contacts/unlock-phone-tasks/{taskId}", params: { taskId: "taskIdPath" }, query: "noQuery", answer: "phoneTask", handle: lensmor.pollUnlock("phone") },
  { provider: "lensmor", method: "GET", path: "/external/personnel/list", query: "personnelListQuery", answer: "contactPage", handle: lensmor.listPersonnel },
  { provider: "lensmor", method: "GET", path: "/external/personnel/profile", query: "personnelProfileQuery", answer: "contactItem", handle: lensmor.personnelProfile },
  // Salesfinity (seeds)
  { provider: "salesfinity", method: "GET", path: "/v1/api/enrichment/credits", query: "noQuery", answer: "salesfinityCredits", handle: salesfinity.credits },
  { provider: "salesfinity", method: "POST", path: "/v1/api/enrichment/email", query: "noQuery", body: "enrichmentBody", answer: "enrichmentCreated", handle: salesfinity.createEnrichment },
  { provider: "salesfinity", method: "GET", path: "/v1/api/enrichment/email/{id}", query: "noQuery", answer: "enrichmentState", handle: salesfinity.pollEnrichment },
].map(compile);

/** `{name}` in a path is one segment, percent-decoded. */
function compile(route) {
  const names = [];
  const pattern = route.path.replace(/\{(\w+)\}/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  return { ...route, names, regex: new RegExp(`^${pattern}$`) };
}

/** The route and path parameters for a request, or null (a 404). */
export function match(method, path) {
  for (const route of routes) {
    const m = route.regex.exec(path);
    if (!m || route.method !== method) continue;
    const params = {};
    try {
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
    } catch {
      return null;
    }
    return { route, params };
  }
  return null;
}

/** Releases held work (all, or the one task/enrichment named by `id`); returns what was released. */
export function releaseHeld(state, id) {
  const now = Date.now();
  const released = [];
  for (const task of state.tasks.values()) {
    if (task.held && (id === undefined || task.id === id)) {
      lensmor.release(task, now);
      released.push(task.id);
    }
  }
  for (const e of state.enrichments.values()) {
    if (e.held && (id === undefined || e.id === id)) {
      salesfinity.release(e, now);
      released.push(e.id);
    }
  }
  return released;
}
