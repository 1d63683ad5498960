//! The JSON shapes JavaScript callers receive.
//!
//! This is the data half of the JS contract (the TypeScript types in `src/js/types.d.ts` describe
//! the same shapes). It lives in the core so it is tested natively; the facade only hands the
//! text to `JSON.parse` (item lists, packed, are then made into objects by
//! `src/js/boundary.js`, which the tests here copy in Rust). Absent values are left out rather
//! than sent as `null`, matching the optional (`?`) fields of the TypeScript types.
//!
//! Punctuation goes out with `push_str`, as in [`crate::json_out`] (why: there).
#![allow(clippy::single_char_add_str)]

use crate::contacts::{Contact, ContactPage};
use crate::error::Error;
use crate::http::Millis;
use crate::json_out::{escaped, list, object as text, string, utf16_len, Obj};
use crate::model::{Anomaly, Item, ItemState, PartState, Snapshot, Summary, TaskResult};
use crate::poller::Event;
use crate::providers::{Balance, Created, Precheck, ProviderFacts};
use crate::validate::Selection;

/// A task's state as JS sees it. With a summary it is the finished task's result (every item
/// sorted by outcome, and the price); `request_id` is the answer's `x-request-id`, when it had
/// one. Written for every answer of every task, so straight to text ([`crate::json_out`]).
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
        let mut out = String::with_capacity(64 + 96 * self.snapshot.items.len());
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        let snapshot = self.snapshot;
        let mut obj = Obj::new(out);
        obj.str("kind", snapshot.kind.as_str())
            .str("taskId", &snapshot.task_id)
            .str("status", snapshot.status.as_str())
            .str("providerStatus", &snapshot.provider_status)
            .bool("done", snapshot.done());
        items(obj.key("items"), &snapshot.items);
        obj.opt_str("externalId", snapshot.external_id.as_deref());
        list(obj.key("anomalies"), &snapshot.anomalies, anomaly);
        if !snapshot.parts.is_empty() {
            list(obj.key("parts"), &snapshot.parts, part);
        }
        if let Some(summary) = self.summary {
            items(obj.key("delivered"), &summary.delivered);
            items(obj.key("failed"), &summary.failed);
            items(obj.key("notFound"), &summary.not_found);
            items(obj.key("noValue"), &summary.no_value);
            items(obj.key("unresolved"), &summary.unresolved);
            obj.uint("credits", summary.credits);
        }
        obj.opt_str("requestId", self.request_id);
        obj.end();
    }
}

/// The item states in the order a packed item list numbers them (`state as usize`).
const STATES: [ItemState; 7] = [
    ItemState::Pending,
    ItemState::Processing,
    ItemState::Delivered,
    ItemState::Failed,
    ItemState::NotFound,
    ItemState::NoValue,
    ItemState::Unknown,
];

/// An item list, packed: `[states, texts, cells]`. `states` is the words of [`STATES`]; `texts`
/// is every item's texts, one after the other (id, provider status, then value, value type and
/// error code when present); `cells` is a string of numbers, one character each (see [`cell`]):
/// per item its flags (1: a value, 2: a value type, 4: an error code, 8: chargeable), its id's
/// length, its state's number, its provider status's length, then the length of each text
/// present. Lengths are in UTF-16 code units, so JavaScript cuts `texts` with `slice`.
/// `src/js/boundary.js` turns this back into the item objects of the TypeScript types (`Item`),
/// in their key order.
///
/// Why not a list of objects: the host's `JSON.parse` of a 100-item list of objects took longer
/// than a plain-JS reader's whole work; building the objects from this form takes a fraction of
/// that, and reading the numbers as characters a fifth of reading them as JSON numbers
/// (BENCHMARKS.md).
fn items(out: &mut String, items: &[Item]) {
    out.push_str("[");
    list(out, &STATES, |out, state| string(out, state.as_str()));
    out.push_str(",\"");
    // One pass: the texts go straight into `out`, the cells here, appended after them.
    let mut cells = String::with_capacity(8 * items.len());
    let text = |out: &mut String, cells: &mut String, text: &str| {
        escaped(out, text);
        cell(cells, utf16_len(text));
    };
    for item in items {
        let flags = usize::from(item.value.is_some())
            | usize::from(item.value_type.is_some()) << 1
            | usize::from(item.error_code.is_some()) << 2
            | usize::from(item.chargeable) << 3;
        cell(&mut cells, flags);
        text(out, &mut cells, &item.id);
        cell(&mut cells, item.state as usize);
        text(out, &mut cells, &item.provider_status);
        for optional in [&item.value, &item.value_type, &item.error_code]
            .into_iter()
            .flatten()
        {
            text(out, &mut cells, optional);
        }
    }
    out.push_str("\",\"");
    escaped(out, &cells);
    out.push_str("\"]");
}

