//! A client's settings: the options as the caller gave them, and the rules and defaults that
//! turn them into what a client runs with.
//!
//! The driver only reads values of the right type into [`ClientOptions`] (the JS facade turns
//! a string where a number belongs into a `validation` error); every default, bound and
//! cross-check lives here, where native tests see it.

use crate::budget::{DEFAULT_LIMIT, DEFAULT_WINDOW_MS};
use crate::error::{quote, Error};
use crate::kind::{Provider, TaskKind};
use crate::providers::{CallSource, Endpoint};
use crate::retry::{RetryPolicy, DEFAULT_MAX_RETRIES};
use crate::schedule::{PollingConfig, Schedule, DEFAULT_DELAYS_MS, DEFAULT_MAX_FAILURES};
use crate::validate::{Enrichment, Selection, DEFAULT_MAX_BATCH, MAX_BATCH};

/// Default jitter of a JS client: waits up to 10 % longer, so clients started together drift
/// apart. (The core's own default is none, so native schedule tests stay exact.)
pub const DEFAULT_JITTER: f64 = 0.1;
pub const DEFAULT_REQUEST_TIMEOUT_MS: u32 = 30_000;
/// A request limit longer than ten minutes would outlive any worker that sent it.
const MAX_REQUEST_TIMEOUT_MS: f64 = 600_000.0;
/// Retries past ten only make a failing provider busier.
const MAX_RETRIES: f64 = 10.0;

/// The options of `new UnlockClient(...)` that the core reads, each as given (numbers are
/// finite and not negative: the driver checks that much), `None` when absent.
///
/// No `Debug`: it holds the API key.
#[derive(Clone, Default)]
pub struct ClientOptions {
    pub provider: Option<String>,
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub call_source: Option<String>,
    pub delays_ms: Option<Vec<u64>>,
    pub jitter: Option<f64>,
    pub max_wait_ms: Option<f64>,
    pub max_failures: Option<f64>,
    pub request_timeout_ms: Option<f64>,
    pub rate_requests: Option<f64>,
    pub rate_window_ms: Option<f64>,
    pub max_batch: Option<f64>,
    pub max_retries: Option<f64>,
    pub share_across_tabs: Option<bool>,
}

/// What a client runs with: every default applied, every rule checked.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub polling: PollingConfig,
    pub max_batch: usize,
    pub request_timeout_ms: u32,
    pub retry: RetryPolicy,
    /// The client's request budget: this many requests per window.
    pub rate_limit: u32,
    pub rate_window_ms: u64,
    /// Waits on one task share one poller across the tabs of an origin, where the runtime has
    /// Web Locks and BroadcastChannel (the package's JS layer does the sharing). Default true.
    pub share_across_tabs: bool,
}

impl ClientConfig {
    /// `seed` drives the schedule's jitter (the driver gives a random one).
    pub fn new(options: ClientOptions, seed: u64) -> Result<ClientConfig, Error> {
        let name = options
            .provider
            .ok_or_else(|| Error::validation("provider", "provider is required."))?;
        let provider = Provider::parse(&name).ok_or_else(|| {
            Error::validation(
                "provider",
                format!(
                    "provider must be \"lensmor\" or \"salesfinity\", not {}.",
                    quote(&name)
                ),
            )
        })?;
        let call_source = options
            .call_source
            .as_deref()
            .map(CallSource::parse)
            .transpose()?;
        let endpoint = Endpoint::new(
            provider,
            options.base_url.as_deref(),
            options.api_key.as_deref(),
            call_source,
        )?;
        let delays = options
            .delays_ms
            .unwrap_or_else(|| DEFAULT_DELAYS_MS.to_vec());
        let schedule = Schedule::new(delays, options.jitter.unwrap_or(DEFAULT_JITTER), seed)?;
        let polling = PollingConfig::new(
            schedule,
            options.max_wait_ms.map(|n| n as u64),
            options
                .max_failures
                .map_or(DEFAULT_MAX_FAILURES, |n| n as u32),
        )?;
        let (rate_limit, rate_window_ms) =
            rate_window(options.rate_requests, options.rate_window_ms)?;
        Ok(ClientConfig {
            endpoint,
            polling,
            max_batch: max_batch(options.max_batch)?,
            request_timeout_ms: options
                .request_timeout_ms
                .map_or(DEFAULT_REQUEST_TIMEOUT_MS, |n| {
                    n.clamp(1.0, MAX_REQUEST_TIMEOUT_MS) as u32
                }),
            retry: RetryPolicy {
                max_retries: options
                    .max_retries
                    .map_or(DEFAULT_MAX_RETRIES, |n| n.min(MAX_RETRIES) as u32),
            },
            rate_limit,
            rate_window_ms,
            share_across_tabs: options.share_across_tabs.unwrap_or(true),
        })
    }

    /// The polling of one wait: the client's, with the wait's own `maxWaitMs` if it gave one.
    pub fn wait_limit(&self, max_wait_ms: Option<f64>) -> Result<Option<u64>, Error> {
        match max_wait_ms.map(|ms| ms as u64).or(self.polling.max_wait_ms) {
            Some(0) => Err(Error::validation(
                "maxWaitMs",
                "maxWaitMs must be more than 0.",
            )),
            limit => Ok(limit),
        }
    }

    /// The polling of a loop shared by several waits, or of one `pollOnce` step: no deadline
    /// of its own, since each wait carries its own.
    pub fn shared_polling(&self) -> PollingConfig {
        PollingConfig {
            max_wait_ms: None,
            ..self.polling.clone()
        }
    }
}

