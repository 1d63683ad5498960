//! How a selection larger than one task starts as a group: the rules, with no I/O (the
//! facade sends; these decide).
//!
//! - The selection is cut into parts of the batch limit, in the order given (ids were
//!   de-duplicated across the whole selection first, so no contact is in two parts).
//! - Before the first create, what the whole group would cost is checked against the balance:
//!   a group that cannot be paid for starts nothing.
//! - A part the provider refuses for its size is cut again: to the `limit` of a 422
//!   `LEAD_SELECTION_LIMIT_EXCEEDED` (nothing was charged), or to 100 when a deployment still
//!   on the older contract answers 400 to a larger part. Nothing is created twice: only the
//!   refused part and the ones after it are cut.
//! - Any other refusal stops the group where it is: the parts that started run on, and the
//!   error says which contacts did not start, and why ([`partial_start`]).

use crate::error::{Error, ErrorCode};
use crate::group_token::{GroupToken, PartToken, MAX_PARTS};
use crate::kind::TaskKind;
use crate::providers::{Created, Skipped};
use crate::validate::{Enrichment, Selection};

/// Most profile lookups one `enrichEmails` call takes: Salesfinity takes one profile per
/// request, and a group holds at most [`MAX_PARTS`] tasks.
pub const MAX_ENRICHMENTS: usize = MAX_PARTS;

/// Concurrent Salesfinity creates of one `enrichEmails` call, unless the caller says.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The lookups of one `enrichEmails` call, checked: 1 to [`MAX_ENRICHMENTS`], each profile and
/// type once (a repeat is reported, never sent twice). Returns them with the repeats'
/// canonical URLs.
pub fn enrichments(given: Vec<Enrichment>) -> Result<(Vec<Enrichment>, Vec<String>), Error> {
    if given.is_empty() || given.len() > MAX_ENRICHMENTS {
        return Err(Error::validation(
            "profiles",
            format!(
                "{} profiles given; enrichEmails takes 1 to {MAX_ENRICHMENTS}.",
                given.len()
            ),
        ));
    }
    // Repeats found by sorting, as a selection's (`order`): O(n log n), no hash set.
    let keys: Vec<String> = given.iter().map(Enrichment::fingerprint).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let order = crate::order::sorted_positions(&refs);
    let mut repeat = vec![false; given.len()];
    for pair in order.windows(2) {
        repeat[pair[1]] = keys[pair[0]] == keys[pair[1]];
    }
    let mut kept = Vec::with_capacity(given.len());
    let mut repeats = Vec::new();
    for (enrichment, repeated) in given.into_iter().zip(repeat) {
        if repeated {
            repeats.push(enrichment.linkedin_url);
        } else {
            kept.push(enrichment);
        }
    }
    Ok((kept, repeats))
}

/// `maxConcurrency`: 1 to 16 creates at once (default [`DEFAULT_CONCURRENCY`]).
pub fn concurrency(given: Option<f64>) -> Result<usize, Error> {
    match given {
        None => Ok(DEFAULT_CONCURRENCY),
        Some(n) if n.fract() == 0.0 && (1.0..=16.0).contains(&n) => Ok(n as usize),
        Some(_) => Err(Error::validation(
            "maxConcurrency",
            "maxConcurrency must be a whole number from 1 to 16.",
        )),
    }
}

/// The batch limit of deployments still on the older contract (OpenAPI 0.25 and the seeds).
pub const LEGACY_BATCH: usize = 100;

/// `selection` in parts of at most `size` ids, in order. Duplicates are the group's, reported
/// once (on the first part).
pub fn parts(selection: &Selection, size: usize) -> Vec<Selection> {
    let size = size.max(1);
    selection
        .personnel_ids
        .chunks(size)
        .enumerate()
        .map(|(i, ids)| Selection {
            event_id: selection.event_id.clone(),
            personnel_ids: ids.to_vec(),
            duplicates: if i == 0 {
                selection.duplicates.clone()
            } else {
                Vec::new()
            },
        })
        .collect()
}

/// Whether a group of this many ids in parts of `size` fits in one group token.
pub fn fits(ids: usize, size: usize) -> Result<(), Error> {
    let count = ids.div_ceil(size.max(1));
    if count > MAX_PARTS {
        return Err(Error::validation(
            "personnelIds",
            format!(
                "{ids} contacts would be {count} tasks of at most {size}; a group holds at \
                 most {MAX_PARTS}."
            ),
        ));
    }
    Ok(())
}

/// Whether `rest` more ids, in parts of `size`, still fit in one group token after `started`
/// parts.
pub fn room_for(started: usize, rest: usize, size: usize) -> bool {
    started + rest.div_ceil(size.max(1)) <= MAX_PARTS
}

/// The part size to try again with after the provider refused a part of `part_len` ids with
/// `error`, or `None` when the refusal is not about size.
pub fn smaller_parts(error: &Error, part_len: usize) -> Option<usize> {
    if let Some(limit) = error.limit {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        return (limit < part_len).then_some(limit);
    }
    let legacy =
        error.code == ErrorCode::Validation && error.status == Some(400) && part_len > LEGACY_BATCH;
    legacy.then_some(LEGACY_BATCH)
}

/// Whether a group that would cost `credits` can be paid from `balance`; if not, the error
/// that stops it before anything is created.
pub fn affordable(credits: u64, balance: f64) -> Result<(), Error> {
    if (credits as f64) <= balance {
        return Ok(());
    }
    // Whole credits: a float's formatting would cost the .wasm tens of kilobytes.
    let balance = balance.max(0.0) as u64;
    Err(Error::new(
        ErrorCode::PaymentRequired,
        format!(
            "These contacts would cost {credits} credits and the balance is {balance}: nothing \
             was started. Top up, or select fewer."
        ),
    ))
}

