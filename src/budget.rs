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
    /// Requests still in the window: (ticket, when it last counted: sent, then answered).
    sent: VecDeque<(u64, Millis)>,
    next_ticket: u64,
    /// The provider said: nothing before this.
    closed_until: Millis,
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
        }
    }

    /// When the next request may be sent: `now` if it may go at once.
    pub fn ready_at(&mut self, now: Millis) -> Millis {
        self.forget_before(now);
        let window_free = if self.sent.len() < self.limit as usize {
            now
        } else {
            // The first request to leave the window frees a place.
            let window = self.window_ms;
            self.sent
                .iter()
                .map(|(_, at)| at + window)
                .min()
                .unwrap_or(now)
        };
        window_free.max(self.closed_until).max(now)
    }

    /// Takes one request from the budget if one is free at `now`; otherwise says when to ask
    /// again. Hand the ticket back to [`RateBudget::settle`] when the request ends.
    pub fn try_acquire(&mut self, now: Millis) -> Result<Ticket, Millis> {
        let at = self.ready_at(now);
        if at > now {
            return Err(at);
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.sent.push_back((ticket, now));
        Ok(Ticket(ticket))
    }

    /// The request of `ticket` ended at `now` (answered or failed): it stays in the window
    /// until `now + window`, since the provider may have counted it as late as this.
    pub fn settle(&mut self, ticket: Ticket, now: Millis) {
        if let Some(entry) = self.sent.iter_mut().find(|(t, _)| *t == ticket.0) {
            entry.1 = entry.1.max(now);
        }
    }

    /// Learns from a response: a 429's `Retry-After`, or the window the provider reports.
    pub fn observe(&mut self, now: Millis, response: &HttpResponse) {
        if response.status == 429 {
            let wait = response.retry_after_ms(now).unwrap_or(self.window_ms / 4);
            self.closed_until = self.closed_until.max(now + wait);
        }
        if let Some(window) = response.rate_limit() {
            if window.remaining == 0 && window.reset_at > now {
                self.closed_until = self.closed_until.max(window.reset_at);
            }
        }
    }

    fn forget_before(&mut self, now: Millis) {
        let window = self.window_ms;
        self.sent.retain(|(_, at)| at + window > now);
    }
}

/// One request taken from a [`RateBudget`].
#[derive(Debug)]
#[must_use = "settle the ticket when the request ends"]
pub struct Ticket(u64);

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
}
