//! Lensmor: email and phone unlocks of event personnel, credits and the precheck.
//!
//! Paths, field names and status words are the ones in the seeds and `API.md`. The phone routes
//! mirror the email ones (create shape inferred from the public endpoint list).

use serde_json::{json, Value};

use super::json::{self, Object};
use super::response::object_body;
use super::{path_segment, Balance, Created, Endpoint};
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method, Millis};
use crate::kind::TaskKind;
use crate::model::{self, Item, ItemState, Snapshot, TaskStatus};
use crate::validate::Selection;

/// The paths and value field of one Lensmor unlock kind.
struct Route {
    create: &'static str,
    poll: &'static str,
    /// The item field that carries the unlocked value.
    value_field: &'static str,
    precheck_action: &'static str,
    noun: &'static str,
}

fn route(kind: TaskKind) -> Option<Route> {
    match kind {
        TaskKind::LensmorEmail => Some(Route {
            create: "/external/contacts/unlock",
            poll: "/external/contacts/unlock-tasks/",
            value_field: "email",
            precheck_action: "unlock_contact_emails",
            noun: "email",
        }),
        TaskKind::LensmorPhone => Some(Route {
            create: "/external/contacts/unlock-phone",
            poll: "/external/contacts/unlock-phone-tasks/",
            value_field: "phone",
            precheck_action: "unlock_contact_phones",
            noun: "phone",
        }),
        TaskKind::SalesfinityEmail => None,
    }
}

fn selection_body(selection: &Selection) -> Value {
    json!({ "event_id": selection.event_id, "personnel_ids": selection.personnel_ids })
}

pub(super) fn create(
    endpoint: &Endpoint,
    kind: TaskKind,
    selection: &Selection,
) -> Option<HttpRequest> {
    let route = route(kind)?;
    Some(endpoint.request(Method::Post, route.create, Some(selection_body(selection))))
}

pub(super) fn poll(endpoint: &Endpoint, kind: TaskKind, task_id: &str) -> HttpRequest {
    let base = route(kind).map_or("", |r| r.poll);
    endpoint.request(
        Method::Get,
        &format!("{base}{}", path_segment(task_id)),
        None,
    )
}

/// Reads `201 { status, task_id, job_id, skipped_personnel_ids?, skipped_detail? }`.
///
/// Newer API versions answer `status: "success"` with no task when nothing needed unlocking:
/// that is "nothing to do", not an error. An `accepted` answer without an id is an error,
/// though: a task was started (and may be charged) that could never be polled, and the caller
/// must hear that rather than believe nothing happened.
pub(super) fn parse_created(
    kind: TaskKind,
    response: &HttpResponse,
    now: Millis,
) -> Result<Created, Error> {
    let noun = route(kind).map_or("", |r| r.noun);
    let what = format!("Starting the Lensmor {noun} unlock");
    let body = object_body(response, now, &what)?;
    let task_id = json::id(&body, "task_id").or_else(|| json::id(&body, "job_id"));
    let provider_status = json::text(&body, "status").unwrap_or_default().to_string();
    if task_id.is_none() && provider_status == "accepted" {
        return Err(Error::protocol(format!(
            "{what}: Lensmor accepted the task but sent no task_id, so it cannot be polled. \
             Check the contacts' unlock state before trying again: a second request may be charged."
        ))
        .with_status(response.status));
    }
    Ok(Created {
        kind,
        task_id,
        provider_status,
        skipped_ids: json::id_list(&body, "skipped_personnel_ids"),
        skipped_detail: body.get("skipped_detail").filter(|v| !v.is_null()).cloned(),
    })
}

