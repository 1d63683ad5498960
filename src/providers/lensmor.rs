//! Lensmor: email and phone unlocks of event personnel, credits and the precheck.
//!
//! Paths, field names and status words are the ones in the seeds and `API.md`. The phone routes
//! mirror the email ones (create shape inferred from the public endpoint list).

use super::json::{self, read_fields, Ids, List, Raw, Scalar};
use super::response::read_object;
use super::{
    path_segment, query_string, Balance, Created, Endpoint, ProviderFacts, SkipReason, Skipped,
};
use crate::contacts::{Contact, ContactPage, ContactQuery, UnlockState};
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method, Millis};
use crate::json_out::{self, Obj};
use crate::kind::TaskKind;
use crate::model::{self, Anomaly, Item, ItemState, Snapshot, TaskStatus};
use crate::validate::Selection;

pub(super) const FACTS: ProviderFacts = ProviderFacts {
    base_url: "https://platform.lensmor.com",
    auth_header: "authorization",
    auth_prefix: "Bearer ",
};

/// Credits per unlocked contact: 15 per email, 150 per phone.
pub(super) fn price(kind: TaskKind) -> u64 {
    if kind == TaskKind::LensmorPhone {
        150
    } else {
        15
    }
}

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

/// An unlock's body, and its precheck's `params`: `event_id` only when the caller named one.
fn selection_body(obj: &mut Obj, selection: &Selection) {
    obj.opt_str("event_id", selection.event_id.as_deref())
        .strs("personnel_ids", &selection.personnel_ids);
}

pub(super) fn create(
    endpoint: &Endpoint,
    kind: TaskKind,
    selection: &Selection,
) -> Option<HttpRequest> {
    let route = route(kind)?;
    let body = json_out::object(|obj| selection_body(obj, selection));
    Some(endpoint.request(Method::Post, route.create, Some(body)))
}

/// A Lensmor task id: decimal digits. OpenAPI 0.27 gives `task_id`, `job_id`, the answer's
/// `taskId` and the task path parameter the pattern `^[0-9]+$` (0.25's example `phone_321` is
/// gone), so any other id would be refused after the request was sent.
pub(super) fn task_id_rule(id: &str) -> Result<(), Error> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(Error::validation(
        "taskId",
        format!(
            "taskId {} is not a Lensmor task id: Lensmor's are decimal digits, like \"321\".",
            crate::error::quote(id)
        ),
    ))
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
    let body: CreatedAnswer = read_object(response, now, &what)?;
    if let Some(field) = [("task_id", &body.task_id), ("job_id", &body.job_id)]
        .into_iter()
        .find_map(|(name, id)| id.is_inexact_id().then_some(name))
    {
        return Err(super::inexact_task_id(&what, field).with_status(response.status));
    }
    let task_id = body.task_id.id().or_else(|| body.job_id.id());
    if let Some(id) = task_id.as_deref().filter(|id| task_id_rule(id).is_err()) {
        return Err(Error::protocol(format!(
            "{what}: Lensmor accepted it, but its task_id {} is not a decimal id as its contract \
             requires, so it is not polled. Check the contacts' unlock state before trying again: \
             a second request may be charged.",
            crate::error::quote(id)
        ))
        .with_status(response.status));
    }
    let provider_status = body.status.text().unwrap_or_default().to_string();
    if task_id.is_none() && provider_status == "accepted" {
        return Err(Error::protocol(format!(
            "{what}: Lensmor accepted the task but sent no task_id, so it cannot be polled. \
             Check the contacts' unlock state before trying again: a second request may be charged."
        ))
        .with_status(response.status));
    }
    let skipped_ids = body.skipped_ids.0;
    let detail = body.skipped_detail.0;
    Ok(Created {
        kind,
        task_id,
        provider_status,
        skipped: skip_reasons(&skipped_ids, detail.as_deref().and_then(json::object)),
        skipped_ids,
        skipped_detail: detail,
    })
}

/// A create answer's fields (OpenAPI 0.25 `ContactUnlockSubmission`).
#[derive(Default)]
struct CreatedAnswer<'a> {
    status: Scalar<'a>,
    task_id: Scalar<'a>,
    job_id: Scalar<'a>,
    skipped_ids: Ids,
    /// Kept as sent, for callers; its lists are read again by [`skip_reasons`].
    skipped_detail: Raw,
}

read_fields!('a, CreatedAnswer<'a> {
    "status" => status, "task_id" => task_id, "job_id" => job_id,
    "skipped_personnel_ids" => skipped_ids, "skipped_detail" => skipped_detail,
});

