//! Who goes next when a key's window is full: one admission queue in front of a
//! [`RateBudget`], for every request of every user of one provider key.
//!
//! An app that keeps the key on its server spends one window (Lensmor: 120 requests a minute)
//! for all of its users. A plain window admits whoever asks first, so a thousand background
//! polls that ask every second keep a person's start waiting for minutes. The governor orders
//! the requests that wait:
//! 1. by [`Priority`]: a person's start, then a person's own read, then background polls;
//! 2. then by turn within each user: every user's oldest waiting request before anyone's
//!    second, so one user with a thousand tasks cannot take the key from a user with one;
//! 3. then by how long each has waited (a poll stretched the longest goes first).
//!
//! Background polls use the window only up to a reserve short of its limit: a tenth of each
//! window is kept for people, so a start finds a place at once even when polls saturate the
//! key. The budget spreads requests at the window's rate after a burst
//! ([`RateBudget::burst`]), so a place frees every [`RateBudget::spacing_ms`] instead of the
//! whole window going at once and none until its oldest request leaves.
//!
//! It answers "go" (a [`Ticket`]) or "ask again at t", where t is this request's own place in
//! the queue: the k-th in line is given the k-th free slot, background polls paced one
//! [`RateBudget::spacing_ms`] apart, so throttled work comes back spread out rather than all
//! at the reset. A request that is not told "go" stays in line and keeps its place when it
//! asks again; one that never comes back leaves the line after a grace period. Nothing is
//! dropped: a poll that keeps asking is admitted, only later.
//!
//! Sans-IO like the rest of the core: the driver passes the time in and does the waiting (the
//! package's client sleeps; an edge task object sets its alarm to t).

use std::collections::VecDeque;

use crate::budget::{RateBudget, Ticket, Use};
use crate::error::Error;
use crate::http::{HttpResponse, Millis};

/// What a request is for, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Priority {
    /// A person started a task and is watching the button.
    Start = 0,
    /// A person asked for something now: a task's state, the balance, a precheck, contacts.
    Read = 1,
    /// A poll nobody is waiting on this instant: it may be stretched, never dropped.
    Poll = 2,
}

impl Priority {
    pub fn parse(text: &str) -> Option<Priority> {
        match text {
            "start" => Some(Priority::Start),
            "read" => Some(Priority::Read),
            "poll" => Some(Priority::Poll),
            _ => None,
        }
    }
}

/// One request asking to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The same for every ask of one request (a task's poll: the task), so it keeps its place.
    pub id: String,
    pub priority: Priority,
    /// Whose request it is: turns are shared between users.
    pub user: String,
    /// When this request first asked: the longest waiting goes first.
    pub since: Millis,
}

/// Longest claim id or user name a server may pass: a task key or a user id, never a body.
pub const MAX_CLAIM_TEXT: usize = 512;

impl Claim {
    /// A claim from a server's untrusted values (the edge worker's objects pass them through
    /// JSON): every field checked, so a bad one is a `validation` error, never a trap.
    pub fn checked(id: &str, priority: &str, user: &str, since: f64) -> Result<Claim, Error> {
        let text = |field: &str, value: &str| claim_text(field, &format!("claim.{field}"), value);
        let priority = Priority::parse(priority).ok_or_else(|| {
            Error::validation(
                "priority",
                "claim.priority must be \"start\", \"read\" or \"poll\".",
            )
        })?;
        Ok(Claim {
            id: text("id", id)?,
            priority,
            user: text("user", user)?,
            since: instant(since, "since")?,
        })
    }
}

/// A name a claim carries (an id, a user), checked: 1 to [`MAX_CLAIM_TEXT`] bytes.
fn claim_text(field: &str, label: &str, value: &str) -> Result<String, Error> {
    if value.is_empty() || value.len() > MAX_CLAIM_TEXT {
        return Err(Error::validation(
            field,
            format!("{label} must be a string of 1 to {MAX_CLAIM_TEXT} bytes."),
        ));
    }
    Ok(value.to_string())
}

/// The user a caller names for a call (`{ user }`), so that one client serving many people
/// gives them turns ([`Governor`]'s rule 2). Absent: the caller's own requests, one user.
pub fn caller(user: Option<&str>) -> Result<String, Error> {
    user.map_or(Ok(String::new()), |name| claim_text("user", "user", name))
}