/// Numbers below this are one character in a packed list's cells.
const ONE_CHARACTER: usize = 0xD800 - 0x20;

/// A number as characters: U+0020 + `n`, below the surrogates, so one UTF-16 unit that JS reads
/// with `charCodeAt`; a larger one (a text of 55,264 units or more) as U+E000 and then two such
/// characters of 15 bits each. Texts are far below 2^30 units (an answer is at most 4 MB).
fn cell(cells: &mut String, n: usize) {
    let unit = |cells: &mut String, n: usize| {
        // Below 0xD800 every code point is a char.
        cells.extend(char::from_u32((n + 0x20) as u32));
    };
    if n < ONE_CHARACTER {
        unit(cells, n);
    } else {
        cells.push('\u{E000}');
        unit(cells, (n >> 15) & 0x7FFF);
        unit(cells, n & 0x7FFF);
    }
}

fn anomaly(out: &mut String, anomaly: &Anomaly) {
    let (problem, index, id) = match anomaly {
        Anomaly::ItemWithoutId { index } => ("item-without-id", Some(*index), None),
        Anomaly::ItemWithoutStatus { index, id } => ("item-without-status", Some(*index), Some(id)),
        Anomaly::RepeatedId { id } => ("repeated-id", None, Some(id)),
    };
    let mut obj = Obj::new(out);
    obj.str("problem", problem)
        .opt_uint("index", index.map(|i| i as u64))
        .opt_str("id", id.map(String::as_str));
    obj.end();
}

/// One part of a group: `{ taskId, status, error? }`, the error with its code and message.
fn part(out: &mut String, part: &PartState) {
    let mut obj = Obj::new(out);
    obj.str("taskId", &part.task_id)
        .str("status", part.status.as_str());
    if let Some(error) = &part.error {
        let mut inner = Obj::new(obj.key("error"));
        inner
            .str("code", error.code.as_str())
            .str("message", &error.message)
            .opt_uint("status", error.status.map(u64::from))
            .opt_str("errorKey", error.error_key.as_deref())
            .opt_str("traceId", error.trace_id.as_deref());
        inner.end();
    }
    obj.end();
}

/// One `pollOnce` step: `{ done, result?, nextPollAt, snapshot, token }`.
pub struct PollStepView<'a> {
    pub snapshot: Option<TaskView<'a>>,
    pub result: Option<TaskView<'a>>,
    pub next_poll_at: Option<Millis>,
    pub token: &'a str,
}

impl PollStepView<'_> {
    pub fn text(&self) -> String {
        text(|obj| {
            obj.bool("done", self.result.is_some());
            if let Some(result) = &self.result {
                result.write(obj.key("result"));
            }
            obj.uint_or_null("nextPollAt", self.next_poll_at);
            match &self.snapshot {
                Some(snapshot) => snapshot.write(obj.key("snapshot")),
                None => {
                    obj.raw("snapshot", "null");
                }
            }
            obj.str("token", self.token);
        })
    }
}

/// The views as `Value`s, for tests that compare shapes: what `src/js/boundary.js` makes of a view's
/// text, packed item lists turned back into item objects.
#[cfg(test)]
fn to_value(text: &str) -> serde_json::Value {
    let mut value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    unpack_task(&mut value);
    for key in ["snapshot", "result"] {
        if let Some(task) = value.get_mut(key) {
            unpack_task(task);
        }
    }
    value
}

#[cfg(test)]
fn unpack_task(task: &mut serde_json::Value) {
    for key in [
        "items",
        "delivered",
        "failed",
        "notFound",
        "noValue",
        "unresolved",
    ] {
        if let Some(list) = task.get_mut(key).filter(|list| list[0].is_array()) {
            *list = unpack_items(list);
        }
    }
}