/// The answer [`parse_created`] reads, for `created`: `accepted` with the task id, or `success`
/// when nothing was started, with the skipped ids and detail.
pub(super) fn created_answer(created: &Created) -> String {
    json_out::object(|obj| {
        obj.strs("skipped_personnel_ids", &created.skipped_ids);
        if let Some(detail) = &created.skipped_detail {
            obj.raw("skipped_detail", detail);
        }
        match &created.task_id {
            Some(id) => obj
                .str("status", "accepted")
                .str("task_id", id)
                .str("job_id", id),
            None => obj.str("status", "success"),
        };
    })
}

/// The `skipped_detail` lists (OpenAPI 0.25 `ContactUnlockSubmission`), each a reason.
#[derive(Default)]
struct SkipDetail {
    already_unlocked: Ids,
    unlocking: Ids,
    missing: Ids,
    invalid: Ids,
    unlinked: Ids,
}

read_fields!('a, SkipDetail {
    "already_unlocked_personnel_ids" => already_unlocked,
    "unlocking_personnel_ids" => unlocking, "missing_personnel_ids" => missing,
    "invalid_personnel_ids" => invalid, "unlinked_personnel_ids" => unlinked,
});

/// One entry per skipped contact with the reason the provider gave: every id of the detail
/// lists, then the ids of `skipped_personnel_ids` that no list explains (`Unspecified`). An id
/// is listed once, under the first reason found.
fn skip_reasons(skipped_ids: &[String], detail: Option<SkipDetail>) -> Vec<Skipped> {
    let mut out: Vec<Skipped> = Vec::new();
    let mut add = |id: String, reason: SkipReason| {
        if !out.iter().any(|s| s.id == id) {
            out.push(Skipped { id, reason });
        }
    };
    if let Some(detail) = detail {
        for (list, reason) in [
            (detail.already_unlocked, SkipReason::AlreadyUnlocked),
            (detail.unlocking, SkipReason::Unlocking),
            (detail.missing, SkipReason::Missing),
            (detail.invalid, SkipReason::Invalid),
            (detail.unlinked, SkipReason::Unlinked),
        ] {
            for id in list.0 {
                add(id, reason);
            }
        }
    }
    for id in skipped_ids {
        add(id.clone(), SkipReason::Unspecified);
    }
    out
}

/// Reads `200 { taskId, taskStatus, items: [{ personnelId, status, email|phone, errorCode }] }`.
///
/// In one pass over the text into [`TaskAnswer`] (this runs for every poll of every task).
pub(super) fn parse_task(
    kind: TaskKind,
    task_id: &str,
    response: &HttpResponse,
    now: Millis,
) -> Result<Snapshot, Error> {
    let route = route(kind).ok_or_else(|| Error::protocol("not a Lensmor task"))?;
    let what = format!("Polling Lensmor {} task {task_id}", route.noun);
    let answer: TaskAnswer = read_object(response, now, &what)?;
    let missing = |field: &str| {
        Error::protocol(format!("{what}: the answer has no {field}.")).with_status(response.status)
    };
    let provider_status = answer
        .task_status
        .text()
        .ok_or_else(|| missing("taskStatus"))?;
    let entries = match answer.items {
        List::Entries(entries) => entries,
        List::Absent => Vec::new(),
        List::Other => return Err(missing("items list")),
    };
    let (items, anomalies) = read_items(&entries, route.value_field);
    Ok(Snapshot {
        kind,
        task_id: answer.task_id.id().unwrap_or_else(|| task_id.to_string()),
        status: task_status(provider_status),
        provider_status: provider_status.to_string(),
        items,
        external_id: None,
        anomalies,
        parts: Vec::new(),
    })
}

/// A task answer's fields, as read in one pass. A field given twice keeps its last value, as a
/// `Value` would.
#[derive(Default)]
struct TaskAnswer<'a> {
    task_id: Scalar<'a>,
    task_status: Scalar<'a>,
    /// A list of items, or absent (or null); anything else is no items list.
    items: List<RawItem<'a>>,
}

#[derive(Default)]
struct RawItem<'a> {
    personnel_id: Scalar<'a>,
    status: Scalar<'a>,
    email: Scalar<'a>,
    phone: Scalar<'a>,
    error_code: Scalar<'a>,
}

read_fields!('a, TaskAnswer<'a> {
    "taskId" => task_id, "taskStatus" => task_status, "items" => items,
});

read_fields!('a, RawItem<'a> {
    "personnelId" => personnel_id, "status" => status, "email" => email, "phone" => phone,
    "errorCode" => error_code,
});

