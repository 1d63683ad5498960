//! Every input checked before any request is sent.
//!
//! A request that reaches a provider may cost credits, so bad input must be refused here, with an
//! error that names the field (as the JavaScript API spells it) and the rule that was broken.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{quote, Error};

/// The most personnel ids one Lensmor unlock takes: OpenAPI 0.27's `maxItems` (0.25 and the
/// seeds: 100). An account may have a lower runtime limit, which it answers with a 422
/// `LEAD_SELECTION_LIMIT_EXCEEDED` naming it; `maxBatch` may lower ours, never raise it past this.
pub const MAX_BATCH: usize = 2000;
pub const DEFAULT_MAX_BATCH: usize = MAX_BATCH;
/// Most contacts one start may select: more than one task takes start as a group of tasks
/// (see `group_start.rs`). A JS list is read up to this many entries.
pub const MAX_GROUP_IDS: usize = 10_000;
/// Salesfinity's limit on `external_id`.
pub const MAX_EXTERNAL_ID_CHARS: usize = 256;
/// Task ids are opaque strings; this bounds what a token or a URL may carry.
pub const MAX_TASK_ID_BYTES: usize = 256;
/// A selection may repeat ids, but a list longer than this many times the batch limit is
/// refused before it is read: de-duplicating it would be work done for nobody.
pub const MAX_LIST_FACTOR: usize = 10;
/// Lensmor's `event_id`: 1..100 characters (OpenAPI 0.27, on the unlock bodies and the personnel
/// list). A longer one would be refused with a 400 after the request was sent.
pub const MAX_EVENT_ID_CHARS: usize = 100;
/// Lensmor's `personnel_id` query parameter of the profile route: 1..20 characters.
pub const MAX_PERSONNEL_ID_CHARS: usize = 20;
/// Bounds ids and URLs so a pasted document cannot become a request.
const MAX_ID_BYTES: usize = 256;
const MAX_URL_BYTES: usize = 2048;

/// Lensmor personnel chosen for an unlock: 1..=max distinct ids, and the event they belong to
/// if the caller names one (optional since OpenAPI 0.26: without it Lensmor does not check that
/// each contact belongs to an event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub event_id: Option<String>,
    /// Distinct ids in the order first given.
    pub personnel_ids: Vec<String>,
    /// Ids that were given more than once and sent once (reported, not silently dropped).
    pub duplicates: Vec<String>,
}

impl Selection {
    /// Checks a selection. Ids are trimmed (a pasted " 789" means "789"); an id that is empty
    /// after trimming is an error rather than skipped, because it usually means a broken mapping
    /// in the caller's code. The batch limit applies to distinct ids, which is what is sent.
    pub fn new(
        event_id: Option<&str>,
        personnel_ids: &[String],
        max_batch: usize,
    ) -> Result<Selection, Error> {
        let event_id = event_id.map(event_id_rule).transpose()?;
        if personnel_ids.is_empty() {
            return Err(Error::validation(
                "personnelIds",
                "personnelIds is empty: select at least one contact to unlock.",
            ));
        }
        // Counted before any per-id work: a list far past the limit is refused in constant
        // time, whatever its duplicates (an attacker's 100,000 ids cost nothing to refuse).
        let cap = max_batch.saturating_mul(MAX_LIST_FACTOR);
        if personnel_ids.len() > cap {
            return Err(Error::validation(
                "personnelIds",
                format!(
                    "{} ids given; at most {max_batch} contacts can be unlocked in one task \
                     (and at most {cap} ids, duplicates included, are read).",
                    personnel_ids.len()
                ),
            ));
        }
        let ids = personnel_ids
            .iter()
            .enumerate()
            .map(|(index, raw)| required_id(&format!("personnelIds[{index}]"), raw))
            .collect::<Result<Vec<String>, Error>>()?;
        let (distinct, duplicates) = dedupe(ids);
        if distinct.len() > max_batch {
            return Err(Error::validation(
                "personnelIds",
                format!(
                    "{} contacts selected; at most {max_batch} can be unlocked at once. \
                     Split the selection into batches of {max_batch}.",
                    distinct.len()
                ),
            ));
        }
        Ok(Selection {
            event_id,
            personnel_ids: distinct,
            duplicates,
        })
    }

