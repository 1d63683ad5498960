//! The group token: where every part of a group stands, in one URL-safe string.
//!
//! A selection larger than one task (a whole attendee list) runs as a group of tasks, one per
//! part. Its token resumes every part after a reload or on another machine, like a task's
//! [`ResumeToken`], and shares its rules: versioned (`ug1.`), never the key, a checksum so a
//! cut token is refused. Each part keeps its own place in the schedule, so a part that a
//! `Retry-After` held back, or that failed a poll, resumes where it was.
//!
//! Format 1: `ug1.` + base64url (no padding) of
//! `[kind u8] [created_at] [part count]`, then per part
//! `[flags u8] [polls] [next_poll_at - created_at] [not_before] [failures] [id]`, then
//! `[checksum u32 BE]`. Numbers are LEB128 varints, `not_before` as in a task token. Flag 1: the
//! part has ended (it is polled once more after a resume, to read its items; never again
//! while running). The id is packed by its shape, since a group holds up to
//! [`MAX_PARTS`] of them: flag 2, a decimal id (Lensmor's) as a varint; flag 4, an even-length
//! lowercase hex id (Salesfinity's 24-character `_id`) as its bytes after a length; otherwise a
//! length and its UTF-8 bytes. The checksum is the low 32 bits of FNV-1a over `ug1` and the body.
//!
//! Length: 10 to 20 characters per Lensmor part (a whole 20,000-contact selection in parts of
//! 100 is about 3 KB), about 27 per Salesfinity profile (2,000 profiles: about 54 KB).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::Error;
use crate::http::Millis;
use crate::kind::TaskKind;
use crate::token::{checked_body, invalid, tagged_checksum, ResumeToken};
use crate::varint::{write_varint, Reader};

const PREFIX: &str = "ug1.";
/// Most parts in one group: 2,000 Salesfinity profiles (one per request), or a Lensmor
/// selection of 2,000 parts.
pub const MAX_PARTS: usize = 2_000;
/// Longer strings are refused before decoding: [`MAX_PARTS`] parts with ids of 24 bytes each
/// fit with room to spare; a pasted document does not get decoded.
const MAX_TOKEN_CHARS: usize = 200_000;

const ENDED: u8 = 1;
const DECIMAL_ID: u8 = 2;
const HEX_ID: u8 = 4;

/// One part of a group: its task's token, and whether it has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartToken {
    pub token: ResumeToken,
    pub ended: bool,
}

/// Where a group's parts stand. All parts are of one kind and were created within moments of
/// each other: the group's `created_at` is the earliest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupToken {
    pub kind: TaskKind,
    pub parts: Vec<PartToken>,
}

impl GroupToken {
    /// A group of `parts`, 1 to [`MAX_PARTS`], all of `kind`.
    pub fn new(kind: TaskKind, parts: Vec<PartToken>) -> Result<GroupToken, Error> {
        if parts.is_empty() || parts.len() > MAX_PARTS {
            return Err(invalid(&format!(
                "A group holds 1 to {MAX_PARTS} parts; this one has {}.",
                parts.len()
            )));
        }
        if parts.iter().any(|p| p.token.kind != kind) {
            return Err(invalid("Every part of a group is of the group's kind."));
        }
        Ok(GroupToken { kind, parts })
    }

    /// Whether `text` is a group token (rather than a task's): by its prefix alone.
    pub fn is_group(text: &str) -> bool {
        text.trim_start().starts_with(PREFIX)
    }

