//! One request budget shared by every request of a client.
//!
//! Lensmor allows about 120 requests a minute per key. A page tracking 200 tasks on the 3-second
//! step would blow through that, earn 429s, and slow everything down. So every request of one
//! client asks the budget first; the budget says "now" or "at this instant".
//!
//! The window slides: no 60-second interval ever holds more than `limit` requests, which also
//! keeps every fixed window the provider may count in under the limit. A request stays in the
//! window from when it is sent until a window after its answer arrived: the provider counted it
//! at some instant in between, and counting it from the send time alone let a burst overflow
//! the provider's window by the network's latency. What the provider reports
//! (`X-RateLimit-Remaining: 0`, a 429's `Retry-After`) closes the budget until it says.

use std::collections::VecDeque;

use crate::http::{HttpResponse, Millis};

/// Requests per window by default: below Lensmor's 120 a minute, leaving room for latency
/// jitter between our clock and the provider's, and for the key's other users.
pub const DEFAULT_LIMIT: u32 = 110;
pub const DEFAULT_WINDOW_MS: u64 = 60_000;

#[derive(Debug, Clone)]
pub struct RateBudget {
    limit: u32,
    window_ms: u64,
    /// Requests still in the window: (ticket, when it last counted: sent, then answered,
    /// whether it was answered).
    sent: VecDeque<Entry>,
    next_ticket: u64,
    /// The provider said: nothing before this.
    closed_until: Millis,
    /// The provider said: at most this many more before this instant
    /// (`X-RateLimit-Remaining`, `X-RateLimit-Reset`).
    cap: Option<(u64, Millis)>,
    /// The theoretical arrival time of the generic cell rate algorithm: requests are spread at
    /// the window's rate after a burst of [`RateBudget::burst`], instead of the whole window
    /// going in one burst and nothing being possible until its oldest request leaves it (a
    /// person arriving then waited the rest of the window).
    tat: Millis,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    ticket: u64,
    at: Millis,
    answered: bool,
    /// Requests in our window when this one was sent, itself included: what the provider's
    /// `X-RateLimit-Remaining` on its answer is to be compared with.
    seen: u32,
}

/// How far into the window a request may go, by who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// A background poll: up to the governor's reserve short of the limit, paced one
    /// [`RateBudget::poll_spacing`] apart when it must wait.
    Poll,
    /// A person who has had a turn in this window: up to the places kept for newcomers
    /// ([`RateBudget::newcomer_places`]).
    Person,
    /// A caller that names no users (one client, one caller): the whole window, spread.
    Caller,
    /// A person with no turn yet in this window: the whole window, and never held back by the
    /// spread (a newcomer is rare, and is waiting).
    Newcomer,
}

impl Default for RateBudget {
    fn default() -> RateBudget {
        RateBudget::new(DEFAULT_LIMIT, DEFAULT_WINDOW_MS)
    }
}

