// Lensmor in the sandbox: the documented routes' behaviour (OpenAPI 0.27 and the seeds).
// Every handler gets a checked request (route, key, body, query) and returns
// { status, body } or { status, error: { errorKey, message } }.

import { PRICES, PREVIEW_LIMIT, outcomeFor, EVENT_IDS } from "./fixtures.mjs";

const CHANNELS = {
  email: { price: PRICES.email, status: "contactUnlockStatus", busy: "unlocking", done: "unlocked", field: "email" },
  phone: { price: PRICES.phone, status: "phoneUnlockStatus", busy: "processing", done: "ready", field: "phone" },
};

const fail = (status, errorKey, message, details) => ({ status, error: { errorKey, message, details } });

/** The event, when one is given, must be known; without one Lensmor skips the membership
 *  check (0.26+), which is all the sandbox checks. */
const unknownEvent = (eventId) => eventId !== undefined && !EVENT_IDS.includes(eventId);

/** The labels `sourceType` takes (0.27's description: one or more, comma-separated). */
const SOURCE_TYPES = ["exhibitor", "social", "visitors"];

export function balance({ state, key }) {
  const b = state.balanceOf(key).lensmor;
  return {
    status: 200,
    body: {
      totalAmount: 1000, totalBalance: b, subscriptionAmount: 1000, subscriptionBalance: b,
      addonAmount: 0, addonBalance: 0, addonExpireAt: null, giftAmount: 0, giftBalance: 0, resetAt: null,
    },
  };
}

/** Sorts a selection the way the real API does before charging: deduplicated, then by state. */
function classify(state, ids, channel) {
  const c = CHANNELS[channel];
  const out = { ids: [...new Set(ids)], chargeable: [], already: [], unlocking: [], missing: [] };
  for (const id of out.ids) {
    const p = state.personnel.get(id);
    if (!p) out.missing.push(id);
    else if (p[c.status] === c.done) out.already.push(id);
    else if (p[c.status] === c.busy) out.unlocking.push(id);
    else out.chargeable.push(id);
  }
  return out;
}

const ACTIONS = { unlock_contact_emails: "email", unlock_contact_phones: "phone" };

export function precheck({ state, key, body, validate }) {
  const channel = ACTIONS[body.action_type];
  const base = { ok: true, action_type: body.action_type, should_charge: false, credits: 0, biz_code: "", detail: {} };
  if (!channel) return { status: 200, body: { ...base, allowed: false, reason_code: "unsupported_action" } };
  const problems = validate("unlockPrecheckParams", body.params);
  if (problems) return fail(400, "INVALID_PARAMS", `params: ${problems.join("; ")}`);
  if (unknownEvent(body.params.event_id)) return { status: 200, body: { ...base, allowed: false, reason_code: "not_found" } };
  const c = classify(state, body.params.personnel_ids, channel);
  if (c.ids.length > state.selectionLimit) return { status: 200, body: { ...base, allowed: false, reason_code: "exceed_max_unlock_limit" } };
  const credits = c.chargeable.length * CHANNELS[channel].price;
  const reason = c.unlocking.length ? "unlock_in_progress"
    : credits > state.balanceOf(key).lensmor ? "insufficient_balance"
    : c.chargeable.length === 0 ? "already_unlocked" : "ok";
  return {
    status: 200,
    body: {
      ...base,
      allowed: reason === "ok",
      should_charge: c.chargeable.length > 0,
      credits,
      reason_code: reason,
      detail: {
        personnel_ids: c.chargeable,
        requested_count: c.ids.length,
        chargeable_count: c.chargeable.length,
        already_unlocked_count: c.already.length,
        unlocking_count: c.unlocking.length,
        missing_personnel_ids: c.missing,
        invalid_personnel_ids: [],
      },
    },
  };
}

export function createUnlock(channel) {
  return ({ state, key, body }) => {
    if (unknownEvent(body.event_id)) return fail(404, "EVENT_NOT_FOUND", "Event not found");
    const c = classify(state, body.personnel_ids, channel);
    if (c.ids.length > state.selectionLimit) {
      const details = { requestedCount: c.ids.length, limit: state.selectionLimit, selectionMode: "selected" };
      return fail(422, "LEAD_SELECTION_LIMIT_EXCEEDED", `Selected leads limit exceeded: requested ${c.ids.length}, limit ${state.selectionLimit}`, details);
    }
    if (c.unlocking.length) return fail(409, "UNLOCK_IN_PROGRESS", `Contacts already unlocking: ${c.unlocking.join(", ")}`);
    const { price, status } = CHANNELS[channel];
    const cost = price * c.chargeable.length;
    const wallet = state.balanceOf(key);
    if (cost > wallet.lensmor) return fail(402, "INSUFFICIENT_CREDITS", `This unlock costs ${cost} credits; the balance is ${wallet.lensmor}`);
    const skipped = [...c.already, ...c.missing];
    const detail = {
      ...(c.already.length ? { already_unlocked_personnel_ids: c.already } : {}),
      ...(c.missing.length ? { missing_personnel_ids: c.missing } : {}),
    };
    const skips = skipped.length ? { skipped_personnel_ids: skipped, skipped_detail: detail } : {};
    if (c.chargeable.length === 0) return { status: 201, body: { status: "success", ...skips } };
    wallet.lensmor -= cost;
    const id = String(state.nextTask++); // task ids are decimal strings (0.26+)
    const items = c.chargeable.map((pid) => {
      state.personnel.get(pid)[status] = CHANNELS[channel].busy;
      return { personnelId: pid, ...state.timing() };
    });
    state.tasks.set(id, { id, key, channel, items, held: state.hold });
    return { status: 201, body: { status: "accepted", task_id: id, job_id: id, ...skips } };
  };
}

