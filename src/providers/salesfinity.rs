//! Salesfinity: email enrichment of one LinkedIn profile per request.
//!
//! A request is a task with exactly one item (the profile). `not-found` is a finished lookup
//! that found nothing and costs nothing, so it completes the task rather than failing it.

use serde_json::{json, Value};

use super::json::{self, Object};
use super::response::object_body;
use super::{path_segment, Balance, Created, Endpoint};
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method, Millis};
use crate::kind::TaskKind;
use crate::model::{Item, ItemState, Snapshot, TaskStatus};
use crate::validate::Enrichment;

const ENRICHMENT_PATH: &str = "/v1/api/enrichment/email";

pub(super) fn create(endpoint: &Endpoint, enrichment: &Enrichment) -> HttpRequest {
    let mut body = json!({
        "linkedin_url": enrichment.linkedin_url,
        "type": enrichment.email_type.as_str(),
    });
    if let Some(url) = &enrichment.callback_url {
        body["callback_url"] = Value::from(url.as_str());
    }
    if let Some(id) = &enrichment.external_id {
        body["external_id"] = Value::from(id.as_str());
    }
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
    let body = object_body(response, now, what)?;
    let task_id = json::id(&body, "_id").ok_or_else(|| {
        Error::protocol(format!(
            "{what}: the answer has no _id, so the request cannot be polled. A second request \
             may be charged once it finds an email."
        ))
        .with_status(response.status)
    })?;
    Ok(Created {
        kind: TaskKind::SalesfinityEmail,
        task_id: Some(task_id),
        provider_status: json::text(&body, "status").unwrap_or_default().to_string(),
        skipped_ids: Vec::new(),
        skipped_detail: None,
    })
}

/// Reads `200 { _id, status, linkedin_url, enrichment_type, email: { email, type } | null, external_id }`.
pub(super) fn parse_task(
    task_id: &str,
    response: &HttpResponse,
    now: Millis,
) -> Result<Snapshot, Error> {
    let what = format!("Polling Salesfinity enrichment {task_id}");
    let body = object_body(response, now, &what)?;
    let found = found_email(&body);
    let word = json::text(&body, "status");
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
    let task_id = json::id(&body, "_id").unwrap_or_else(|| task_id.to_string());
    let item = Item {
        id: json::text(&body, "linkedin_url").map_or_else(|| task_id.clone(), str::to_string),
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
        external_id: json::text(&body, "external_id").map(str::to_string),
    })
}

/// The email and its type, when `email` is an object with a non-empty `email` string.
fn found_email(body: &Object) -> Option<(String, Option<String>)> {
    let email = body.get("email")?.as_object()?;
    let address = json::text(email, "email")?.trim();
    if address.is_empty() {
        return None;
    }
    Some((
        address.to_string(),
        json::text(email, "type").map(str::to_string),
    ))
}

pub(super) fn balance(endpoint: &Endpoint) -> HttpRequest {
    endpoint.request(Method::Get, "/v1/api/enrichment/credits", None)
}

/// Reads `{ "balance": 250 }`.
pub(super) fn parse_balance(response: &HttpResponse, now: Millis) -> Result<Balance, Error> {
    let what = "Reading the Salesfinity credit balance";
    let body = object_body(response, now, what)?;
    let balance = json::number(&body, "balance").ok_or_else(|| {
        Error::protocol(format!("{what}: the answer has no balance.")).with_status(response.status)
    })?;
    Ok(Balance {
        balance,
        reset_at: None,
    })
}
