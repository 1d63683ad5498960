//! The one error type of the library.
//!
//! Every failure a caller can see is an [`Error`] with a stable [`ErrorCode`]: code that reacts
//! to errors matches on the code, never on the message. The provider's `traceId` and `errorKey`
//! are kept because they are what a user quotes to support. No constructor here ever receives an
//! API key, so no error can carry one.

use std::fmt;

/// What went wrong, as a stable, machine-readable code.
///
/// The names are part of the JavaScript contract (`error.code`), so they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The input was refused before any request was sent, or the provider said it was invalid.
    Validation,
    /// The key is missing, malformed or revoked (401/403).
    Unauthorized,
    /// Not enough credits (402). A product state: never retried.
    PaymentRequired,
    /// The event, personnel or task does not exist or is not visible to this key (404).
    NotFound,
    /// The selection is already unlocking, or another credit operation is running (409).
    Conflict,
    /// Rate limited (429) where the call cannot simply wait it out.
    RateLimited,
    /// The provider failed (5xx) more times in a row than the retry budget allows.
    Server,
    /// The request did not complete (connection refused, reset, per-request timeout).
    Network,
    /// The task did not reach a terminal state before the caller's deadline.
    Timeout,
    /// The caller aborted the wait.
    Aborted,
    /// The provider answered something this library cannot read as the documented API.
    Protocol,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::Validation,
        ErrorCode::Unauthorized,
        ErrorCode::PaymentRequired,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::Server,
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::Aborted,
        ErrorCode::Protocol,
    ];

    /// The code named by [`ErrorCode::as_str`]'s word.
    pub fn parse(word: &str) -> Option<ErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == word)
    }

    /// The code's name as JavaScript callers see it in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Validation => "validation",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::PaymentRequired => "payment_required",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Server => "server",
            ErrorCode::Network => "network",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Aborted => "aborted",
            ErrorCode::Protocol => "protocol",
        }
    }

    /// The code an HTTP error status stands for.
    ///
    /// 408 is the server saying the request took too long, which is a transport problem; other
    /// unexpected 4xx (405, 415, ...) mean this library and the provider disagree about the API.
    pub fn from_status(status: u16) -> ErrorCode {
        match status {
            400 | 422 => ErrorCode::Validation,
            401 | 403 => ErrorCode::Unauthorized,
            402 => ErrorCode::PaymentRequired,
            404 | 410 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            429 => ErrorCode::RateLimited,
            408 => ErrorCode::Network,
            500..=599 => ErrorCode::Server,
            _ => ErrorCode::Protocol,
        }
    }

    /// The HTTP status a proxy (the edge worker) answers with for an error of this code, so
    /// that the package behind it reads the same kind of failure back ([`ErrorCode::from_status`]):
    /// the provider-side failures become a bad gateway (502), or a gateway timeout (504).
    pub fn proxy_status(self) -> u16 {
        match self {
            ErrorCode::Validation => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::PaymentRequired => 402,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::Server | ErrorCode::Network | ErrorCode::Protocol => 502,
            ErrorCode::Timeout => 504,
            ErrorCode::Aborted => 500,
        }
    }

    /// Whether a poll that failed this way may be tried again after a wait.
    ///
    /// Polls are reads, so retrying them can never charge anything; what must not be retried
    /// are answers that can never change by waiting (401, 402, 404, a refused input).
    pub fn is_transient(self) -> bool {
        match self {
            ErrorCode::Server
            | ErrorCode::Network
            | ErrorCode::Protocol
            | ErrorCode::RateLimited => true,
            ErrorCode::Validation
            | ErrorCode::Unauthorized
            | ErrorCode::PaymentRequired
            | ErrorCode::NotFound
            | ErrorCode::Conflict
            | ErrorCode::Timeout
            | ErrorCode::Aborted => false,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with everything a caller or a support ticket needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    /// A sentence a person can act on.
    pub message: String,
    /// The HTTP status, when a response was received.
    pub status: Option<u16>,
    /// The provider's `errorKey` (e.g. `INVALID_API_KEY`).
    pub error_key: Option<String>,
    /// The provider's `traceId` (or `X-Request-ID`), to quote to support.
    pub trace_id: Option<String>,
    /// How long the provider asked us to wait (from `Retry-After`).
    pub retry_after_ms: Option<u64>,
    /// For `validation`: the input field at fault, named as in the JavaScript API.
    pub field: Option<String>,
    /// The provider's optional `details` (newer Lensmor versions): its JSON text, as sent.
    pub details: Option<String>,
    /// The most contacts this account may select in one task, from Lensmor's 422
    /// `LEAD_SELECTION_LIMIT_EXCEEDED` (its `details.limit`): nothing was created or charged,
    /// and parts of at most this many would be accepted.
    pub limit: Option<u64>,
    /// A group stopped part-way (`group_start.rs`, `partial_start`): the contacts that did
    /// not start. The ones that did run on, under the token the error carries.
    pub not_started: Vec<String>,
}

impl Error {
    /// A bare error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            status: None,
            error_key: None,
            trace_id: None,
            retry_after_ms: None,
            field: None,
            details: None,
            limit: None,
            not_started: Vec::new(),
        }
    }

    /// An input refused before anything was sent; names the field and the rule.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            field: Some(field.into()),
            ..Error::new(ErrorCode::Validation, message)
        }
    }

    /// The response did not match the documented API.
    pub fn protocol(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::Protocol, message)
    }

    /// The request did not complete at the transport level.
    pub fn network(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::Network, message)
    }

    /// The caller aborted.
    pub fn aborted() -> Error {
        Error::new(
            ErrorCode::Aborted,
            "Waiting was aborted. The task keeps running at the provider; resume it from its token.",
        )
    }

    pub fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }

    pub fn with_trace_id(mut self, trace_id: Option<String>) -> Error {
        self.trace_id = trace_id.or(self.trace_id);
        self
    }

    /// Puts `context` (what was being done) in front of the message.
    pub fn context(mut self, context: &str) -> Error {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

/// A value from the caller or the provider, quoted for a message: at most 80 characters,
/// control characters replaced. (Plain `{:?}` would pull Debug escaping and its Unicode tables
/// into the .wasm, and would echo a pasted document whole.)
pub(crate) fn quote(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(80)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if value.chars().nth(80).is_some() {
        out.push('…');
    }
    format!("\"{out}\"")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(trace_id) = &self.trace_id {
            write!(f, " (traceId {trace_id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_stable_codes() {
        assert_eq!(ErrorCode::from_status(401), ErrorCode::Unauthorized);
        assert_eq!(ErrorCode::from_status(403), ErrorCode::Unauthorized);
        assert_eq!(ErrorCode::from_status(402), ErrorCode::PaymentRequired);
        assert_eq!(ErrorCode::from_status(404), ErrorCode::NotFound);
        assert_eq!(ErrorCode::from_status(409), ErrorCode::Conflict);
        assert_eq!(ErrorCode::from_status(422), ErrorCode::Validation);
        assert_eq!(ErrorCode::from_status(429), ErrorCode::RateLimited);
        assert_eq!(ErrorCode::from_status(503), ErrorCode::Server);
        assert_eq!(ErrorCode::from_status(418), ErrorCode::Protocol);
    }

    #[test]
    fn a_proxy_status_reads_back_as_its_code() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            let read_back = ErrorCode::from_status(code.proxy_status());
            let expected = match code {
                // Failures beyond the proxy read back as the provider side failing.
                ErrorCode::Network
                | ErrorCode::Protocol
                | ErrorCode::Timeout
                | ErrorCode::Aborted => ErrorCode::Server,
                other => other,
            };
            assert_eq!(read_back, expected, "{code:?}");
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    #[test]
    fn display_carries_the_trace_id() {
        let e = Error::new(ErrorCode::NotFound, "Task 321 not found")
            .with_trace_id(Some("tr-1".into()));
        assert_eq!(e.to_string(), "Task 321 not found (traceId tr-1)");
    }

    #[test]
    fn only_waitable_failures_are_transient() {
        assert!(ErrorCode::Server.is_transient());
        assert!(ErrorCode::Network.is_transient());
        assert!(!ErrorCode::Unauthorized.is_transient());
        assert!(!ErrorCode::PaymentRequired.is_transient());
        assert!(!ErrorCode::NotFound.is_transient());
    }
}
