//! The providers: each is data plus pure functions that build requests from validated input and
//! read responses into the one model of [`crate::model`].
//!
//! This module dispatches on [`TaskKind`] / [`Provider`]; the provider files hold the paths,
//! field names and status words.

mod json;
mod lensmor;
mod response;
mod salesfinity;

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::contacts::{Contact, ContactPage, ContactQuery};
use crate::error::{Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse, Method, Millis};
use crate::kind::{Provider, TaskKind};
use crate::model::Snapshot;
use crate::schedule::Schedule;
use crate::token::ResumeToken;
use crate::validate::{self, Enrichment, Selection};

pub use lensmor::Precheck;

/// Lensmor's optional `x-call-source` header: who is calling, for the provider's usage reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallSource {
    Api,
    Agent,
}

impl CallSource {
    pub fn parse(value: &str) -> Result<CallSource, Error> {
        match value {
            "api" => Ok(CallSource::Api),
            "agent" => Ok(CallSource::Agent),
            other => Err(Error::validation(
                "callSource",
                format!(
                    "callSource must be \"api\" or \"agent\", not {}.",
                    crate::error::quote(other)
                ),
            )),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CallSource::Api => "api",
            CallSource::Agent => "agent",
        }
    }
}

/// Where requests of one client go, and how they authenticate.
///
/// `api_key` is `None` when the base URL is a proxy that adds the key (the way browsers must
/// call Lensmor). The key only ever goes into request headers; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub provider: Provider,
    pub base_url: String,
    api_key: Option<String>,
    pub call_source: Option<CallSource>,
}

impl Endpoint {
    /// Checks and builds an endpoint. With no `base_url`, the provider's production URL is used.
    pub fn new(
        provider: Provider,
        base_url: Option<&str>,
        api_key: Option<&str>,
        call_source: Option<CallSource>,
    ) -> Result<Endpoint, Error> {
        let base_url = validate::base_url(base_url.unwrap_or(facts(provider).base_url))?;
        let api_key = api_key.map(str::trim).filter(|k| !k.is_empty());
        if api_key.is_some_and(|k| k.chars().any(|c| c.is_control() || c == ' ')) {
            // Deliberately no echo of the value: it is a secret.
            return Err(Error::validation(
                "apiKey",
                "apiKey contains spaces or control characters; copy it again from the provider.",
            ));
        }
        Ok(Endpoint {
            provider,
            base_url,
            api_key: api_key.map(str::to_string),
            call_source,
        })
    }

    /// Whether this client adds the key itself (it talks to the provider), or relies on a
    /// proxy to add it.
    pub fn has_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// Refuses a task of another provider: a token made by a Salesfinity client cannot be
    /// polled through a Lensmor one (it would 404, or worse, hit an unrelated task).
    pub fn check_kind(&self, kind: TaskKind) -> Result<(), Error> {
        if kind.provider() == self.provider {
            return Ok(());
        }
        Err(Error::validation(
            "token",
            format!(
                "This is a {} task, but the client is set up for {}; use a {} client.",
                kind.as_str(),
                self.provider.as_str(),
                kind.provider().as_str()
            ),
        ))
    }

    fn request(&self, method: Method, path: &str, body: Option<String>) -> HttpRequest {
        let mut headers = vec![("accept", "application/json".to_string())];
        if body.is_some() {
            headers.push(("content-type", "application/json".to_string()));
        }
        if let Some(key) = &self.api_key {
            let facts = facts(self.provider);
            headers.push((facts.auth_header, format!("{}{key}", facts.auth_prefix)));
        }
        if let (Provider::Lensmor, Some(source)) = (self.provider, self.call_source) {
            headers.push(("x-call-source", source.as_str().to_string()));
        }
        HttpRequest {
            method,
            url: format!("{}{path}", self.base_url),
            headers,
            body,
        }
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("call_source", &self.call_source)
            .finish()
    }
}

/// What a driver, or a proxy holding the key, needs to know of a provider: where it is and
/// how the key is sent. Each provider's file holds its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderFacts {
    /// The production base URL, used when the caller gives none.
    pub base_url: &'static str,
    /// The request header that carries the key, lower-case.
    pub auth_header: &'static str,
    /// What precedes the key in that header (`"Bearer "`, or nothing).
    pub auth_prefix: &'static str,
}

/// Credits one delivered contact of `kind` costs under its provider's published rules (each
/// provider's file holds its prices).
pub fn credits_per_contact(kind: TaskKind) -> u64 {
    match kind {
        TaskKind::LensmorEmail | TaskKind::LensmorPhone => lensmor::price(kind),
        TaskKind::SalesfinityEmail => salesfinity::PRICE,
    }
}