impl RateBudget {
    pub fn new(limit: u32, window_ms: u64) -> RateBudget {
        RateBudget {
            limit: limit.max(1),
            window_ms: window_ms.max(1),
            sent: VecDeque::new(),
            next_ticket: 0,
            closed_until: 0,
            cap: None,
            tat: 0,
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    pub fn window_ms(&self) -> u64 {
        self.window_ms
    }

    /// The even spacing of admissions when requests queue: one window shared by its limit.
    pub fn spacing_ms(&self) -> u64 {
        (self.window_ms / u64::from(self.limit)).max(1)
    }

    /// Places of each window kept for people who have had no turn in it: one user's bulk of
    /// starts fills the window up to these, so a newcomer's start finds a place at once
    /// instead of waiting for the bulk's oldest request to leave (the window's entries expire
    /// unevenly when answers come in clusters: up to 20 slots, measured). Two of a window of
    /// 100 or more, one of 50 or more, none of a smaller one.
    pub fn newcomer_places(&self) -> u32 {
        (self.limit / 50).min(2)
    }

    /// How many requests may go at once before the rest are spread at the window's rate: a
    /// quarter of the window, or the whole of a small one (up to 10).
    pub fn burst(&self) -> u32 {
        (self.limit / 4).max(self.limit.min(10))
    }

    /// When the next request may be sent: `now` if it may go at once.
    pub fn ready_at(&mut self, now: Millis) -> Millis {
        self.slot_times(now, &[Use::Caller], 0)[0]
    }

    /// The instants at which the next `polls.len()` requests could be sent, earliest first, if
    /// each took its place at its instant: what the window, the provider's `Retry-After` and
    /// its reported remaining allow. A request marked as a poll may use the window only up to
    /// `reserve` short of its limit (those places are kept for people), and if it must wait it
    /// comes one [`RateBudget::spacing_ms`] after the one before it instead of all at once when
    /// a window frees up (or a `Retry-After` ends): a stampede at the reset would be refused
    /// again.
    pub fn slot_times(&mut self, now: Millis, uses: &[Use], reserve: u32) -> Vec<Millis> {
        self.forget_before(now);
        let window = self.window_ms;
        let poll_spacing = (window / self.room(Use::Poll, reserve) as u64).max(1);
        let mut expiries: VecDeque<Millis> = self.sent.iter().map(|e| e.at + window).collect();
        expiries.make_contiguous().sort_unstable();
        let open = now.max(self.closed_until);
        let (cap_left, cap_until) = match self.cap {
            Some((left, until)) if until > now => (left, until),
            _ => (u64::MAX, 0),
        };
        let spacing = self.spacing_ms();
        let tolerance = self.tolerance();
        let poll_tolerance = tolerance.saturating_sub(spacing * u64::from(reserve));
        let mut tat = self.tat;
        let mut times: Vec<Millis> = Vec::with_capacity(uses.len());
        for (k, &used) in uses.iter().enumerate() {
            let poll = used == Use::Poll;
            // The rate: no sooner than the bucket allows (polls leave `reserve` of it to
            // people; a newcomer is not spread).
            let mut at = match used {
                Use::Poll => open.max(tat.saturating_sub(poll_tolerance)),
                Use::Person | Use::Caller => open.max(tat.saturating_sub(tolerance)),
                Use::Newcomer => open,
            };
            if u64::try_from(k).unwrap_or(u64::MAX) >= cap_left {
                at = at.max(cap_until);
            }
            if poll && k > 0 && at.max(times[k - 1]) > now {
                at = at.max(times[k - 1] + poll_spacing);
            }
            // Requests that have left the window by `at` no longer count.
            while expiries.front().is_some_and(|&e| e <= at) {
                expiries.pop_front();
            }
            // Full (for this kind of request): each one to leave frees a place.
            let cap = self.room(used, reserve);
            while expiries.len() >= cap {
                at = at.max(expiries.pop_front().unwrap_or(at));
            }
            // This one counts from `at` for a window (later than every earlier expiry).
            expiries.push_back(at + window);
            tat = tat.max(at) + spacing;
            if self.fills(expiries.len(), used) {
                tat = self.held(tat, expiries.front().copied());
            }
            times.push(at);
        }
        times
    }

    /// Takes one request from the budget if one is free at `now`; otherwise says when to ask
    /// again. Hand the ticket back to [`RateBudget::settle`] when the request ends.
    pub fn try_acquire(&mut self, now: Millis) -> Result<Ticket, Millis> {
        let at = self.ready_at(now);
        if at > now {
            return Err(at);
        }
        Ok(self.take(now, Use::Caller))
    }

    /// Whether `count` requests in the window fill it for a person's request of this use, so
    /// that the bucket is held ([`RateBudget::held`]). A poll's own limit does not hold it: a
    /// person may still go.
    fn fills(&self, count: usize, used: Use) -> bool {
        used != Use::Poll && count >= self.room(used, 0)
    }

    /// How far a request of this use may fill the window: polls to `reserve` short of the
    /// limit, a person who has had a turn to the newcomers' places, anyone else to the limit.
    fn room(&self, used: Use, reserve: u32) -> usize {
        let short = match used {
            Use::Poll => reserve,
            Use::Person => self.newcomer_places(),
            Use::Caller | Use::Newcomer => 0,
        };
        self.limit.saturating_sub(short).max(1) as usize
    }

    /// How far ahead of the rate a burst may run (GCRA's tolerance).
    fn tolerance(&self) -> u64 {
        self.spacing_ms() * u64::from(self.burst() - 1)
    }

    /// The bucket when a request filled the window, which holds everyone until its first place
    /// frees at `freed`: no credit comes back meanwhile, so from then on places go one spacing
    /// apart. Credit that came back while the window held everyone made a burst, which expired
    /// together a window later: the window was full for a quarter of every window, and a person
    /// arriving then waited that long.
    fn held(&self, tat: Millis, freed: Option<Millis>) -> Millis {
        freed.map_or(tat, |freed| tat.max(freed + self.tolerance()))
    }

    /// Counts a request sent at `now`, whether or not the window had room: the caller decided.
    /// `used` is how far into the window it could go: filling that, it holds the bucket.
    pub(crate) fn take(&mut self, now: Millis, used: Use) -> Ticket {
        self.forget_before(now);
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let seen = u32::try_from(self.sent.len() + 1).unwrap_or(u32::MAX);
        self.sent.push_back(Entry {
            ticket,
            at: now,
            answered: false,
            seen,
        });
        if let Some((left, _)) = &mut self.cap {
            *left = left.saturating_sub(1);
        }
        self.tat = self.tat.max(now) + self.spacing_ms();
        if self.fills(self.sent.len(), used) {
            let freed = self.sent.iter().map(|e| e.at + self.window_ms).min();
            self.tat = self.held(self.tat, freed);
        }
        Ticket(ticket)
    }

    /// The request of `ticket` ended at `now` (answered or failed): it stays in the window
    /// until `now + window`, since the provider may have counted it as late as this.
    pub fn settle(&mut self, ticket: Ticket, now: Millis) {
        self.settle_number(ticket.0, now);
    }

    /// [`RateBudget::settle`] for a ticket that crossed a boundary as its number.
    pub fn settle_number(&mut self, ticket: u64, now: Millis) {
        if let Some(entry) = self.sent.iter_mut().find(|e| e.ticket == ticket) {
            entry.at = entry.at.max(now);
            entry.answered = true;
        }
    }

    /// Learns from a response: a 429's `Retry-After`, or the window the provider reports.
    pub fn observe(&mut self, now: Millis, response: &HttpResponse) {
        self.learn(now, response, None);
    }

    /// [`RateBudget::observe`] for the answer to `ticket`: the provider counted the window when
    /// that request arrived, so its count is compared with ours when it was sent.
    pub fn observe_answer(&mut self, ticket: u64, now: Millis, response: &HttpResponse) {
        let seen = self
            .sent
            .iter()
            .find(|e| e.ticket == ticket)
            .map(|e| e.seen);
        self.learn(now, response, seen);
    }

    fn learn(&mut self, now: Millis, response: &HttpResponse, seen: Option<u32>) {
        if response.status == 429 {
            let wait = response.retry_after_ms(now).unwrap_or(self.window_ms / 4);
            self.closed_until = self.closed_until.max(now + wait);
        }
        if let Some(window) = response.rate_limit() {
            // Only a tightening: fewer left than our own count allowed (another user of the
            // key, a clock apart). Where our count is as strict, the header adds nothing, and
            // taking it again would hold the key until a reset rounded up to the second while
            // our own window already frees places one by one. Our count is the one of the
            // instant the request was sent: compared with ours at the answer, which has moved
            // on, a late answer read as another user of the key and closed it until the next
            // whole second (a newcomer's start waited 1.1 s through the edge worker, measured).
            self.forget_before(now);
            let used = seen.map_or(self.sent.len(), |s| s as usize);
            let ours = (self.limit as usize).saturating_sub(used) as u64;
            if window.reset_at > now && window.remaining < ours {
                if window.remaining == 0 {
                    self.closed_until = self.closed_until.max(window.reset_at);
                } else {
                    self.cap = Some((window.remaining, window.reset_at));
                }
            }
        }
    }

    /// The budget as a short text, to outlive a restart (an edge object's storage): every
    /// request still in the window and what the provider said. Never a key or an id.
    pub fn save(&self) -> String {
        let mut out = format!("1;{};", self.closed_until);
        if let Some((left, until)) = self.cap {
            out.push_str(&format!("{left}@{until}"));
        }
        out.push(';');
        for (i, entry) in self.sent.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&entry.at.to_string());
            if !entry.answered {
                out.push('+');
            }
        }
        out
    }

