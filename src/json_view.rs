//! The JSON shapes JavaScript callers receive.
//!
//! This is the data half of the JS contract (the TypeScript types in `src/js/types.d.ts` describe
//! the same shapes). It lives in the core so it is tested natively; the facade only hands the
//! text to `JSON.parse`. Absent values are left out rather than sent as `null`, matching the
//! optional (`?`) fields of the TypeScript types.

use serde_json::{json, Map, Value};

use crate::contacts::{Contact, ContactPage};
use crate::error::Error;
use crate::http::Millis;
use crate::model::{Anomaly, Item, Snapshot, TaskResult};
use crate::poller::Event;
use crate::providers::{Balance, Created, Precheck, ProviderFacts};
use crate::validate::Selection;

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value.into());
    }
}

pub fn item(item: &Item) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), item.id.clone().into());
    map.insert("status".into(), item.state.as_str().into());
    map.insert("providerStatus".into(), item.provider_status.clone().into());
    put(&mut map, "value", item.value.clone());
    put(&mut map, "valueType", item.value_type.clone());
    put(&mut map, "errorCode", item.error_code.clone());
    map.insert("chargeable".into(), item.chargeable.into());
    Value::Object(map)
}

fn items(list: &[Item]) -> Value {
    Value::Array(list.iter().map(item).collect())
}

pub fn snapshot(snapshot: &Snapshot) -> Value {
    let mut map = Map::new();
    map.insert("kind".into(), snapshot.kind.as_str().into());
    map.insert("taskId".into(), snapshot.task_id.clone().into());
    map.insert("status".into(), snapshot.status.as_str().into());
    map.insert(
        "providerStatus".into(),
        snapshot.provider_status.clone().into(),
    );
    map.insert("done".into(), snapshot.done().into());
    map.insert("items".into(), items(&snapshot.items));
    put(&mut map, "externalId", snapshot.external_id.clone());
    map.insert(
        "anomalies".into(),
        Value::Array(snapshot.anomalies.iter().map(anomaly).collect()),
    );
    Value::Object(map)
}

fn anomaly(anomaly: &Anomaly) -> Value {
    match anomaly {
        Anomaly::ItemWithoutId { index } => json!({ "problem": "item-without-id", "index": index }),
        Anomaly::ItemWithoutStatus { index, id } => {
            json!({ "problem": "item-without-status", "index": index, "id": id })
        }
        Anomaly::RepeatedId { id } => json!({ "problem": "repeated-id", "id": id }),
    }
}

/// A finished task: the snapshot plus every item sorted by outcome, and the price.
pub fn result(result: &TaskResult) -> Value {
    let mut value = snapshot(&result.snapshot);
    let s = &result.summary;
    if let Value::Object(map) = &mut value {
        map.insert("delivered".into(), items(&s.delivered));
        map.insert("failed".into(), items(&s.failed));
        map.insert("notFound".into(), items(&s.not_found));
        map.insert("noValue".into(), items(&s.no_value));
        map.insert("unresolved".into(), items(&s.unresolved));
        map.insert("credits".into(), s.credits.into());
    }
    value
}

/// A create answer: the task to follow (with its token), or "nothing to do".
pub fn started(
    created: &Created,
    token: Option<&str>,
    created_at: Millis,
    selection: Option<&Selection>,
    reused: bool,
) -> Value {
    let skipped_detail = created.skipped_detail.clone().unwrap_or(Value::Null);
    json!({
        "started": created.task_id.is_some(),
        "kind": created.kind.as_str(),
        "taskId": created.task_id,
        "token": token,
        "createdAt": created_at,
        "reused": reused,
        "providerStatus": created.provider_status,
        "skippedIds": created.skipped_ids,
        "skipped": created.skipped.iter().map(|s| json!({ "id": s.id, "reason": s.reason.as_str() })).collect::<Vec<_>>(),
        "skippedDetail": skipped_detail,
        "duplicates": selection.map_or(&[][..], |s| &s.duplicates[..]),
    })
}

/// A checked unlock input, with the key that names the selection whatever its order.
pub fn selection(kind: crate::kind::TaskKind, s: &Selection) -> Value {
    json!({
        "eventId": s.event_id,
        "personnelIds": s.personnel_ids,
        "duplicates": s.duplicates,
        "key": format!("{}\n{}", kind.as_str(), s.fingerprint()),
    })
}

/// A checked enrichment input, with the key that names the lookup.
pub fn enrichment(e: &crate::validate::Enrichment) -> Value {
    let mut map = Map::new();
    map.insert("linkedinUrl".into(), e.linkedin_url.clone().into());
    map.insert("type".into(), e.email_type.as_str().into());
    put(&mut map, "callbackUrl", e.callback_url.clone());
    put(&mut map, "externalId", e.external_id.clone());
    map.insert(
        "key".into(),
        format!("salesfinity.email\n{}", e.fingerprint()).into(),
    );
    Value::Object(map)
}