/// An instant from a server (epoch milliseconds), checked: finite, not negative, at most 2^53.
pub fn instant(value: f64, field: &str) -> Result<Millis, Error> {
    if value.is_finite() && (0.0..=9_007_199_254_740_992.0).contains(&value) {
        return Ok(value as Millis);
    }
    Err(Error::validation(
        field,
        format!("{field} must be epoch milliseconds (a number of 0 or more)."),
    ))
}

/// The governor's answer.
#[derive(Debug)]
pub enum Admission {
    /// Send now; settle the ticket when the answer arrives.
    Go(Ticket),
    /// Ask again at this instant (this request's place in the queue).
    WaitUntil(Millis),
}

/// A sort key: priority, then a number (when it asked, or its turn), then an index.
fn key(priority: Priority, first: u64, index: u64) -> u128 {
    (priority as u128) << 120 | u128::from(first.min(1 << 56)) << 64 | u128::from(index)
}

#[derive(Debug, Clone)]
struct Waiting {
    claim: Claim,
    /// When it was told to come back.
    expected: Millis,
    /// Its user's requests admitted in the window before it joined the line: its turn starts
    /// there. Fixed when it joins, so the line's order does not shift under the times told.
    used: u64,
    /// When it joined, as a count: breaks ties of `since` the same way every time.
    seq: u32,
}

/// A key's window and the line of requests waiting for it.
#[derive(Debug, Clone)]
pub struct Governor {
    budget: RateBudget,
    waiting: Vec<Waiting>,
    /// Who was admitted in the last window, and when: a user's recent use sets their turn.
    served: VecDeque<(Millis, String)>,
    /// Requests that joined the line so far (a tie-break that does not move).
    joined: u32,
    /// Places of each window that background polls leave to people, so that a start finds
    /// one free even when polls keep the key saturated.
    reserve: u32,
}

impl Governor {
    /// A governor with a tenth of the window (at least one place, when the window has two)
    /// reserved for people.
    pub fn new(budget: RateBudget) -> Governor {
        let limit = budget.limit();
        Governor {
            reserve: if limit >= 2 { (limit / 10).max(1) } else { 0 },
            budget,
            waiting: Vec::new(),
            served: VecDeque::new(),
            joined: 0,
        }
    }

    pub fn budget(&self) -> &RateBudget {
        &self.budget
    }

    /// How late past its time a request may come back and keep its place: a timer fires late
    /// on a loaded machine, but a caller that went away must not hold the line for long.
    pub fn grace_ms(&self) -> u64 {
        (self.budget.spacing_ms() * 4).max(2_000)
    }

    /// Requests in line.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Asks for `claim` at `now`.
    pub fn admit(&mut self, now: Millis, claim: Claim) -> Admission {
        self.forget_gone(now);
        let index = self.join(now, claim);
        let order = self.order();
        let place = order.iter().position(|&i| i == index).unwrap_or(0);
        let asking = self.waiting[index].claim.priority;
        let (mut at, used) = self.place_time(now, &order[..=place]);
        if at <= now && asking == Priority::Poll && self.person_due_ahead(&order[..place], now) {
            // A person's request ahead of this poll is due and on its way (a timer fires late,
            // a round trip takes time): the poll must not take the place from under it.
            at = now + self.budget.spacing_ms().min(self.grace_ms() / 2);
        }
        if at <= now {
            let admitted = self.waiting.swap_remove(index);
            self.served.push_back((now, admitted.claim.user));
            return Admission::Go(self.budget.take(now, used));
        }
        self.waiting[index].expected = at;
        Admission::WaitUntil(at)
    }

    /// The caller gave up (aborted, timed out): its place goes to the next in line.
    pub fn withdraw(&mut self, id: &str) {
        self.waiting.retain(|w| w.claim.id != id);
    }

    /// The request of `ticket` ended at `now`, with `response` if one arrived: what the
    /// provider says of its window ([`RateBudget::observe`]) holds for everyone in line.
    pub fn settle(&mut self, ticket: u64, now: Millis, response: Option<&HttpResponse>) {
        if let Some(response) = response {
            self.budget.observe_answer(ticket, now, response);
        }
        self.budget.settle_number(ticket, now);
    }