    /// A budget from [`RateBudget::save`]'s text, at `now`. A request that was in flight when
    /// it was saved counts from `now`: its answer may still be coming, and a restart must
    /// never allow a burst. Unreadable text gives a budget closed for one window: the safe
    /// side, since what it held is unknown.
    pub fn restore(limit: u32, window_ms: u64, saved: &str, now: Millis) -> RateBudget {
        let mut budget = RateBudget::new(limit, window_ms);
        if budget.read_saved(saved, now).is_none() {
            budget = RateBudget::new(limit, window_ms);
            budget.closed_until = now + budget.window_ms;
        }
        budget
    }

    fn read_saved(&mut self, saved: &str, now: Millis) -> Option<()> {
        let mut parts = saved.split(';');
        (parts.next()? == "1").then_some(())?;
        self.closed_until = parts.next()?.parse().ok()?;
        let cap = parts.next()?;
        if let Some((left, until)) = cap.split_once('@') {
            self.cap = Some((left.parse().ok()?, until.parse().ok()?));
        }
        for item in parts.next()?.split(',').filter(|i| !i.is_empty()) {
            let (at, answered) = match item.strip_suffix('+') {
                Some(at) => (at.parse::<Millis>().ok()?.max(now), false),
                None => (item.parse().ok()?, true),
            };
            // What was in the window when it was sent is not kept: an answer that still comes
            // is compared as if the window had been empty, the provider's word being the
            // safer after a restart.
            self.sent.push_back(Entry {
                ticket: self.next_ticket,
                at,
                answered,
                seen: 0,
            });
            self.next_ticket += 1;
        }
        parts.next().is_none().then_some(())
    }

