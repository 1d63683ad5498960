//! The JSON shapes JavaScript callers receive.
//!
//! This is the data half of the JS contract (the TypeScript types in `src/js/types.d.ts` describe
//! the same shapes). It lives in the core so it is tested natively; the facade only hands the
//! text to `JSON.parse`. Absent values are left out rather than sent as `null`, matching the
//! optional (`?`) fields of the TypeScript types.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Map, Value};

use crate::contacts::{Contact, ContactPage};
use crate::error::Error;
use crate::http::Millis;
use crate::model::{Anomaly, Item, Snapshot, Summary, TaskResult};
use crate::poller::Event;
use crate::providers::{Balance, Created, Precheck, ProviderFacts};
use crate::validate::Selection;

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value.into());
    }
}

/// A task's state as JS sees it, written straight to JSON text by serde: no `Value` is built,
/// since this runs for every answer of every task. With a summary it is the finished task's
/// result (every item sorted by outcome, and the price); `request_id` is the answer's
/// `x-request-id`, when it had one.
pub struct TaskView<'a> {
    pub snapshot: &'a Snapshot,
    pub summary: Option<&'a Summary>,
    pub request_id: Option<&'a str>,
}

impl<'a> TaskView<'a> {
    /// A task's state as of one answer.
    pub fn snapshot(snapshot: &'a Snapshot, request_id: Option<&'a str>) -> TaskView<'a> {
        TaskView {
            snapshot,
            summary: None,
            request_id,
        }
    }

    /// A finished task: its last state, every item sorted by outcome, and the price.
    pub fn result(result: &'a TaskResult, request_id: Option<&'a str>) -> TaskView<'a> {
        TaskView {
            snapshot: &result.snapshot,
            summary: Some(&result.summary),
            request_id,
        }
    }

    /// The view as JSON text, for the host's `JSON.parse`.
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Serialize for TaskView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let snapshot = self.snapshot;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", snapshot.kind.as_str())?;
        map.serialize_entry("taskId", &snapshot.task_id)?;
        map.serialize_entry("status", snapshot.status.as_str())?;
        map.serialize_entry("providerStatus", &snapshot.provider_status)?;
        map.serialize_entry("done", &snapshot.done())?;
        map.serialize_entry("items", &ItemsView(&snapshot.items))?;
        if let Some(id) = &snapshot.external_id {
            map.serialize_entry("externalId", id)?;
        }
        map.serialize_entry("anomalies", &AnomaliesView(&snapshot.anomalies))?;
        if let Some(summary) = self.summary {
            map.serialize_entry("delivered", &ItemsView(&summary.delivered))?;
            map.serialize_entry("failed", &ItemsView(&summary.failed))?;
            map.serialize_entry("notFound", &ItemsView(&summary.not_found))?;
            map.serialize_entry("noValue", &ItemsView(&summary.no_value))?;
            map.serialize_entry("unresolved", &ItemsView(&summary.unresolved))?;
            map.serialize_entry("credits", &summary.credits)?;
        }
        if let Some(id) = self.request_id {
            map.serialize_entry("requestId", id)?;
        }
        map.end()
    }
}

struct ItemView<'a>(&'a Item);

impl Serialize for ItemView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let item = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &item.id)?;
        map.serialize_entry("status", item.state.as_str())?;
        map.serialize_entry("providerStatus", &item.provider_status)?;
        for (key, value) in [
            ("value", &item.value),
            ("valueType", &item.value_type),
            ("errorCode", &item.error_code),
        ] {
            if let Some(value) = value {
                map.serialize_entry(key, value)?;
            }
        }
        map.serialize_entry("chargeable", &item.chargeable)?;
        map.end()
    }
}

struct ItemsView<'a>(&'a [Item]);

impl Serialize for ItemsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ItemView))
    }
}

struct AnomaliesView<'a>(&'a [Anomaly]);

impl Serialize for AnomaliesView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|a| {
            let mut map = Map::new();
            let (problem, index, id) = match a {
                Anomaly::ItemWithoutId { index } => ("item-without-id", Some(index), None),
                Anomaly::ItemWithoutStatus { index, id } => {
                    ("item-without-status", Some(index), Some(id))
                }
                Anomaly::RepeatedId { id } => ("repeated-id", None, Some(id)),
            };
            map.insert("problem".into(), problem.into());
            put(&mut map, "index", index.copied());
            put(&mut map, "id", id.cloned());
            Value::Object(map)
        }))
    }
}

/// One `pollOnce` step: `{ done, nextPollAt, snapshot, token, result? }`.
pub struct PollStepView<'a> {
    pub snapshot: Option<TaskView<'a>>,
    pub result: Option<TaskView<'a>>,
    pub next_poll_at: Option<Millis>,
    pub token: &'a str,
}

impl PollStepView<'_> {
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Serialize for PollStepView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("done", &self.result.is_some())?;
        if let Some(result) = &self.result {
            map.serialize_entry("result", result)?;
        }
        map.serialize_entry("nextPollAt", &self.next_poll_at)?;
        map.serialize_entry("snapshot", &self.snapshot)?;
        map.serialize_entry("token", self.token)?;
        map.end()
    }
}

/// The views as `Value`s, for tests that compare shapes.
#[cfg(test)]
fn to_value(view: &impl Serialize) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

#[cfg(test)]
pub fn snapshot(snapshot: &Snapshot) -> Value {
    to_value(&TaskView::snapshot(snapshot, None))
}

/// A finished task: the snapshot plus every item sorted by outcome, and the price.
#[cfg(test)]
pub fn result(result: &TaskResult) -> Value {
    to_value(&TaskView::result(result, None))
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
        "key": crate::config::unlock_key(kind, s),
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

/// What happened while polling, for `onEvent` (a timeline of polls and waits), as JSON text.
pub fn event(event: &Event, at: Millis) -> String {
    let view = match event {
        Event::Progress(snapshot) => {
            let view = ProgressView {
                at,
                snapshot: TaskView::snapshot(snapshot, None),
            };
            return serde_json::to_string(&view).unwrap_or_default();
        }
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
    };
    view.to_string()
}

/// `{ type: "progress", at, snapshot }`.
struct ProgressView<'a> {
    at: Millis,
    snapshot: TaskView<'a>,
}

impl Serialize for ProgressView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", "progress")?;
        map.serialize_entry("at", &self.at)?;
        map.serialize_entry("snapshot", &self.snapshot)?;
        map.end()
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
