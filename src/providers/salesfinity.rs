//! Salesfinity: email enrichment of one LinkedIn profile per request.
//!
//! A request is a task with exactly one item (the profile). `not-found` is a finished lookup
//! that found nothing and costs nothing, so it completes the task rather than failing it.

use super::json::{read_fields, Scalar};
use super::response::read_object;
use super::{path_segment, Balance, Created, Endpoint, ProviderFacts};
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method, Millis};
use crate::json_out;
use crate::kind::TaskKind;
use crate::model::{Item, ItemState, Snapshot, TaskStatus};
use crate::validate::Enrichment;

pub(super) const FACTS: ProviderFacts = ProviderFacts {
    base_url: "https://client-api.salesfinity.co",
    auth_header: "x-api-key",
    auth_prefix: "",
};

/// Credits per enrichment that finds an email (none when nothing is found).
pub(super) const PRICE: u64 = 1;

const ENRICHMENT_PATH: &str = "/v1/api/enrichment/email";

pub(super) fn create(endpoint: &Endpoint, enrichment: &Enrichment) -> HttpRequest {
    let body = json_out::object(|obj| {
        obj.str("linkedin_url", &enrichment.linkedin_url)
            .str("type", enrichment.email_type.as_str())
            .opt_str("callback_url", enrichment.callback_url.as_deref())
            .opt_str("external_id", enrichment.external_id.as_deref());
    });
    endpoint.request(Method::Post, ENRICHMENT_PATH, Some(body))
}

pub(super) fn poll(endpoint: &Endpoint, task_id: &str) -> HttpRequest {
    let path = format!("{ENRICHMENT_PATH}/{}", path_segment(task_id));
    endpoint.request(Method::Get, &path, None)
}

/// Reads `201 { _id, status, linkedin_url }`. Unlike Lensmor there is no "nothing to do"
/// answer: a create without `_id` cannot be polled, and the caller must hear it.
pub(super) fn parse_created(response: &HttpResponse, now: Millis) -> Result<Created, Error> {
    let what = "Requesting the Salesfinity email enrichment";
    let body: TaskFields = read_object(response, now, what)?;
    if body.id.is_inexact_id() {
        return Err(super::inexact_task_id(what, "_id").with_status(response.status));
    }
    let task_id = body.id.id().ok_or_else(|| {
        Error::protocol(format!(
            "{what}: the answer has no _id, so the request cannot be polled. A second request \
             may be charged once it finds an email."
        ))
        .with_status(response.status)
    })?;
    Ok(Created {
        kind: TaskKind::SalesfinityEmail,
        task_id: Some(task_id),
        provider_status: body.status.text().unwrap_or_default().to_string(),
        skipped_ids: Vec::new(),
        skipped: Vec::new(),
        skipped_detail: None,
    })
}

/// The answer [`parse_created`] reads, for `created`.
pub(super) fn created_answer(created: &Created) -> String {
    let status = match created.provider_status.as_str() {
        "" => "pending",
        status => status,
    };
    json_out::object(|obj| {
        obj.str_or_null("_id", created.task_id.as_deref())
            .str("status", status);
    })
}

/// Reads `200 { _id, status, linkedin_url, enrichment_type, email: { email, type } | null, external_id }`.
pub(super) fn parse_task(
    task_id: &str,
    response: &HttpResponse,
    now: Millis,
) -> Result<Snapshot, Error> {
    let what = format!("Polling Salesfinity enrichment {task_id}");
    let body: TaskFields = read_object(response, now, &what)?;
    let found = found_email(&body);
    let word = body.status.text();
    let (status, state) = match word {
        Some("pending") => (TaskStatus::Pending, ItemState::Pending),
        Some("processing") => (TaskStatus::Processing, ItemState::Processing),
        Some("completed") if found.is_some() => (TaskStatus::Completed, ItemState::Delivered),
        Some("completed") => (TaskStatus::Completed, ItemState::NoValue),
        Some("not-found") => (TaskStatus::Completed, ItemState::NotFound),
        Some("failed") => (TaskStatus::Failed, ItemState::Failed),
        // The docs' own first example has an email and no status. `email` is "populated when
        // status is completed", so an email with no status word reads as completed.
        None if found.is_some() => (TaskStatus::Completed, ItemState::Delivered),
        _ => (TaskStatus::Unknown, ItemState::Unknown),
    };
    let provider_status = word.unwrap_or_default().to_string();
    let (value, value_type) = match found.filter(|_| state == ItemState::Delivered) {
        Some((email, kind)) => (Some(email), kind),
        None => (None, None),
    };
    let task_id = body.id.id().unwrap_or_else(|| task_id.to_string());
    let item = Item {
        id: body
            .linkedin_url
            .text()
            .map_or_else(|| task_id.clone(), str::to_string),
        state,
        provider_status: provider_status.clone(),
        value,
        value_type,
        error_code: None,
        // "completed (email found; 1 credit)"; not-found and failed are free.
        chargeable: status == TaskStatus::Completed && state != ItemState::NotFound,
    };
    Ok(Snapshot {
        kind: TaskKind::SalesfinityEmail,
        task_id,
        status,
        provider_status,
        items: vec![item],
        external_id: body.external_id.text().map(str::to_string),
        anomalies: Vec::new(),
        parts: Vec::new(),
    })
}