pub fn facts(provider: Provider) -> ProviderFacts {
    match provider {
        Provider::Lensmor => lensmor::FACTS,
        Provider::Salesfinity => salesfinity::FACTS,
    }
}

/// What a create call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub kind: TaskKind,
    /// `None` when there was nothing to do (every contact already unlocked or skipped): no task
    /// was created and nothing was charged.
    pub task_id: Option<String>,
    /// The provider's word for the outcome (`accepted`, `success`, `pending`).
    pub provider_status: String,
    /// Ids the provider skipped (invalid, not in the event, already unlocked or unlocking).
    pub skipped_ids: Vec<String>,
    /// Every skipped contact with the provider's reason, so a UI can say why it was not charged.
    pub skipped: Vec<Skipped>,
    /// The provider's `skipped_detail`, as sent.
    pub skipped_detail: Option<String>,
}

/// A contact a create did not charge, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub id: String,
    pub reason: SkipReason,
}

/// Why a provider skipped a contact on create (Lensmor `skipped_detail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Unlocked before: not charged again. Read its value with the contact routes.
    AlreadyUnlocked,
    /// Another task is unlocking it.
    Unlocking,
    /// No such contact.
    Missing,
    /// Not a valid personnel id.
    Invalid,
    /// The contact is not linked to this event.
    Unlinked,
    /// Listed in `skipped_personnel_ids` with no reason given.
    Unspecified,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::AlreadyUnlocked => "already-unlocked",
            SkipReason::Unlocking => "unlocking",
            SkipReason::Missing => "missing",
            SkipReason::Invalid => "invalid",
            SkipReason::Unlinked => "unlinked",
            SkipReason::Unspecified => "unspecified",
        }
    }
}

/// A credit balance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Balance {
    pub balance: f64,
    /// When the subscription part of the balance resets (Lensmor `resetAt`, epoch ms).
    pub reset_at: Option<Millis>,
}

/// Characters left as they are in a path segment; everything else is percent-encoded, so an id
/// like `../x` or `a/b` stays one segment and can never walk the path.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Characters left as they are in a query value (RFC 3986 unreserved); the rest is encoded.
const QUERY_VALUE: &AsciiSet = SEGMENT;

/// `a=1&b=x%20y`: the names are ours (plain ASCII), the values are encoded.
fn query_string(params: &[(&str, String)]) -> String {
    let pairs: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY_VALUE)))
        .collect();
    pairs.join("&")
}

/// Percent-encodes an id for use as one path segment. (`.` and `..`, which URL parsers resolve
/// even when encoded, are refused earlier as task ids.)
fn path_segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// The request that starts a Lensmor unlock of `kind` for `selection`.
pub fn create_unlock(
    endpoint: &Endpoint,
    kind: TaskKind,
    selection: &Selection,
) -> Result<HttpRequest, Error> {
    endpoint.check_kind(kind)?;
    lensmor::create(endpoint, kind, selection).ok_or_else(|| {
        Error::validation(
            "kind",
            format!("{} is not an unlock of personnel.", kind.as_str()),
        )
    })
}

/// The request that starts a Salesfinity enrichment.
pub fn create_enrichment(
    endpoint: &Endpoint,
    enrichment: &Enrichment,
) -> Result<HttpRequest, Error> {
    endpoint.check_kind(TaskKind::SalesfinityEmail)?;
    Ok(salesfinity::create(endpoint, enrichment))
}

/// The request that reads a task's current state.
pub fn poll_request(
    endpoint: &Endpoint,
    kind: TaskKind,
    task_id: &str,
) -> Result<HttpRequest, Error> {
    endpoint.check_kind(kind)?;
    check_task_id(kind, task_id)?;
    Ok(match kind {
        TaskKind::LensmorEmail | TaskKind::LensmorPhone => lensmor::poll(endpoint, kind, task_id),
        TaskKind::SalesfinityEmail => salesfinity::poll(endpoint, task_id),
    })
}

/// A task id as `kind`'s provider issues it, checked before anything is sent for it: bounded
/// and printable ([`validate::task_id`]), and Lensmor's decimal
/// ([`lensmor::task_id_rule`]); Salesfinity's `_id` is opaque.
pub fn check_task_id(kind: TaskKind, task_id: &str) -> Result<String, Error> {
    let id = validate::task_id(task_id)?;
    if kind.provider() == Provider::Lensmor {
        lensmor::task_id_rule(&id)?;
    }
    Ok(id)
}

/// Reads what a create came back with: the answer, or the failure that stood in for one.
///
/// A failed create may still have gone through, and says so: when no answer came (network),
/// and when the provider failed (5xx), which can happen after the task was created. A blind
/// retry could pay twice. (An accepted answer without a task id says so in its own words.)
pub fn read_created(
    kind: TaskKind,
    sent: Result<HttpResponse, Error>,
    now: Millis,
) -> Result<Created, Error> {
    sent.and_then(|response| parse_created(kind, &response, now))
        .map_err(outcome_unknown)
}