pub fn provider_facts(facts: &ProviderFacts) -> Value {
    json!({
        "baseUrl": facts.base_url,
        "authHeader": facts.auth_header,
        "authPrefix": facts.auth_prefix,
    })
}

pub fn balance(balance: &Balance) -> Value {
    let mut map = Map::new();
    map.insert("balance".into(), json!(balance.balance));
    put(&mut map, "resetAt", balance.reset_at);
    Value::Object(map)
}

pub fn precheck(p: &Precheck) -> Value {
    json!({
        "allowed": p.allowed,
        "shouldCharge": p.should_charge,
        "credits": p.credits,
        "reasonCode": p.reason_code,
        "bizCode": p.biz_code,
        "chargeableIds": p.chargeable_ids,
        "alreadyUnlockedIds": p.already_unlocked_ids,
        "unlockingIds": p.unlocking_ids,
        "missingIds": p.missing_ids,
        "invalidIds": p.invalid_ids,
        "requestedCount": p.requested_count,
        "chargeableCount": p.chargeable_count,
        "alreadyUnlockedCount": p.already_unlocked_count,
        "unlockingCount": p.unlocking_count,
    })
}

pub fn contact(c: &Contact) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), c.id.clone().into());
    put(&mut map, "fullName", c.full_name.clone());
    put(&mut map, "title", c.title.clone());
    put(&mut map, "companyName", c.company_name.clone());
    put(&mut map, "linkedinUrl", c.linkedin_url.clone());
    map.insert("emailStatus".into(), c.email_state.as_str().into());
    map.insert("providerEmailStatus".into(), c.email_status.clone().into());
    put(&mut map, "email", c.email.clone());
    put(&mut map, "phoneStatus", c.phone_status.clone());
    put(&mut map, "phone", c.phone.clone());
    Value::Object(map)
}

pub fn contact_page(p: &ContactPage) -> Value {
    let mut map = Map::new();
    map.insert(
        "items".into(),
        Value::Array(p.items.iter().map(contact).collect()),
    );
    put(&mut map, "total", p.total);
    map.insert("page".into(), p.page.into());
    map.insert("pageSize".into(), p.page_size.into());
    put(&mut map, "totalPages", p.total_pages);
    map.insert("hasMore".into(), p.has_more.into());
    map.insert("accessible".into(), p.accessible.into());
    put(&mut map, "accessMode", p.access_mode.clone());
    put(&mut map, "previewLimit", p.preview_limit);
    map.insert("unreadable".into(), p.unreadable.into());
    Value::Object(map)
}

/// What happened while polling, for `onEvent` (a timeline of polls and waits).
pub fn event(event: &Event, at: Millis) -> Value {
    match event {
        Event::Progress(s) => json!({ "type": "progress", "at": at, "snapshot": snapshot(s) }),
        Event::Throttled { error, resume_at } => json!({
            "type": "throttled", "at": at, "resumeAt": resume_at,
            "retryAfterMs": error.retry_after_ms, "traceId": error.trace_id,
        }),
        Event::Retrying {
            error,
            failures,
            resume_at,
        } => json!({
            "type": "retrying", "at": at, "resumeAt": resume_at, "failures": failures,
            "code": error.code.as_str(), "message": error.message, "traceId": error.trace_id,
        }),
    }
}

/// A poll was answered (`status`) or failed without an answer (`status` null).
pub fn polled(at: Millis, status: Option<u16>) -> Value {
    json!({ "type": "poll", "at": at, "status": status })
}

/// The next poll waits until `until`.
pub fn waiting(at: Millis, until: Millis) -> Value {
    json!({ "type": "wait", "at": at, "until": until })
}

/// A successful answer's view with the provider's request id (Lensmor's `X-Request-ID`, the
/// traceId support asks for), when the answer carried one.
pub fn with_request_id(mut view: Value, request_id: Option<&str>) -> Value {
    if let (Value::Object(map), Some(id)) = (&mut view, request_id) {
        map.insert("requestId".into(), id.into());
    }
    view
}

/// What the `onRequest` hook is told: no headers, so never a key (keys only travel in headers).
pub fn request_hook(method: &str, url: &str) -> Value {
    json!({ "method": method, "url": url })
}