/// `src/js/boundary.js`'s `items`, cutting the texts by UTF-16 code units as JS does.
#[cfg(test)]
fn unpack_items(packed: &serde_json::Value) -> serde_json::Value {
    use serde_json::{Map, Value};
    let units = |key: usize| -> Vec<u16> { packed[key].as_str().unwrap().encode_utf16().collect() };
    let (texts, cells) = (units(1), units(2));
    let (mut at, mut k) = (0, 0);
    let mut items = Vec::new();
    while k < cells.len() {
        let mut next = || {
            let unit = |k: &mut usize| {
                *k += 1;
                usize::from(cells[*k - 1]) - 0x20
            };
            match unit(&mut k) {
                n if n == 0xE000 - 0x20 => unit(&mut k) << 15 | unit(&mut k),
                n => n,
            }
        };
        let mut take = |n: usize| {
            at += n;
            Value::String(String::from_utf16(&texts[at - n..at]).unwrap())
        };
        let flags = next();
        let mut item = Map::new();
        item.insert("id".into(), take(next()));
        item.insert("status".into(), packed[0][next()].clone());
        item.insert("providerStatus".into(), take(next()));
        for (bit, key) in [(1, "value"), (2, "valueType"), (4, "errorCode")] {
            if flags & bit != 0 {
                item.insert(key.into(), take(next()));
            }
        }
        item.insert("chargeable".into(), Value::Bool(flags & 8 != 0));
        items.push(Value::Object(item));
    }
    Value::Array(items)
}

#[cfg(test)]
pub fn snapshot(snapshot: &Snapshot) -> serde_json::Value {
    to_value(&TaskView::snapshot(snapshot, None).text())
}

/// A finished task: the snapshot plus every item sorted by outcome, and the price.
#[cfg(test)]
pub fn result(result: &TaskResult) -> serde_json::Value {
    to_value(&TaskView::result(result, None).text())
}

/// A create answer: the task to follow (with its token), or "nothing to do".
pub fn started(
    created: &Created,
    token: Option<&str>,
    created_at: Millis,
    duplicates: &[String],
    reused: bool,
    request_id: Option<&str>,
    parts: &[String],
) -> String {
    text(|obj| {
        obj.bool("started", created.task_id.is_some())
            .str("kind", created.kind.as_str())
            .str_or_null("taskId", created.task_id.as_deref())
            .str_or_null("token", token)
            .uint("createdAt", created_at)
            .bool("reused", reused)
            .str("providerStatus", &created.provider_status)
            .strs("skippedIds", &created.skipped_ids);
        list(obj.key("skipped"), &created.skipped, |out, skipped| {
            let mut obj = Obj::new(out);
            obj.str("id", &skipped.id)
                .str("reason", skipped.reason.as_str());
            obj.end();
        });
        obj.raw(
            "skippedDetail",
            created.skipped_detail.as_deref().unwrap_or("null"),
        )
        .strs("duplicates", duplicates)
        .opt_str("requestId", request_id);
        if !parts.is_empty() {
            obj.strs("parts", parts);
        }
    })
}

/// A checked unlock input, with the key that names the selection whatever its order.
pub fn selection(kind: crate::kind::TaskKind, s: &Selection) -> String {
    text(|obj| {
        obj.opt_str("eventId", s.event_id.as_deref())
            .strs("personnelIds", &s.personnel_ids)
            .strs("duplicates", &s.duplicates)
            .str("key", &crate::config::unlock_key(kind, s));
    })
}

/// A checked enrichment input, with the key that names the lookup.
pub fn enrichment(e: &crate::validate::Enrichment) -> String {
    text(|obj| {
        obj.str("linkedinUrl", &e.linkedin_url)
            .str("type", e.email_type.as_str())
            .opt_str("callbackUrl", e.callback_url.as_deref())
            .opt_str("externalId", e.external_id.as_deref())
            .str("key", &crate::config::enrich_key(e));
    })
}

pub fn provider_facts(facts: &ProviderFacts) -> String {
    text(|obj| {
        obj.str("baseUrl", facts.base_url)
            .str("authHeader", facts.auth_header)
            .str("authPrefix", facts.auth_prefix);
    })
}