/// A rate window (`rateLimit` of a client, the options of a `KeyGovernor`): requests per
/// window and its length, at least 1 each, with the client's defaults.
pub fn rate_window(requests: Option<f64>, window_ms: Option<f64>) -> Result<(u32, u64), Error> {
    Ok((
        requests.map_or(DEFAULT_LIMIT, |n| n.clamp(1.0, u32::MAX as f64) as u32),
        window_ms.map_or(DEFAULT_WINDOW_MS, |n| n.max(1.0) as u64),
    ))
}

/// The most contacts one start may carry (`maxBatch`, of a client or of `checkUnlockInput`):
/// the provider's 2,000 unless the caller says fewer, never 0, never more than the contract
/// allows (the request would be refused after it was sent).
pub fn max_batch(given: Option<f64>) -> Result<usize, Error> {
    match given {
        None => Ok(DEFAULT_MAX_BATCH),
        Some(n) if (1.0..=MAX_BATCH as f64).contains(&n) => Ok(n as usize),
        Some(_) => Err(Error::validation(
            "maxBatch",
            format!("maxBatch must be 1 to {MAX_BATCH} (Lensmor takes at most {MAX_BATCH} contacts per unlock)."),
        )),
    }
}

/// The key of a running task, under which one poll loop serves all its waiters.
pub fn task_key(kind: TaskKind, task_id: &str) -> String {
    format!("{}\n{task_id}", kind.as_str())
}

/// The key of an unlock selection: a second start of the same contacts while the first runs
/// joins it instead of paying again.
pub fn unlock_key(kind: TaskKind, selection: &Selection) -> String {
    format!("{}\n{}", kind.as_str(), selection.fingerprint())
}

/// The key of an enrichment, as [`unlock_key`].
pub fn enrich_key(enrichment: &Enrichment) -> String {
    format!(
        "{}\n{}",
        TaskKind::SalesfinityEmail.as_str(),
        enrichment.fingerprint()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn options(provider: &str) -> ClientOptions {
        ClientOptions {
            provider: Some(provider.into()),
            api_key: Some("uak_test".into()),
            ..ClientOptions::default()
        }
    }

    #[test]
    fn defaults() {
        let config = ClientConfig::new(options("lensmor"), 7).unwrap();
        assert_eq!(config.max_batch, DEFAULT_MAX_BATCH);
        assert!(config.share_across_tabs);
        assert_eq!(config.request_timeout_ms, 30_000);
        assert_eq!(config.retry.max_retries, 2);
        assert_eq!((config.rate_limit, config.rate_window_ms), (110, 60_000));
        assert_eq!(config.polling.max_failures, DEFAULT_MAX_FAILURES);
        assert_eq!(config.polling.max_wait_ms, None);
        // The JS client's jitter lengthens the first wait by at most 10 %.
        let first = config.polling.schedule.delay(0, 1);
        assert!((3_000..=3_300).contains(&first), "{first}");
    }

    #[test]
    fn bounds_and_refusals() {
        let mut o = options("salesfinity");
        o.request_timeout_ms = Some(1e12);
        o.max_retries = Some(99.0);
        o.rate_requests = Some(0.0);
        o.rate_window_ms = Some(0.0);
        let config = ClientConfig::new(o, 0).unwrap();
        assert_eq!(config.request_timeout_ms, 600_000);
        assert_eq!(config.retry.max_retries, 10);
        assert_eq!((config.rate_limit, config.rate_window_ms), (1, 1));

        let refused = |change: fn(&mut ClientOptions), field: &str| {
            let mut o = options("lensmor");
            change(&mut o);
            let error = ClientConfig::new(o, 0).unwrap_err();
            assert_eq!(
                (error.code, error.field.as_deref()),
                (ErrorCode::Validation, Some(field))
            );
        };
        refused(|o| o.provider = None, "provider");
        refused(|o| o.provider = Some("Lensmor ".into()), "provider");
        refused(|o| o.max_batch = Some(0.0), "maxBatch");
        refused(|o| o.max_wait_ms = Some(0.0), "maxWaitMs");
        refused(|o| o.delays_ms = Some(vec![]), "polling.delaysMs");
        refused(|o| o.call_source = Some("radio".into()), "callSource");
        refused(|o| o.base_url = Some("ftp://x".into()), "baseUrl");
    }

    #[test]
    fn one_deadline_per_wait() {
        let mut o = options("lensmor");
        o.max_wait_ms = Some(60_000.0);
        let config = ClientConfig::new(o, 0).unwrap();
        assert_eq!(config.wait_limit(None).unwrap(), Some(60_000));
        assert_eq!(config.wait_limit(Some(5.0)).unwrap(), Some(5));
        assert!(config.wait_limit(Some(0.0)).is_err());
        assert_eq!(config.shared_polling().max_wait_ms, None);
    }

    #[test]
    fn keys_separate_kinds_and_ignore_order() {
        let a = Selection::new(Some("e1"), &["2".into(), "1".into()], 100).unwrap();
        let b = Selection::new(Some("e1"), &["1".into(), "2".into()], 100).unwrap();
        assert_eq!(
            unlock_key(TaskKind::LensmorEmail, &a),
            unlock_key(TaskKind::LensmorEmail, &b)
        );
        assert_ne!(
            unlock_key(TaskKind::LensmorEmail, &a),
            unlock_key(TaskKind::LensmorPhone, &a)
        );
        assert_ne!(
            task_key(TaskKind::LensmorEmail, "1"),
            task_key(TaskKind::LensmorPhone, "1")
        );
        let e = Enrichment::new("linkedin.com/in/JaneDoe", "work", None, None).unwrap();
        assert!(enrich_key(&e).starts_with("salesfinity.email\n"));
    }
}
