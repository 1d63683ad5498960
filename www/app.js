// The demo page: pick contacts, see the cost, start, watch, reload and resume.
// Everything about tasks goes through the package; this file only draws.
import { UnlockClient, UnlockError } from "/pkg/index.js";

const $ = (id) => document.getElementById(id);
const config = await (await fetch("/demo-config.json")).json();

const state = {
  kind: "lensmor.email",
  mode: "sandbox",
  people: [],
  enriched: new Map(), // Salesfinity: contact id -> the lookup's last item ({ status, value })
  selected: new Set(),
  controller: null,
  watching: false,
  precheckSeq: 0,
};

// ---- kinds and clients -------------------------------------------------------------------

/** Everything that differs between the three kinds, in one table. A row's state comes from the
 *  contact as `listContacts` returns it. */
const KINDS = {
  "lensmor.email": {
    provider: "lensmor",
    start: (c, selection) => c.unlockEmails(selection),
    precheck: (c, selection) => c.precheckEmails(selection),
    row: (p) => ({ word: p.emailStatus, value: p.email, selectable: p.emailStatus === "locked" }),
  },
  "lensmor.phone": {
    provider: "lensmor",
    start: (c, selection) => c.unlockPhones(selection),
    precheck: (c, selection) => c.precheckPhones(selection),
    row: (p) => ({ word: p.phoneStatus ?? "locked", value: p.phone, selectable: p.phoneStatus == null || p.phoneStatus === "failed" }),
  },
  "salesfinity.email": {
    provider: "salesfinity",
    start: null, // one lookup per profile: see startEnrichments
    precheck: null, // Salesfinity charges only found emails: at most one credit each
    row: (p) => {
      const lookup = state.enriched.get(p.id);
      return { word: lookup?.status ?? "linkedin", value: lookup?.value, selectable: !lookup };
    },
  },
};

/** The sandbox, or the edge proxy (examples/edge-worker), which serves each provider under its name. */
const baseUrl = (provider) =>
  state.mode === "sandbox" ? config.sandboxUrl : `${$("proxy-url").value.trim().replace(/\/$/, "")}/${provider}`;

/**
 * One client per provider and mode, kept for the page's life: a client holds the rate budget
 * shared by all its requests, the poll loop shared by every waiter of a task, and the
 * once-per-selection guard. A new client per action would throw all three away.
 * In proxy mode there is no key here: the proxy adds it.
 */
const clients = new Map();
function client(kind = state.kind) {
  const provider = KINDS[kind].provider;
  const url = baseUrl(provider);
  const key = `${state.mode} ${provider} ${url}`;
  if (!clients.has(key)) {
    clients.set(key, new UnlockClient({
      provider,
      apiKey: state.mode === "sandbox" ? config.demoKey : undefined,
      baseUrl: url,
      polling: config.polling,
      // The tokens of running tasks are kept in localStorage by the package: a reload, or
      // another tab, finds them with running(). Tabs share each task's polling (shareAcrossTabs
      // is on by default): one tab polls, the others are told.
      store: "local",
      // Lensmor takes 2,000 contacts per task; the demo uses tasks of 100 to show a group.
      ...(config.maxBatch ? { maxBatch: config.maxBatch } : {}),
      // The proxy spends credits only for signed-in users: the session token goes with every
      // request, read when the request is made (a real app would refresh it here).
      ...(state.mode === "proxy" ? { headers: () => ({ authorization: `Bearer ${$("proxy-token").value.trim()}` }) } : {}),
    }));
  }
  return clients.get(key);
}

// ---- contacts ------------------------------------------------------------------------------

/** Every page of the event's contacts the key may see (Lensmor's personnel list, 50 a page). */
async function loadContacts() {
  $("event-id").textContent = config.eventId;
  try {
    const people = [];
    for (let page = 1; ; page++) {
      const batch = await client("lensmor.email").listContacts({ eventId: config.eventId, page });
      people.push(...batch.items);
      if (!batch.hasMore || !batch.accessible || page >= 20) break;
    }
    state.people = people;
  } catch (error) {
    state.people = [];
    showError("selection-message", error);
  }
  renderContacts();
}

const rowState = (person) => KINDS[state.kind].row(person);

function renderContacts() {
  const body = $("contacts").tBodies[0];
  body.replaceChildren(...state.people.map((person) => {
    const { word, value, selectable } = rowState(person);
    const row = document.createElement("tr");
    row.dataset.id = person.id;
    row.classList.toggle("locked-out", !selectable);
    const box = Object.assign(document.createElement("input"), { type: "checkbox", disabled: !selectable, checked: state.selected.has(person.id) });
    box.setAttribute("aria-label", `Select ${person.fullName}`);
    box.addEventListener("change", () => {
      box.checked ? state.selected.add(person.id) : state.selected.delete(person.id);
      updateCost();
    });
    row.append(
      cell(box),
      cell(text(person.fullName), Object.assign(document.createElement("span"), { className: "title", textContent: person.title })),
      cell(text(person.companyName)),
      cell(badge(word)),
      cell(text(value ?? "")),
    );
    return row;
  }));
}