    /// [`Governor::settle`] with an answer a server passes as its status and headers: only
    /// the rate headers (`retry-after`, `x-ratelimit-*`) are read, each no longer than a
    /// header the client itself would read.
    pub fn settle_answer(
        &mut self,
        ticket: u64,
        now: Millis,
        status: u16,
        headers: &[(String, String)],
    ) {
        const READ: [&str; 4] = [
            "retry-after",
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ];
        let answer = headers
            .iter()
            .filter(|(name, _)| READ.iter().any(|r| r.eq_ignore_ascii_case(name)))
            .fold(HttpResponse::new(status, ""), |r, (name, value)| {
                r.with_header(name, value)
            });
        self.settle(ticket, now, Some(&answer));
    }

    /// When the last of `line` (indices in line, in order) could be sent: background polls
    /// are paced and kept out of the reserve; people who had a turn in this window leave the
    /// newcomers' places; a newcomer may use the whole window.
    fn place_time(&mut self, now: Millis, line: &[usize]) -> (Millis, Use) {
        let uses = self.uses(line);
        let times = self.budget.slot_times(now, &uses, self.reserve);
        let last = times.last().copied().unwrap_or(now);
        (last, uses.last().copied().unwrap_or(Use::Caller))
    }

    /// How far into the window each of `line` may go ([`Use`]). A newcomer is a named user
    /// with no admission in the last window when they joined, for their first request in
    /// line; a caller that names no users (one client, one caller) has no one to make room for.
    fn uses(&self, line: &[usize]) -> Vec<Use> {
        let mut users: Vec<&str> = Vec::new();
        line.iter()
            .map(|&i| {
                let entry = &self.waiting[i];
                let claim = &entry.claim;
                if claim.priority == Priority::Poll {
                    return Use::Poll;
                }
                if claim.user.is_empty() {
                    return Use::Caller;
                }
                let first = !users.contains(&claim.user.as_str());
                users.push(&claim.user);
                if entry.used == 0 && first {
                    Use::Newcomer
                } else {
                    Use::Person
                }
            })
            .collect()
    }

    /// Whether a person's request among `ahead` (indices in line before a poll) was told a time
    /// that has come: it is expected any moment, within the grace period.
    fn person_due_ahead(&self, ahead: &[usize], now: Millis) -> bool {
        ahead.iter().any(|&i| {
            let entry = &self.waiting[i];
            entry.claim.priority < Priority::Poll && entry.expected <= now
        })
    }

    /// Adds the claim to the line, or updates its entry: it keeps the earliest `since` and the
    /// most urgent priority it was asked with. Returns its index.
    fn join(&mut self, now: Millis, claim: Claim) -> usize {
        if let Some(i) = self.waiting.iter().position(|w| w.claim.id == claim.id) {
            let entry = &mut self.waiting[i].claim;
            entry.since = entry.since.min(claim.since);
            entry.priority = entry.priority.min(claim.priority);
            entry.user = claim.user;
            return i;
        }
        let used = self.served.iter().filter(|(_, u)| *u == claim.user).count() as u64;
        self.joined = self.joined.wrapping_add(1);
        self.waiting.push(Waiting {
            claim,
            expected: now,
            used,
            seq: self.joined,
        });
        self.waiting.len() - 1
    }

    /// Indices of the line in the order it is served: priority, then each user's turn, then
    /// how long each has waited. A request's turn counts its user's requests admitted in the
    /// window before it joined, and its user's older requests in line: a user who has just
    /// been served goes after one who has not, so a newcomer's start does not wait behind a
    /// bulk of starts.
    fn order(&self) -> Vec<usize> {
        let claim = |i: usize| &self.waiting[i].claim;
        // One sort of plain numbers per pass: (priority, since, index), then (priority, turn,
        // rank). Numbers sort with less code than tuples of strings (every byte is shipped).
        let mut by_age: Vec<u128> = (0..self.waiting.len())
            .map(|i| {
                let tie = u64::from(self.waiting[i].seq) << 32 | i as u64;
                key(claim(i).priority, claim(i).since, tie)
            })
            .collect();
        by_age.sort_unstable();
        // Requests of each (priority, user) seen so far, oldest first.
        let mut older: Vec<(Priority, &str, u64)> = Vec::new();
        let mut by_turn: Vec<u128> = Vec::with_capacity(by_age.len());
        for (rank, &aged) in by_age.iter().enumerate() {
            let entry = &self.waiting[aged as u32 as usize];
            let c = &entry.claim;
            let ahead = match older
                .iter_mut()
                .find(|(p, u, _)| (*p, *u) == (c.priority, c.user.as_str()))
            {
                Some(seen) => {
                    seen.2 += 1;
                    seen.2
                }
                None => {
                    older.push((c.priority, c.user.as_str(), 0));
                    0
                }
            };
            by_turn.push(key(c.priority, entry.used + ahead, rank as u64));
        }
        by_turn.sort_unstable();
        by_turn
            .iter()
            .map(|&k| by_age[k as u64 as usize] as u32 as usize)
            .collect()
    }