    /// Identifies the selection regardless of order, to find a task already running for it.
    pub fn fingerprint(&self) -> String {
        // The ids in sorted order, through the crate's one sort (see `order`).
        let keys: Vec<&str> = self.personnel_ids.iter().map(String::as_str).collect();
        let ids: Vec<&str> = crate::order::sorted_positions(&keys)
            .into_iter()
            .map(|position| keys[position])
            .collect();
        let event = self.event_id.as_deref().unwrap_or_default();
        format!("{event}\n{}", ids.join("\n"))
    }
}

/// Splits `ids` into the distinct ones (in the order first given) and the ones given more than
/// once (each once, in the order of their second appearance). Sorting positions makes it
/// O(n log n); a hash set would do the same for ~10 KB more of .wasm.
fn dedupe(ids: Vec<String>) -> (Vec<String>, Vec<String>) {
    let keys: Vec<&str> = ids.iter().map(String::as_str).collect();
    let order = crate::order::sorted_positions(&keys);
    // For each position: is it a first appearance, and is it the second appearance of its id?
    let mut first = vec![false; ids.len()];
    let mut second = vec![false; ids.len()];
    for (rank, &position) in order.iter().enumerate() {
        let previous = rank.checked_sub(1).map(|r| order[r]);
        let same_as_previous = previous.is_some_and(|p| ids[p] == ids[position]);
        first[position] = !same_as_previous;
        let before_previous = rank.checked_sub(2).map(|r| order[r]);
        second[position] =
            same_as_previous && !before_previous.is_some_and(|p| ids[p] == ids[position]);
    }
    let mut distinct = Vec::new();
    let mut duplicates = Vec::new();
    for (position, id) in ids.into_iter().enumerate() {
        if first[position] {
            distinct.push(id);
        } else if second[position] {
            duplicates.push(id);
        }
    }
    (distinct, duplicates)
}

/// The type of email Salesfinity is asked to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailType {
    Work,
    Personal,
}

impl EmailType {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailType::Work => "work",
            EmailType::Personal => "personal",
        }
    }

    pub fn parse(value: &str) -> Result<EmailType, Error> {
        match value {
            "work" => Ok(EmailType::Work),
            "personal" => Ok(EmailType::Personal),
            other => Err(Error::validation(
                "type",
                format!(
                    "type must be \"work\" or \"personal\", not {}.",
                    quote(other)
                ),
            )),
        }
    }
}

/// A checked Salesfinity enrichment request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrichment {
    /// The profile URL in canonical form: `https://www.linkedin.com/in/<name>`.
    pub linkedin_url: String,
    pub email_type: EmailType,
    pub callback_url: Option<String>,
    pub external_id: Option<String>,
}