    pub fn encode(&self) -> String {
        let created_at = self.created_at();
        let mut bytes = Vec::with_capacity(8 + self.parts.len() * 12);
        bytes.push(self.kind.token_code());
        write_varint(&mut bytes, created_at);
        write_varint(&mut bytes, self.parts.len() as u64);
        for part in &self.parts {
            write_part(&mut bytes, part, created_at);
        }
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum.to_be_bytes());
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Reads a group token. Anything but a whole, intact one is a `validation` error on
    /// `token`; no input can make this panic.
    pub fn decode(text: &str) -> Result<GroupToken, Error> {
        let text = text.trim();
        if text.len() > MAX_TOKEN_CHARS {
            return Err(invalid(
                "This is not an unlock-tasks group token (too long).",
            ));
        }
        let payload = text
            .strip_prefix(PREFIX)
            .ok_or_else(|| invalid("This is not an unlock-tasks group token."))?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| damaged())?;
        let body = checked_body(&bytes, b"ug1").ok_or_else(damaged)?;
        let mut reader = Reader::new(body);
        let kind = reader
            .byte()
            .and_then(TaskKind::from_token_code)
            .ok_or_else(damaged)?;
        let created_at = reader.varint().ok_or_else(damaged)?;
        let count = reader.varint().ok_or_else(damaged)?;
        if count == 0 || count > MAX_PARTS as u64 {
            return Err(damaged());
        }
        let parts = (0..count)
            .map(|_| read_part(&mut reader, kind, created_at).ok_or_else(damaged))
            .collect::<Result<Vec<PartToken>, Error>>()?;
        if !reader.is_empty() {
            return Err(damaged());
        }
        GroupToken::new(kind, parts)
    }

    fn created_at(&self) -> Millis {
        self.parts
            .iter()
            .map(|p| p.token.created_at)
            .min()
            .unwrap_or(0)
    }
}

fn write_part(out: &mut Vec<u8>, part: &PartToken, created_at: Millis) {
    let t = &part.token;
    let id = t.task_id.as_str();
    let decimal = decimal_id(id);
    let hex = decimal.is_none() && is_packed_hex(id);
    let flags = u8::from(part.ended) * ENDED
        + u8::from(decimal.is_some()) * DECIMAL_ID
        + u8::from(hex) * HEX_ID;
    out.push(flags);
    write_varint(out, u64::from(t.polls));
    write_varint(out, t.next_poll_at.saturating_sub(created_at));
    let not_before = t
        .not_before
        .map_or(0, |n| n.saturating_sub(created_at).saturating_add(1));
    write_varint(out, not_before);
    write_varint(out, u64::from(t.failures));
    if let Some(n) = decimal {
        write_varint(out, n);
    } else if hex {
        let bytes: Vec<u8> = id
            .as_bytes()
            .chunks(2)
            .map(|pair| (nibble(pair[0]) << 4) | nibble(pair[1]))
            .collect();
        write_varint(out, bytes.len() as u64);
        out.extend_from_slice(&bytes);
    } else {
        write_varint(out, id.len() as u64);
        out.extend_from_slice(id.as_bytes());
    }
}

fn read_part(reader: &mut Reader, kind: TaskKind, created_at: Millis) -> Option<PartToken> {
    let flags = reader.byte()?;
    if flags & !(ENDED | DECIMAL_ID | HEX_ID) != 0
        || flags & (DECIMAL_ID | HEX_ID) == DECIMAL_ID | HEX_ID
    {
        return None;
    }
    let polls = u32::try_from(reader.varint()?).ok()?;
    let next_poll_at = created_at.saturating_add(reader.varint()?);
    let not_before = match reader.varint()? {
        0 => None,
        n => Some(created_at.saturating_add(n - 1)),
    };
    let failures = u32::try_from(reader.varint()?).ok()?;
    let task_id = if flags & DECIMAL_ID != 0 {
        reader.varint()?.to_string()
    } else {
        let len = usize::try_from(reader.varint()?).ok()?;
        let bytes = reader.take(len)?;
        if flags & HEX_ID != 0 {
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        } else {
            std::str::from_utf8(bytes).ok()?.to_string()
        }
    };
    let mut token = ResumeToken::new(kind, &task_id, created_at, 0).ok()?;
    token.polls = polls;
    token.next_poll_at = next_poll_at;
    token.not_before = not_before;
    token.failures = failures;
    Some(PartToken {
        token,
        ended: flags & ENDED != 0,
    })
}

/// A decimal id that reads back as the same text: digits, no leading zero, within u64.
fn decimal_id(id: &str) -> Option<u64> {
    let n: u64 = id.parse().ok()?;
    (n.to_string() == id).then_some(n)
}

