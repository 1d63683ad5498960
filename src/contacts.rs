//! An event's contacts as Lensmor lists them, with their unlock state and, once unlocked, their
//! values.
//!
//! This is how a caller picks the contacts to unlock (only `locked` ones cost credits) and how it
//! reads the values of contacts a create skipped as already unlocked: the task's items only carry
//! the contacts the task unlocked.

use crate::error::Error;
use crate::validate;

/// The personnel list's page size limit (OpenAPI 0.27: `pageSize` 1..50, default 50).
pub const MAX_PAGE_SIZE: u32 = 50;

/// Which page of an event's contacts to read. Filters are the documented ones, with their limits
/// checked here so nothing is sent that the API refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactQuery {
    pub event_id: String,
    /// One-based.
    pub page: u32,
    pub page_size: u32,
    pub exhibitor_id: Option<String>,
    pub department: Option<String>,
    pub level: Option<String>,
    pub search_query: Option<String>,
    /// One or more of [`SOURCE_TYPES`], sent comma-separated (OpenAPI 0.27: "comma-separated
    /// or repeated", at most 200 characters).
    pub source_type: Option<String>,
}

/// The attendee-source labels the personnel list filters by (OpenAPI 0.27).
pub const SOURCE_TYPES: [&str; 3] = ["exhibitor", "social", "visitors"];

/// `(name, limit)` of the free-text filters, as the API spells and bounds them.
const TEXT_FILTERS: [(&str, usize); 4] = [
    ("exhibitorId", 256),
    ("department", 100),
    ("level", 50),
    ("searchQuery", 200),
];

impl ContactQuery {
    /// Checks a query. `page` defaults to 1 and `page_size` to the maximum, 50.
    pub fn new(
        event_id: &str,
        page: Option<f64>,
        page_size: Option<f64>,
        filters: [Option<String>; 4],
        source_types: &[String],
    ) -> Result<ContactQuery, Error> {
        let event_id = validate::event_id_rule(event_id)?;
        let page = whole("page", page.unwrap_or(1.0), u32::MAX)?;
        let page_size = whole("pageSize", page_size.unwrap_or(50.0), MAX_PAGE_SIZE)?;
        let [exhibitor_id, department, level, search_query] = checked_filters(filters)?;
        let source_type = source_filter(source_types)?;
        Ok(ContactQuery {
            event_id,
            page,
            page_size,
            exhibitor_id,
            department,
            level,
            search_query,
            source_type,
        })
    }

    /// The query string's `(name, value)` pairs, in the API's spelling.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("event_id", self.event_id.clone()),
            ("page", self.page.to_string()),
            ("pageSize", self.page_size.to_string()),
        ];
        let optional = [
            ("exhibitor_id", &self.exhibitor_id),
            ("department", &self.department),
            ("level", &self.level),
            ("search_query", &self.search_query),
            ("sourceType", &self.source_type),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                params.push((name, value.clone()));
            }
        }
        params
    }
}

/// The `sourceType` filter from the caller's labels, each given alone or comma-separated:
/// every one known, each once, in the documented order (so one filter has one spelling).
fn source_filter(given: &[String]) -> Result<Option<String>, Error> {
    let labels: Vec<&str> = given
        .iter()
        .flat_map(|entry| entry.split(','))
        .map(str::trim)
        .filter(|label| !label.is_empty())
        .collect();
    if let Some(unknown) = labels.iter().find(|l| !SOURCE_TYPES.contains(l)) {
        return Err(Error::validation(
            "sourceType",
            format!(
                "sourceType {} is not one of \"exhibitor\", \"social\", \"visitors\".",
                crate::error::quote(unknown)
            ),
        ));
    }
    let chosen: Vec<&str> = SOURCE_TYPES
        .into_iter()
        .filter(|known| labels.contains(known))
        .collect();
    Ok((!chosen.is_empty()).then(|| chosen.join(",")))
}

fn whole(field: &str, value: f64, max: u32) -> Result<u32, Error> {
    if value.fract() != 0.0 || value < 1.0 || value > f64::from(max) {
        return Err(Error::validation(
            field,
            format!("{field} must be a whole number from 1 to {max}."),
        ));
    }
    Ok(value as u32)
}

fn checked_filters(filters: [Option<String>; 4]) -> Result<[Option<String>; 4], Error> {
    let mut out: [Option<String>; 4] = Default::default();
    for ((value, (field, max)), slot) in filters.into_iter().zip(TEXT_FILTERS).zip(&mut out) {
        let Some(value) = value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let chars = value.chars().count();
        if chars > max || value.chars().any(char::is_control) {
            return Err(Error::validation(
                field,
                format!("{field} must be at most {max} characters, with no control characters."),
            ));
        }
        *slot = Some(value);
    }
    Ok(out)
}

