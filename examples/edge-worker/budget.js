// A user's daily credit budget, and the holds of the groups that user is starting: pure
// functions over the stored record, so the rules are tested without a runtime
// (tests/edge/budget.test.mjs) and the user's Durable Object only loads, applies and stores.
//
// A start reserves its worst case (the published price × its contacts) before its create. A
// group (a whole attendee list, sent by the browser's client as parts) is reserved whole: its
// parts announce the group (the package's `x-unlock-group` header: the group's id and the
// contacts not yet started), and the first part the worker sees holds the worst case of all of
// them, so a user who cannot afford the whole selection starts none of it, and two groups
// started at once by one user never leave both half-started. Each part then draws its own
// worst case from the hold. The hold ends when every announced contact was drawn, when the
// group stops (a refusal that is not about a part's size), or `holdMs` after its last part
// (a tab closed mid-start).
//
// The record: { day, spent, holds: { [group]: { credits, rest, at } | { stopped: true, at } } }.
// `spent` counts what reservations took (given back as the provider skips or refuses);
// `credits` of a hold is set aside on top of it.

/** How long a group's hold outlives its last part when no other part comes. */
export const DEFAULT_HOLD_MS = 120_000;
/** Holds kept per user at once; past this, a group's parts are reserved one by one. */
export const MAX_HOLDS = 32;

/** The UTC day of `now`, as the budget counts days. */
export function today(now) {
  return new Date(now).toISOString().slice(0, 10);
}

/** The stored record as of `now`: a new day starts at 0 with no holds; holds whose last part
 *  is `holdMs` old are gone. */
export function current(stored, now, holdMs) {
  const day = today(now);
  if (stored?.day !== day) return { day, spent: 0, holds: {} };
  const holds = {};
  for (const [group, hold] of Object.entries(stored.holds ?? {})) if (now - hold.at < holdMs) holds[group] = hold;
  return { day, spent: stored.spent, holds };
}

/** Credits set aside for the groups being started, but `own`'s. */
export function held(record, own) {
  let credits = 0;
  for (const [group, hold] of Object.entries(record.holds)) if (group !== own && !hold.stopped) credits += hold.credits;
  return credits;
}

/** Credits neither spent nor held, counting `own`'s hold as free (it is its parts' to draw). */
export function available(record, limit, own) {
  return Math.max(0, limit - record.spent - held(record, own));
}

/**
 * Reserves a start's worst case, `credits`, changing `record`. With `group` (`{ id, credits,
 * rest, contacts }`: the group's worst case of `rest` contacts not yet started, and this part's
 * contacts), the first part of a group holds the whole rest first. Returns `{ ok: true }`, or
 * `{ ok: false, remaining, wanted, group }` (nothing changed): `wanted` is what could not be
 * reserved, a group's whole rest when `group` is true.
 */
export function reserve(record, { credits, limit, group }, now) {
  let hold = group ? record.holds[group.id] : undefined;
  if (group && !hold && Object.keys(record.holds).length < MAX_HOLDS) {
    const remaining = available(record, limit);
    if (group.credits > remaining) return { ok: false, remaining, wanted: group.credits, group: true };
    hold = record.holds[group.id] = { credits: group.credits, rest: group.rest, at: now };
  }
  if (hold && !hold.stopped) {
    const fromHold = Math.min(credits, hold.credits);
    const remaining = available(record, limit, group.id);
    // The group announced fewer contacts than it sends: the rest comes from the free budget.
    if (credits - fromHold > remaining) return { ok: false, remaining: remaining + hold.credits, wanted: credits, group: false };
    hold.credits -= fromHold;
    hold.rest -= group.contacts;
    hold.at = now;
    if (hold.rest <= 0) delete record.holds[group.id]; // every announced contact drawn
    record.spent += credits;
    return { ok: true };
  }
  // No group, a group that stopped, or too many holds: this start on its own.
  const remaining = available(record, limit);
  if (credits > remaining) return { ok: false, remaining, wanted: credits, group: false };
  record.spent += credits;
  return { ok: true };
}

/**
 * A reserved start ended, changing `record`: `refund` credits of its reservation were not
 * charged (skipped contacts, or a create the provider refused). With `group`, after a refusal:
 * `resplit` (refused for its size: the client sends these `contacts` again, in smaller parts)
 * puts the refund back into the group's hold for them; otherwise the group stops here and its
 * hold is freed. A reservation of an earlier day changes nothing (that day is over).
 */
export function settle(record, { refund, day, group, contacts = 0, resplit = false }, now) {
  if (record.day !== day) return;
  record.spent = Math.max(0, record.spent - refund);
  if (!group) return;
  const hold = record.holds[group];
  if (!resplit) {
    record.holds[group] = { stopped: true, at: now };
  } else if (hold && !hold.stopped) {
    Object.assign(hold, { credits: hold.credits + refund, rest: hold.rest + contacts, at: now });
  } else if (!hold) {
    // The refused part was the hold's last: hold its contacts again for the smaller parts.
    record.holds[group] = { credits: refund, rest: contacts, at: now };
  }
}