/// Reads `200 { taskId, taskStatus, items: [{ personnelId, status, email|phone, errorCode }] }`.
pub(super) fn parse_task(
    kind: TaskKind,
    task_id: &str,
    response: &HttpResponse,
    now: Millis,
) -> Result<Snapshot, Error> {
    let route = route(kind).ok_or_else(|| Error::protocol("not a Lensmor task"))?;
    let what = format!("Polling Lensmor {} task {task_id}", route.noun);
    let body = object_body(response, now, &what)?;
    let missing = |field: &str| {
        Error::protocol(format!("{what}: the answer has no {field}.")).with_status(response.status)
    };
    let provider_status = json::text(&body, "taskStatus").ok_or_else(|| missing("taskStatus"))?;
    let raw_items = match body.get("items") {
        Some(Value::Array(items)) => items.as_slice(),
        None | Some(Value::Null) => &[],
        Some(_) => return Err(missing("items list")),
    };
    let mut items: Vec<Item> = Vec::with_capacity(raw_items.len());
    for raw in raw_items {
        let object = raw.as_object().ok_or_else(|| missing("item object"))?;
        let item = parse_item(object, route.value_field)
            .ok_or_else(|| missing("personnelId or status on an item"))?;
        model::merge_item(&mut items, item);
    }
    Ok(Snapshot {
        kind,
        task_id: json::id(&body, "taskId").unwrap_or_else(|| task_id.to_string()),
        status: task_status(provider_status),
        provider_status: provider_status.to_string(),
        items,
        external_id: None,
    })
}

fn task_status(word: &str) -> TaskStatus {
    match word {
        "pending" => TaskStatus::Pending,
        "processing" => TaskStatus::Processing,
        "completed" => TaskStatus::Completed,
        "failed" => TaskStatus::Failed,
        _ => TaskStatus::Unknown,
    }
}

fn parse_item(object: &Object, value_field: &str) -> Option<Item> {
    let id = json::id(object, "personnelId")?;
    let provider_status = json::text(object, "status")?;
    let value = json::text(object, value_field)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let state = match provider_status {
        "pending" => ItemState::Pending,
        "processing" => ItemState::Processing,
        // Delivered only when unlocked *and* the value is present.
        "unlocked" if value.is_some() => ItemState::Delivered,
        "unlocked" => ItemState::NoValue,
        "failed" => ItemState::Failed,
        _ => ItemState::Unknown,
    };
    Some(Item {
        id,
        // A value is reported only with an unlocked status; anything else would be a guess.
        value: value.filter(|_| provider_status == "unlocked"),
        state,
        provider_status: provider_status.to_string(),
        value_type: None,
        error_code: json::text(object, "errorCode").map(str::to_string),
        // "15 credits per chargeable contact": an unlocked contact is one Lensmor charged.
        chargeable: provider_status == "unlocked",
    })
}

pub(super) fn balance(endpoint: &Endpoint) -> HttpRequest {
    endpoint.request(Method::Get, "/external/credits/balance", None)
}

/// Reads `{ totalBalance, resetAt, ... }`; other fields come and go between API versions.
pub(super) fn parse_balance(response: &HttpResponse, now: Millis) -> Result<Balance, Error> {
    let what = "Reading the Lensmor credit balance";
    let body = object_body(response, now, what)?;
    let balance = json::number(&body, "totalBalance").ok_or_else(|| {
        Error::protocol(format!("{what}: the answer has no totalBalance."))
            .with_status(response.status)
    })?;
    let reset_at = json::number(&body, "resetAt")
        .filter(|v| *v >= 0.0)
        .map(|v| v as Millis);
    Ok(Balance { balance, reset_at })
}

/// What Lensmor says an unlock would do, before anything is charged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Precheck {
    pub allowed: bool,
    pub should_charge: bool,
    /// Credits the unlock would cost.
    pub credits: f64,
    /// `ok`, `already_unlocked`, `unlock_in_progress`, `insufficient_balance`, ...
    pub reason_code: String,
    /// Deduplicated ids that would be charged.
    pub chargeable_ids: Vec<String>,
    pub requested_count: u64,
    pub chargeable_count: u64,
    pub already_unlocked_count: u64,
    pub unlocking_count: u64,
    pub missing_ids: Vec<String>,
    pub invalid_ids: Vec<String>,
}

/// `POST /external/actions/precheck`. The body shape (`action_type` beside the unlock's own
/// fields) is inferred from the documented field names; the route charges nothing.
pub(super) fn precheck(
    endpoint: &Endpoint,
    kind: TaskKind,
    selection: &Selection,
) -> Option<HttpRequest> {
    let route = route(kind)?;
    let mut body = selection_body(selection);
    body["action_type"] = Value::from(route.precheck_action);
    Some(endpoint.request(Method::Post, "/external/actions/precheck", Some(body)))
}

