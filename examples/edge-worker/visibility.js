// Contact visibility per user. Unlocks belong to the provider key, which every user of the
// deployment shares: without this, any signed-in user reads the emails and phones another
// user's budget paid for. With CONTACT_VISIBILITY=owner (the default) a contact's email or
// phone is shown only to a user who unlocked it through this worker (the ids are kept in that
// user's object); to everyone else the record reads as locked, which is the truth for their
// budget. CONTACT_VISIBILITY=shared shows every value the key can see, for a team that shares
// one account on purpose.

/** The visibility the deployment chose: "owner" unless it says "shared". */
export function visibility(env) {
  return env.CONTACT_VISIBILITY === "shared" ? "shared" : "owner";
}

/** The storage key under which a user's object records an unlocked value. */
export function ownedKey(kind, id) {
  return `${kind === "lensmor.phone" ? "phone" : "email"}:${id}`;
}

/** The contact records in a personnel answer: a list page's `items`, or a profile itself. */
function records(route, body) {
  if (route === "list") return Array.isArray(body?.items) ? body.items.filter((i) => i && typeof i === "object") : [];
  return body && typeof body === "object" && !Array.isArray(body) ? [body] : [];
}

/** The storage keys to look up for a personnel answer: at most two per record. */
export function keysFor(route, body) {
  return records(route, body)
    .filter((r) => typeof r.id === "string" || typeof r.id === "number")
    .flatMap((r) => [ownedKey("lensmor.email", String(r.id)), ownedKey("lensmor.phone", String(r.id))]);
}

/** The answer with every value this user did not unlock hidden, as a locked record shows it. */
export function masked(route, body, owned) {
  for (const record of records(route, body)) {
    const id = String(record.id);
    if (!owned.has(ownedKey("lensmor.email", id))) {
      if (record.email != null) record.email = null;
      if (record.contactUnlockStatus === "unlocked") record.contactUnlockStatus = "locked";
    }
    if (!owned.has(ownedKey("lensmor.phone", id))) {
      if (record.phone != null) record.phone = null;
      if (record.phoneUnlockStatus === "ready") record.phoneUnlockStatus = null;
    }
  }
  return body;
}