/// The email and its type, when `email` is an object with a non-empty `email` string.
fn found_email(body: &TaskFields) -> Option<(String, Option<String>)> {
    let email = body.email.as_ref()?;
    let address = email.email.text()?.trim();
    if address.is_empty() {
        return None;
    }
    Some((address.to_string(), email.kind.text().map(str::to_string)))
}

/// The fields of a create answer and of a task answer (the same document).
#[derive(Default)]
struct TaskFields<'a> {
    id: Scalar<'a>,
    status: Scalar<'a>,
    linkedin_url: Scalar<'a>,
    email: Option<EmailFields<'a>>,
    external_id: Scalar<'a>,
}

read_fields!('a, TaskFields<'a> {
    "_id" => id, "status" => status, "linkedin_url" => linkedin_url, "email" => email,
    "external_id" => external_id,
});

#[derive(Default)]
struct EmailFields<'a> {
    email: Scalar<'a>,
    kind: Scalar<'a>,
}

read_fields!('a, EmailFields<'a> { "email" => email, "type" => kind });

pub(super) fn balance(endpoint: &Endpoint) -> HttpRequest {
    endpoint.request(Method::Get, "/v1/api/enrichment/credits", None)
}

/// Reads `{ "balance": 250 }`.
pub(super) fn parse_balance(response: &HttpResponse, now: Millis) -> Result<Balance, Error> {
    let what = "Reading the Salesfinity credit balance";
    let body: BalanceAnswer = read_object(response, now, what)?;
    let balance = body.balance.number().ok_or_else(|| {
        Error::protocol(format!("{what}: the answer has no balance.")).with_status(response.status)
    })?;
    Ok(Balance {
        balance,
        reset_at: None,
    })
}

#[derive(Default)]
struct BalanceAnswer<'a> {
    balance: Scalar<'a>,
}

read_fields!('a, BalanceAnswer<'a> { "balance" => balance });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::kind::Provider;
    use crate::providers;
    use serde_json::{json, Value};

    const NOW: Millis = 1_763_800_000_000;

    fn endpoint() -> Endpoint {
        Endpoint::new(Provider::Salesfinity, None, Some("sf_key"), None).unwrap()
    }

    #[test]
    fn create_request_carries_only_given_fields() {
        let e = Enrichment::new("linkedin.com/in/janedoe/", "work", None, Some("lead-42")).unwrap();
        let req = providers::create_enrichment(&endpoint(), &e).unwrap();
        assert_eq!(
            req.url,
            "https://client-api.salesfinity.co/v1/api/enrichment/email"
        );
        assert_eq!(req.header("x-api-key"), Some("sf_key"));
        assert_eq!(req.header("authorization"), None);
        let body: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"linkedin_url":"https://www.linkedin.com/in/janedoe","type":"work","external_id":"lead-42"})
        );
    }

    #[test]
    fn create_answer() {
        let body = r#"{ "_id": "507f1f77bcf86cd799439011", "status": "pending", "linkedin_url": "https://www.linkedin.com/in/janedoe" }"#;
        let c = providers::parse_created(
            TaskKind::SalesfinityEmail,
            &HttpResponse::new(201, body),
            NOW,
        )
        .unwrap();
        assert_eq!(c.task_id.as_deref(), Some("507f1f77bcf86cd799439011"));
        assert_eq!(c.provider_status, "pending");
        let err = providers::parse_created(
            TaskKind::SalesfinityEmail,
            &HttpResponse::new(201, "{}"),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Protocol);
        let err = providers::parse_created(
            TaskKind::SalesfinityEmail,
            &HttpResponse::new(402, r#"{"message":"No credits"}"#),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::PaymentRequired);
        assert!(err.message.contains("No credits"), "{}", err.message);
        // A numeric _id is kept to the last digit, past 2^53; past 2^64 it is refused by name.
        let parse = |body: &str| {
            providers::parse_created(
                TaskKind::SalesfinityEmail,
                &HttpResponse::new(201, body),
                NOW,
            )
        };
        let c = parse(r#"{"_id": 9007199254740993, "status": "pending"}"#).unwrap();
        assert_eq!(c.task_id.as_deref(), Some("9007199254740993"));
        let err = parse(r#"{"_id": 123456789012345678901234, "status": "pending"}"#).unwrap_err();
        assert!(
            err.message.contains("its _id is a number too large"),
            "{}",
            err.message
        );
    }

    #[test]
    fn balance() {
        assert_eq!(
            providers::balance_request(&endpoint()).url,
            "https://client-api.salesfinity.co/v1/api/enrichment/credits"
        );
        let b = providers::parse_balance(
            Provider::Salesfinity,
            &HttpResponse::new(200, r#"{ "balance": 250 }"#),
            NOW,
        )
        .unwrap();
        assert_eq!(b.balance, 250.0);
    }
}