const text = (value) => document.createTextNode(value);
function cell(...children) {
  const td = document.createElement("td");
  td.append(...children);
  return td;
}
function badge(word) {
  return Object.assign(document.createElement("span"), { className: `badge ${word}`, textContent: word });
}

/** Shows a task item's state in its contact's row. */
function showItem(item) {
  const person = state.kind === "salesfinity.email"
    ? state.people.find((p) => p.linkedinUrl === item.id)
    : state.people.find((p) => p.id === item.id);
  const row = person && $("contacts").querySelector(`tr[data-id="${CSS.escape(person.id)}"]`);
  if (person && state.kind === "salesfinity.email") state.enriched.set(person.id, item);
  if (!row) return;
  const detail = item.value ?? item.errorCode ?? (item.status === "no-value" ? "unlocked, but no value was returned" : "");
  row.cells[3].replaceChildren(badge(item.status));
  row.cells[4].replaceChildren(text(detail));
}

// ---- cost before spending --------------------------------------------------------------------

function selection() {
  return { eventId: config.eventId, personnelIds: [...state.selected] };
}

async function updateCost() {
  $("selected-count").textContent = state.selected.size;
  showMessage("selection-message", "");
  const seq = ++state.precheckSeq;
  if (state.selected.size === 0) {
    $("chargeable-count").textContent = "–";
    $("estimate").textContent = "–";
    return;
  }
  if (!KINDS[state.kind].precheck) {
    $("chargeable-count").textContent = state.selected.size;
    $("estimate").textContent = `≤ ${state.selected.size}`;
    return;
  }
  try {
    const check = await KINDS[state.kind].precheck(client(), selection());
    if (seq !== state.precheckSeq) return;
    $("chargeable-count").textContent = check.chargeableCount;
    $("estimate").textContent = check.credits;
    if (!check.allowed) showMessage("selection-message", `Lensmor would refuse this now: ${check.reasonCode.replaceAll("_", " ")}.`);
  } catch (error) {
    if (seq !== state.precheckSeq) return;
    $("chargeable-count").textContent = "–";
    $("estimate").textContent = "–";
    showError("selection-message", error);
  }
}

async function updateBalance() {
  try {
    $("balance").textContent = (await client().creditBalance()).balance;
  } catch {
    $("balance").textContent = "?";
  }
}

// ---- messages --------------------------------------------------------------------------------

function showMessage(id, message, kind = "error") {
  const el = $(id);
  el.textContent = message;
  el.classList.toggle("info", kind === "info");
}

/** An error as a person needs it: what happened, what to do, and the traceId for support. */
function showError(id, error) {
  if (!(error instanceof UnlockError)) return showMessage(id, String(error?.message ?? error));
  const hints = {
    payment_required: ` Your balance is ${$("balance").textContent} credits.`,
    conflict: " Another tab or teammate may have started these contacts; the task list will show them as unlocking.",
  };
  const trace = error.traceId ? ` (support reference: ${error.traceId})` : "";
  showMessage(id, `${error.message}${hints[error.code] ?? ""}${trace}`);
}

// ---- starting and watching ---------------------------------------------------------------------

/** Every running task the package keeps for this mode (its store: localStorage), each client's. */
async function keptList() {
  const kept = [];
  for (const kind of ["lensmor.email", "salesfinity.email"]) {
    try {
      kept.push(...(await client(kind).running()));
    } catch {
      // Proxy mode without a proxy URL yet: nothing to list.
    }
  }
  return kept;
}

/** The running tasks after a reload, as the package lists them: what was running, and how far. */
function showKept(kept) {
  const list = $("running-list");
  const names = { "lensmor.email": "Emails", "lensmor.phone": "Phones", "salesfinity.email": "LinkedIn emails" };
  list.replaceChildren(...kept.map((t) => {
    const what = t.parts > 1 ? `group of ${t.parts} tasks from task ${t.taskId}` : `task ${t.taskId}`;
    const how = t.progress ? `${t.progress.settled} of ${t.progress.total} contacts settled when last seen` : "not polled yet";
    return Object.assign(document.createElement("li"), { textContent: `${names[t.kind] ?? t.kind}: ${what}, started ${new Date(t.startedAt).toLocaleTimeString()}, ${how}` });
  }));
  list.hidden = kept.length === 0;
}