/// Reads every item it can. One odd item never sinks the answer: an entry without a usable id
/// or status is left out and named in the anomalies, and an id listed twice keeps the entry that
/// says most (a delivered email is never replaced by a failure listed after it).
fn read_items(entries: &[Option<RawItem>], value_field: &str) -> (Vec<Item>, Vec<Anomaly>) {
    let mut items: Vec<Item> = Vec::with_capacity(entries.len());
    // Where each read item stood in the answer, to name repeats by their place.
    let mut source = Vec::with_capacity(entries.len());
    // Each anomaly at the place of the entry it names, so they come out in answer order.
    let mut anomalies: Vec<Option<Anomaly>> = Vec::new();
    let mut note = |index: usize, anomaly: Anomaly| {
        anomalies.resize(anomalies.len().max(index + 1), None);
        anomalies[index] = Some(anomaly);
    };
    for (index, entry) in entries.iter().enumerate() {
        let Some(raw) = entry else {
            note(index, Anomaly::ItemWithoutId { index });
            continue;
        };
        let Some(id) = raw.personnel_id.id() else {
            note(index, Anomaly::ItemWithoutId { index });
            continue;
        };
        if raw.status.text().is_none() {
            note(index, Anomaly::ItemWithoutStatus { index, id });
            continue;
        }
        items.push(parse_item(raw, id, value_field));
        source.push(index);
    }
    for (second, id) in model::merge_items(&mut items) {
        note(source[second], Anomaly::RepeatedId { id });
    }
    (items, anomalies.into_iter().flatten().collect())
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

fn parse_item(raw: &RawItem, id: String, value_field: &str) -> Item {
    let provider_status = raw.status.text().unwrap_or_default();
    let value = if value_field == "phone" {
        &raw.phone
    } else {
        &raw.email
    };
    let value = value
        .text()
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
    Item {
        id,
        // A value is reported only with an unlocked status; anything else would be a guess.
        value: value.filter(|_| provider_status == "unlocked"),
        state,
        provider_status: provider_status.to_string(),
        value_type: None,
        error_code: raw.error_code.text().map(str::to_string),
        // "15 credits per chargeable contact": an unlocked contact is one Lensmor charged.
        chargeable: provider_status == "unlocked",
    }
}

pub(super) fn balance(endpoint: &Endpoint) -> HttpRequest {
    endpoint.request(Method::Get, "/external/credits/balance", None)
}

/// Reads `{ totalBalance, resetAt, ... }`; other fields come and go between API versions.
pub(super) fn parse_balance(response: &HttpResponse, now: Millis) -> Result<Balance, Error> {
    let what = "Reading the Lensmor credit balance";
    let body: BalanceAnswer = read_object(response, now, what)?;
    let balance = body.total.number().ok_or_else(|| {
        Error::protocol(format!("{what}: the answer has no totalBalance."))
            .with_status(response.status)
    })?;
    let reset_at = body.reset_at.whole();
    Ok(Balance { balance, reset_at })
}

#[derive(Default)]
struct BalanceAnswer<'a> {
    total: Scalar<'a>,
    reset_at: Scalar<'a>,
}

read_fields!('a, BalanceAnswer<'a> { "totalBalance" => total, "resetAt" => reset_at });

/// What Lensmor says an unlock would do, before anything is charged.
///
/// Every field of the answer may be absent: a missing `allowed` reads as `false` (do not spend
/// on an answer that does not say yes), missing counts as 0 and missing lists as empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Precheck {
    pub allowed: bool,
    pub should_charge: bool,
    /// Credits the unlock would cost.
    pub credits: f64,
    /// `ok`, `already_unlocked`, `unlock_in_progress`, `insufficient_balance`, ...
    pub reason_code: String,
    /// Lensmor's `biz_code`, for support.
    pub biz_code: String,
    /// Deduplicated ids that would be charged.
    pub chargeable_ids: Vec<String>,
    /// Listed when the answer lists them; the counts below are always there.
    pub already_unlocked_ids: Vec<String>,
    pub unlocking_ids: Vec<String>,
    pub missing_ids: Vec<String>,
    pub invalid_ids: Vec<String>,
    pub requested_count: u64,
    pub chargeable_count: u64,
    pub already_unlocked_count: u64,
    pub unlocking_count: u64,
}

impl Precheck {
    /// Two parts' prechecks as one: allowed only if both are, the costs and counts added, the
    /// lists joined, the reason of a refusal kept over `ok`.
    pub fn merge(mut self, other: Precheck) -> Precheck {
        if self.allowed && !other.allowed || self.reason_code.is_empty() {
            self.reason_code = other.reason_code;
        }
        if self.biz_code.is_empty() {
            self.biz_code = other.biz_code;
        }
        self.allowed &= other.allowed;
        self.should_charge |= other.should_charge;
        self.credits += other.credits;
        self.chargeable_ids.extend(other.chargeable_ids);
        self.already_unlocked_ids.extend(other.already_unlocked_ids);
        self.unlocking_ids.extend(other.unlocking_ids);
        self.missing_ids.extend(other.missing_ids);
        self.invalid_ids.extend(other.invalid_ids);
        self.requested_count += other.requested_count;
        self.chargeable_count += other.chargeable_count;
        self.already_unlocked_count += other.already_unlocked_count;
        self.unlocking_count += other.unlocking_count;
        self
    }
}