/// A token's description: `{ kind, taskId, key, createdAt, parts }`.
pub fn token_info(info: &crate::tracking::TokenInfo) -> String {
    text(|obj| {
        obj.str("kind", info.kind.as_str())
            .str("taskId", &info.task_id)
            .str("key", &info.key)
            .uint("createdAt", info.created_at)
            .uint("parts", info.parts as u64);
    })
}

/// A group part's announcement, as a proxy reads it: `{ group, rest }`.
pub fn announcement(announcement: &crate::group_header::Announcement) -> String {
    text(|obj| {
        obj.str("group", &announcement.group)
            .uint("rest", announcement.rest as u64);
    })
}

/// A governor's answer for a server: `{ go: true, ticket }` or `{ go: false, at }`.
pub fn admission(admission: &crate::governor::Admission) -> String {
    text(|obj| match admission {
        crate::governor::Admission::Go(ticket) => {
            obj.bool("go", true).uint("ticket", ticket.number());
        }
        crate::governor::Admission::WaitUntil(at) => {
            obj.bool("go", false).uint("at", *at);
        }
    })
}

pub fn balance(balance: &Balance, request_id: Option<&str>) -> String {
    text(|obj| {
        obj.number("balance", balance.balance)
            .opt_uint("resetAt", balance.reset_at)
            .opt_str("requestId", request_id);
    })
}

pub fn precheck(p: &Precheck, request_id: Option<&str>) -> String {
    text(|obj| {
        obj.bool("allowed", p.allowed)
            .bool("shouldCharge", p.should_charge)
            .number("credits", p.credits)
            .str("reasonCode", &p.reason_code)
            .str("bizCode", &p.biz_code)
            .strs("chargeableIds", &p.chargeable_ids)
            .strs("alreadyUnlockedIds", &p.already_unlocked_ids)
            .strs("unlockingIds", &p.unlocking_ids)
            .strs("missingIds", &p.missing_ids)
            .strs("invalidIds", &p.invalid_ids)
            .uint("requestedCount", p.requested_count)
            .uint("chargeableCount", p.chargeable_count)
            .uint("alreadyUnlockedCount", p.already_unlocked_count)
            .uint("unlockingCount", p.unlocking_count)
            .opt_str("requestId", request_id);
    })
}

pub fn contact(c: &Contact, request_id: Option<&str>) -> String {
    let mut out = String::new();
    write_contact(&mut out, c, request_id);
    out
}

fn write_contact(out: &mut String, c: &Contact, request_id: Option<&str>) {
    let mut obj = Obj::new(out);
    obj.str("id", &c.id)
        .opt_str("fullName", c.full_name.as_deref())
        .opt_str("title", c.title.as_deref())
        .opt_str("companyName", c.company_name.as_deref())
        .opt_str("linkedinUrl", c.linkedin_url.as_deref())
        .str("emailStatus", c.email_state.as_str())
        .str("providerEmailStatus", &c.email_status)
        .opt_str("email", c.email.as_deref())
        .opt_str("phoneStatus", c.phone_status.as_deref())
        .opt_str("phone", c.phone.as_deref())
        .opt_str("requestId", request_id);
    obj.end();
}

pub fn contact_page(p: &ContactPage, request_id: Option<&str>) -> String {
    text(|obj| {
        list(obj.key("items"), &p.items, |out, c| {
            write_contact(out, c, None)
        });
        obj.opt_uint("total", p.total)
            .uint("page", p.page.into())
            .uint("pageSize", p.page_size.into())
            .opt_uint("totalPages", p.total_pages)
            .bool("hasMore", p.has_more)
            .bool("accessible", p.accessible)
            .opt_str("accessMode", p.access_mode.as_deref())
            .opt_uint("previewLimit", p.preview_limit)
            .uint("unreadable", p.unreadable as u64)
            .opt_str("requestId", request_id);
    })
}

/// What happened while polling, for `onEvent` (a timeline of polls and waits), as JSON text.
pub fn event(event: &Event, at: Millis) -> String {
    text(|obj| match event {
        Event::Progress(snapshot) => {
            obj.str("type", "progress").uint("at", at);
            TaskView::snapshot(snapshot, None).write(obj.key("snapshot"));
        }
        Event::Throttled { error, resume_at } => {
            obj.str("type", "throttled")
                .uint("at", at)
                .uint("resumeAt", *resume_at)
                .uint_or_null("retryAfterMs", error.retry_after_ms)
                .str_or_null("traceId", error.trace_id.as_deref());
        }
        Event::Retrying {
            error,
            failures,
            resume_at,
        } => {
            obj.str("type", "retrying")
                .uint("at", at)
                .uint("resumeAt", *resume_at)
                .uint("failures", u64::from(*failures))
                .str("code", error.code.as_str())
                .str("message", &error.message)
                .str_or_null("traceId", error.trace_id.as_deref());
        }
    })
}