/** The running tasks the package keeps for this mode (its store: localStorage), those of the
 *  kind started last: what this tab follows after a reload, or when another tab starts one. */
async function keptTasks() {
  const kept = await keptList();
  if (!kept.length) return null;
  const { kind } = kept.reduce((a, b) => (b.startedAt > a.startedAt ? b : a));
  const same = kept.filter((t) => t.kind === kind);
  return {
    kind,
    tokens: same.map((t) => t.token),
    startedAt: Math.min(...same.map((t) => t.startedAt)),
    contacts: same.reduce((n, t) => n + (t.progress?.total ?? 0), 0),
  };
}

async function start() {
  showMessage("selection-message", "");
  $("start").disabled = true;
  // The last task's outcome must not read as this one's while the start is on its way.
  $("task-status").textContent = "Starting…";
  $("outcome").replaceChildren();
  try {
    const kind = KINDS[state.kind];
    let tokens;
    if (!kind.start) {
      tokens = await startEnrichments(client());
    } else {
      const task = await kind.start(client(), selection());
      if (!task.started) {
        showMessage("selection-message", `Nothing to unlock, no credits spent: ${skipSummary(task.skipped)}.`, "info");
        return;
      }
      if (task.skipped.length) showMessage("selection-message", `Not charged: ${skipSummary(task.skipped)}.`, "info");
      tokens = [task.token];
    }
    // How many contacts the start covers: a group's parts report their items as they answer.
    // (The package already keeps the tokens in its store.)
    const contacts = state.selected.size;
    const started = { kind: state.kind, tokens, startedAt: Date.now(), contacts };
    state.selected.clear();
    updateCost();
    await watch(started, false);
  } catch (error) {
    showError("selection-message", error);
    offerRunningTask(error);
  } finally {
    $("start").disabled = false;
  }
}

/** Salesfinity looks up one profile per request: one group of lookups, four at a time. */
async function startEnrichments(c) {
  const people = state.people.filter((p) => state.selected.has(p.id));
  if (people.length > 50) throw new Error("Pick at most 50 profiles at once for this demo.");
  const group = await c.enrichEmails(people.map((p) => ({ linkedinUrl: p.linkedinUrl, type: "work", externalId: p.id })), { maxConcurrency: 4 });
  for (const p of people) state.enriched.set(p.id, { status: "pending" });
  return [group.token];
}

