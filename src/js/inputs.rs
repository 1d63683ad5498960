//! The inputs of the start, precheck and contact methods, read from JS into the core's checked
//! types (the checks themselves are the core's: [`Selection::new`], [`Enrichment::new`],
//! [`ContactQuery::new`]).

use wasm_bindgen::prelude::*;

use super::call::Call;
use super::convert;
use crate::contacts::ContactQuery;
use crate::error::Error;
use crate::group_start;
use crate::options;
use crate::validate::{Enrichment, Selection};

pub(crate) fn read_selection(input: &JsValue, max_batch: usize) -> Result<Selection, Error> {
    let input = convert::options(input, options::UNLOCK_INPUT, "input")?;
    let event_id = convert::opt_string(&input, "eventId")?;
    let ids = convert::id_list(&input, "personnelIds")?;
    Selection::new(event_id.as_deref(), &ids, max_batch)
}

/// The options of `unlockEmails`/`unlockPhones`: a call's, and `group` (default true: a
/// selection larger than one task, or refused for its size, starts as a group of tasks).
pub(crate) fn read_unlock_options(options: &Option<JsValue>) -> Result<(Call, bool), Error> {
    let (call, options) = Call::read_with(options, options::UNLOCK)?;
    Ok((call, convert::opt_bool(&options, "group")?.unwrap_or(true)))
}

pub(crate) fn read_contact_query(query: &JsValue) -> Result<ContactQuery, Error> {
    let query = convert::options(query, options::CONTACT_QUERY, "query")?;
    let event_id = convert::opt_string(&query, "eventId")?.unwrap_or_default();
    let filters = [
        convert::opt_string(&query, "exhibitorId")?,
        convert::opt_string(&query, "department")?,
        convert::opt_string(&query, "level")?,
        convert::opt_string(&query, "searchQuery")?,
    ];
    ContactQuery::new(
        &event_id,
        convert::opt_number(&query, "page", "page")?,
        convert::opt_number(&query, "pageSize", "pageSize")?,
        filters,
        &convert::opt_text_list(&query, "sourceType")?,
    )
}

/// `enrichEmails(profiles, { signal, user, maxConcurrency })`: the profiles checked and
/// de-duplicated ([`group_start::enrichments`]), with the call and the concurrency.
pub(crate) fn read_enrichments(
    profiles: &JsValue,
    options: &Option<JsValue>,
) -> Result<(Call, Vec<Enrichment>, Vec<String>, usize), Error> {
    let (call, options) = Call::read_with(options, options::ENRICH_MANY)?;
    let concurrency = group_start::concurrency(convert::opt_number(
        &options,
        "maxConcurrency",
        "maxConcurrency",
    )?)?;
    let given = convert::list(profiles, "profiles")?
        .iter()
        .enumerate()
        .map(|(i, profile)| {
            read_enrichment(profile).map_err(|mut e| {
                e.field = Some(format!("profiles[{i}].{}", e.field.unwrap_or_default()));
                e
            })
        })
        .collect::<Result<Vec<Enrichment>, Error>>()?;
    let (profiles, repeats) = group_start::enrichments(given)?;
    Ok((call, profiles, repeats, concurrency))
}

pub(crate) fn read_enrichment(input: &JsValue) -> Result<Enrichment, Error> {
    let input = convert::options(input, options::ENRICH_INPUT, "input")?;
    let url = convert::opt_string(&input, "linkedinUrl")?.unwrap_or_default();
    let email_type = convert::opt_string(&input, "type")?.unwrap_or_default();
    Enrichment::new(
        &url,
        &email_type,
        convert::opt_string(&input, "callbackUrl")?.as_deref(),
        convert::opt_string(&input, "externalId")?.as_deref(),
    )
}
