//! HTTP as plain data: the requests the core asks to be sent and the responses it is handed.
//!
//! The core never performs I/O. A driver (the wasm facade with `fetch`, or a test with a script)
//! sends an [`HttpRequest`] and hands back an [`HttpResponse`] or a transport failure.

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: the one unit of time in the core.
///
/// Epoch time (not a monotonic instant) because it goes into tokens that resume on another
/// machine, and because JavaScript's `Date.now()` is what every runtime has.
pub type Millis = u64;

/// Responses larger than this are refused unread: no documented answer comes near it (a
/// 2,000-item task is about 200 KB), and a runaway body must not exhaust a worker's memory.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The response headers the core reads; a driver may copy only these.
pub const RESPONSE_HEADERS: [&str; 6] = [
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-request-id",
    "content-type",
];

/// A response header value longer than this is not kept (read as absent). The headers the core
/// reads are a number, a date or an id of a few dozen characters; a runtime caps the size of
/// real headers, but a caller's `fetch` can hand back anything, and a request id goes into every
/// view and error message.
pub const MAX_HEADER_VALUE_BYTES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request to send, complete with its absolute URL, headers and JSON body.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Header names whose values are secrets; never printed.
const SECRET_HEADERS: [&str; 2] = ["authorization", "x-api-key"];

/// Debug output redacts credentials, so a request can be logged without leaking the key.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let secret = SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name));
                (*name, if secret { "[redacted]" } else { value.as_str() })
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// A response as received: status, the headers the core reads, and the body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn new(status: u16, body: impl Into<String>) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header as received; a value over [`MAX_HEADER_VALUE_BYTES`] is left out.
    pub fn with_header(mut self, name: &str, value: &str) -> HttpResponse {
        if value.len() <= MAX_HEADER_VALUE_BYTES {
            self.headers
                .push((name.to_ascii_lowercase(), value.to_string()));
        }
        self
    }

    /// A header's value; names compare case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// How long to wait before asking again, from `Retry-After`.
    ///
    /// Both forms of RFC 9110 are read: delay-seconds (`30`, whole seconds by the RFC) and an HTTP date, which is turned
    /// into a delay from `now`. A date in the past means "now" (0). Anything unreadable is `None`:
    /// the caller then falls back to its own schedule rather than guessing.
    pub fn retry_after_ms(&self, now: Millis) -> Option<u64> {
        let value = self.header("retry-after")?;
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(seconds.saturating_mul(1000));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        let at_ms = at
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_millis();
        Some(u64::try_from(at_ms).unwrap_or(u64::MAX).saturating_sub(now))
    }

    /// The provider's rate-limit window as announced in `X-RateLimit-*`, when all are readable.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        let number = |name: &str| self.header(name)?.parse::<u64>().ok();
        Some(RateLimit {
            limit: number("x-ratelimit-limit")?,
            remaining: number("x-ratelimit-remaining")?,
            reset_at: number("x-ratelimit-reset")?.saturating_mul(1000),
        })
    }

    /// The request id the provider assigned (Lensmor sends its traceId here too).
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-request-id").filter(|v| !v.is_empty())
    }
}

/// A rate-limit window as the provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests left in the current window.
    pub remaining: u64,
    /// When the window resets (epoch ms; the header carries Unix seconds).
    pub reset_at: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = 1_700_000_000_000;
        let r = HttpResponse::new(429, "").with_header("Retry-After", "30");
        assert_eq!(r.retry_after_ms(now), Some(30_000));

        // 2023-11-14T22:13:50Z is 30 s after `now`.
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(now + 30_000));
        let r = HttpResponse::new(429, "").with_header("retry-after", &date);
        assert_eq!(r.retry_after_ms(now), Some(30_000));

        let past = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(now - 5_000));
        let r = HttpResponse::new(429, "").with_header("retry-after", &past);
        assert_eq!(r.retry_after_ms(now), Some(0));

        let r = HttpResponse::new(429, "").with_header("retry-after", "soon");
        assert_eq!(r.retry_after_ms(now), None);
        assert_eq!(HttpResponse::new(429, "").retry_after_ms(now), None);
    }

    #[test]
    fn rate_limit_headers_are_read() {
        let r = HttpResponse::new(200, "")
            .with_header("X-RateLimit-Limit", "120")
            .with_header("X-RateLimit-Remaining", "7")
            .with_header("X-RateLimit-Reset", "1700000060");
        assert_eq!(
            r.rate_limit(),
            Some(RateLimit {
                limit: 120,
                remaining: 7,
                reset_at: 1_700_000_060_000
            })
        );
    }

    #[test]
    fn overlong_header_values_are_not_kept() {
        let long = "r".repeat(MAX_HEADER_VALUE_BYTES + 1);
        let fits = "r".repeat(MAX_HEADER_VALUE_BYTES);
        let r = HttpResponse::new(429, "")
            .with_header("x-request-id", &long)
            .with_header(
                "retry-after",
                &format!("5{}", " ".repeat(MAX_HEADER_VALUE_BYTES)),
            );
        assert_eq!((r.request_id(), r.retry_after_ms(0)), (None, None));
        let r = HttpResponse::new(200, "").with_header("x-request-id", &fits);
        assert_eq!(r.request_id(), Some(fits.as_str()));
    }

    #[test]
    fn debug_never_prints_credentials() {
        let req = HttpRequest {
            method: Method::Get,
            url: "https://x.example/a".into(),
            headers: vec![
                ("authorization", "Bearer uak_secret".into()),
                ("x-api-key", "sf_secret".into()),
            ],
            body: None,
        };
        let printed = format!("{req:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }
}