/// The parts started so far and what they said.
#[derive(Debug, Default)]
pub struct Started {
    pub parts: Vec<PartToken>,
    pub skipped: Vec<Skipped>,
    pub skipped_ids: Vec<String>,
}

impl Started {
    /// Adds a part's create answer (with the token of its task, if one was started).
    pub fn add(&mut self, created: Created, token: Option<crate::token::ResumeToken>) {
        if let Some(token) = token {
            self.parts.push(PartToken {
                token,
                ended: false,
            });
        }
        self.skipped.extend(created.skipped);
        self.skipped_ids.extend(created.skipped_ids);
    }

    /// The group's token, or `None` when no part started a task.
    pub fn token(&self, kind: TaskKind) -> Option<GroupToken> {
        GroupToken::new(kind, self.parts.clone()).ok()
    }
}

/// The error of a group stopped by `cause` after its first part started: it keeps the cause's
/// code, status and trace id, says how far the group got, and lists the contacts that did not
/// start. The caller attaches the group's token (the parts that started run on); starting
/// `not_started` again starts only those.
pub fn partial_start(cause: Error, started_parts: usize, not_started: Vec<String>) -> Error {
    if started_parts == 0 {
        return cause; // nothing started: the refusal as it is, for the whole selection
    }
    let mut error = cause;
    error.message = format!(
        "{} task(s) of this selection started and run on; {} contact(s) did not start: {}",
        started_parts,
        not_started.len(),
        error.message
    );
    error.not_started = not_started;
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::EmailType;

    fn selection(n: usize) -> Selection {
        let ids: Vec<String> = (0..n).map(|i| i.to_string()).chain(["0".into()]).collect();
        Selection::new(Some("e"), &ids, n).unwrap()
    }

    #[test]
    fn parts_keep_the_order_and_report_duplicates_once() {
        let parts = parts(&selection(5), 2);
        let ids: Vec<Vec<&str>> = parts
            .iter()
            .map(|p| p.personnel_ids.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(ids, [vec!["0", "1"], vec!["2", "3"], vec!["4"]]);
        assert_eq!(parts[0].duplicates, ["0"]);
        assert!(parts[1].duplicates.is_empty() && parts[2].duplicates.is_empty());
        assert!(parts.iter().all(|p| p.event_id.as_deref() == Some("e")));
    }

    #[test]
    fn a_refusal_for_size_cuts_smaller_and_nothing_else_does() {
        let mut limit = Error::validation("personnelIds", "too many");
        limit.limit = Some(100);
        assert_eq!(smaller_parts(&limit, 250), Some(100));
        assert_eq!(smaller_parts(&limit, 100), None, "already at the limit");
        let mut legacy = Error::validation("personnelIds", "bad request");
        legacy.status = Some(400);
        assert_eq!(smaller_parts(&legacy, 2_000), Some(LEGACY_BATCH));
        assert_eq!(smaller_parts(&legacy, 100), None);
        let broke = Error::new(ErrorCode::PaymentRequired, "no credits");
        assert_eq!(smaller_parts(&broke, 2_000), None);
        assert!(room_for(1_990, 1_000, 100));
        assert!(!room_for(1_991, 1_000, 100));
        assert!(fits(10_000, 5).is_ok() && fits(10_001, 5).is_err());
    }

    #[test]
    fn a_group_is_paid_for_before_it_starts() {
        assert!(affordable(300, 300.0).is_ok());
        let error = affordable(301, 300.5).unwrap_err();
        assert_eq!(error.code, ErrorCode::PaymentRequired);
        assert!(
            error.message.contains("301 credits and the balance is 300"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_stopped_group_keeps_the_cause_and_lists_what_did_not_start() {
        let mut cause = Error::new(ErrorCode::RateLimited, "slow down");
        cause.trace_id = Some("t".into());
        let error = partial_start(cause, 2, vec!["7".into(), "8".into()]);
        assert_eq!(
            (error.code, error.trace_id.as_deref()),
            (ErrorCode::RateLimited, Some("t"))
        );
        assert_eq!(error.not_started, ["7", "8"]);
        assert!(error.message.starts_with(
            "2 task(s) of this selection started and run on; 2 contact(s) did not start: slow down"
        ));
        // Stopped at its first part: the refusal itself, nothing to resume.
        let first = partial_start(
            Error::new(ErrorCode::PaymentRequired, "no"),
            0,
            vec!["1".into()],
        );
        assert_eq!((first.message.as_str(), first.not_started.len()), ("no", 0));
    }

    #[test]
    fn lookups_are_checked_and_each_profile_sent_once() {
        let profile = |name: &str, kind: &str| {
            Enrichment::new(
                &format!("https://www.linkedin.com/in/{name}"),
                kind,
                None,
                None,
            )
            .unwrap()
        };
        let given = vec![
            profile("a", "work"),
            profile("b", "work"),
            profile("A", "work"),
            profile("a", "personal"),
        ];
        let (kept, repeats) = enrichments(given).unwrap();
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[2].email_type, EmailType::Personal);
        assert_eq!(repeats.len(), 1, "{repeats:?}");
        assert_eq!(
            enrichments(Vec::new()).unwrap_err().field.as_deref(),
            Some("profiles")
        );
        assert_eq!(concurrency(None).unwrap(), DEFAULT_CONCURRENCY);
        for bad in [0.0, 17.0, 2.5] {
            assert_eq!(
                concurrency(Some(bad)).unwrap_err().field.as_deref(),
                Some("maxConcurrency")
            );
        }
    }
}
