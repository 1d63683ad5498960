//! The option names each JavaScript object may carry. An unknown name is a mistake (a typo, or
//! another SDK's spelling such as `baseURL`), and ignoring it would send requests somewhere the
//! caller did not mean: so it is a `validation` error that names it and, when one is close,
//! the name that was meant.

use crate::error::{quote, Error};

pub const CLIENT: &[&str] = &[
    "provider",
    "apiKey",
    "baseUrl",
    "callSource",
    "polling",
    "requestTimeoutMs",
    "rateLimit",
    "maxBatch",
    "headers",
    "fetch",
    "maxRetries",
    "onRequest",
    "onResponse",
    "onWait",
    "shareAcrossTabs",
    "store",
];
/// What every method takes as its last argument.
pub const CALL: &[&str] = &["signal", "user"];
pub const ENRICH_MANY: &[&str] = &["signal", "user", "maxConcurrency"];
/// What `unlockEmails` and `unlockPhones` take: a call's, and whether it may start a group.
pub const UNLOCK: &[&str] = &["signal", "user", "group"];
pub const POLLING: &[&str] = &["delaysMs", "maxWaitMs", "jitter", "maxFailures"];
pub const RATE_LIMIT: &[&str] = &["requests", "windowMs"];
pub const GOVERNOR: &[&str] = &["requests", "windowMs", "saved", "now"];
pub const CLAIM: &[&str] = &["id", "priority", "user", "since"];
pub const ANSWER: &[&str] = &["status", "headers"];
pub const WAIT: &[&str] = &["signal", "user", "onProgress", "onEvent", "maxWaitMs"];
pub const UNLOCK_INPUT: &[&str] = &["eventId", "personnelIds"];
pub const ENRICH_INPUT: &[&str] = &["linkedinUrl", "type", "callbackUrl", "externalId"];
pub const CONTACT_QUERY: &[&str] = &[
    "eventId",
    "page",
    "pageSize",
    "exhibitorId",
    "department",
    "level",
    "searchQuery",
    "sourceType",
];

/// Refuses the first name of `given` that `known` does not list. `label` names the object in
/// the error ("options", "polling", "input"), and the field is `label.name`.
pub fn check_names(given: &[String], known: &[&str], label: &str) -> Result<(), Error> {
    let Some(unknown) = given.iter().find(|name| !known.contains(&name.as_str())) else {
        return Ok(());
    };
    let field = if label == "options" || label == "input" || label == "query" {
        unknown.clone()
    } else {
        format!("{label}.{unknown}")
    };
    let hint = closest(unknown, known)
        .map(|name| format!(" Did you mean {}?", quote(name)))
        .unwrap_or_default();
    Err(Error::validation(
        field,
        format!(
            "{label} has no option {}.{hint} Known: {}.",
            quote(unknown),
            known.join(", ")
        ),
    ))
}

/// The known name that differs from `name` only in case, or by at most two edits.
fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over bytes (names are ASCII), bounded in length by the caller's names.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn unknown_names_are_refused_with_the_name_meant() {
        assert!(check_names(&names(&["provider", "baseUrl"]), CLIENT, "options").is_ok());
        let e = check_names(&names(&["provider", "baseURL"]), CLIENT, "options").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("baseURL"));
        assert!(
            e.message.contains("Did you mean \"baseUrl\"?"),
            "{}",
            e.message
        );
        let e = check_names(&names(&["delayMs"]), POLLING, "polling").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("polling.delayMs"));
        assert!(e.message.contains("\"delaysMs\""), "{}", e.message);
        let e = check_names(&names(&["colour"]), WAIT, "options").unwrap_err();
        assert!(!e.message.contains("Did you mean"), "{}", e.message);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance(&"a".repeat(65), "a"), usize::MAX);
    }
}