/// A poll was answered (`status`) or failed without an answer (`status` null).
pub fn polled(at: Millis, status: Option<u16>) -> String {
    text(|obj| {
        obj.str("type", "poll").uint("at", at);
        obj.uint_or_null("status", status.map(u64::from));
    })
}

/// The next poll waits until `until`.
pub fn waiting(at: Millis, until: Millis) -> String {
    text(|obj| {
        obj.str("type", "wait").uint("at", at).uint("until", until);
    })
}

/// What the `onRequest` hook is told: no headers, so never a key (keys only travel in headers).
pub fn request_hook(method: &str, url: &str) -> String {
    text(|obj| {
        obj.str("method", method).str("url", url);
    })
}

/// What the `onResponse` hook is told about one request: its answer's status and request id,
/// or the code of the error that left it unanswered.
pub fn response_hook(
    method: &str,
    url: &str,
    duration_ms: u64,
    outcome: Result<(u16, Option<&str>), &Error>,
) -> String {
    text(|obj| {
        obj.str("method", method)
            .str("url", url)
            .uint("durationMs", duration_ms);
        match outcome {
            Ok((status, trace_id)) => obj
                .uint("status", status.into())
                .opt_str("traceId", trace_id),
            Err(error) => obj.str("error", error.code.as_str()),
        };
    })
}

/// What the `onWait` hook is told: a request waits for the client's rate budget, or a safe
/// read waits to be retried.
pub fn wait_hook(reason: &str, at: Millis, until: Millis, error: Option<&Error>) -> String {
    text(|obj| {
        obj.str("reason", reason)
            .uint("at", at)
            .uint("until", until)
            .opt_str("code", error.map(|e| e.code.as_str()));
    })
}

