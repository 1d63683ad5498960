//! When to poll: the providers' backoff schedule, jitter and the limits of a wait.

use crate::error::Error;
use crate::hash;
use crate::http::Millis;

/// Lensmor's documented schedule: 3 s, 5 s, 10 s, 20 s, then 20 s repeated.
pub const DEFAULT_DELAYS_MS: [u64; 4] = [3_000, 5_000, 10_000, 20_000];
/// Failed polls in a row (5xx, network, unreadable answers) before giving up.
pub const DEFAULT_MAX_FAILURES: u32 = 5;
/// The longest single wait accepted in a schedule (one day).
const MAX_DELAY_MS: u64 = 86_400_000;

/// The waits between polls.
///
/// `delays_ms[0]` is the wait from the create to the first poll; entry `n` is the wait after
/// poll `n`; the last entry repeats. Jitter only ever *lengthens* a wait (by up to
/// `jitter × delay`): the schedule is the provider's guidance, so polling sooner than it says
/// is never right, but many clients started together should still drift apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    delays_ms: Vec<u64>,
    jitter: f64,
    seed: u64,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            delays_ms: DEFAULT_DELAYS_MS.to_vec(),
            jitter: 0.0,
            seed: 0,
        }
    }
}

impl Schedule {
    /// Checks a schedule: 1 to 64 waits of 1 ms to a day each, jitter from 0 to 1.
    ///
    /// `seed` feeds the jitter; a driver passes a random one, tests a fixed one, so every run
    /// of a test sees the same waits.
    pub fn new(delays_ms: Vec<u64>, jitter: f64, seed: u64) -> Result<Schedule, Error> {
        if delays_ms.is_empty() || delays_ms.len() > 64 {
            return Err(Error::validation(
                "polling.delaysMs",
                "polling.delaysMs must hold 1 to 64 waits (milliseconds).",
            ));
        }
        if let Some(bad) = delays_ms.iter().find(|d| **d == 0 || **d > MAX_DELAY_MS) {
            return Err(Error::validation(
                "polling.delaysMs",
                format!("polling.delaysMs has {bad}; each wait must be from 1 ms to one day."),
            ));
        }
        if !(0.0..=1.0).contains(&jitter) {
            return Err(Error::validation(
                "polling.jitter",
                "polling.jitter must be a number from 0 (none) to 1 (waits up to twice as long).",
            ));
        }
        Ok(Schedule {
            delays_ms,
            jitter,
            seed,
        })
    }

    /// The wait after `polls_done` polls of the task whose id hashes to `salt`.
    ///
    /// A pure function of its inputs: a resumed task, or a test, gets the same waits again.
    pub fn delay(&self, polls_done: u32, salt: u64) -> u64 {
        let index = (polls_done as usize).min(self.delays_ms.len() - 1);
        let base = self.delays_ms[index];
        if self.jitter == 0.0 {
            return base;
        }
        let random = hash::mix(self.seed ^ salt ^ u64::from(polls_done).wrapping_mul(0x9e37_79b9));
        let unit = (random >> 11) as f64 / (1u64 << 53) as f64; // uniform in [0, 1)
        base + (base as f64 * self.jitter * unit) as u64
    }

    /// The salt that decorrelates the jitter of different tasks of one client.
    pub fn salt(task_id: &str) -> u64 {
        hash::fnv1a(task_id.as_bytes())
    }
}

/// How one wait for a task behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct PollingConfig {
    pub schedule: Schedule,
    /// Give up with `timeout` once the next poll would come later than this, measured from
    /// the start of the wait. `None` waits for as long as the task runs.
    pub max_wait_ms: Option<u64>,
    /// Failed polls in a row before giving up with the last failure's error.
    pub max_failures: u32,
}

impl Default for PollingConfig {
    fn default() -> PollingConfig {
        PollingConfig {
            schedule: Schedule::default(),
            max_wait_ms: None,
            max_failures: DEFAULT_MAX_FAILURES,
        }
    }
}

impl PollingConfig {
    pub fn new(
        schedule: Schedule,
        max_wait_ms: Option<u64>,
        max_failures: u32,
    ) -> Result<PollingConfig, Error> {
        if max_wait_ms == Some(0) {
            return Err(Error::validation(
                "maxWaitMs",
                "maxWaitMs must be more than 0.",
            ));
        }
        if !(1..=100).contains(&max_failures) {
            return Err(Error::validation(
                "polling.maxFailures",
                "polling.maxFailures must be from 1 to 100.",
            ));
        }
        Ok(PollingConfig {
            schedule,
            max_wait_ms,
            max_failures,
        })
    }

    /// The deadline of a wait that starts at `start`.
    pub fn deadline(&self, start: Millis) -> Option<Millis> {
        self.max_wait_ms.map(|ms| start.saturating_add(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_the_documented_one() {
        let s = Schedule::default();
        let waits: Vec<u64> = (0..7).map(|n| s.delay(n, 42)).collect();
        assert_eq!(
            waits,
            [3_000, 5_000, 10_000, 20_000, 20_000, 20_000, 20_000]
        );
    }

    #[test]
    fn jitter_only_lengthens_and_is_deterministic() {
        let s = Schedule::new(vec![1_000, 2_000], 0.5, 7).unwrap();
        let mut distinct = std::collections::HashSet::new();
        for task in 0..50u64 {
            for n in 0..4 {
                let d = s.delay(n, task);
                let base = if n == 0 { 1_000 } else { 2_000 };
                assert!(d >= base && d <= base + base / 2, "{d}");
                assert_eq!(d, s.delay(n, task));
                distinct.insert(d);
            }
        }
        assert!(
            distinct.len() > 50,
            "jitter should spread the waits: {}",
            distinct.len()
        );
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert!(Schedule::new(vec![], 0.0, 0).is_err());
        assert!(Schedule::new(vec![0], 0.0, 0).is_err());
        assert!(Schedule::new(vec![1_000], 1.5, 0).is_err());
        assert!(Schedule::new(vec![1_000], f64::NAN, 0).is_err());
        assert!(PollingConfig::new(Schedule::default(), Some(0), 5).is_err());
        assert!(PollingConfig::new(Schedule::default(), None, 0).is_err());
    }
}