/** One item as the poll reports it now; settling it updates the contact record once. */
function itemNow(state, task, item, now) {
  const { channel } = task;
  const { status, done, field } = CHANNELS[channel];
  if (task.held) return { personnelId: item.personnelId, status: "processing" };
  if (now < item.startAt) return { personnelId: item.personnelId, status: "pending" };
  if (now < item.settleAt) return { personnelId: item.personnelId, status: "processing" };
  const person = state.personnel.get(item.personnelId);
  const outcome = outcomeFor(item.personnelId);
  if (outcome === "failed") {
    person[status] = "failed";
    return { personnelId: item.personnelId, status: "failed", errorCode: "TASK_FAILED" };
  }
  person[status] = done;
  if (outcome === "unlocked") person[field] ??= valueFor(person, channel);
  return { personnelId: item.personnelId, status: "unlocked", [field]: outcome === "unlocked" ? person[field] : null };
}

function valueFor(person, channel) {
  if (channel === "phone") return `+1 555 ${person.id.padStart(4, "0").slice(-4)}`;
  return `${person.fullName.toLowerCase().replace(" ", ".")}@${person.companyName.split(" ")[0].toLowerCase()}.example`;
}

export function pollUnlock(channel) {
  return ({ state, key, params, fault }) => {
    const task = state.tasks.get(params.taskId);
    if (!task || task.key !== key || task.channel !== channel) return fail(404, "TASK_NOT_FOUND", "Task not found");
    const now = Date.now();
    const items = task.items.map((item) => itemNow(state, task, item, now));
    const settled = items.every((i) => i.status === "unlocked" || i.status === "failed");
    const anyRunning = items.some((i) => i.status === "processing");
    let taskStatus = settled ? "completed" : anyRunning ? "processing" : "pending";
    // Faults that bend the answer away from the schema on purpose: no answer check for those.
    if (fault?.kind === "unknown-status") taskStatus = fault.status ?? "queued_v2";
    const answered = fault?.kind === "drop-items" ? items.slice(1) : fault?.kind === "dup-items" ? [...items, ...items] : items;
    return { status: 200, body: { taskId: task.id, taskStatus, items: answered }, unchecked: Boolean(fault) };
  };
}

/** A contact as `ContactItem`: values only once unlocked for keys that unlocked them. */
function contactItem(person) {
  return {
    id: person.id,
    fullName: person.fullName,
    title: person.title,
    companyName: person.companyName,
    linkedinUrl: person.linkedinUrl,
    email: person.contactUnlockStatus === "unlocked" ? person.email : null,
    phone: person.phoneUnlockStatus === "ready" ? person.phone : null,
    contactUnlockStatus: person.contactUnlockStatus,
    phoneUnlockStatus: person.phoneUnlockStatus,
  };
}

/** A page of the event's contacts. Keys with "preview" in them see only the first
 *  PREVIEW_LIMIT contacts: a page past that is a 200 with no items and accessible: false. */
export function listPersonnel({ state, key, query }) {
  if (!EVENT_IDS.includes(query.event_id)) return fail(404, "EVENT_NOT_FOUND", "Event not found");
  const sources = query.sourceType?.split(",") ?? [];
  const unknown = sources.filter((s) => !SOURCE_TYPES.includes(s));
  if (unknown.length) return fail(400, "INVALID_REQUEST", `sourceType: ${unknown.map((s) => JSON.stringify(s)).join(", ")} is not one of ${SOURCE_TYPES.join(", ")}`);
  const page = query.page ?? 1;
  const pageSize = query.pageSize ?? 50;
  const people = [...state.personnel.values()];
  const preview = key.includes("preview");
  const visible = preview ? people.slice(0, PREVIEW_LIMIT) : people;
  const start = (page - 1) * pageSize;
  const maxAccessiblePage = Math.max(1, Math.ceil(visible.length / pageSize));
  const accessible = !preview || start < visible.length;
  const items = accessible ? visible.slice(start, start + pageSize).map(contactItem) : [];
  const totalPages = Math.ceil(people.length / pageSize);
  return {
    status: 200,
    body: {
      items,
      total: people.length,
      page,
      pageSize,
      totalPages,
      hasMore: accessible && start + pageSize < visible.length,
      semantics: {
        accessMode: preview ? "preview" : "full",
        previewLimit: preview ? PREVIEW_LIMIT : null,
        pageState: { requestedPage: page, accessible, maxAccessiblePage },
      },
    },
  };
}

export function personnelProfile({ state, query }) {
  const person = state.personnel.get(query.personnel_id);
  if (!person) return fail(404, "PERSONNEL_NOT_FOUND", "Personnel not found");
  return { status: 200, body: contactItem(person) };
}

/** A held task's contacts settle at once when released. */
export function release(task, now) {
  task.held = false;
  for (const item of task.items) {
    item.startAt = Math.min(item.startAt, now);
    item.settleAt = Math.min(item.settleAt, now);
  }
}
