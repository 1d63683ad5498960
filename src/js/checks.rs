//! Checks and tokens without a client: for servers (the edge worker) that validate what a
//! browser sent before spending anything, and name a task or a selection.

use wasm_bindgen::prelude::*;

use super::client::{read_enrichment, read_selection};
use super::convert::{to_js, to_js_error};
use super::io;
use crate::error::Error;
use crate::json_view;
use crate::kind::TaskKind;
use crate::token::ResumeToken;
use crate::validate::DEFAULT_MAX_BATCH;

/// Checks an unlock input the way `unlockEmails` does, sending nothing. Returns the normalized
/// selection and its `key` (the same for the same contacts in any order), or throws an
/// `UnlockError` with code `validation`.
#[wasm_bindgen(js_name = checkUnlockInput, unchecked_return_type = "CheckedUnlock")]
pub fn check_unlock_input(
    #[wasm_bindgen(unchecked_param_type = "TaskKind")] kind: &str,
    #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
    max_batch: Option<u32>,
) -> Result<JsValue, JsValue> {
    let checked = (|| {
        let kind = TaskKind::parse(kind)
            .filter(|k| *k != TaskKind::SalesfinityEmail)
            .ok_or_else(|| {
                Error::validation(
                    "kind",
                    "kind must be \"lensmor.email\" or \"lensmor.phone\".",
                )
            })?;
        let max_batch = max_batch.map_or(DEFAULT_MAX_BATCH, |n| n.max(1) as usize);
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
fn kind_named(name: &str) -> Result<TaskKind, Error> {
    TaskKind::parse(name).ok_or_else(|| {
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
    #[wasm_bindgen(unchecked_param_type = "TaskKind")] kind: &str,
) -> Result<u32, JsValue> {
    let kind = kind_named(kind).map_err(|e| to_js_error(&e, None))?;
    Ok(kind.credits_per_delivery() as u32)
}

/// A token for a task known only by its id (a Salesfinity callback, a task started elsewhere),
/// due for a poll now.
#[wasm_bindgen(js_name = tokenFor)]
pub fn token_for(
    #[wasm_bindgen(unchecked_param_type = "TaskKind")] kind: &str,
    task_id: &str,
) -> Result<String, JsValue> {
    let kind = kind_named(kind).map_err(|e| to_js_error(&e, None))?;
    ResumeToken::new(kind, task_id, io::now(), 0)
        .map(|t| t.encode())
        .map_err(|e| to_js_error(&e, None))
}

/// Reads a provider's task answer you already hold (your own fetch, a callback body) into the
/// package's `Snapshot`, exactly as polling would. Throws an `UnlockError` for an error answer.
#[wasm_bindgen(js_name = parseTaskResponse, unchecked_return_type = "Snapshot")]
pub fn parse_task_response(
    #[wasm_bindgen(unchecked_param_type = "TaskKind")] kind: &str,
    task_id: &str,
    status: u16,
    body: &str,
) -> Result<JsValue, JsValue> {
    let kind = kind_named(kind).map_err(|e| to_js_error(&e, None))?;
    let response = crate::http::HttpResponse::new(status, body);
    crate::providers::parse_task(kind, task_id, &response, io::now())
        .map(|s| to_js(&json_view::snapshot(&s)))
        .map_err(|e| to_js_error(&e, None))
}