    /// Drops requests that did not come back within the grace period after their time, and
    /// admissions older than a window from the users' counts.
    fn forget_gone(&mut self, now: Millis) {
        let window = self.budget.window_ms();
        while self
            .served
            .front()
            .is_some_and(|(at, _)| at + window <= now)
        {
            self.served.pop_front();
        }
        let grace = self.grace_ms();
        self.waiting
            .retain(|w| w.expected.saturating_add(grace) >= now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: &str, priority: Priority, user: &str, since: Millis) -> Claim {
        Claim {
            id: id.to_string(),
            priority,
            user: user.to_string(),
            since,
        }
    }

    fn go(admission: Admission) -> bool {
        matches!(admission, Admission::Go(_))
    }

    fn wait(admission: Admission) -> Millis {
        match admission {
            Admission::WaitUntil(at) => at,
            Admission::Go(_) => panic!("admitted"),
        }
    }

    /// A window of one request a second, used up at 0.
    fn full() -> Governor {
        let mut g = Governor::new(RateBudget::new(1, 1_000));
        assert!(go(g.admit(0, claim("a", Priority::Poll, "u", 0))));
        g
    }

    #[test]
    fn a_start_goes_before_polls_that_waited_longer() {
        let mut g = full();
        let poll = wait(g.admit(10, claim("poll", Priority::Poll, "u", 10)));
        assert_eq!(poll, 1_000);
        // A start asks later and takes the first free slot.
        assert_eq!(
            wait(g.admit(20, claim("start", Priority::Start, "v", 20))),
            1_000
        );
        // The poll, back at its time, is told to wait for its new place.
        assert_eq!(
            wait(g.admit(poll, claim("poll", Priority::Poll, "u", 10))),
            2_000
        );
        assert!(go(g.admit(1_000, claim("start", Priority::Start, "v", 20))));
        assert!(go(g.admit(2_000, claim("poll", Priority::Poll, "u", 10))));
    }

    #[test]
    fn a_poll_does_not_take_the_slot_of_a_person_who_is_late() {
        let mut g = full();
        let start = wait(g.admit(10, claim("start", Priority::Start, "v", 10)));
        // The start's timer fires late; a poll asks first, with a slot free.
        let poll = wait(g.admit(start + 50, claim("poll", Priority::Poll, "u", 0)));
        assert!(poll > start + 50);
        assert!(go(
            g.admit(start + 60, claim("start", Priority::Start, "v", 10))
        ));
        // A start that never comes back holds polls only for the grace period.
        let mut g = full();
        let gone = wait(g.admit(10, claim("gone", Priority::Start, "v", 10)));
        let late = gone + g.grace_ms() + 1;
        assert!(go(g.admit(late, claim("poll", Priority::Poll, "u", 0))));
    }

    #[test]
    fn users_take_turns_and_the_oldest_of_each_goes_first() {
        let mut g = full();
        for (i, since) in [1, 2, 3].iter().enumerate() {
            g.admit(
                *since,
                claim(&format!("greedy{i}"), Priority::Poll, "greedy", *since),
            );
        }
        let other = wait(g.admit(50, claim("other", Priority::Poll, "other", 50)));
        let greedy0 = wait(g.admit(50, claim("greedy0", Priority::Poll, "greedy", 1)));
        let greedy1 = wait(g.admit(50, claim("greedy1", Priority::Poll, "greedy", 2)));
        assert!(
            greedy0 < other && other < greedy1,
            "{greedy0} {other} {greedy1}"
        );
    }

    #[test]
    fn a_newcomer_goes_before_a_user_who_was_just_served() {
        let mut g = Governor::new(RateBudget::new(3, 1_000));
        for i in 0..3u64 {
            let at = i * 100;
            assert!(go(g.admit(
                at,
                claim(&format!("b{i}"), Priority::Start, "bulk", at)
            )));
        }
        // The window is full; bulk asks again first, a new user after: the newcomer takes the
        // first place that frees.
        let bulk = wait(g.admit(210, claim("b3", Priority::Start, "bulk", 210)));
        assert_eq!(bulk, 1_000);
        let newcomer = wait(g.admit(220, claim("n0", Priority::Start, "new", 220)));
        assert_eq!(newcomer, 1_000);
        // One spacing (1,000 / 3) after: the places that free go at the window's rate.
        assert_eq!(
            wait(g.admit(1_000, claim("b3", Priority::Start, "bulk", 210))),
            1_333
        );
        assert!(go(g.admit(1_000, claim("n0", Priority::Start, "new", 220))));
    }

    #[test]
    fn a_claim_keeps_its_place_and_one_that_left_frees_it() {
        let mut g = full();
        let first = wait(g.admit(10, claim("first", Priority::Poll, "w", 10)));
        let second = wait(g.admit(11, claim("second", Priority::Poll, "v", 11)));
        assert!(first < second);
        // `second` comes back early at first's time: first is still ahead.
        assert_eq!(
            wait(g.admit(first, claim("second", Priority::Poll, "v", 11))),
            second
        );
        g.withdraw("first");
        assert!(go(g.admit(first, claim("second", Priority::Poll, "v", 11))));
    }

    #[test]
    fn a_claim_that_never_came_back_leaves_the_line() {
        let mut g = full();
        let first = wait(g.admit(10, claim("gone", Priority::Start, "u", 10)));
        let late = first + g.grace_ms() + 1;
        assert!(go(g.admit(late, claim("next", Priority::Poll, "v", late))));
        assert_eq!(g.waiting(), 0);
    }

    /// One user's bulk of starts fills the window up to the newcomers' places: a new user's
    /// start goes at once, not when the bulk's oldest request leaves. A caller that names no
    /// users has no one to keep them for.
    #[test]
    fn a_bulk_of_starts_leaves_places_for_newcomers() {
        let (limit, window) = (100u32, 10_000u64);
        /// Starts of `user` as fast as they are let through, until one is told to wait a
        /// second or more: the window is full for them. Returns (sent, when, told).
        fn fill(g: &mut Governor, user: &str) -> (u32, Millis, Millis) {
            let (mut now, mut sent) = (0, 0);
            loop {
                match g.admit(
                    now,
                    claim(&format!("{user}{sent}"), Priority::Start, user, now),
                ) {
                    Admission::Go(_) => sent += 1,
                    Admission::WaitUntil(at) if at < now + 1_000 => now = at,
                    Admission::WaitUntil(at) => return (sent, now, at),
                }
            }
        }
        let mut g = Governor::new(RateBudget::new(limit, window));
        assert_eq!(g.budget().newcomer_places(), 2);
        let (sent, now, _) = fill(&mut g, "bulk");
        assert_eq!(sent, 98, "the bulk stops two short of the window");
        assert!(go(
            g.admit(now, claim("new", Priority::Start, "newcomer", now))
        ));
        assert!(go(
            g.admit(now, claim("new2", Priority::Start, "second", now))
        ));
        assert!(!go(
            g.admit(now, claim("new3", Priority::Start, "third", now))
        ));
        // Without users, one caller may fill the whole window.
        let mut one = Governor::new(RateBudget::new(limit, window));
        assert_eq!(fill(&mut one, "").0, 100);
    }

    #[test]
    fn a_caller_names_a_user_of_1_to_512_bytes_or_none() {
        assert_eq!(caller(None).unwrap(), "");
        assert_eq!(caller(Some("ana")).unwrap(), "ana");
        assert_eq!(caller(Some(&"u".repeat(512))).unwrap().len(), 512);
        for bad in [String::new(), "u".repeat(513)] {
            let error = caller(Some(&bad)).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("user"), "{error:?}");
        }
        let error = Claim::checked("", "poll", "u", 0.0).unwrap_err();
        assert!(error.message.contains("claim.id"), "{error:?}");
    }