impl Enrichment {
    /// Checks an enrichment request. Optional fields given as empty strings count as absent,
    /// which is what an empty form field means.
    pub fn new(
        linkedin_url: &str,
        email_type: &str,
        callback_url: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Enrichment, Error> {
        let linkedin_url = linkedin_profile_url(linkedin_url)?;
        let email_type = EmailType::parse(email_type)?;
        let callback_url = non_empty(callback_url)
            .map(|url| http_url("callbackUrl", url))
            .transpose()?;
        let external_id = non_empty(external_id).map(external_id_rule).transpose()?;
        Ok(Enrichment {
            linkedin_url,
            email_type,
            callback_url,
            external_id,
        })
    }
}

impl Enrichment {
    /// Identifies the lookup: one profile and one email type make one request.
    pub fn fingerprint(&self) -> String {
        format!("{}\n{}", self.linkedin_url, self.email_type.as_str())
    }
}

/// A task id to poll: non-empty, bounded, no control characters, not `.` or `..`. It is
/// percent-encoded into one path segment later, so `/` and `%` are harmless; `.` and `..` are
/// not, because URL parsers resolve them (even encoded as `%2E%2E`) as "this" and "parent"
/// directory, and no provider issues such ids.
pub fn task_id(id: &str) -> Result<String, Error> {
    if id.is_empty() {
        return Err(Error::validation("taskId", "taskId is empty."));
    }
    if id == "." || id == ".." {
        return Err(Error::validation(
            "taskId",
            "taskId cannot be \".\" or \"..\".",
        ));
    }
    if id.len() > MAX_TASK_ID_BYTES {
        return Err(Error::validation(
            "taskId",
            format!("taskId is longer than {MAX_TASK_ID_BYTES} bytes."),
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::validation(
            "taskId",
            "taskId contains control characters.",
        ));
    }
    Ok(id.to_string())
}

/// The base URL requests go to: the provider, or a proxy in front of it.
///
/// It must be https, except for loopback hosts (a local proxy or sandbox), because the requests
/// carry an API key or the user's contacts. A trailing `/` is dropped so paths join cleanly.
pub fn base_url(url: &str) -> Result<String, Error> {
    let parts = UrlParts::parse(url.trim()).ok_or_else(|| {
        Error::validation(
            "baseUrl",
            format!("baseUrl {} is not an absolute http(s) URL.", quote(url)),
        )
    })?;
    if parts.scheme == "http" && !parts.is_loopback() {
        return Err(Error::validation(
            "baseUrl",
            format!(
                "baseUrl {} must use https (plain http is allowed only for localhost).",
                quote(url)
            ),
        ));
    }
    if parts.rest.contains(['?', '#']) {
        return Err(Error::validation(
            "baseUrl",
            "baseUrl must not contain a query or a fragment.",
        ));
    }
    Ok(url.trim().trim_end_matches('/').to_string())
}

fn required_id(field: &str, value: &str) -> Result<String, Error> {
    let id = value.trim();
    if id.is_empty() {
        return Err(Error::validation(field, format!("{field} is empty.")));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Error::validation(
            field,
            format!("{field} is longer than {MAX_ID_BYTES} bytes."),
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::validation(
            field,
            format!("{field} contains control characters."),
        ));
    }
    Ok(id.to_string())
}

/// A Lensmor event id: the id rules, and at most [`MAX_EVENT_ID_CHARS`] characters.
pub fn event_id_rule(value: &str) -> Result<String, Error> {
    let id = required_id("eventId", value)?;
    max_chars("eventId", id, MAX_EVENT_ID_CHARS)
}

/// A Lensmor personnel id for the profile route: at most [`MAX_PERSONNEL_ID_CHARS`] characters.
pub fn personnel_id_rule(value: &str) -> Result<String, Error> {
    let id = required_id("personnelId", value)?;
    max_chars("personnelId", id, MAX_PERSONNEL_ID_CHARS)
}

/// JSON Schema's `maxLength` counts characters (code points), not bytes.
fn max_chars(field: &str, value: String, max: usize) -> Result<String, Error> {
    let chars = value.chars().count();
    if chars > max {
        return Err(Error::validation(
            field,
            format!("{field} has {chars} characters; the provider accepts at most {max}."),
        ));
    }
    Ok(value)
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn external_id_rule(id: &str) -> Result<String, Error> {
    let chars = id.chars().count();
    if chars > MAX_EXTERNAL_ID_CHARS {
        return Err(Error::validation(
            "externalId",
            format!(
                "externalId has {chars} characters; at most {MAX_EXTERNAL_ID_CHARS} are allowed."
            ),
        ));
    }
    Ok(id.to_string())
}

fn http_url(field: &str, url: &str) -> Result<String, Error> {
    if url.len() > MAX_URL_BYTES || UrlParts::parse(url).is_none() {
        return Err(Error::validation(
            field,
            format!("{field} must be an absolute http(s) URL such as https://example.com/hook."),
        ));
    }
    Ok(url.to_string())
}

/// Accepts `linkedin.com/in/<name>` profile URLs, with or without scheme, `www.` or a country
/// subdomain, a trailing `/`, a query or a fragment, and returns the canonical form. Anything
/// else (company pages, `/in/` with no name, sub-pages of a profile) is refused: Salesfinity
/// only resolves person profiles, and a wrong URL should fail here, not after a round trip.
fn linkedin_profile_url(url: &str) -> Result<String, Error> {
    let refuse = || {
        Error::validation(
            "linkedinUrl",
            format!(
                "linkedinUrl {} is not a LinkedIn profile URL; expected https://www.linkedin.com/in/<name>.",
                quote(url)
            ),
        )
    };
    let url = url.trim();
    if url.len() > MAX_URL_BYTES {
        return Err(refuse());
    }
    let lower = url.to_ascii_lowercase();
    let without_scheme = ["https://", "http://"]
        .iter()
        .find(|s| lower.starts_with(*s))
        .map_or(url, |s| &url[s.len()..]);
    let (host, path) = without_scheme.split_once('/').ok_or_else(refuse)?;
    let host = host.to_ascii_lowercase();
    let linkedin_host = host == "linkedin.com"
        || host.strip_suffix(".linkedin.com").is_some_and(|sub| {
            !sub.is_empty() && sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !linkedin_host {
        return Err(refuse());
    }
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let name = path
        .strip_prefix("in/")
        .map(|rest| rest.strip_suffix('/').unwrap_or(rest))
        .ok_or_else(refuse)?;
    let name = canonical_slug(name).ok_or_else(refuse)?;
    Ok(format!("https://www.linkedin.com/in/{name}"))
}

/// A profile's name in one spelling: percent-decoded, ASCII letters lower-cased (LinkedIn
/// matches profile names without regard to case), and encoded again where a path segment
/// needs it. So `Ada-Lovelace`, `ada%2Dlovelace` and `ADA-LOVELACE` are one lookup, not three
/// paid ones. Other letters keep their case: Unicode case tables would cost the .wasm more
/// than the rare non-ASCII name that differs only in case is worth.
fn canonical_slug(raw: &str) -> Option<String> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    let valid = !decoded.is_empty()
        && !decoded.contains('/')
        && !decoded.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return None;
    }
    Some(utf8_percent_encode(&decoded.to_ascii_lowercase(), SLUG).to_string())
}

/// Characters kept as they are in a profile name; the rest is percent-encoded.
const SLUG: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The few parts of an absolute http(s) URL this crate needs to check, without pulling a full
/// URL parser (and its IDNA tables) into the .wasm.
struct UrlParts<'a> {
    scheme: &'static str,
    host: &'a str,
    rest: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> Option<UrlParts<'a>> {
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        let (scheme, after) = if lower.starts_with("https://") {
            ("https", &url[8..])
        } else if lower.starts_with("http://") {
            ("http", &url[7..])
        } else {
            return None;
        };
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after_host) = bracketed.split_once(']')?;
                let valid = host.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
                (
                    valid.then_some(host)?,
                    after_host
                        .strip_prefix(':')
                        .or_else(|| after_host.is_empty().then_some(""))?,
                )
            }
            None => {
                let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
                // No '@': credentials in a URL end up in logs.
                let valid = host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
                (valid.then_some(host)?, port)
            }
        };
        if host.is_empty() || (!port.is_empty() && port.parse::<u16>().is_err()) {
            return None;
        }
        Some(UrlParts { scheme, host, rest })
    }

    fn is_loopback(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host == "localhost"
            || host.ends_with(".localhost")
            || host == "::1"
            || host.starts_with("127.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn field_of(result: Result<impl std::fmt::Debug, Error>) -> String {
        let err = result.expect_err("expected a validation error");
        assert_eq!(err.code, ErrorCode::Validation);
        err.field.expect("validation errors name a field")
    }

    #[test]
    fn selection_dedupes_trims_and_reports() {
        let s = Selection::new(
            Some(" 139574 "),
            &ids(&["789", " 790", "789", "790 ", "791"]),
            100,
        )
        .unwrap();
        assert_eq!(s.event_id.as_deref(), Some("139574"));
        assert_eq!(s.personnel_ids, ids(&["789", "790", "791"]));
        assert_eq!(s.duplicates, ids(&["789", "790"]));
    }

    #[test]
    fn selection_limits() {
        let hundred: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        assert_eq!(
            Selection::new(Some("e"), &hundred, 100)
                .unwrap()
                .personnel_ids
                .len(),
            100
        );

        let mut too_many = hundred.clone();
        too_many.push("100".into());
        let err = Selection::new(Some("e"), &too_many, 100).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("personnelIds"));
        assert!(err.message.contains("101 contacts"), "{}", err.message);
        // 101 entries that are 100 distinct ids are fine: only distinct ids are sent.
        let mut with_dup = hundred.clone();
        with_dup.push("5".into());
        assert!(Selection::new(Some("e"), &with_dup, 100).is_ok());
        // The limit can be raised for newer API versions.
        assert!(Selection::new(Some("e"), &too_many, 2000).is_ok());
        // A list past ten times the limit is refused before any id is read.
        let flood: Vec<String> = vec![String::new(); 1001];
        let err = Selection::new(Some("e"), &flood, 100).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("personnelIds"));
        assert!(err.message.contains("1001 ids"), "{}", err.message);
        let dups: Vec<String> = vec!["7".to_string(); 1000];
        let one = Selection::new(Some("e"), &dups, 100).unwrap();
        assert_eq!((one.personnel_ids.len(), one.duplicates.len()), (1, 1));

        assert_eq!(
            field_of(Selection::new(Some("e"), &[], 100)),
            "personnelIds"
        );
        assert_eq!(
            field_of(Selection::new(Some(""), &ids(&["1"]), 100)),
            "eventId"
        );
        // OpenAPI 0.27: event_id is optional, and 1..100 characters (counted as characters,
        // not bytes) when given.
        let no_event = Selection::new(None, &ids(&["1"]), 100).unwrap();
        assert_eq!(no_event.event_id, None);
        assert!(Selection::new(Some(&"é".repeat(100)), &ids(&["1"]), 100).is_ok());
        let long = Selection::new(Some(&"e".repeat(101)), &ids(&["1"]), 100).unwrap_err();
        assert_eq!(long.field.as_deref(), Some("eventId"));
        assert!(long.message.contains("101 characters"), "{}", long.message);
        assert!(personnel_id_rule(&"9".repeat(20)).is_ok());
        assert_eq!(field_of(personnel_id_rule(&"9".repeat(21))), "personnelId");
        assert_eq!(
            field_of(Selection::new(Some("e"), &ids(&["1", "  "]), 100)),
            "personnelIds[1]"
        );
        assert_eq!(
            field_of(Selection::new(Some("e"), &ids(&["a\nb"]), 100)),
            "personnelIds[0]"
        );
    }

    #[test]
    fn fingerprint_ignores_order() {
        let a = Selection::new(Some("e"), &ids(&["1", "2"]), 100).unwrap();
        let b = Selection::new(Some("e"), &ids(&["2", "1", "2"]), 100).unwrap();
        let c = Selection::new(Some("f"), &ids(&["1", "2"]), 100).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn linkedin_urls() {
        for ok in [
            "https://www.linkedin.com/in/janedoe",
            "http://linkedin.com/in/janedoe/",
            "www.linkedin.com/in/janedoe?utm_source=x",
            "HTTPS://UK.LinkedIn.com/in/janedoe#about",
            "linkedin.com/in/janedoe",
        ] {
            let e = Enrichment::new(ok, "work", None, None).unwrap();
            assert_eq!(
                e.linkedin_url, "https://www.linkedin.com/in/janedoe",
                "{ok}"
            );
        }
        // Case and percent-encoding make no other profile, so no second paid lookup.
        for same in [
            "https://www.linkedin.com/in/J%C3%A9r%C3%B4me-1",
            "https://www.linkedin.com/in/jérôme-1/",
            "linkedin.com/in/JéRôME%2D1",
        ] {
            let e = Enrichment::new(same, "work", None, None).unwrap();
            assert_eq!(
                e.linkedin_url, "https://www.linkedin.com/in/j%C3%A9r%C3%B4me-1",
                "{same}"
            );
        }
        assert!(Enrichment::new("linkedin.com/in/a%2Fb", "work", None, None).is_err());
        assert!(Enrichment::new("linkedin.com/in/%FF", "work", None, None).is_err());
        for bad in [
            "",
            "https://www.linkedin.com/company/acme",
            "https://www.linkedin.com/in/",
            "https://www.linkedin.com/in/jane/details/experience",
            "https://evil.example/in/jane",
            "https://linkedin.com.evil.example/in/jane",
            "https://notlinkedin.com/in/jane",
            "https://www.linkedin.com/in/jane doe",
            "ftp://linkedin.com/in/jane",
        ] {
            assert_eq!(
                field_of(Enrichment::new(bad, "work", None, None)),
                "linkedinUrl",
                "{bad}"
            );
        }
    }

    #[test]
    fn enrichment_fields() {
        let url = "https://www.linkedin.com/in/janedoe";
        assert_eq!(field_of(Enrichment::new(url, "Work", None, None)), "type");
        assert_eq!(field_of(Enrichment::new(url, "", None, None)), "type");
        let e = Enrichment::new(url, "personal", Some(""), Some(" ")).unwrap();
        assert_eq!((e.callback_url, e.external_id), (None, None));

        let long: String = "é".repeat(256);
        assert!(Enrichment::new(url, "work", None, Some(&long)).is_ok());
        let too_long: String = "é".repeat(257);
        assert_eq!(
            field_of(Enrichment::new(url, "work", None, Some(&too_long))),
            "externalId"
        );

        assert!(Enrichment::new(url, "work", Some("https://hooks.example/x?a=1"), None).is_ok());
        assert!(Enrichment::new(url, "work", Some("http://127.0.0.1:8080/cb"), None).is_ok());
        for bad in [
            "hooks.example/x",
            "javascript:alert(1)",
            "https://",
            "https://a b/",
        ] {
            assert_eq!(
                field_of(Enrichment::new(url, "work", Some(bad), None)),
                "callbackUrl",
                "{bad}"
            );
        }
    }

    #[test]
    fn task_ids() {
        assert_eq!(task_id("../321 %2F é").unwrap(), "../321 %2F é");
        assert_eq!(field_of(task_id("")), "taskId");
        assert_eq!(field_of(task_id("..")), "taskId");
        assert_eq!(field_of(task_id(".")), "taskId");
        assert!(task_id("...").is_ok());
        assert_eq!(field_of(task_id("1\n2")), "taskId");
        assert_eq!(field_of(task_id(&"9".repeat(257))), "taskId");
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url("https://platform.lensmor.com/").unwrap(),
            "https://platform.lensmor.com"
        );
        assert_eq!(
            base_url("https://proxy.example/api/lensmor").unwrap(),
            "https://proxy.example/api/lensmor"
        );
        assert!(base_url("http://127.0.0.1:8787").is_ok());
        assert!(base_url("http://localhost:3000/api").is_ok());
        assert!(base_url("http://[::1]:9000").is_ok());
        for bad in [
            "http://platform.lensmor.com",
            "platform.lensmor.com",
            "/api",
            "https://user:pw@proxy.example",
            "https://proxy.example/?x=1",
            "https://proxy.example:99999",
        ] {
            assert_eq!(field_of(base_url(bad)), "baseUrl", "{bad}");
        }
    }
}