/// The fields an `UnlockError` carries besides its message.
pub fn error_fields(error: &Error) -> String {
    text(|obj| {
        obj.str("code", error.code.as_str())
            .opt_uint("status", error.status.map(u64::from))
            .opt_str("errorKey", error.error_key.as_deref())
            .opt_str("traceId", error.trace_id.as_deref())
            .opt_uint("retryAfterMs", error.retry_after_ms)
            .opt_str("field", error.field.as_deref())
            .opt_uint("limit", error.limit);
        if !error.not_started.is_empty() {
            obj.strs("notStarted", &error.not_started);
        }
        if let Some(details) = &error.details {
            obj.raw("details", details);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::kind::TaskKind;
    use crate::model::TaskStatus;
    use serde_json::{json, Value};

    fn parsed(text: String) -> Value {
        serde_json::from_str(&text).unwrap()
    }

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
            parts: Vec::new(),
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
    fn a_text_of_any_length_is_cut_where_it_ends() {
        let mut snapshot = sample();
        // 80,000 UTF-16 units: its length takes three characters; the next, exactly the first
        // length that does.
        let long = "😀".repeat(40_000);
        let boundary = "x".repeat(ONE_CHARACTER);
        snapshot.items[0].value = Some(long.clone());
        snapshot.items[1].error_code = Some(boundary.clone());
        let view = to_value(&TaskView::snapshot(&snapshot, None).text());
        assert_eq!(view["items"][0]["value"], json!(long));
        assert_eq!(view["items"][1]["errorCode"], json!(boundary));
        assert_eq!(view["items"][1]["id"], "790");
        assert_eq!(view["items"][1]["chargeable"], false);
    }

    #[test]
    fn a_packed_state_is_named_by_its_number() {
        for state in STATES {
            assert_eq!(STATES[state as usize], state);
        }
    }

    /// proptest does not build for wasm32 (its randomness source), so the property is native.
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Any text: control characters, quotes and characters past U+FFFF included.
        const ANY_TEXT: &str = "(?s).{0,12}";

        fn arbitrary_item() -> impl Strategy<Value = Item> {
            let optional = proptest::option::of(ANY_TEXT);
            (
                ANY_TEXT,
                ANY_TEXT,
                prop::sample::select(STATES.to_vec()),
                (optional.clone(), optional.clone(), optional),
                any::<bool>(),
            )
                .prop_map(
                    |(id, provider_status, state, (value, value_type, error_code), chargeable)| {
                        Item {
                            id,
                            state,
                            provider_status,
                            value,
                            value_type,
                            error_code,
                            chargeable,
                        }
                    },
                )
        }

        fn item_object(item: &Item) -> Value {
            let mut object = json!({"id": item.id, "status": item.state.as_str(), "providerStatus": item.provider_status});
            for (key, text) in [
                ("value", &item.value),
                ("valueType", &item.value_type),
                ("errorCode", &item.error_code),
            ] {
                if let Some(text) = text {
                    object[key] = json!(text);
                }
            }
            object["chargeable"] = json!(item.chargeable);
            object
        }

        proptest! {
            // Cheap (a few ms per thousand), and the one place every contact's outcome passes.
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Views are written as text by hand (`json_out`), item lists packed: whatever the
            /// strings (quotes, control characters, characters past U+FFFF, which are two UTF-16
            /// units in JS), the text is JSON that reads back to the same values, every item whole.
            #[test]
            fn views_read_back_as_written(
                id in ANY_TEXT,
                word in ANY_TEXT,
                items in prop::collection::vec(arbitrary_item(), 0..6),
            ) {
                let snapshot = Snapshot {
                    kind: TaskKind::LensmorEmail,
                    task_id: id.clone(),
                    status: TaskStatus::Processing,
                    provider_status: word.clone(),
                    items: items.clone(),
                    external_id: Some(word.clone()),
                    anomalies: vec![Anomaly::RepeatedId { id: word.clone() }],
                    parts: Vec::new(),
                };
                let view = to_value(&TaskView::snapshot(&snapshot, Some(&word)).text());
                prop_assert_eq!(view["taskId"].as_str(), Some(id.as_str()));
                prop_assert_eq!(view["providerStatus"].as_str(), Some(word.as_str()));
                prop_assert_eq!(view["externalId"].as_str(), Some(word.as_str()));
                prop_assert_eq!(view["requestId"].as_str(), Some(word.as_str()));
                prop_assert_eq!(view["anomalies"][0]["id"].as_str(), Some(word.as_str()));
                let expected: Vec<Value> = items.iter().map(item_object).collect();
                prop_assert_eq!(&view["items"], &Value::Array(expected));
            }
        }
    }

    #[test]
    fn hook_views_carry_no_headers() {
        let ok = parsed(response_hook(
            "GET",
            "https://x/y",
            12,
            Ok((200, Some("t-1"))),
        ));
        assert_eq!(
            ok,
            json!({"method": "GET", "url": "https://x/y", "durationMs": 12, "status": 200, "traceId": "t-1"})
        );
        let failed = response_hook("GET", "https://x/y", 5, Err(&Error::network("reset")));
        assert_eq!(parsed(failed)["error"], "network");
        assert_eq!(
            parsed(wait_hook("rate-budget", 1, 2, None)),
            json!({"reason": "rate-budget", "at": 1, "until": 2})
        );
    }

    #[test]
    fn error_shape_leaves_absent_fields_out() {
        let e = Error::validation("personnelIds", "too many").with_status(400);
        assert_eq!(
            parsed(error_fields(&e)),
            json!({"code": "validation", "status": 400, "field": "personnelIds"})
        );
        let mut e = Error::new(ErrorCode::NotFound, "x");
        assert_eq!(parsed(error_fields(&e)), json!({"code": "not_found"}));
        e.details = Some(r#"{"taskId":"9"}"#.into());
        assert_eq!(
            parsed(error_fields(&e)),
            json!({"code": "not_found", "details": {"taskId": "9"}})
        );
    }

    #[test]
    fn a_request_id_is_added_when_the_answer_had_one() {
        let balance = Balance {
            balance: 1.5,
            reset_at: None,
        };
        assert_eq!(
            parsed(super::balance(&balance, Some("r"))),
            json!({"balance": 1.5, "requestId": "r"})
        );
        assert_eq!(
            parsed(super::balance(&balance, None)),
            json!({"balance": 1.5})
        );
    }
}