    /// One client serving many people: a newcomer's start goes before the starts of users
    /// who were admitted in this window, though they asked first.
    #[test]
    fn a_newcomer_starts_before_users_who_had_their_turn() {
        let mut g = Governor::new(RateBudget::new(4, 1_000));
        // Admitted 100 ms apart, the window full until 1,000; then a place every 250 ms.
        for (i, user) in ["ana", "ana", "ana", "bo"].iter().enumerate() {
            let at = i as Millis * 100;
            assert!(go(
                g.admit(at, claim(&format!("{i}"), Priority::Start, user, at))
            ));
        }
        let (a, b, c) = (
            claim("a", Priority::Start, "ana", 400),
            claim("b", Priority::Start, "bo", 401),
            claim("c", Priority::Start, "cy", 402),
        );
        for asking in [&a, &b, &c] {
            assert_eq!(wait(g.admit(asking.since, asking.clone())), 1_000);
        }
        // Back at 1,000 in the order they asked, each is given its place in the new order.
        assert_eq!(wait(g.admit(1_000, a.clone())), 1_500);
        assert_eq!(wait(g.admit(1_000, b.clone())), 1_250);
        assert!(go(g.admit(1_000, c)));
    }

    #[test]
    fn a_retry_after_spreads_the_line_instead_of_a_stampede() {
        let mut g = Governor::new(RateBudget::new(10, 1_000));
        let t = g.budget.try_acquire(0).unwrap();
        let answer = HttpResponse::new(429, "").with_header("retry-after", "5");
        g.settle(t.number(), 0, Some(&answer));
        let times: Vec<Millis> = (0..5)
            .map(|i| wait(g.admit(1, claim(&format!("p{i}"), Priority::Poll, "u", 1))))
            .collect();
        // Polls may use 9 of the 10 places: one every 1,000 / 9 ms.
        assert_eq!(times, [5_000, 5_111, 5_222, 5_333, 5_444]);
    }