/** "2 already unlocked, 1 missing": why contacts were not charged, from the create's answer. */
function skipSummary(skipped) {
  const counts = new Map();
  for (const { reason } of skipped) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason.replace("-", " ")}`).join(", ") || "nothing chargeable";
}

/** A 409 from another tab of this browser: the package kept that tab's task, so offer to follow it. */
async function offerRunningTask(error) {
  if (error?.code !== "conflict" || !(await keptTasks())) return;
  showMessage("selection-message", `${$("selection-message").textContent} A task started from another tab of this browser is running: choose Resume to follow it here.`);
  $("resume").hidden = false;
}

function setRunning(running) {
  $("stop").hidden = !running;
  $("start").disabled = running;
}

/** Follows `saved`'s tasks. `resumed`: false for a start here, "reload" after a reload (or
 *  Resume), "tab" for a task another tab of this browser started. */
async function watch(saved, resumed) {
  state.kind = saved.kind;
  document.querySelector(`input[name=kind][value="${saved.kind}"]`).checked = true;
  renderContacts();
  $("task-panel").hidden = false;
  $("resume").hidden = true;
  $("outcome").replaceChildren();
  showMessage("task-message", "");
  $("task-status").textContent = {
    reload: "Resumed the task from its stored token: no new task was created and nothing was charged again.",
    tab: "Another tab of this browser started this task: this tab follows it (one tab polls, the others are told).",
  }[resumed] ?? "Task started. Polling on the provider's schedule…";
  state.controller = new AbortController();
  state.watching = true;
  setRunning(true);
  const c = client(saved.kind);
  const outcomes = await Promise.allSettled(saved.tokens.map((token) =>
    c.waitForTask(token, {
      signal: state.controller.signal,
      onProgress: (snapshot) => showSnapshot(snapshot, resumed, saved.contacts),
      onEvent: (event) => addTimeline(event, saved.startedAt),
    }),
  ));
  setRunning(false);
  state.watching = false;
  const failure = outcomes.find((o) => o.status === "rejected")?.reason;
  if (failure) return stopped(saved, failure);
  showKept([]);
  showResults(outcomes.map((o) => o.value));
  await Promise.all([loadContacts(), updateBalance()]);
  for (const result of outcomes.map((o) => o.value)) result.items.forEach(showItem);
}

function stopped(saved, error) {
  if (error.code === "aborted") {
    $("task-status").textContent = "Stopped waiting. The task keeps running at the provider; resume it any time.";
  } else {
    showError("task-message", error);
  }
  // The package keeps the task in its store unless the provider no longer has it.
  $("resume").hidden = ["not_found", "unauthorized", "validation"].includes(error.code);
}

function showSnapshot(snapshot, resumed, contacts = 0) {
  snapshot.items.forEach(showItem);
  const settled = snapshot.items.filter((i) => !["pending", "processing", "unknown"].includes(i.status)).length;
  const prefix = { reload: "Resumed. ", tab: "From another tab. " }[resumed] ?? "";
  const what = snapshot.parts ? `Group of ${snapshot.parts.length} tasks` : `Task ${snapshot.taskId}`;
  const total = Math.max(snapshot.items.length, contacts);
  $("task-status").textContent = `${prefix}${what}: ${snapshot.status}, ${settled} of ${total} contacts settled.`;
}

function showResults(results) {
  const count = (list) => results.reduce((n, r) => n + r[list].length, 0);
  const credits = results.reduce((n, r) => n + r.credits, 0);
  const failed = results.some((r) => r.status === "failed");
  $("task-status").textContent = failed ? "The task ended as failed at the provider; every contact is listed below." : "Done. Every contact has its result.";
  $("outcome").replaceChildren(...[
    ["Delivered", count("delivered")], ["Failed", count("failed")], ["No value", count("noValue")],
    ["Not found", count("notFound")], ["Unresolved", count("unresolved")], ["Credits", credits],
  ].map(([label, value]) => {
    const div = document.createElement("div");
    div.dataset.outcome = label.toLowerCase().replace(" ", "-");
    div.append(Object.assign(document.createElement("dt"), { textContent: label }), Object.assign(document.createElement("dd"), { textContent: value }));
    return div;
  }));
}

function addTimeline(event, startedAt) {
  const t = ((event.at - startedAt) / 1000).toFixed(1);
  const lines = {
    poll: () => `+${t} s: polled, HTTP ${event.status ?? "no answer"}`,
    wait: () => `waiting ${((event.until - event.at) / 1000).toFixed(1)} s`,
    throttled: () => `+${t} s: rate limited by the provider, next poll in ${((event.resumeAt - event.at) / 1000).toFixed(0)} s`,
    retrying: () => `+${t} s: ${event.code} error (${event.failures} in a row), retrying${event.traceId ? `, reference ${event.traceId}` : ""}`,
  };
  if (!lines[event.type]) return;
  const li = Object.assign(document.createElement("li"), { className: event.type, textContent: lines[event.type]() });
  const list = $("timeline");
  list.append(li);
  while (list.children.length > 60) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

// ---- wiring ----------------------------------------------------------------------------------

for (const input of document.querySelectorAll("input[name=kind]")) {
  input.addEventListener("change", () => {
    state.kind = input.value;
    state.selected.clear();
    renderContacts();
    updateCost();
    updateBalance();
  });
}
for (const input of document.querySelectorAll("input[name=mode]")) {
  input.addEventListener("change", () => {
    state.mode = input.value;
    $("proxy-settings").hidden = state.mode !== "proxy";
    if (state.mode === "sandbox") loadContacts();
  });
}
$("proxy-url").addEventListener("change", () => loadContacts().then(updateBalance));
$("proxy-token").addEventListener("change", () => loadContacts().then(updateBalance));
$("select-all").addEventListener("click", () => {
  for (const person of state.people) if (rowState(person).selectable) state.selected.add(person.id);
  renderContacts();
  updateCost();
});
$("select-none").addEventListener("click", () => {
  state.selected.clear();
  renderContacts();
  updateCost();
});
$("start").addEventListener("click", start);
$("stop").addEventListener("click", () => state.controller?.abort());
$("resume").addEventListener("click", async () => {
  const kept = await keptTasks();
  if (kept) watch(kept, "reload");
});
// Another tab of this browser started (or finished) a task: follow it here too. Its polling
// stays in one tab; this one is told of every change.
window.addEventListener("storage", async (event) => {
  if (!event.key?.startsWith("unlock-tasks:running:") || state.watching) return;
  const kept = await keptTasks();
  if (kept && !state.watching) watch(kept, "tab");
});

await loadContacts();
await updateBalance();
// After a reload: list what was running (the package kept it), and resume it.
const running = await keptList();
$("task-panel").hidden = running.length === 0;
showKept(running);
const kept = await keptTasks();
if (kept) watch(kept, "reload");
