//! How a group's part tells a key-holding proxy which group it belongs to, so that the proxy
//! can reserve the whole group's worst case in the user's budget before the first part, instead
//! of part by part (a user whose budget runs out at part 3 would otherwise have started parts 1
//! and 2 of a selection they cannot finish).
//!
//! Each create of a group carries `x-unlock-group: <id>;rest=<n>`:
//! - `id` names the whole selection (16 lowercase hex digits of a hash of its kind and its
//!   sorted contacts, or profiles): the same in every tab, so two tabs starting the same
//!   selection share one reservation;
//! - `rest` counts the contacts not yet started, this part's included: what the proxy reserves
//!   when this part is the first it sees of the group (or the first after a stop).
//!
//! Only a client without an API key sends it: that client talks to a proxy (someone must add
//! the key), while a keyed client talks to the provider itself, which has no use for it (and
//! a browser's CORS preflight to the provider would not allow it). The proxy treats both
//! values as the caller's claim about its own budget: claiming less only makes the later parts
//! reserve one by one, claiming more only holds more of the caller's own budget.

use crate::config::unlock_key;
use crate::hash::fnv1a;
use crate::http::HttpRequest;
use crate::kind::TaskKind;
use crate::providers::Endpoint;
use crate::validate::{Enrichment, Selection, MAX_GROUP_IDS};

/// The header's name.
pub const GROUP_HEADER: &str = "x-unlock-group";

/// A part's announcement: its group and the contacts not yet started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// 16 lowercase hex digits.
    pub group: String,
    /// 1 to [`MAX_GROUP_IDS`].
    pub rest: usize,
}

impl Announcement {
    /// The header's value.
    pub fn encode(&self) -> String {
        let mut value = self.group.clone();
        value.push_str(";rest=");
        value.push_str(itoa::Buffer::new().format(self.rest));
        value
    }

    /// Reads a header value, or `None` when it is not exactly of the form [`encode`] writes
    /// (a proxy refuses the start then: a part that names its group wrongly is not guessed at).
    ///
    /// [`encode`]: Announcement::encode
    pub fn parse(value: &str) -> Option<Announcement> {
        // Fixed offsets, not `split_once`: a `&str` pattern brings in the two-way searcher
        // (about 1 KB of .wasm, gzipped).
        let group = value.get(..16)?;
        let rest = value.get(16..)?.strip_prefix(";rest=")?;
        let hex = group
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        // Digits only (no sign, no space), no leading zero, at most five of them.
        let digits = !rest.is_empty()
            && rest.len() <= 5
            && rest.bytes().all(|b| b.is_ascii_digit())
            && !rest.starts_with('0');
        if !hex || !digits {
            return None;
        }
        // At most five digits: no overflow.
        let rest = rest.bytes().fold(0, |n, b| n * 10 + usize::from(b - b'0'));
        (rest <= MAX_GROUP_IDS).then(|| Announcement {
            group: group.to_string(),
            rest,
        })
    }
}

/// The id of an unlock selection's group: the same for the same contacts in any order.
pub fn selection_group(kind: TaskKind, selection: &Selection) -> String {
    hex(fnv1a(unlock_key(kind, selection).as_bytes()))
}

/// The id of an `enrichEmails` call's group: the same for the same profiles in any order.
pub fn enrichment_group(profiles: &[Enrichment]) -> String {
    let keys: Vec<String> = profiles.iter().map(Enrichment::fingerprint).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut text = TaskKind::SalesfinityEmail.as_str().to_string();
    for position in crate::order::sorted_positions(&refs) {
        text.push('\n');
        text.push_str(refs[position]);
    }
    hex(fnv1a(text.as_bytes()))
}

/// Adds the announcement to a part's create when the client has no key (it talks to a proxy).
pub fn announce(request: &mut HttpRequest, endpoint: &Endpoint, group: &str, rest: usize) {
    if endpoint.has_key() {
        return;
    }
    let announcement = Announcement {
        group: group.to_string(),
        rest,
    };
    request.headers.push((GROUP_HEADER, announcement.encode()));
}

/// 16 lowercase hex digits, without `format!`'s machinery.
fn hex(value: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..16)
        .rev()
        .map(|i| char::from(DIGITS[((value >> (i * 4)) & 0xf) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Provider;

    fn selection(ids: &[&str]) -> Selection {
        let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        Selection::new(Some("139574"), &ids, MAX_GROUP_IDS).unwrap()
    }

    #[test]
    fn round_trip_and_refusals() {
        let a = Announcement {
            group: "0123456789abcdef".into(),
            rest: 2_500,
        };
        assert_eq!(a.encode(), "0123456789abcdef;rest=2500");
        assert_eq!(Announcement::parse(&a.encode()), Some(a));
        for bad in [
            "",
            "0123456789abcdef",
            "0123456789abcdef;rest=",
            "0123456789abcdef;rest=0",
            "0123456789abcdef;rest=007",
            "0123456789abcdef;rest=-1",
            "0123456789abcdef;rest=+5",
            "0123456789abcdef;rest= 5",
            "0123456789abcdef;rest=10001",
            "0123456789abcdef;rest=999999",
            "0123456789ABCDEF;rest=5",
            "0123456789abcde;rest=5",
            "0123456789abcdef0;rest=5",
            "0123456789abcdeg;rest=5",
            "0123456789abcdef;rest=5;rest=6",
            "0123456789abcdef;rest=5 ",
        ] {
            assert_eq!(Announcement::parse(bad), None, "{bad:?}");
        }
        assert!(Announcement::parse("ffffffffffffffff;rest=10000").is_some());
    }

    #[test]
    fn a_group_is_named_by_its_contacts_in_any_order() {
        let email = TaskKind::LensmorEmail;
        let a = selection_group(email, &selection(&["1", "2", "3"]));
        assert_eq!(a.len(), 16);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(a, selection_group(email, &selection(&["3", "1", "2", "1"])));
        assert_ne!(a, selection_group(email, &selection(&["1", "2"])));
        assert_ne!(
            a,
            selection_group(TaskKind::LensmorPhone, &selection(&["1", "2", "3"]))
        );

        let p = |url: &str| Enrichment::new(url, "work", None, None).unwrap();
        let (x, y) = (p("linkedin.com/in/ada"), p("linkedin.com/in/grace"));
        let g = enrichment_group(&[x.clone(), y.clone()]);
        assert_eq!(g, enrichment_group(&[y, x.clone()]));
        assert_ne!(g, enrichment_group(&[x]));
    }

    #[test]
    fn hex_is_big_endian_and_padded() {
        assert_eq!(hex(0), "0000000000000000");
        assert_eq!(hex(0x0123_4567_89ab_cdef), "0123456789abcdef");
        assert_eq!(hex(u64::MAX), "ffffffffffffffff");
    }

    #[test]
    fn only_a_keyless_client_announces() {
        let part = selection(&["1"]);
        let announced = |key: Option<&str>| {
            let endpoint = Endpoint::new(Provider::Lensmor, None, key, None).unwrap();
            let mut request =
                crate::providers::create_unlock(&endpoint, TaskKind::LensmorEmail, &part).unwrap();
            announce(&mut request, &endpoint, "0123456789abcdef", 7);
            request.header(GROUP_HEADER).map(str::to_string)
        };
        assert_eq!(
            announced(None).as_deref(),
            Some("0123456789abcdef;rest=7"),
            "through a proxy"
        );
        assert_eq!(announced(Some("uak_x")), None, "to the provider itself");
    }
}