/// `POST /external/actions/precheck` with OpenAPI 0.25's `ActionPrecheckRequest`: the action's
/// input goes inside `params`, and no other top-level field than `action_type`, `params`,
/// `call_source` (and a few we do not use) is allowed. What `params` holds for the unlock
/// actions is not documented; we send the unlock's own body there, the only reading that the
/// documented `detail` fields (`personnel_ids`, `missing_personnel_ids`, ...) make sense of.
pub(super) fn precheck(
    endpoint: &Endpoint,
    kind: TaskKind,
    selection: &Selection,
) -> Option<HttpRequest> {
    let route = route(kind)?;
    let body = json_out::object(|obj| {
        obj.str("action_type", route.precheck_action);
        let mut params = Obj::new(obj.key("params"));
        selection_body(&mut params, selection);
        params.end();
        obj.opt_str("call_source", endpoint.call_source.map(|s| s.as_str()));
    });
    Some(endpoint.request(Method::Post, "/external/actions/precheck", Some(body)))
}

pub(super) fn parse_precheck(response: &HttpResponse, now: Millis) -> Result<Precheck, Error> {
    let what = "Prechecking the Lensmor unlock";
    let body: PrecheckAnswer = read_object(response, now, what)?;
    let detail = body.detail.unwrap_or_default();
    let count = |n: &Scalar| n.whole().unwrap_or(0);
    let text = |s: &Scalar| s.text().unwrap_or_default().to_string();
    Ok(Precheck {
        allowed: body.allowed.boolean().unwrap_or(false),
        should_charge: body.should_charge.boolean().unwrap_or(false),
        credits: body.credits.number().unwrap_or(0.0),
        reason_code: text(&body.reason_code),
        biz_code: text(&body.biz_code),
        chargeable_ids: detail.chargeable.0,
        already_unlocked_ids: detail.already_unlocked.0,
        unlocking_ids: detail.unlocking.0,
        missing_ids: detail.missing.0,
        invalid_ids: detail.invalid.0,
        requested_count: count(&detail.requested),
        chargeable_count: count(&detail.chargeable_count),
        already_unlocked_count: count(&detail.already_unlocked_count),
        unlocking_count: count(&detail.unlocking_count),
    })
}

#[derive(Default)]
struct PrecheckAnswer<'a> {
    allowed: Scalar<'a>,
    should_charge: Scalar<'a>,
    credits: Scalar<'a>,
    reason_code: Scalar<'a>,
    biz_code: Scalar<'a>,
    detail: Option<PrecheckDetail<'a>>,
}

read_fields!('a, PrecheckAnswer<'a> {
    "allowed" => allowed, "should_charge" => should_charge, "credits" => credits,
    "reason_code" => reason_code, "biz_code" => biz_code, "detail" => detail,
});

#[derive(Default)]
struct PrecheckDetail<'a> {
    chargeable: Ids,
    already_unlocked: Ids,
    unlocking: Ids,
    missing: Ids,
    invalid: Ids,
    requested: Scalar<'a>,
    chargeable_count: Scalar<'a>,
    already_unlocked_count: Scalar<'a>,
    unlocking_count: Scalar<'a>,
}

read_fields!('a, PrecheckDetail<'a> {
    "personnel_ids" => chargeable, "already_unlocked_personnel_ids" => already_unlocked,
    "unlocking_personnel_ids" => unlocking, "missing_personnel_ids" => missing,
    "invalid_personnel_ids" => invalid, "requested_count" => requested,
    "chargeable_count" => chargeable_count, "already_unlocked_count" => already_unlocked_count,
    "unlocking_count" => unlocking_count,
});

/// `GET /external/personnel/list?event_id=&page=&pageSize=&...`: one page of an event's
/// contacts (free). The query was checked against the documented limits.
pub(super) fn contacts(endpoint: &Endpoint, query: &ContactQuery) -> HttpRequest {
    let path = format!("/external/personnel/list?{}", query_string(&query.params()));
    endpoint.request(Method::Get, &path, None)
}

/// `GET /external/personnel/profile?personnel_id=`: one contact (the id was checked: 1..20).
pub(super) fn contact(endpoint: &Endpoint, personnel_id: &str) -> HttpRequest {
    let path = format!(
        "/external/personnel/profile?{}",
        query_string(&[("personnel_id", personnel_id.to_string())])
    );
    endpoint.request(Method::Get, &path, None)
}