    /// 1,000 polls of 20 users and a start every few seconds, all asking at the times they are
    /// told (some late): never more than the window, every request admitted, no poll sent while
    /// a start waited, and the whole load done near the floor.
    #[test]
    fn a_saturated_key_serves_everyone_within_the_window() {
        let (limit, window) = (120u32, 60_000u64);
        let mut g = Governor::new(RateBudget::new(limit, window));
        // (claim, when it asks next)
        let mut pending: Vec<(Claim, Millis)> = (0..1_000)
            .map(|i| {
                (
                    claim(&format!("p{i}"), Priority::Poll, &format!("u{}", i % 20), 0),
                    0,
                )
            })
            .collect();
        for s in 0..10u64 {
            let at = 30_000 + s * 20_000;
            pending.push((claim(&format!("s{s}"), Priority::Start, "new", at), at));
        }
        let mut sent: Vec<(Millis, Claim)> = Vec::new();
        let mut now = 0;
        let mut step = 0u64;
        while !pending.is_empty() {
            now = pending.iter().map(|(_, at)| *at).min().unwrap_or(now);
            let due: Vec<usize> = (0..pending.len())
                .filter(|&i| pending[i].1 <= now)
                .collect();
            for i in due.into_iter().rev() {
                let (c, _) = pending.swap_remove(i);
                match g.admit(now, c.clone()) {
                    Admission::Go(ticket) => {
                        g.settle(ticket.number(), now + 100, None);
                        sent.push((now, c));
                    }
                    Admission::WaitUntil(at) => {
                        assert!(at > now);
                        step += 1;
                        // Every seventh poll comes back late, within the grace.
                        let late = step % 7 == 0 && c.priority == Priority::Poll;
                        pending.push((c, at + if late { 300 } else { 0 }));
                    }
                }
            }
        }
        assert_eq!(sent.len(), 1_010, "every request was admitted");
        for (i, (start, _)) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|(t, _)| *t < start + window)
                .count();
            assert!(in_window <= limit as usize, "{in_window} from {start}");
        }
        let floor = 1_010 / limit as u64 * window;
        assert!(
            now <= floor * 12 / 10 + window,
            "done at {now}, floor {floor}"
        );
        for s in sent.iter().filter(|(_, c)| c.priority == Priority::Start) {
            let polls_first = sent
                .iter()
                .filter(|(t, c)| c.priority == Priority::Poll && *t > s.1.since && *t < s.0)
                .count();
            assert_eq!(
                polls_first, 0,
                "polls went before start {:?} (asked {}, sent {})",
                s.1.id, s.1.since, s.0
            );
        }
    }
}
