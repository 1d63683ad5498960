// The edge worker's per-user budget rules (examples/edge-worker/budget.js), without a runtime:
// a start reserves its worst case, a group's first part holds the whole group's, parts draw
// from the hold, and the hold ends when its contacts are drawn, when the group stops, or after
// its time. The same rules run in workerd in groups.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_HOLD_MS, MAX_HOLDS, available, current, held, reserve, settle, today } from "../../examples/edge-worker/budget.js";

const NOW = Date.UTC(2026, 11, 8, 12);
const LIMIT = 100;
const fresh = () => current(undefined, NOW, DEFAULT_HOLD_MS);
/** A part of `contacts` at 15 credits each, of a group with `rest` contacts not yet started. */
const part = (id, contacts, rest) => ({ credits: 15 * contacts, limit: LIMIT, group: { id, credits: 15 * rest, rest, contacts } });

test("a start on its own reserves its worst case, or nothing", () => {
  const record = fresh();
  assert.deepEqual(reserve(record, { credits: 60, limit: LIMIT }, NOW), { ok: true });
  assert.deepEqual(reserve(record, { credits: 45, limit: LIMIT }, NOW), { ok: false, remaining: 40, wanted: 45, group: false });
  assert.equal(record.spent, 60, "a refused reservation takes nothing");
  settle(record, { refund: 30, day: record.day }, NOW);
  assert.equal(available(record, LIMIT), 70);
  settle(record, { refund: 30, day: "2026-12-07" }, NOW);
  assert.equal(record.spent, 30, "a refund of an earlier day's reservation changes nothing");
});

test("a group's first part holds the whole group; a group that does not fit starts nothing", () => {
  const record = fresh();
  // 8 contacts in parts of 2: 120 credits, more than the 100 left, refused at its first part.
  assert.deepEqual(reserve(record, part("g", 2, 8), NOW), { ok: false, remaining: 100, wanted: 120, group: true });
  assert.deepEqual(record, fresh(), "nothing held, nothing spent");

  // 6 contacts in parts of 2 (90): the first part holds all of it, then each part draws.
  assert.deepEqual(reserve(record, part("g", 2, 6), NOW), { ok: true });
  assert.deepEqual({ spent: record.spent, hold: record.holds.g }, { spent: 30, hold: { credits: 60, rest: 4, at: NOW } });
  assert.deepEqual([held(record), held(record, "g")], [60, 0], "held for the group, free to its own parts");
  // Another group of the same user cannot take what the first holds.
  assert.equal(reserve(record, part("h", 2, 2), NOW).ok, false);
  assert.equal(reserve(record, { credits: 15, limit: LIMIT }, NOW).ok, false, "10 are free");
  assert.equal(reserve(record, part("g", 2, 4), NOW + 1).ok, true);
  assert.equal(reserve(record, part("g", 2, 2), NOW + 2).ok, true);
  assert.equal(record.holds.g, undefined, "every announced contact drawn: the hold ends");
  assert.equal(record.spent, 90);
  assert.equal(available(record, LIMIT), 10);
});

test("two groups at once, in any order of their parts: one starts whole, the other starts nothing", () => {
  // Groups A and B of 4 contacts each (60 credits) against 100: whichever part comes first.
  for (const order of [["A", "B", "A", "B"], ["B", "A", "A", "B"], ["A", "A", "B", "B"]]) {
    const record = fresh();
    const seen = { A: 0, B: 0 };
    const drawn = { A: 0, B: 0 };
    const stopped = new Set(); // the package's client sends no part after a refusal
    for (const group of order) {
      if (stopped.has(group)) continue;
      const rest = 4 - 2 * seen[group]++;
      if (reserve(record, part(group, 2, rest), NOW).ok) drawn[group] += 2;
      else stopped.add(group);
    }
    assert.deepEqual(Object.values(drawn).sort(), [0, 4], order.join(""));
  }
});