pub(super) fn parse_precheck(response: &HttpResponse, now: Millis) -> Result<Precheck, Error> {
    let what = "Prechecking the Lensmor unlock";
    let body = object_body(response, now, what)?;
    let allowed = json::boolean(&body, "allowed").ok_or_else(|| {
        Error::protocol(format!("{what}: the answer has no allowed flag."))
            .with_status(response.status)
    })?;
    let empty = Object::new();
    let detail = body
        .get("detail")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let count = |name: &str| {
        json::number(detail, name)
            .filter(|n| *n >= 0.0)
            .map_or(0, |n| n as u64)
    };
    Ok(Precheck {
        allowed,
        should_charge: json::boolean(&body, "should_charge").unwrap_or(false),
        credits: json::number(&body, "credits").unwrap_or(0.0),
        reason_code: json::text(&body, "reason_code")
            .unwrap_or_default()
            .to_string(),
        chargeable_ids: json::id_list(detail, "personnel_ids"),
        requested_count: count("requested_count"),
        chargeable_count: count("chargeable_count"),
        already_unlocked_count: count("already_unlocked_count"),
        unlocking_count: count("unlocking_count"),
        missing_ids: json::id_list(detail, "missing_personnel_ids"),
        invalid_ids: json::id_list(detail, "invalid_personnel_ids"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::kind::Provider;
    use crate::providers::{self, CallSource};

    const NOW: Millis = 1_763_800_000_000;

    fn endpoint() -> Endpoint {
        Endpoint::new(
            Provider::Lensmor,
            Some("https://proxy.example/lensmor/"),
            Some("uak_k"),
            Some(CallSource::Agent),
        )
        .unwrap()
    }

    fn selection() -> Selection {
        Selection::new("139574", &["789".into(), "790".into()], 100).unwrap()
    }

    #[test]
    fn phone_unlock_uses_the_phone_routes_and_call_source() {
        let create =
            providers::create_unlock(&endpoint(), TaskKind::LensmorPhone, &selection()).unwrap();
        assert_eq!(
            create.url,
            "https://proxy.example/lensmor/external/contacts/unlock-phone"
        );
        assert_eq!(create.header("x-call-source"), Some("agent"));
        let poll =
            providers::poll_request(&endpoint(), TaskKind::LensmorPhone, "phone_321").unwrap();
        assert_eq!(
            poll.url,
            "https://proxy.example/lensmor/external/contacts/unlock-phone-tasks/phone_321"
        );
        assert_eq!(poll.body, None);
        assert_eq!(poll.header("content-type"), None);
    }

    #[test]
    fn create_answers() {
        let parse = |status, body: &str| {
            providers::parse_created(
                TaskKind::LensmorEmail,
                &HttpResponse::new(status, body),
                NOW,
            )
        };
        // Numeric ids stay exact strings; job_id stands in for task_id.
        let c = parse(201, r#"{"status":"accepted","task_id":98765432109876543,"skipped_personnel_ids":["5",6],"skipped_detail":[{"id":"5","reason":"already_unlocked"}]}"#).unwrap();
        assert_eq!(c.task_id.as_deref(), Some("98765432109876543"));
        assert_eq!(c.skipped_ids, ["5", "6"]);
        assert_eq!(
            c.skipped_detail,
            Some(json!([{"id": "5", "reason": "already_unlocked"}]))
        );
        assert_eq!(
            parse(201, r#"{"status":"accepted","job_id":"77"}"#)
                .unwrap()
                .task_id
                .as_deref(),
            Some("77")
        );
        // Nothing to unlock: no task, no error.
        let none = parse(
            200,
            r#"{"status":"success","skipped_personnel_ids":["789"]}"#,
        )
        .unwrap();
        assert_eq!(
            (none.task_id, none.provider_status.as_str()),
            (None, "success")
        );
        // Accepted but unpollable: an error that warns about paying twice.
        let err = parse(201, r#"{"status":"accepted"}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::Protocol);
        assert!(err.message.contains("may be charged"), "{}", err.message);
        for (status, code) in [
            (400, ErrorCode::Validation),
            (402, ErrorCode::PaymentRequired),
            (409, ErrorCode::Conflict),
            (422, ErrorCode::Validation),
        ] {
            let body = format!(r#"{{"code":{status},"message":"m","errorKey":"K","traceId":"t"}}"#);
            assert_eq!(parse(status, &body).unwrap_err().code, code);
        }
    }

    #[test]
    fn items_duplicated_in_one_answer_keep_the_settled_entry() {
        let body = r#"{"taskId":"1","taskStatus":"processing","items":[
            {"personnelId":"7","status":"unlocked","email":"a@b.c"},
            {"personnelId":"7","status":"processing"},
            {"personnelId":"8","status":"pending"},
            {"personnelId":"8","status":"failed","errorCode":"TASK_NOT_FOUND"}]}"#;
        let s = providers::parse_task(
            TaskKind::LensmorEmail,
            "1",
            &HttpResponse::new(200, body),
            NOW,
        )
        .unwrap();
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].state, ItemState::Delivered);
        assert_eq!(s.items[1].state, ItemState::Failed);
        assert_eq!(s.items[1].error_code.as_deref(), Some("TASK_NOT_FOUND"));
    }

    #[test]
    fn a_value_without_unlocked_status_is_not_reported() {
        let body = r#"{"taskStatus":"processing","items":[{"personnelId":"7","status":"processing","email":"early@b.c"}]}"#;
        let s = providers::parse_task(
            TaskKind::LensmorEmail,
            "1",
            &HttpResponse::new(200, body),
            NOW,
        )
        .unwrap();
        assert_eq!(s.items[0].value, None);
        assert_eq!(
            s.task_id, "1",
            "the polled id stands in for a missing taskId"
        );
    }

    #[test]
    fn required_fields_missing_are_protocol_errors() {
        for body in [
            r#"{"items":[]}"#,
            r#"{"taskStatus":"completed","items":{}}"#,
            r#"{"taskStatus":"completed","items":[{"status":"unlocked"}]}"#,
        ] {
            let e = providers::parse_task(
                TaskKind::LensmorEmail,
                "1",
                &HttpResponse::new(200, body),
                NOW,
            )
            .unwrap_err();
            assert_eq!(e.code, ErrorCode::Protocol, "{body}");
        }
    }

    #[test]
    fn balance_tolerates_versions() {
        let req = providers::balance_request(&endpoint());
        assert_eq!(
            req.url,
            "https://proxy.example/lensmor/external/credits/balance"
        );
        let body = r#"{"totalAmount":1000,"totalBalance":"985","subscriptionBalance":900,"giftBalance":85,"resetAt":1764000000000,"addonBalance":0,"future":true}"#;
        let b = providers::parse_balance(Provider::Lensmor, &HttpResponse::new(200, body), NOW)
            .unwrap();
        assert_eq!((b.balance, b.reset_at), (985.0, Some(1_764_000_000_000)));
        let b = providers::parse_balance(
            Provider::Lensmor,
            &HttpResponse::new(200, r#"{"totalBalance":0,"resetAt":null}"#),
            NOW,
        )
        .unwrap();
        assert_eq!((b.balance, b.reset_at), (0.0, None));
        assert!(
            providers::parse_balance(Provider::Lensmor, &HttpResponse::new(200, "{}"), NOW)
                .is_err()
        );
    }

    #[test]
    fn precheck_request_and_answer() {
        let req =
            providers::precheck_request(&endpoint(), TaskKind::LensmorPhone, &selection()).unwrap();
        assert_eq!(
            req.url,
            "https://proxy.example/lensmor/external/actions/precheck"
        );
        let sent: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({"action_type":"unlock_contact_phones","event_id":"139574","personnel_ids":["789","790"]})
        );
        let body = r#"{"allowed":true,"should_charge":true,"credits":15,"reason_code":"ok","detail":{
            "personnel_ids":["790"],"requested_count":2,"chargeable_count":1,"already_unlocked_count":1,
            "unlocking_count":0,"missing_personnel_ids":[],"invalid_personnel_ids":[]}}"#;
        let p = providers::parse_precheck(&HttpResponse::new(200, body), NOW).unwrap();
        assert!(p.allowed && p.should_charge);
        assert_eq!((p.credits, p.reason_code.as_str()), (15.0, "ok"));
        assert_eq!(p.chargeable_ids, ["790"]);
        assert_eq!(
            (
                p.requested_count,
                p.chargeable_count,
                p.already_unlocked_count
            ),
            (2, 1, 1)
        );
        let refused = providers::parse_precheck(
            &HttpResponse::new(
                200,
                r#"{"allowed":false,"reason_code":"insufficient_balance"}"#,
            ),
            NOW,
        )
        .unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.reason_code, "insufficient_balance");
        assert!(
            providers::precheck_request(&endpoint(), TaskKind::SalesfinityEmail, &selection())
                .is_err()
        );
    }
}