fn outcome_unknown(mut error: Error) -> Error {
    if matches!(error.code, ErrorCode::Network | ErrorCode::Server) {
        error.message.push_str(
            " The create request may have reached the provider: check the contacts' unlock \
             state (or run the precheck) before trying again, as a second request may be charged.",
        );
    }
    error
}

impl Created {
    /// The token to follow the created task from, due after the schedule's first wait; `None`
    /// when nothing was started.
    pub fn first_token(
        &self,
        schedule: &Schedule,
        created_at: Millis,
    ) -> Result<Option<String>, Error> {
        let Some(task_id) = &self.task_id else {
            return Ok(None);
        };
        let first_delay = schedule.delay(0, Schedule::salt(task_id));
        Ok(Some(
            ResumeToken::new(self.kind, task_id, created_at, first_delay)?.encode(),
        ))
    }
}

/// The provider's own create answer for a task a proxy started (the `StartedTask` view JS got,
/// as JSON text), so the client behind the proxy reads it as it would read the provider's. Each
/// provider's file writes its shape next to its reader.
pub fn created_answer(started: &str) -> Result<String, Error> {
    let refuse = || Error::validation("started", "started must be a StartedTask object.");
    let view: StartedView = json::object(started).ok_or_else(refuse)?;
    let kind = view
        .kind
        .text()
        .and_then(TaskKind::parse)
        .ok_or_else(refuse)?;
    let created = Created {
        kind,
        task_id: view.task_id.id(),
        provider_status: view.provider_status.text().unwrap_or_default().to_string(),
        skipped_ids: view.skipped_ids.0,
        skipped: Vec::new(),
        skipped_detail: view.skipped_detail.0,
    };
    Ok(match kind {
        TaskKind::LensmorEmail | TaskKind::LensmorPhone => lensmor::created_answer(&created),
        TaskKind::SalesfinityEmail => salesfinity::created_answer(&created),
    })
}

/// The fields of a `StartedTask` that its create answer is written from.
#[derive(Default)]
struct StartedView<'a> {
    kind: json::Scalar<'a>,
    task_id: json::Scalar<'a>,
    provider_status: json::Scalar<'a>,
    skipped_ids: json::Ids,
    skipped_detail: json::Raw,
}

json::read_fields!('a, StartedView<'a> {
    "kind" => kind, "taskId" => task_id, "providerStatus" => provider_status,
    "skippedIds" => skipped_ids, "skippedDetail" => skipped_detail,
});

pub fn parse_created(
    kind: TaskKind,
    response: &HttpResponse,
    now: Millis,
) -> Result<Created, Error> {
    match kind {
        TaskKind::LensmorEmail | TaskKind::LensmorPhone => {
            lensmor::parse_created(kind, response, now)
        }
        TaskKind::SalesfinityEmail => salesfinity::parse_created(response, now),
    }
}

/// Reads a poll answer into a snapshot. `task_id` is the id that was polled; it names the task
/// in errors and stands in when the answer omits it.
pub fn parse_task(
    kind: TaskKind,
    task_id: &str,
    response: &HttpResponse,
    now: Millis,
) -> Result<Snapshot, Error> {
    match kind {
        TaskKind::LensmorEmail | TaskKind::LensmorPhone => {
            lensmor::parse_task(kind, task_id, response, now)
        }
        TaskKind::SalesfinityEmail => salesfinity::parse_task(task_id, response, now),
    }
}

/// The request that reads the credit balance.
pub fn balance_request(endpoint: &Endpoint) -> HttpRequest {
    match endpoint.provider {
        Provider::Lensmor => lensmor::balance(endpoint),
        Provider::Salesfinity => salesfinity::balance(endpoint),
    }
}

/// Reads a credit balance answer.
pub fn parse_balance(
    provider: Provider,
    response: &HttpResponse,
    now: Millis,
) -> Result<Balance, Error> {
    match provider {
        Provider::Lensmor => lensmor::parse_balance(response, now),
        Provider::Salesfinity => salesfinity::parse_balance(response, now),
    }
}

/// The request that asks Lensmor, without charging, what unlocking `selection` would cost.
pub fn precheck_request(
    endpoint: &Endpoint,
    kind: TaskKind,
    selection: &Selection,
) -> Result<HttpRequest, Error> {
    endpoint.check_kind(kind)?;
    lensmor::precheck(endpoint, kind, selection)
        .ok_or_else(|| Error::validation("kind", format!("{} has no precheck.", kind.as_str())))
}