    fn forget_before(&mut self, now: Millis) {
        let window = self.window_ms;
        self.sent.retain(|e| e.at + window > now);
    }
}

/// One request taken from a [`RateBudget`].
#[derive(Debug)]
#[must_use = "settle the ticket when the request ends"]
pub struct Ticket(u64);

impl Ticket {
    /// The ticket's number, for a driver that hands it across a boundary (an edge object
    /// answers "go" with it, and is told the answer later).
    pub fn number(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_limit_in_any_window() {
        let mut budget = RateBudget::new(120, 60_000);
        let mut now = 0;
        let mut sent = Vec::new();
        // 1,000 requests as fast as the budget allows.
        while sent.len() < 1_000 {
            match budget.try_acquire(now) {
                Ok(ticket) => {
                    budget.settle(ticket, now);
                    sent.push(now);
                }
                Err(at) => {
                    assert!(at > now);
                    now = at;
                }
            }
        }
        for (i, start) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|t| **t < start + 60_000)
                .count();
            assert!(
                in_window <= 120,
                "{in_window} requests in the minute from {start}"
            );
        }
        // And it is not needlessly slow: 1,000 requests take about 8 windows.
        assert!(now <= 9 * 60_000, "{now}");
    }

    #[test]
    fn a_429_closes_the_budget_until_retry_after() {
        let mut budget = RateBudget::new(120, 60_000);
        budget.observe(
            1_000,
            &HttpResponse::new(429, "").with_header("retry-after", "30"),
        );
        assert_eq!(budget.ready_at(1_000), 31_000);
        assert!(budget.try_acquire(31_000).is_ok());
    }

    #[test]
    fn a_request_counts_until_a_window_after_its_answer() {
        let mut budget = RateBudget::new(2, 1_000);
        let a = budget.try_acquire(0).unwrap();
        let b = budget.try_acquire(0).unwrap();
        // Slow answers: the provider may have counted them as late as 300 ms.
        budget.settle(a, 300);
        budget.settle(b, 250);
        assert_eq!(budget.try_acquire(1_000).unwrap_err(), 1_250);
        assert!(budget.try_acquire(1_250).is_ok());
    }

    #[test]
    fn a_spent_provider_window_closes_the_budget_until_reset() {
        let mut budget = RateBudget::new(120, 60_000);
        let response = HttpResponse::new(200, "")
            .with_header("x-ratelimit-limit", "120")
            .with_header("x-ratelimit-remaining", "0")
            .with_header("x-ratelimit-reset", "90");
        budget.observe(10_000, &response);
        assert_eq!(budget.ready_at(10_000), 90_000);
    }

    #[test]
    fn a_reported_window_only_ever_tightens_ours() {
        let mut budget = RateBudget::new(2, 60_000);
        let a = budget.try_acquire(0).unwrap();
        let b = budget.try_acquire(0).unwrap();
        budget.settle(a, 10);
        budget.settle(b, 10);
        // Our window is as full as the provider says: its reset (rounded up to the second)
        // does not hold the key past the moment our oldest request leaves.
        let full = HttpResponse::new(200, "")
            .with_header("x-ratelimit-limit", "2")
            .with_header("x-ratelimit-remaining", "0")
            .with_header("x-ratelimit-reset", "61");
        budget.observe(10, &full);
        assert_eq!(budget.ready_at(10), 60_010);
    }

    /// The provider counts on arrival; an answer read later must not be taken for another
    /// user of the key because our window moved on meanwhile.
    #[test]
    fn a_late_answer_is_compared_with_the_window_it_was_sent_in() {
        let mut budget = RateBudget::new(2, 1_000);
        let a = budget.take(0, Use::Caller);
        budget.settle(a, 10);
        let b = budget.take(500, Use::Caller);
        // b's answer says the key is spent (a and b), read at 1,020: a has left our window.
        let spent = HttpResponse::new(200, "")
            .with_header("x-ratelimit-limit", "2")
            .with_header("x-ratelimit-remaining", "0")
            .with_header("x-ratelimit-reset", "2");
        budget.observe_answer(b.number(), 1_020, &spent);
        budget.settle(b, 1_020);
        assert_eq!(
            budget.ready_at(1_020),
            1_020,
            "not held until the second rounds up"
        );
        // Compared with the window as it is now, the same answer would have closed the key.
        let mut stale = RateBudget::new(2, 1_000);
        let a = stale.take(0, Use::Caller);
        stale.settle(a, 10);
        let _b = stale.take(500, Use::Caller);
        stale.observe(1_020, &spent);
        assert_eq!(stale.ready_at(1_020), 2_000);
        // Another user of the key still tightens it: one left where we thought three.
        let mut shared = RateBudget::new(4, 1_000);
        let c = shared.take(0, Use::Caller);
        let fewer = HttpResponse::new(200, "")
            .with_header("x-ratelimit-limit", "4")
            .with_header("x-ratelimit-remaining", "1")
            .with_header("x-ratelimit-reset", "1");
        shared.observe_answer(c.number(), 5, &fewer);
        shared.settle(c, 5);
        assert!(shared.try_acquire(5).is_ok());
        assert_eq!(shared.try_acquire(5).unwrap_err(), 1_000);
    }

    #[test]
    fn a_reported_remaining_caps_the_budget_until_reset() {
        let mut budget = RateBudget::new(120, 60_000);
        let response = HttpResponse::new(200, "")
            .with_header("x-ratelimit-limit", "120")
            .with_header("x-ratelimit-remaining", "2")
            .with_header("x-ratelimit-reset", "40");
        budget.observe(10_000, &response);
        assert!(budget.try_acquire(10_000).is_ok());
        assert!(budget.try_acquire(10_000).is_ok());
        assert_eq!(budget.try_acquire(10_000).unwrap_err(), 40_000);
    }

    #[test]
    fn queued_requests_are_paced_not_released_at_once() {
        let mut budget = RateBudget::new(4, 1_000);
        budget.observe(
            0,
            &HttpResponse::new(429, "").with_header("retry-after", "2"),
        );
        assert_eq!(
            budget.slot_times(0, &[Use::Poll; 5], 0),
            [2_000, 2_250, 2_500, 2_750, 3_000]
        );
        // Unpaced, four go at the reset and the fifth a window later.
        assert_eq!(
            budget.slot_times(0, &[Use::Person; 5], 0),
            [2_000, 2_000, 2_000, 2_000, 3_000]
        );
    }

    #[test]
    fn requests_beyond_a_burst_are_spread_at_the_window_rate() {
        let mut budget = RateBudget::new(120, 60_000);
        assert_eq!(budget.burst(), 30);
        for _ in 0..30 {
            assert!(budget.try_acquire(0).is_ok());
        }
        // Then one every 500 ms: the window never fills at once, so a place always frees soon.
        assert_eq!(budget.try_acquire(0).unwrap_err(), 500);
        assert!(budget.try_acquire(500).is_ok());
        assert_eq!(budget.try_acquire(500).unwrap_err(), 1_000);
        // With polls keeping the rate busy, a person still has the reserve's part of the burst.
        let mut busy = RateBudget::new(120, 60_000);
        for _ in 0..18 {
            let _ = busy.take(0, Use::Caller);
        }
        assert_eq!(busy.slot_times(0, &[Use::Poll], 12)[0], 500);
        assert_eq!(busy.slot_times(0, &[Use::Person], 12)[0], 0);
    }

    /// A saturated key: whoever arrives finds a place within two spacings, in every window
    /// after the first. The first window's burst must not come back at each window's end (the
    /// window full for a quarter of it, then a quarter freed at once), and the rate stays the
    /// window's.
    #[test]
    fn a_full_window_frees_places_one_spacing_apart_not_in_a_burst() {
        let (limit, window) = (120u32, 60_000u64);
        let mut budget = RateBudget::new(limit, window);
        let mut sent: Vec<Millis> = Vec::new();
        let mut now = 0;
        while now < 5 * window {
            match budget.try_acquire(now) {
                Ok(ticket) => {
                    budget.settle(ticket, now);
                    sent.push(now);
                }
                Err(at) => now = at,
            }
        }
        let spacing = budget.spacing_ms();
        let later: Vec<Millis> = sent.iter().copied().filter(|&t| t >= window).collect();
        for pair in later.windows(2) {
            assert!(
                pair[1] - pair[0] <= 2 * spacing,
                "a gap from {} to {}",
                pair[0],
                pair[1]
            );
        }
        // Four windows of requests at the window's rate, less a place or two at the edges.
        assert!(later.len() >= 4 * limit as usize - 2, "{}", later.len());
        for (i, start) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|t| **t < start + window)
                .count();
            assert!(in_window <= limit as usize, "{in_window} from {start}");
        }
    }

    #[test]
    fn polls_leave_the_reserve_to_people() {
        let mut budget = RateBudget::new(4, 1_000);
        for at in [0, 10] {
            let _ = budget.take(at, Use::Caller);
        }
        // A reserve of 2: polls find the window full at 2, people at 4.
        assert_eq!(budget.slot_times(20, &[Use::Poll], 2), [1_000]);
        assert_eq!(
            budget.slot_times(20, &[Use::Person, Use::Person, Use::Person], 2),
            [20, 20, 1_000]
        );
        // Queued polls are paced by the window they may use: 1,000 ms / 2.
        assert_eq!(
            budget.slot_times(20, &[Use::Poll, Use::Poll], 2),
            [1_000, 1_500]
        );
    }

    #[test]
    fn slot_times_agree_with_what_try_acquire_allows() {
        let mut budget = RateBudget::new(3, 1_000);
        for at in [0, 100, 200] {
            let t = budget.try_acquire(at).unwrap();
            budget.settle(t, at + 50);
        }
        // The window full until 1,050, then the window's rate (a place every 333 ms).
        let times = budget.slot_times(200, &[Use::Person; 4], 0);
        assert_eq!(times, [1_050, 1_383, 1_716, 2_050]);
        assert_eq!(budget.try_acquire(1_049).unwrap_err(), 1_050);
        let t = budget.try_acquire(1_050).unwrap();
        budget.settle(t, 1_050);
        assert_eq!(budget.try_acquire(1_050).unwrap_err(), 1_383);
    }

    #[test]
    fn a_restored_budget_allows_no_burst() {
        let mut budget = RateBudget::new(4, 1_000);
        let a = budget.try_acquire(0).unwrap();
        budget.settle(a, 10);
        let _in_flight = budget.try_acquire(20).unwrap();
        budget.observe(
            30,
            &HttpResponse::new(200, "")
                .with_header("x-ratelimit-limit", "3")
                .with_header("x-ratelimit-remaining", "1")
                .with_header("x-ratelimit-reset", "1"),
        );
        let saved = budget.save();
        assert_eq!(saved, "1;0;1@1000;10,20+");
        let mut restored = RateBudget::restore(4, 1_000, &saved, 500);
        // The cap leaves one; the in-flight request counts from the restart.
        assert!(restored.try_acquire(500).is_ok());
        assert_eq!(restored.try_acquire(500).unwrap_err(), 1_000);
        assert_eq!(restored.save(), "1;0;0@1000;10,500+,500+");
        // Unreadable: closed for a window.
        let mut unknown = RateBudget::restore(4, 1_000, "garbage", 500);
        assert_eq!(unknown.ready_at(500), 1_500);
    }
}