/// Reads `{ items, total, page, pageSize, totalPages, hasMore, semantics? }`. A page past the
/// preview window is a 200 with no items and `semantics.pageState.accessible: false`.
pub(super) fn parse_contact_page(
    query: &ContactQuery,
    response: &HttpResponse,
    now: Millis,
) -> Result<ContactPage, Error> {
    let what = format!("Listing the contacts of Lensmor event {}", query.event_id);
    let body: ContactList = read_object(response, now, &what)?;
    let raw = match &body.items {
        List::Entries(items) => items.as_slice(),
        List::Absent => &[],
        List::Other => {
            return Err(Error::protocol(format!("{what}: items is not a list."))
                .with_status(response.status))
        }
    };
    let items: Vec<Contact> = raw
        .iter()
        .filter_map(|v| v.as_ref().and_then(read_contact))
        .collect();
    let semantics = body.semantics.as_ref();
    let page_state = semantics.and_then(|s| s.page_state.as_ref());
    Ok(ContactPage {
        unreadable: raw.len() - items.len(),
        items,
        total: body.total.whole(),
        page: body
            .page
            .whole()
            .map_or(query.page, |n| n.min(u64::from(u32::MAX)) as u32),
        page_size: body
            .page_size
            .whole()
            .map_or(query.page_size, |n| n.min(50) as u32),
        total_pages: body.total_pages.whole(),
        has_more: body.has_more.boolean().unwrap_or(false),
        accessible: page_state
            .and_then(|p| p.accessible.boolean())
            .unwrap_or(true),
        access_mode: semantics
            .and_then(|s| s.access_mode.text())
            .map(str::to_string),
        preview_limit: semantics.and_then(|s| s.preview_limit.whole()),
    })
}

#[derive(Default)]
struct ContactList<'a> {
    items: List<ContactFields<'a>>,
    total: Scalar<'a>,
    page: Scalar<'a>,
    page_size: Scalar<'a>,
    total_pages: Scalar<'a>,
    has_more: Scalar<'a>,
    semantics: Option<Semantics<'a>>,
}

read_fields!('a, ContactList<'a> {
    "items" => items, "total" => total, "page" => page, "pageSize" => page_size,
    "totalPages" => total_pages, "hasMore" => has_more, "semantics" => semantics,
});

#[derive(Default)]
struct Semantics<'a> {
    page_state: Option<PageState<'a>>,
    access_mode: Scalar<'a>,
    preview_limit: Scalar<'a>,
}

read_fields!('a, Semantics<'a> {
    "pageState" => page_state, "accessMode" => access_mode, "previewLimit" => preview_limit,
});

#[derive(Default)]
struct PageState<'a> {
    accessible: Scalar<'a>,
}

read_fields!('a, PageState<'a> { "accessible" => accessible });

/// A `ContactItem`'s fields.
#[derive(Default)]
struct ContactFields<'a> {
    id: Scalar<'a>,
    full_name: Scalar<'a>,
    title: Scalar<'a>,
    company_name: Scalar<'a>,
    linkedin_url: Scalar<'a>,
    email_status: Scalar<'a>,
    email: Scalar<'a>,
    phone_status: Scalar<'a>,
    phone: Scalar<'a>,
}

read_fields!('a, ContactFields<'a> {
    "id" => id, "fullName" => full_name, "title" => title, "companyName" => company_name,
    "linkedinUrl" => linkedin_url, "contactUnlockStatus" => email_status, "email" => email,
    "phoneUnlockStatus" => phone_status, "phone" => phone,
});

/// Reads one `ContactItem` (the profile route answers one at the top level).
pub(super) fn parse_contact(
    personnel_id: &str,
    response: &HttpResponse,
    now: Millis,
) -> Result<Contact, Error> {
    let what = format!("Reading Lensmor contact {personnel_id}");
    let body: ContactFields = read_object(response, now, &what)?;
    read_contact(&body).ok_or_else(|| {
        Error::protocol(format!("{what}: the answer has no id.")).with_status(response.status)
    })
}