/// Reads a precheck answer.
pub fn parse_precheck(response: &HttpResponse, now: Millis) -> Result<Precheck, Error> {
    lensmor::parse_precheck(response, now)
}

/// The request that reads one page of an event's contacts (Lensmor only).
pub fn contacts_request(endpoint: &Endpoint, query: &ContactQuery) -> Result<HttpRequest, Error> {
    lensmor_only(endpoint, "listContacts")?;
    Ok(lensmor::contacts(endpoint, query))
}

/// Reads a page of contacts.
pub fn parse_contacts(
    query: &ContactQuery,
    response: &HttpResponse,
    now: Millis,
) -> Result<ContactPage, Error> {
    lensmor::parse_contact_page(query, response, now)
}

/// The request that reads one contact (Lensmor only). The id is checked first (1..20 chars).
pub fn contact_request(endpoint: &Endpoint, personnel_id: &str) -> Result<HttpRequest, Error> {
    lensmor_only(endpoint, "getContact")?;
    let id = validate::personnel_id_rule(personnel_id)?;
    Ok(lensmor::contact(endpoint, &id))
}

/// Reads one contact.
pub fn parse_contact(
    personnel_id: &str,
    response: &HttpResponse,
    now: Millis,
) -> Result<Contact, Error> {
    lensmor::parse_contact(personnel_id, response, now)
}

/// A create answer whose task id is a number no integer keeps exactly: refused by name, since
/// the provider accepted (and may charge for) a task that cannot be polled.
fn inexact_task_id(what: &str, field: &str) -> Error {
    Error::protocol(format!(
        "{what}: the provider accepted it, but its {field} is a number too large (or fractional) \
         to keep exactly, so the task cannot be polled. Check the contacts' unlock state before \
         trying again: a second request may be charged."
    ))
}

fn lensmor_only(endpoint: &Endpoint, method: &str) -> Result<(), Error> {
    if endpoint.provider == Provider::Lensmor {
        return Ok(());
    }
    Err(Error::validation(
        "provider",
        format!(
            "{method} reads Lensmor contacts; this client is set up for {}.",
            endpoint.provider.as_str()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_one_encoded_segment() {
        assert_eq!(path_segment("321"), "321");
        assert_eq!(path_segment("phone_321"), "phone_321");
        assert_eq!(path_segment("../admin"), "..%2Fadmin");
        assert_eq!(path_segment("a b%2F?#é"), "a%20b%252F%3F%23%C3%A9");
    }

    #[test]
    fn endpoint_debug_hides_the_key() {
        let e = Endpoint::new(Provider::Lensmor, None, Some("uak_topsecret"), None).unwrap();
        assert!(!format!("{e:?}").contains("topsecret"));
        let err = Endpoint::new(Provider::Lensmor, None, Some("uak_top secret"), None).unwrap_err();
        assert!(!err.message.contains("secret"));
    }

    #[test]
    fn a_token_of_another_provider_is_refused() {
        let e = Endpoint::new(Provider::Lensmor, None, None, None).unwrap();
        let err = poll_request(&e, TaskKind::SalesfinityEmail, "1").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("token"));
        assert!(poll_request(&e, TaskKind::LensmorPhone, "1").is_ok());
    }

    /// A proxy's create answer, written from the `StartedTask` view, reads back as what the
    /// provider's own answer read as: for both providers, a task started and nothing started.
    #[test]
    fn created_answers_written_from_a_view_read_back_the_same() {
        let answers = [
            (
                TaskKind::LensmorEmail,
                r#"{"status":"accepted","task_id":"5","job_id":"5","skipped_personnel_ids":["7"],"skipped_detail":{"already_unlocked_personnel_ids":["7"]}}"#,
            ),
            (
                TaskKind::LensmorPhone,
                r#"{"status":"success","skipped_personnel_ids":["8","9"]}"#,
            ),
            (
                TaskKind::SalesfinityEmail,
                r#"{"_id":"507f1f77bcf86cd799439011","status":"pending"}"#,
            ),
        ];
        for (kind, body) in answers {
            let created = parse_created(kind, &HttpResponse::new(201, body), 0).unwrap();
            let view = crate::json_view::started(&created, None, 0, &[], false, None, &[]);
            let text = created_answer(&view).unwrap();
            let again = parse_created(kind, &HttpResponse::new(201, &text), 0).unwrap();
            assert_eq!(again, created, "{body} -> {text}");
        }
        assert!(created_answer(r#"{ "kind": "x" }"#).is_err());
        assert!(created_answer("[]").is_err());
        // Hostile nesting is refused by the parser's depth limit, never walked to the bottom.
        let deep = format!(
            r#"{{"kind":"lensmor.email","skippedDetail":{}}}"#,
            "[".repeat(100_000)
        );
        assert!(created_answer(&deep).is_err());
    }
}