/// Whether this key may see a contact's email (Lensmor `contactUnlockStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockState {
    Locked,
    Unlocking,
    Unlocked,
    Failed,
    /// A word this version does not know (kept as `provider_status` beside it).
    Unknown,
}

impl UnlockState {
    pub fn parse(word: &str) -> UnlockState {
        match word {
            "locked" => UnlockState::Locked,
            "unlocking" => UnlockState::Unlocking,
            "unlocked" => UnlockState::Unlocked,
            "failed" => UnlockState::Failed,
            _ => UnlockState::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UnlockState::Locked => "locked",
            UnlockState::Unlocking => "unlocking",
            UnlockState::Unlocked => "unlocked",
            UnlockState::Failed => "failed",
            UnlockState::Unknown => "unknown",
        }
    }
}

/// One contact (Lensmor `ContactItem`). Every field but `id` may be absent or null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub full_name: Option<String>,
    pub title: Option<String>,
    pub company_name: Option<String>,
    pub linkedin_url: Option<String>,
    /// Present once unlocked for this key.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub email_state: UnlockState,
    /// The provider's `contactUnlockStatus` word, as received (empty when absent).
    pub email_status: String,
    /// Lensmor `phoneUnlockStatus`: `ready`, `processing`, `failed`, or absent (never asked).
    pub phone_status: Option<String>,
}

/// One page of an event's contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPage {
    pub items: Vec<Contact>,
    pub total: Option<u64>,
    pub page: u32,
    pub page_size: u32,
    pub total_pages: Option<u64>,
    pub has_more: bool,
    /// `false` when the page lies past this key's preview window: a 200 with no items, not an
    /// error. Unlocking the event gives access to more.
    pub accessible: bool,
    /// `preview` or `full`, when the provider says.
    pub access_mode: Option<String>,
    pub preview_limit: Option<u64>,
    /// How many list entries had no usable id and were left out.
    pub unreadable: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(page: Option<f64>, size: Option<f64>) -> Result<ContactQuery, Error> {
        ContactQuery::new("139574", page, size, Default::default(), &[])
    }

    #[test]
    fn limits_are_the_documented_ones() {
        let q = query(None, None).unwrap();
        assert_eq!((q.page, q.page_size), (1, 50));
        assert_eq!(
            q.params(),
            vec![
                ("event_id", "139574".to_string()),
                ("page", "1".into()),
                ("pageSize", "50".into())
            ]
        );
        for (page, size, field) in [
            (Some(0.0), None, "page"),
            (Some(1.5), None, "page"),
            (None, Some(51.0), "pageSize"),
            (None, Some(0.0), "pageSize"),
        ] {
            assert_eq!(query(page, size).unwrap_err().field.as_deref(), Some(field));
        }
        let long = ContactQuery::new(&"e".repeat(101), None, None, Default::default(), &[]);
        assert_eq!(long.unwrap_err().field.as_deref(), Some("eventId"));
        let filters = [None, Some("x".repeat(101)), None, None];
        let err = ContactQuery::new("1", None, None, filters, &[]).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("department"));
        for bad in ["vip", "social,vip", "Social"] {
            let err = ContactQuery::new("1", None, None, Default::default(), &[bad.into()]);
            assert_eq!(
                err.unwrap_err().field.as_deref(),
                Some("sourceType"),
                "{bad}"
            );
        }
        let filters = [None, None, Some(" vp ".into()), Some(String::new())];
        let q = ContactQuery::new("1", Some(2.0), None, filters, &["social".into()]).unwrap();
        assert_eq!(
            q.params()[3..],
            [("level", "vp".into()), ("sourceType", "social".into())]
        );
    }

    /// OpenAPI 0.27: several source types, comma-separated; given as a list or as text, in any
    /// order or repeated, the filter has one spelling.
    #[test]
    fn several_source_types_are_one_comma_separated_filter() {
        let sources = |given: &[&str]| {
            let given: Vec<String> = given.iter().map(|s| s.to_string()).collect();
            ContactQuery::new("1", None, None, Default::default(), &given)
                .unwrap()
                .source_type
        };
        assert_eq!(
            sources(&["visitors", "social"]).as_deref(),
            Some("social,visitors")
        );
        assert_eq!(
            sources(&["social, visitors,social"]).as_deref(),
            Some("social,visitors")
        );
        assert_eq!(
            sources(&["visitors,exhibitor", "social"]).as_deref(),
            Some("exhibitor,social,visitors")
        );
        assert_eq!(sources(&[]), None);
        assert_eq!(sources(&["", " , "]), None);
    }
}