/// A contact, or `None` without a usable id. A value is reported only with its unlocked state,
/// like a task's items: anything else would be a guess.
fn read_contact(fields: &ContactFields) -> Option<Contact> {
    let text = |field: &Scalar| field.text().map(str::to_string);
    let email_status = text(&fields.email_status).unwrap_or_default();
    let email_state = UnlockState::parse(&email_status);
    let phone_status = text(&fields.phone_status);
    Some(Contact {
        id: fields.id.id()?,
        full_name: text(&fields.full_name),
        title: text(&fields.title),
        company_name: text(&fields.company_name),
        linkedin_url: text(&fields.linkedin_url),
        email: text(&fields.email).filter(|_| email_state == UnlockState::Unlocked),
        phone: text(&fields.phone).filter(|_| phone_status.as_deref() == Some("ready")),
        email_state,
        email_status,
        phone_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::ContactQuery;
    use crate::error::ErrorCode;
    use crate::kind::Provider;
    use crate::providers::{self, CallSource};
    use serde_json::{json, Value};

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

    /// Email task `1` read from a 200 answer with `body`.
    fn email_task(body: &str) -> Result<Snapshot, Error> {
        providers::parse_task(
            TaskKind::LensmorEmail,
            "1",
            &HttpResponse::new(200, body),
            NOW,
        )
    }

    fn selection() -> Selection {
        Selection::new(Some("139574"), &["789".into(), "790".into()], 100).unwrap()
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
        let poll = providers::poll_request(&endpoint(), TaskKind::LensmorPhone, "321").unwrap();
        assert_eq!(
            poll.url,
            "https://proxy.example/lensmor/external/contacts/unlock-phone-tasks/321"
        );
        assert_eq!(poll.body, None);
        assert_eq!(poll.header("content-type"), None);
    }

    /// OpenAPI 0.27: task ids match `^[0-9]+$`; anything else is refused before it is sent.
    #[test]
    fn task_ids_are_decimal_or_refused_before_sending() {
        for kind in [TaskKind::LensmorEmail, TaskKind::LensmorPhone] {
            assert!(providers::poll_request(&endpoint(), kind, "0321").is_ok());
            for bad in ["phone_321", "12a", " 321", "321 ", "", "-1", "3.5", "١٢٣"] {
                let error = providers::poll_request(&endpoint(), kind, bad).unwrap_err();
                assert_eq!(error.field.as_deref(), Some("taskId"), "{bad:?}");
            }
        }
        // Salesfinity's `_id` is opaque.
        assert!(providers::check_task_id(TaskKind::SalesfinityEmail, "65f0a1b2c3").is_ok());
        // A create answer naming a forbidden id is an error that names it: the task may exist.
        let answer = HttpResponse::new(
            201,
            r#"{"status":"accepted","task_id":"phone_9","job_id":"phone_9"}"#,
        );
        let error = parse_created(TaskKind::LensmorPhone, &answer, 0).unwrap_err();
        assert_eq!(error.code, crate::error::ErrorCode::Protocol);
        assert!(error.message.contains("\"phone_9\""), "{}", error.message);
    }

    /// OpenAPI 0.27: `event_id` is optional; without one the body and the precheck's params
    /// carry only the ids.
    #[test]
    fn an_unlock_without_an_event_sends_only_the_ids() {
        let ids = ["789".to_string(), "790".to_string()];
        let selection = Selection::new(None, &ids, 2000).unwrap();
        let create =
            providers::create_unlock(&endpoint(), TaskKind::LensmorEmail, &selection).unwrap();
        assert_eq!(
            create.body.as_deref(),
            Some(r#"{"personnel_ids":["789","790"]}"#)
        );
        let precheck =
            providers::precheck_request(&endpoint(), TaskKind::LensmorEmail, &selection).unwrap();
        assert!(
            precheck
                .body
                .as_deref()
                .is_some_and(|b| b.contains(r#""params":{"personnel_ids":["789","790"]}"#)),
            "{:?}",
            precheck.body
        );
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
            c.skipped_detail.as_deref(),
            Some(r#"[{"id":"5","reason":"already_unlocked"}]"#)
        );
        assert_eq!(
            parse(201, r#"{"status":"accepted","job_id":"77"}"#)
                .unwrap()
                .task_id
                .as_deref(),
            Some("77")
        );
        // An id no integer keeps is refused by name, even with a status other than "accepted":
        // read as "no task", a charged task would look like nothing started.
        for body in [
            r#"{"status":"success","task_id":123456789012345678901234}"#,
            r#"{"status":"accepted","job_id":1.5}"#,
        ] {
            let error = parse(201, body).unwrap_err();
            assert_eq!(error.code, ErrorCode::Protocol, "{body}");
            assert!(
                error.message.contains("too large (or fractional)"),
                "{body}"
            );
        }
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
        let s = email_task(body).unwrap();
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].state, ItemState::Delivered);
        assert_eq!(s.items[1].state, ItemState::Failed);
        assert_eq!(s.items[1].error_code.as_deref(), Some("TASK_NOT_FOUND"));
    }

    #[test]
    fn a_value_without_unlocked_status_is_not_reported() {
        let body = r#"{"taskStatus":"processing","items":[{"personnelId":"7","status":"processing","email":"early@b.c"}]}"#;
        let s = email_task(body).unwrap();
        assert_eq!(s.items[0].value, None);
        assert_eq!(
            s.task_id, "1",
            "the polled id stands in for a missing taskId"
        );
    }

    #[test]
    fn odd_items_are_named_and_never_sink_the_answer() {
        let body = r#"{"taskId":"1","taskStatus":"completed","items":[
            {"personnelId":"","status":"unlocked","email":"lost@b.c"},
            {"personnelId":"7","status":"unlocked","email":"a@b.c"},
            {"status":"failed"},
            "not an object",
            {"personnelId":"8","status":"unlocked_v2"},
            {"personnelId":"9"},
            {"personnelId":"7","status":"failed","errorCode":"TASK_FAILED"},
            {"personnelId":10.5,"status":"unlocked"}]}"#;
        let s = email_task(body).unwrap();
        let ids: Vec<(&str, ItemState)> =
            s.items.iter().map(|i| (i.id.as_str(), i.state)).collect();
        assert_eq!(
            ids,
            [("7", ItemState::Delivered), ("8", ItemState::Unknown)]
        );
        assert_eq!(
            s.items[0].value.as_deref(),
            Some("a@b.c"),
            "the email is kept"
        );
        assert_eq!(
            s.anomalies,
            [
                Anomaly::ItemWithoutId { index: 0 },
                Anomaly::ItemWithoutId { index: 2 },
                Anomaly::ItemWithoutId { index: 3 },
                Anomaly::ItemWithoutStatus {
                    index: 5,
                    id: "9".into()
                },
                Anomaly::RepeatedId { id: "7".into() },
                Anomaly::ItemWithoutId { index: 7 },
            ]
        );
    }

    /// The one-pass reader reads what a `Value` would: a repeated key keeps its last value,
    /// escaped strings are unescaped, `items` may be null or absent but not another type, and
    /// an answer that is an ApiError or not an object is the error it stands for.
    #[test]
    fn task_answers_read_in_one_pass_like_a_value() {
        let s = email_task(
            r#"{"taskStatus":"processing","taskId":"1","taskId":"2","items":[
                {"personnelId":"\u0037","status":"failed","status":"unlocked","email":"a\u0040b.c","x":{"deep":[1,{}]}}],
                "extra":[{"items":[]}]}"#,
        )
        .unwrap();
        assert_eq!(
            (s.task_id.as_str(), s.provider_status.as_str()),
            ("2", "processing")
        );
        assert_eq!(s.items[0].id, "7");
        assert_eq!(
            (s.items[0].state, s.items[0].value.as_deref()),
            (ItemState::Delivered, Some("a@b.c"))
        );
        for items in ["null", "[]"] {
            let body = format!(r#"{{"taskStatus":"completed","items":{items}}}"#);
            assert!(email_task(&body).unwrap().items.is_empty(), "{items}");
        }
        assert!(email_task(r#"{"taskStatus":"completed"}"#)
            .unwrap()
            .items
            .is_empty());
        for items in ["{}", "\"x\"", "3", "true"] {
            let body = format!(r#"{{"taskStatus":"completed","items":{items}}}"#);
            let error = email_task(&body).unwrap_err();
            assert!(
                error.message.contains("no items list"),
                "{items}: {}",
                error.message
            );
        }
        let error = email_task(
            r#"{"errorKey":"TASK_NOT_FOUND","message":"gone","code":404,"traceId":"t-9"}"#,
        )
        .unwrap_err();
        assert_eq!(
            (error.code, error.trace_id.as_deref()),
            (ErrorCode::NotFound, Some("t-9"))
        );
        for (body, said) in [
            ("[1]", "not an object"),
            ("{", "not JSON"),
            ("", "not JSON"),
        ] {
            let error = email_task(body).unwrap_err();
            assert!(error.message.contains(said), "{body}: {}", error.message);
        }
    }

    #[test]
    fn skip_reasons_per_contact() {
        let body = r#"{"status":"accepted","task_id":"5","job_id":"5",
            "skipped_personnel_ids":["1","2","3","4","5","6"],
            "skipped_detail":{"already_unlocked_personnel_ids":["1"],"unlocking_personnel_ids":["2"],
              "missing_personnel_ids":["3"],"invalid_personnel_ids":["4"],"unlinked_personnel_ids":["5","1"]}}"#;
        let c =
            providers::parse_created(TaskKind::LensmorEmail, &HttpResponse::new(201, body), NOW)
                .unwrap();
        let reasons: Vec<(&str, &str)> = c
            .skipped
            .iter()
            .map(|s| (s.id.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                ("1", "already-unlocked"),
                ("2", "unlocking"),
                ("3", "missing"),
                ("4", "invalid"),
                ("5", "unlinked"),
                ("6", "unspecified")
            ]
        );
        assert!(c.skipped_detail.is_some(), "the raw object is kept");
        let odd = r#"{"status":"success","skipped_detail":["not","an object"]}"#;
        let c = providers::parse_created(TaskKind::LensmorEmail, &HttpResponse::new(201, odd), NOW)
            .unwrap();
        assert!(c.skipped.is_empty());
    }

    #[test]
    fn contact_routes_and_answers() {
        let q =
            ContactQuery::new("evt 1/2", Some(2.0), Some(10.0), Default::default(), &[]).unwrap();
        let req = providers::contacts_request(&endpoint(), &q).unwrap();
        assert_eq!(
            req.url,
            "https://proxy.example/lensmor/external/personnel/list?event_id=evt%201%2F2&page=2&pageSize=10"
        );
        assert_eq!(req.method, Method::Get);
        let one = providers::contact_request(&endpoint(), " 789 ").unwrap();
        assert_eq!(
            one.url,
            "https://proxy.example/lensmor/external/personnel/profile?personnel_id=789"
        );
        assert!(providers::contact_request(&endpoint(), &"1".repeat(21)).is_err());
        let page = r#"{"items":[
            {"id":"789","fullName":"Jane","email":"jane@a.example","contactUnlockStatus":"unlocked","phone":"+1","phoneUnlockStatus":"processing"},
            {"id":790,"fullName":null,"email":"early@a.example","contactUnlockStatus":"locked"},
            {"fullName":"no id"}],
            "total":120,"page":2,"pageSize":50,"totalPages":3,"hasMore":true,
            "semantics":{"accessMode":"preview","previewLimit":50,"pageState":{"accessible":true}}}"#;
        let p = providers::parse_contacts(&q, &HttpResponse::new(200, page), NOW).unwrap();
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.unreadable, 1);
        assert_eq!(p.items[0].email.as_deref(), Some("jane@a.example"));
        assert_eq!(p.items[0].phone, None, "a phone is shown only when ready");
        assert_eq!(p.items[1].id, "790");
        assert_eq!(
            p.items[1].email, None,
            "no value without the unlocked state"
        );
        assert_eq!((p.total, p.has_more, p.accessible), (Some(120), true, true));
        assert_eq!(p.access_mode.as_deref(), Some("preview"));
        let past = r#"{"items":[],"total":120,"page":9,"pageSize":50,"totalPages":3,"hasMore":false,
            "semantics":{"accessMode":"preview","pageState":{"requestedPage":9,"accessible":false,"maxAccessiblePage":1}}}"#;
        let p = providers::parse_contacts(&q, &HttpResponse::new(200, past), NOW).unwrap();
        assert!(!p.accessible && p.items.is_empty());
        let salesfinity = Endpoint::new(Provider::Salesfinity, None, Some("k"), None).unwrap();
        assert_eq!(
            providers::contacts_request(&salesfinity, &q)
                .unwrap_err()
                .field
                .as_deref(),
            Some("provider")
        );
    }

    #[test]
    fn required_fields_missing_are_protocol_errors() {
        for body in [
            r#"{"items":[]}"#,
            r#"{"taskStatus":"completed","items":{}}"#,
        ] {
            let e = email_task(body).unwrap_err();
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
        // OpenAPI 0.25 ActionPrecheckRequest: the input inside `params`, nothing else at the top
        // level but `action_type` and `call_source`.
        assert_eq!(
            sent,
            json!({"action_type":"unlock_contact_phones","call_source":"agent",
                   "params":{"event_id":"139574","personnel_ids":["789","790"]}})
        );
        let plain = Endpoint::new(Provider::Lensmor, None, Some("k"), None).unwrap();
        let req =
            providers::precheck_request(&plain, TaskKind::LensmorEmail, &selection()).unwrap();
        let sent: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({"action_type":"unlock_contact_emails","params":{"event_id":"139574","personnel_ids":["789","790"]}})
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
        // Every field may be absent: no `allowed` is no permission, lists are empty.
        let bare = providers::parse_precheck(&HttpResponse::new(200, "{}"), NOW).unwrap();
        assert!(!bare.allowed && bare.chargeable_ids.is_empty() && bare.credits == 0.0);
        let listed = providers::parse_precheck(
            &HttpResponse::new(
                200,
                r#"{"ok":true,"allowed":false,"reason_code":"already_unlocked","biz_code":"B1","detail":{
                   "already_unlocked_personnel_ids":["789"],"unlocking_personnel_ids":[790],"detail":"x"}}"#,
            ),
            NOW,
        )
        .unwrap();
        assert_eq!(listed.already_unlocked_ids, ["789"]);
        assert_eq!(listed.unlocking_ids, ["790"]);
        assert_eq!(listed.biz_code, "B1");
        assert!(
            providers::precheck_request(&endpoint(), TaskKind::SalesfinityEmail, &selection())
                .is_err()
        );
    }
}
