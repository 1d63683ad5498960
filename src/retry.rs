//! Retries of safe reads: the balance, a precheck, contact reads and `getTask`.
//!
//! A read charges nothing and changes nothing, so one 503 or a connection reset need not fail
//! the caller's call: it is tried again after a short backoff, up to `max_retries` times, and
//! never sooner than a provider's `Retry-After`. Creates are never retried here: a create whose
//! outcome is unknown may have been charged (see `UnlockClient`'s start methods).

use crate::error::{Error, ErrorCode};

/// The default number of retries of a safe read (so at most three requests).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The first wait; each next one doubles.
const BASE_DELAY_MS: u64 = 300;
/// No retry waits longer than this; a longer `Retry-After` ends the retries instead.
const MAX_DELAY_MS: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: DEFAULT_MAX_RETRIES,
        }
    }
}

impl RetryPolicy {
    /// How long to wait before retry number `retry` (from 0) after `error`, or `None` when the
    /// read should fail now: the retries are spent, the error cannot pass by waiting (401,
    /// 402, 404, bad input, an abort, a timeout of the caller's), or the provider asks for a
    /// longer wait than a read should hold its caller.
    pub fn delay(&self, retry: u32, error: &Error) -> Option<u64> {
        if retry >= self.max_retries {
            return None;
        }
        let retryable = matches!(
            error.code,
            ErrorCode::Network | ErrorCode::Server | ErrorCode::RateLimited
        );
        if !retryable {
            return None;
        }
        let backoff = BASE_DELAY_MS.saturating_mul(1 << retry.min(16));
        let wait = backoff.max(error.retry_after_ms.unwrap_or(0));
        (wait <= MAX_DELAY_MS).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_back_off_and_stop_at_the_limit() {
        let policy = RetryPolicy { max_retries: 3 };
        let e503 = Error::new(ErrorCode::Server, "503");
        assert_eq!(
            (0..4).map(|n| policy.delay(n, &e503)).collect::<Vec<_>>(),
            [Some(300), Some(600), Some(1200), None]
        );
        assert_eq!(policy.delay(0, &Error::network("reset")), Some(300));
        let mut throttled = Error::new(ErrorCode::RateLimited, "429");
        throttled.retry_after_ms = Some(2_000);
        assert_eq!(
            policy.delay(0, &throttled),
            Some(2_000),
            "Retry-After is a floor"
        );
        throttled.retry_after_ms = Some(60_000);
        assert_eq!(
            policy.delay(0, &throttled),
            None,
            "too long for a read to hold its caller"
        );
        for code in [
            ErrorCode::Validation,
            ErrorCode::Unauthorized,
            ErrorCode::PaymentRequired,
            ErrorCode::NotFound,
            ErrorCode::Conflict,
            ErrorCode::Aborted,
            ErrorCode::Timeout,
            ErrorCode::Protocol,
        ] {
            assert_eq!(policy.delay(0, &Error::new(code, "x")), None, "{code:?}");
        }
        assert_eq!(RetryPolicy { max_retries: 0 }.delay(0, &e503), None);
    }
}