test("a size refusal keeps the hold for the smaller parts; any other refusal frees it", () => {
  const record = fresh();
  assert.equal(reserve(record, part("g", 4, 6), NOW).ok, true); // 90 held: 60 drawn, 30 left
  // Refused for its size (a 422 with a smaller limit): its 60 go back into the hold.
  settle(record, { refund: 60, day: record.day, group: "g", contacts: 4, resplit: true }, NOW);
  assert.deepEqual({ spent: record.spent, hold: record.holds.g }, { spent: 0, hold: { credits: 90, rest: 6, at: NOW } });
  assert.equal(reserve(record, { credits: 15, limit: LIMIT }, NOW).ok, false, "the hold stays the group's");
  for (let i = 0; i < 3; i++) assert.equal(reserve(record, part("g", 2, 6 - 2 * i), NOW).ok, true);
  assert.equal(record.holds.g, undefined);

  // A 402 from the provider at part 2 of 3: the group stops, and what it held is free at once.
  const stopped = fresh();
  assert.equal(reserve(stopped, part("s", 2, 6), NOW).ok, true);
  assert.equal(reserve(stopped, part("s", 2, 4), NOW).ok, true);
  settle(stopped, { refund: 30, day: stopped.day, group: "s", contacts: 2 }, NOW);
  assert.deepEqual({ spent: stopped.spent, free: available(stopped, LIMIT) }, { spent: 30, free: 70 });
  // A part of the stopped group still in flight (enrichEmails runs several at once) is
  // reserved on its own, not held anew.
  assert.equal(reserve(stopped, part("s", 1, 4), NOW).ok, true);
  assert.equal(stopped.holds.s.stopped, true);
  assert.equal(available(stopped, LIMIT), 55);
  // A retry of the contacts that did not start (a new selection, so a new group) fits.
  assert.equal(reserve(stopped, part("t", 1, 3), NOW).ok, true);
  assert.equal(available(stopped, LIMIT), 10);
});

test("a size refusal of a hold's last part holds its contacts again", () => {
  const record = fresh();
  assert.equal(reserve(record, part("g", 4, 4), NOW).ok, true);
  assert.equal(record.holds.g, undefined, "drawn whole");
  settle(record, { refund: 60, day: record.day, group: "g", contacts: 4, resplit: true }, NOW);
  assert.deepEqual(record.holds.g, { credits: 60, rest: 4, at: NOW });
  assert.equal(record.spent, 0);
});

test("holds end after their time, and with the day", () => {
  const stored = fresh();
  assert.equal(reserve(stored, part("g", 2, 6), NOW).ok, true);
  assert.deepEqual(current(stored, NOW + DEFAULT_HOLD_MS - 1, DEFAULT_HOLD_MS).holds, stored.holds);
  assert.deepEqual(current(stored, NOW + DEFAULT_HOLD_MS, DEFAULT_HOLD_MS).holds, {}, "a tab closed mid-start");
  const tomorrow = current(stored, NOW + 24 * 3600_000, DEFAULT_HOLD_MS);
  assert.deepEqual(tomorrow, { day: today(NOW + 24 * 3600_000), spent: 0, holds: {} });
  assert.deepEqual(current({ day: stored.day, spent: 5 }, NOW, DEFAULT_HOLD_MS), { day: stored.day, spent: 5, holds: {} }, "a record stored before holds existed");
});

test("a group that announces fewer contacts than it sends draws the rest from the free budget", () => {
  const record = fresh();
  // Announced 2 contacts (30), sends a part of 4 (60): 30 from the hold, 30 free.
  assert.equal(reserve(record, { credits: 60, limit: LIMIT, group: { id: "g", credits: 30, rest: 2, contacts: 4 } }, NOW).ok, true);
  assert.equal(record.spent, 60);
  assert.equal(available(record, LIMIT), 40);
  // And it cannot use that to spend past the limit.
  const tight = fresh();
  assert.equal(reserve(tight, { credits: 150, limit: LIMIT, group: { id: "g", credits: 30, rest: 2, contacts: 10 } }, NOW).ok, false);
});

test("a user holds at most MAX_HOLDS groups; past that, parts are reserved one by one", () => {
  const record = fresh();
  const limit = 10_000;
  for (let i = 0; i < MAX_HOLDS; i++) assert.equal(reserve(record, { ...part(`g${i}`, 1, 2), limit }, NOW).ok, true);
  assert.equal(Object.keys(record.holds).length, MAX_HOLDS);
  assert.equal(reserve(record, { ...part("more", 1, 2), limit }, NOW).ok, true);
  assert.equal(record.holds.more, undefined);
  assert.equal(record.spent, 15 * (MAX_HOLDS + 1));
});