/// What the `onResponse` hook is told about one request: its answer's status and request id,
/// or the code of the error that left it unanswered.
pub fn response_hook(
    method: &str,
    url: &str,
    duration_ms: u64,
    outcome: Result<(u16, Option<&str>), &Error>,
) -> Value {
    let mut map = Map::new();
    map.insert("method".into(), method.into());
    map.insert("url".into(), url.into());
    map.insert("durationMs".into(), duration_ms.into());
    match outcome {
        Ok((status, trace_id)) => {
            map.insert("status".into(), status.into());
            put(&mut map, "traceId", trace_id);
        }
        Err(error) => {
            map.insert("error".into(), error.code.as_str().into());
        }
    }
    Value::Object(map)
}

/// What the `onWait` hook is told: a request waits for the client's rate budget, or a safe
/// read waits to be retried.
pub fn wait_hook(reason: &str, at: Millis, until: Millis, error: Option<&Error>) -> Value {
    let mut map = Map::new();
    map.insert("reason".into(), reason.into());
    map.insert("at".into(), at.into());
    map.insert("until".into(), until.into());
    put(&mut map, "code", error.map(|e| e.code.as_str()));
    Value::Object(map)
}

/// The fields an `UnlockError` carries besides its message.
pub fn error_fields(error: &Error) -> Value {
    let mut map = Map::new();
    map.insert("code".into(), error.code.as_str().into());
    put(&mut map, "status", error.status);
    put(&mut map, "errorKey", error.error_key.clone());
    put(&mut map, "traceId", error.trace_id.clone());
    put(&mut map, "retryAfterMs", error.retry_after_ms);
    put(&mut map, "field", error.field.clone());
    put(&mut map, "details", error.details.clone());
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::kind::TaskKind;
    use crate::model::{ItemState, TaskStatus};

    fn sample() -> Snapshot {
        Snapshot {
            kind: TaskKind::LensmorEmail,
            task_id: "321".into(),
            status: TaskStatus::Completed,
            provider_status: "completed".into(),
            items: vec![
                Item {
                    id: "789".into(),
                    state: ItemState::Delivered,
                    provider_status: "unlocked".into(),
                    value: Some("jane@acme.example".into()),
                    value_type: None,
                    error_code: None,
                    chargeable: true,
                },
                Item {
                    id: "790".into(),
                    state: ItemState::Failed,
                    provider_status: "failed".into(),
                    value: None,
                    value_type: None,
                    error_code: Some("TASK_FAILED".into()),
                    chargeable: false,
                },
            ],
            external_id: None,
            anomalies: Vec::new(),
        }
    }

    #[test]
    fn result_shape() {
        let value = result(&TaskResult::new(sample(), 15));
        assert_eq!(
            value,
            json!({
                "kind": "lensmor.email", "taskId": "321", "status": "completed",
                "providerStatus": "completed", "done": true,
                "items": [
                    {"id": "789", "status": "delivered", "providerStatus": "unlocked", "value": "jane@acme.example", "chargeable": true},
                    {"id": "790", "status": "failed", "providerStatus": "failed", "errorCode": "TASK_FAILED", "chargeable": false}
                ],
                "delivered": [{"id": "789", "status": "delivered", "providerStatus": "unlocked", "value": "jane@acme.example", "chargeable": true}],
                "failed": [{"id": "790", "status": "failed", "providerStatus": "failed", "errorCode": "TASK_FAILED", "chargeable": false}],
                "anomalies": [],
                "notFound": [], "noValue": [], "unresolved": [], "credits": 15
            })
        );
    }

    #[test]
    fn hook_views_carry_no_headers() {
        let ok = response_hook("GET", "https://x/y", 12, Ok((200, Some("t-1"))));
        assert_eq!(
            ok,
            json!({"method": "GET", "url": "https://x/y", "durationMs": 12, "status": 200, "traceId": "t-1"})
        );
        let failed = response_hook("GET", "https://x/y", 5, Err(&Error::network("reset")));
        assert_eq!(failed["error"], "network");
        assert_eq!(
            with_request_id(json!({"a": 1}), Some("r")),
            json!({"a": 1, "requestId": "r"})
        );
        assert_eq!(with_request_id(json!({"a": 1}), None), json!({"a": 1}));
        assert_eq!(
            wait_hook("rate-budget", 1, 2, None),
            json!({"reason": "rate-budget", "at": 1, "until": 2})
        );
    }

    #[test]
    fn error_shape_leaves_absent_fields_out() {
        let e = Error::validation("personnelIds", "too many").with_status(400);
        assert_eq!(
            error_fields(&e),
            json!({"code": "validation", "status": 400, "field": "personnelIds"})
        );
        let e = Error::new(ErrorCode::NotFound, "x");
        assert_eq!(error_fields(&e), json!({"code": "not_found"}));
    }
}