/// An id of lowercase hex digits, of even length, 2 to 256 characters: packed two to a byte.
fn is_packed_hex(id: &str) -> bool {
    (2..=256).contains(&id.len())
        && id.len() % 2 == 0
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn nibble(hex: u8) -> u8 {
    match hex {
        b'0'..=b'9' => hex - b'0',
        _ => hex - b'a' + 10,
    }
}

fn checksum(body: &[u8]) -> u32 {
    tagged_checksum(b"ug1", body)
}

fn damaged() -> Error {
    invalid("The group token is damaged; it may have been cut or edited.")
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_790_000_000_000;

    fn part(kind: TaskKind, id: &str, ended: bool) -> PartToken {
        let mut token = ResumeToken::new(kind, id, T0 + 40, 3_000).unwrap();
        token.polls = 4;
        token.not_before = Some(T0 + 9_000);
        token.failures = 1;
        PartToken { token, ended }
    }

    #[test]
    fn a_group_reads_back_as_written_whatever_its_ids() {
        for (kind, ids) in [
            (
                TaskKind::LensmorEmail,
                vec!["321", "18446744073709551615", "0", "007"],
            ),
            (
                TaskKind::SalesfinityEmail,
                vec!["65f0c0ffee65f0c0ffee65f0", "ABC", "a-b", "é"],
            ),
        ] {
            let parts: Vec<PartToken> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| part(kind, id, i % 2 == 0))
                .collect();
            let group = GroupToken::new(kind, parts).unwrap();
            let text = group.encode();
            assert!(GroupToken::is_group(&text) && text.starts_with("ug1."));
            assert_eq!(GroupToken::decode(&text).unwrap(), group);
        }
    }

    /// The documented lengths: a Lensmor part in ten to twenty characters, a Salesfinity
    /// profile in about 27; 2,000 of them well under the limit.
    #[test]
    fn lengths_are_bounded_and_as_documented() {
        let lensmor: Vec<PartToken> = (0..200)
            .map(|i| part(TaskKind::LensmorEmail, &(1_000_000 + i).to_string(), false))
            .collect();
        let text = GroupToken::new(TaskKind::LensmorEmail, lensmor)
            .unwrap()
            .encode();
        assert!((2_000..=4_000).contains(&text.len()), "{}", text.len());
        let salesfinity: Vec<PartToken> = (0..MAX_PARTS)
            .map(|i| {
                part(
                    TaskKind::SalesfinityEmail,
                    &format!("65f0c0ffee65f0c0ff{i:06x}"),
                    false,
                )
            })
            .collect();
        let text = GroupToken::new(TaskKind::SalesfinityEmail, salesfinity)
            .unwrap()
            .encode();
        assert!(text.len() <= 60_000, "{}", text.len());
        assert!(text.len() < MAX_TOKEN_CHARS);
        assert_eq!(GroupToken::decode(&text).unwrap().parts.len(), MAX_PARTS);
    }

    #[test]
    fn damaged_or_foreign_tokens_are_refused_by_name() {
        let group = GroupToken::new(
            TaskKind::LensmorPhone,
            vec![part(TaskKind::LensmorPhone, "321", false)],
        )
        .unwrap();
        let text = group.encode();
        let cut = &text[..text.len() - 3];
        let task = ResumeToken::new(TaskKind::LensmorPhone, "321", T0, 0)
            .unwrap()
            .encode();
        for bad in [
            cut,
            task.as_str(),
            "ug1.",
            "ug1.!!!!",
            "",
            &"x".repeat(MAX_TOKEN_CHARS + 1),
        ] {
            let error = GroupToken::decode(bad).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("token"), "{bad:.20}");
        }
        assert!(!GroupToken::is_group(&task));
        // Parts of another kind, no parts, too many.
        assert!(GroupToken::new(
            TaskKind::LensmorEmail,
            vec![part(TaskKind::LensmorPhone, "1", false)]
        )
        .is_err());
        assert!(GroupToken::new(TaskKind::LensmorEmail, vec![]).is_err());
    }
}
