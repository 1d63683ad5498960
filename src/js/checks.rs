//! Checks and tokens without a client: for servers (the edge worker) that validate what a
//! browser sent before spending anything, and name a task or a selection.

use wasm_bindgen::prelude::*;

use super::convert::{self, text, to_js, to_js_error};
use super::inputs::{read_enrichment, read_selection};
use super::io;
use crate::config;
use crate::error::{Error, ErrorCode};
use crate::group_header::{Announcement, GROUP_HEADER};
use crate::group_start;
use crate::json_view;
use crate::kind::{Provider, TaskKind};
use crate::providers;
use crate::token::ResumeToken;
use crate::tracking::TokenInfo;

/// Checks an unlock input the way `unlockEmails` does, sending nothing. Returns the normalized
/// selection and its `key` (the same for the same contacts in any order), or throws an
/// `UnlockError` with code `validation`.
#[wasm_bindgen(js_name = checkUnlockInput, unchecked_return_type = "CheckedUnlock")]
pub fn check_unlock_input(
    #[wasm_bindgen(unchecked_param_type = "TaskKind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] max_batch: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let checked = (|| {
        let kind = text(&kind)
            .and_then(|k| TaskKind::parse(&k))
            .filter(|k| *k != TaskKind::SalesfinityEmail)
            .ok_or_else(|| {
                Error::validation(
                    "kind",
                    "kind must be \"lensmor.email\" or \"lensmor.phone\".",
                )
            })?;
        let given = max_batch.filter(|n| !n.is_undefined() && !n.is_null());
        // Not a number reads as 0, which the core refuses by name.
        let max_batch = config::max_batch(given.map(|n| n.as_f64().unwrap_or(0.0)))?;
        Ok::<_, Error>(json_view::selection(
            kind,
            &read_selection(&input, max_batch)?,
        ))
    })();
    checked
        .map(|v| to_js(&v))
        .map_err(|e| to_js_error(&e, None))
}

/// Checks an enrichment input the way `enrichEmail` does, sending nothing.
#[wasm_bindgen(js_name = checkEnrichInput, unchecked_return_type = "CheckedEnrich")]
pub fn check_enrich_input(
    #[wasm_bindgen(unchecked_param_type = "EnrichInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    read_enrichment(&input)
        .map(|e| to_js(&json_view::enrichment(&e)))
        .map_err(|e| to_js_error(&e, None))
}

/// A kind name from JavaScript, or a `validation` error naming the field.
fn kind_named(name: &JsValue) -> Result<TaskKind, Error> {
    text(name).and_then(|n| TaskKind::parse(&n)).ok_or_else(|| {
        Error::validation(
            "kind",
            "kind must be a task kind such as \"lensmor.email\".",
        )
    })
}

/// The published price of one chargeable contact of `kind`, in credits (15 per Lensmor email,
/// 150 per phone, 1 per found Salesfinity email): what a server reserves before a start.
#[wasm_bindgen(js_name = creditsPerContact)]
pub fn credits_per_contact(
    #[wasm_bindgen(unchecked_param_type = "TaskKind")] kind: JsValue,
) -> Result<u32, JsValue> {
    let kind = kind_named(&kind).map_err(|e| to_js_error(&e, None))?;
    Ok(providers::credits_per_contact(kind) as u32)
}

/// Where a provider is and how its key is sent (`{ baseUrl, authHeader, authPrefix }`): for a
/// proxy that holds the key and forwards the package's requests.
#[wasm_bindgen(js_name = providerFacts, unchecked_return_type = "ProviderFacts")]
pub fn provider_facts(
    #[wasm_bindgen(unchecked_param_type = "\"lensmor\" | \"salesfinity\"")] provider: JsValue,
) -> Result<JsValue, JsValue> {
    text(&provider)
        .and_then(|name| Provider::parse(&name))
        .map(|p| to_js(&json_view::provider_facts(&providers::facts(p))))
        .ok_or_else(|| {
            let message = "provider must be \"lensmor\" or \"salesfinity\".";
            to_js_error(&Error::validation("provider", message), None)
        })
}

/// The provider's own create answer for a `StartedTask` (what a proxy that started the task
/// answers, so the client behind it reads it as usual).
#[wasm_bindgen(js_name = createdAnswer, unchecked_return_type = "Record<string, unknown>")]
pub fn created_answer(
    #[wasm_bindgen(unchecked_param_type = "StartedTask")] started: JsValue,
) -> Result<JsValue, JsValue> {
    let text = js_sys::JSON::stringify(&started)
        .ok()
        .and_then(|text| convert::text(&text.into()))
        .unwrap_or_default();
    providers::created_answer(&text)
        .map(|answer| to_js(&answer))
        .map_err(|e| to_js_error(&e, None))
}

/// The HTTP status a proxy answers with for an `UnlockError` of `code`, so that the package
/// behind it reads the same kind of failure back (`validation` 400 ... `server` 502).
#[wasm_bindgen(js_name = proxyStatus)]
pub fn proxy_status(
    #[wasm_bindgen(unchecked_param_type = "UnlockErrorCode")] code: JsValue,
) -> Result<u16, JsValue> {
    text(&code)
        .and_then(|c| ErrorCode::parse(&c))
        .map(ErrorCode::proxy_status)
        .ok_or_else(|| {
            let message = "code must be an UnlockError code such as \"validation\".";
            to_js_error(&Error::validation("code", message), None)
        })
}

