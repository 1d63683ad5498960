// The sandbox's data, and the rules tests rely on, in one place: tests import these instead of
// repeating "ids ending in 3 fail".

/** The events the sandbox knows (by `id` and by external `eventId`). */
export const EVENT_IDS = ["139574", "evt_sandbox"];
/** The event every test and the demo use. */
export const EVENT_ID = "139574";
/** Personnel ids are FIRST_ID .. FIRST_ID + PEOPLE - 1, as strings. */
export const FIRST_ID = 789;
export const PEOPLE = 150;

export const PRICES = { email: 15, phone: 150, salesfinity: 1 };
export const START_BALANCE = { lensmor: 1000, salesfinity: 25 };

/** How an unlock of this contact ends: ids ending in 3 fail, in 7 unlock without a value. */
export function outcomeFor(id) {
  if (id.endsWith("3")) return "failed";
  if (id.endsWith("7")) return "empty";
  return "unlocked";
}

/** Contacts whose email was unlocked before any test (index % 11 === 5): never charged. */
export function unlockedBefore(id) {
  return (Number(id) - FIRST_ID) % 11 === 5;
}

/**
 * Keys: "revoked" in a key gets 401; "broke" starts with no credits; "preview" sees the
 * personnel list through a preview window of PREVIEW_LIMIT contacts.
 */
export const PREVIEW_LIMIT = 50;

/** Salesfinity: a LinkedIn slug containing "nobody" ends not-found, "broken" ends failed. */
export function enrichmentOutcome(slug) {
  if (slug.includes("nobody")) return "not-found";
  if (slug.includes("broken")) return "failed";
  return "completed";
}

/** The event's contacts; `count` beyond PEOPLE for load benchmarks (ids stay consecutive). */
export function makePersonnel(count = PEOPLE) {
  const first = ["Jane", "Omar", "Li", "Ana", "Ravi", "Sofia", "Ken", "Maya", "Tom", "Ines"];
  const last = ["Doe", "Haddad", "Wei", "Silva", "Patel", "Rossi", "Sato", "Cohen", "Berg", "Lopez"];
  const companies = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"];
  const titles = ["VP of Partnerships", "Head of Sales", "CMO", "Event Manager", "Founder", "Buyer"];
  const people = new Map();
  for (let i = 0; i < count; i++) {
    const id = String(FIRST_ID + i);
    const name = `${first[i % 10]} ${last[Math.floor(i / 10) % 10]}`;
    const company = companies[i % companies.length];
    const slug = name.toLowerCase().replace(" ", ".");
    const unlocked = unlockedBefore(id);
    people.set(id, {
      id,
      fullName: name,
      title: titles[i % titles.length],
      companyName: `${company} Co`,
      email: unlocked ? `${slug}@${company.toLowerCase()}.example` : null,
      contactUnlockStatus: unlocked ? "unlocked" : "locked",
      phone: null,
      phoneUnlockStatus: null,
      linkedinUrl: `https://www.linkedin.com/in/${slug.replace(".", "-")}-${i}`,
    });
  }
  return people;
}
