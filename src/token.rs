//! The resume token: everything needed to pick polling up again, in a short URL-safe string.
//!
//! A token is stored by callers (localStorage, a database, a Durable Object) and read back by
//! later versions of this package, on other machines. So:
//! - it is versioned (`ut1.`), and every version ever written must keep decoding;
//! - it holds the task, never the API key (the client that resumes has its own);
//! - it carries a checksum, so a cut or mangled token is refused with a clear error instead of
//!   polling some other task. The checksum is not a signature: a token is no secret and grants
//!   nothing (the provider checks the key on every request), so a forged one can only point at
//!   a task the key could read anyway.
//!
//! Format 1: `ut1.` + base64url (no padding) of
//! `[kind u8] [created_at] [polls] [next_poll_at - created_at] [not_before] [failures]
//! [task id length] [task id bytes] [checksum u32 BE]`, where the bracketed numbers are LEB128
//! varints, `not_before` is 0 for none or `1 + (time - created_at)`, and the checksum is the low
//! 32 bits of FNV-1a over `ut1` and everything before it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::Error;
use crate::hash;
use crate::http::Millis;
use crate::kind::TaskKind;
use crate::validate::{self, MAX_TASK_ID_BYTES};
use crate::varint::{write_varint, Reader};

const PREFIX_V1: &str = "ut1.";
/// Longer strings are refused before decoding; a format-1 token is at most about 400 chars.
const MAX_TOKEN_CHARS: usize = 1024;

/// Where a task's polling stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeToken {
    pub kind: TaskKind,
    pub task_id: String,
    /// When the task was created (epoch ms).
    pub created_at: Millis,
    /// Polls made so far: the position in the schedule.
    pub polls: u32,
    /// When the next poll is due (epoch ms).
    pub next_poll_at: Millis,
    /// No poll may be sent before this (a provider's `Retry-After`).
    pub not_before: Option<Millis>,
    /// Failed polls in a row so far; counts against the retry budget across resumes.
    pub failures: u32,
}

impl ResumeToken {
    /// The token of a task just created at `created_at`, first polled after `first_delay_ms`.
    pub fn new(
        kind: TaskKind,
        task_id: &str,
        created_at: Millis,
        first_delay_ms: u64,
    ) -> Result<ResumeToken, Error> {
        Ok(ResumeToken {
            kind,
            task_id: validate::task_id(task_id)?,
            created_at,
            polls: 0,
            next_poll_at: created_at.saturating_add(first_delay_ms),
            not_before: None,
            failures: 0,
        })
    }

    /// The token as a string.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(32 + self.task_id.len());
        bytes.push(self.kind.token_code());
        write_varint(&mut bytes, self.created_at);
        write_varint(&mut bytes, u64::from(self.polls));
        write_varint(
            &mut bytes,
            self.next_poll_at.saturating_sub(self.created_at),
        );
        let not_before = self
            .not_before
            .map_or(0, |t| t.saturating_sub(self.created_at).saturating_add(1));
        write_varint(&mut bytes, not_before);
        write_varint(&mut bytes, u64::from(self.failures));
        write_varint(&mut bytes, self.task_id.len() as u64);
        bytes.extend_from_slice(self.task_id.as_bytes());
        let checksum = checksum(&bytes);
        bytes.extend_from_slice(&checksum.to_be_bytes());
        format!("{PREFIX_V1}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Reads a token. Anything that is not a whole, intact token is a `validation` error on the
    /// `token` field; no input can make this panic.
    pub fn decode(token: &str) -> Result<ResumeToken, Error> {
        let token = token.trim();
        if token.is_empty() {
            return Err(invalid("The token is empty."));
        }
        if token.len() > MAX_TOKEN_CHARS {
            return Err(invalid(
                "This is not an unlock-tasks resume token (too long).",
            ));
        }
        let Some(payload) = token.strip_prefix(PREFIX_V1) else {
            return Err(match version_of(token) {
                Some(v) => invalid(&format!(
                    "This token was made by a newer version of unlock-tasks (format {v}); \
                     upgrade the package to resume it."
                )),
                None => invalid("This is not an unlock-tasks resume token."),
            });
        };
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| {
            invalid("The token is damaged (not base64url); it may have been cut or edited.")
        })?;
        decode_v1(&bytes)
    }
}