/// A token for a task known only by its id (a Salesfinity callback, a task started elsewhere),
/// due for a poll now.
#[wasm_bindgen(js_name = tokenFor)]
pub fn token_for(
    #[wasm_bindgen(unchecked_param_type = "TaskKind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] task_id: JsValue,
) -> Result<String, JsValue> {
    let kind = kind_named(&kind).map_err(|e| to_js_error(&e, None))?;
    let task_id = text(&task_id).ok_or_else(|| {
        to_js_error(
            &Error::validation("taskId", "taskId must be a string."),
            None,
        )
    })?;
    crate::providers::check_task_id(kind, &task_id)
        .and_then(|id| ResumeToken::new(kind, &id, io::now(), 0))
        .map(|t| t.encode())
        .map_err(|e| to_js_error(&e, None))
}

/// Reads a provider's task answer you already hold (your own fetch, a callback body) into the
/// package's `Snapshot`, exactly as polling would. Throws an `UnlockError` for an error answer.
#[wasm_bindgen(js_name = parseTaskResponse, unchecked_return_type = "Snapshot")]
pub fn parse_task_response(
    #[wasm_bindgen(unchecked_param_type = "TaskKind")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] task_id: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
) -> Result<JsValue, JsValue> {
    let invalid = |field: &str, what: &str| {
        to_js_error(
            &Error::validation(field, format!("{field} must be {what}.")),
            None,
        )
    };
    let kind = kind_named(&kind).map_err(|e| to_js_error(&e, None))?;
    let task_id = text(&task_id).ok_or_else(|| invalid("taskId", "a string"))?;
    let status = status
        .as_f64()
        .filter(|s| s.fract() == 0.0 && (100.0..=599.0).contains(s))
        .ok_or_else(|| invalid("status", "an HTTP status (100 to 599)"))?;
    let body = text(&body).ok_or_else(|| invalid("body", "the answer's text, a string"))?;
    let response = crate::http::HttpResponse::new(status as u16, body);
    crate::providers::parse_task(kind, &task_id, &response, io::now())
        .map(|snapshot| to_js(&json_view::TaskView::snapshot(&snapshot, None).text()))
        .map_err(|e| to_js_error(&e, None))
}

/// Reads a group part's `x-unlock-group` header, as a key-holding proxy does before it
/// reserves the group's worst case: `{ group, rest }`, or throws a `validation` error.
#[wasm_bindgen(js_name = readGroupHeader, unchecked_return_type = "GroupAnnouncement")]
pub fn read_group_header(
    #[wasm_bindgen(unchecked_param_type = "string")] value: JsValue,
) -> Result<JsValue, JsValue> {
    text(&value)
        .and_then(|value| Announcement::parse(&value))
        .map(|a| to_js(&json_view::announcement(&a)))
        .ok_or_else(|| {
            let message = "x-unlock-group must be <16 hex digits>;rest=<1 to 10000>.";
            to_js_error(&Error::validation(GROUP_HEADER, message), None)
        })
}

/// The part size a group's start tries again with after `error` refused a part of
/// `partLength` contacts (a 422 with a smaller `limit`, or a 400 from a deployment still on
/// 100 per task), or `undefined` when the group stops there: what a proxy needs to know
/// whether the rest of a group's reservation is still wanted.
#[wasm_bindgen(js_name = resplitSize)]
pub fn resplit_size(
    #[wasm_bindgen(
        unchecked_param_type = "Pick<UnlockErrorFields, \"code\" | \"status\" | \"limit\">"
    )]
    error: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] part_length: JsValue,
) -> Result<Option<u32>, JsValue> {
    let read = || {
        let code = convert::opt_string(&error, "code")?
            .and_then(|c| ErrorCode::parse(&c))
            .ok_or_else(|| Error::validation("code", "error.code must be an UnlockError code."))?;
        let mut cause = Error::new(code, String::new());
        cause.status = convert::opt_number(&error, "status", "status")?.map(|s| s as u16);
        cause.limit = convert::opt_number(&error, "limit", "limit")?.map(|l| l as u64);
        let length = part_length
            .as_f64()
            .filter(|n| n.fract() == 0.0 && *n >= 1.0)
            .ok_or_else(|| {
                Error::validation(
                    "partLength",
                    "partLength must be a whole number of 1 or more.",
                )
            })?;
        let size = group_start::smaller_parts(&cause, length.min(u32::MAX as f64) as usize);
        Ok::<_, Error>(size.map(|s| s.min(u32::MAX as usize) as u32))
    };
    read().map_err(|e| to_js_error(&e, None))
}

/// What a token names, without a client: `{ kind, taskId, key, createdAt, parts }`; `key` is
/// the same for every token of one task (or group), however far its polling went. Throws a
/// `validation` error for a token that would not resume.
#[wasm_bindgen(js_name = describeToken, unchecked_return_type = "TokenInfo")]
pub fn describe_token(
    #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
) -> Result<JsValue, JsValue> {
    convert::token(&token)
        .and_then(|token| TokenInfo::read(&token))
        .map(|info| to_js(&json_view::token_info(&info)))
        .map_err(|e| to_js_error(&e, None))
}