fn decode_v1(bytes: &[u8]) -> Result<ResumeToken, Error> {
    let damaged = || invalid("The token is damaged; it may have been cut or edited.");
    let body = checked_body(bytes, b"ut1").ok_or_else(damaged)?;
    let mut reader = Reader::new(body);
    let kind_code = reader.byte().ok_or_else(damaged)?;
    let kind = TaskKind::from_token_code(kind_code).ok_or_else(|| {
        invalid("The token names a task kind this version does not know; upgrade the package.")
    })?;
    let created_at = reader.varint().ok_or_else(damaged)?;
    let polls = reader
        .varint()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(damaged)?;
    let next_poll_at = created_at.saturating_add(reader.varint().ok_or_else(damaged)?);
    let not_before = match reader.varint().ok_or_else(damaged)? {
        0 => None,
        n => Some(created_at.saturating_add(n - 1)),
    };
    let failures = reader
        .varint()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(damaged)?;
    let id_len = reader.varint().ok_or_else(damaged)?;
    if id_len == 0 || id_len > MAX_TASK_ID_BYTES as u64 {
        return Err(damaged());
    }
    let id_bytes = reader.take(id_len as usize).ok_or_else(damaged)?;
    let task_id = std::str::from_utf8(id_bytes).map_err(|_| damaged())?;
    if !reader.is_empty() {
        return Err(damaged());
    }
    Ok(ResumeToken {
        kind,
        task_id: validate::task_id(task_id).map_err(|_| damaged())?,
        created_at,
        polls,
        next_poll_at,
        not_before,
        failures,
    })
}

/// The format number of a `utN.` token, to tell "newer version" from "not a token at all".
fn version_of(token: &str) -> Option<u32> {
    let (head, _) = token.split_once('.')?;
    head.strip_prefix("ut")?.parse().ok()
}

fn checksum(body: &[u8]) -> u32 {
    tagged_checksum(b"ut1", body)
}

/// A token's body without its trailing checksum, if the checksum (over `tag` and the body)
/// matches: `None` for a cut or edited token.
pub(crate) fn checked_body<'a>(bytes: &'a [u8], tag: &[u8]) -> Option<&'a [u8]> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
    (tagged_checksum(tag, body).to_be_bytes() == sum).then_some(body)
}

/// The low 32 bits of FNV-1a over a format's tag and a token's body: shared by every token
/// format (the group token's too).
pub(crate) fn tagged_checksum(tag: &[u8], body: &[u8]) -> u32 {
    let mut input = Vec::with_capacity(tag.len() + body.len());
    input.extend_from_slice(tag);
    input.extend_from_slice(body);
    hash::fnv1a(&input) as u32
}

/// A `validation` error on `token`.
pub(crate) fn invalid(message: &str) -> Error {
    Error::validation("token", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn sample() -> ResumeToken {
        ResumeToken {
            kind: TaskKind::LensmorEmail,
            task_id: "321".into(),
            created_at: 1_763_800_000_000,
            polls: 2,
            next_poll_at: 1_763_800_018_000,
            not_before: Some(1_763_800_030_000),
            failures: 1,
        }
    }

    #[test]
    fn round_trips_and_is_compact() {
        let token = sample();
        let text = token.encode();
        assert!(text.starts_with("ut1."));
        assert!(text.len() < 48, "{text} is {} chars", text.len());
        assert!(text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        assert_eq!(ResumeToken::decode(&text).unwrap(), token);
    }

    /// A format-1 token as written by version 0.1.0. It must decode, with these exact fields,
    /// in every later version: users have tokens like it stored.
    #[test]
    fn format_1_fixture_still_decodes() {
        const V1: &str = "ut1.AoDMsNWqMwC4FwABDHBob25lXzMyMS_DqYO1Sh0";
        let token = ResumeToken::decode(V1).unwrap();
        assert_eq!(
            token,
            ResumeToken {
                kind: TaskKind::LensmorPhone,
                task_id: "phone_321/é".into(),
                created_at: 1_763_800_000_000,
                polls: 0,
                next_poll_at: 1_763_800_003_000,
                not_before: None,
                failures: 1,
            }
        );
    }

    #[test]
    fn damaged_tokens_are_validation_errors() {
        let text = sample().encode();
        let cut = &text[..text.len() - 3];
        let mut flipped = text.clone().into_bytes();
        let last = flipped.len() - 6;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        for (bad, needle) in [
            ("", "empty"),
            ("hello", "not an unlock-tasks"),
            ("ut2.AAAA", "newer version"),
            ("ut1.!!!", "damaged"),
            (cut, "damaged"),
            (flipped.as_str(), "damaged"),
        ] {
            let err = ResumeToken::decode(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::Validation, "{bad}");
            assert_eq!(err.field.as_deref(), Some("token"));
            assert!(err.message.contains(needle), "{bad}: {}", err.message);
        }
    }
}
