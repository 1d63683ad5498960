//! Reading JSON the tolerant way: unknown fields are ignored, ids are accepted as strings or
//! numbers (and kept as strings: a JS number would lose digits), and a wrong type reads as
//! "absent" rather than failing the whole response.
//!
//! Two ways to read. The answer read on every poll (a Lensmor task) goes in one pass into
//! borrowed, flat structs ([`Scalar`], [`ReadField`], [`Shaped`]), with no `Value` built; the
//! answers read once (creates, balances, prechecks, contacts, errors) are read into a
//! `serde_json::Value` and picked apart with the helpers at the end of this file.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

pub(crate) type Object = Map<String, Value>;

/// One JSON value of an answer read in one pass, the tolerant way, without building a `Value`:
/// a string (borrowed from the text unless it has escapes), an integer (kept as its decimal
/// text: a JS number would lose digits past 2^53), or anything else, which reads as absent.
#[derive(Debug, Default)]
pub(crate) enum Scalar<'a> {
    #[default]
    Absent,
    Text(Cow<'a, str>),
    Integer(String),
    /// A number no integer keeps exactly (fractional, or past 2^64).
    Inexact,
    /// `true`, an object or a list: present, but not a value any reader takes.
    Other,
}

impl Scalar<'_> {
    /// A non-empty string.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Scalar::Text(text) if !text.is_empty() => Some(text),
            _ => None,
        }
    }

    /// An id: a non-empty string, or an integer as its decimal text.
    pub(crate) fn id(&self) -> Option<String> {
        match self {
            Scalar::Integer(digits) => Some(digits.clone()),
            _ => self.text().map(str::to_string),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E>(self, text: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(text.to_string())))
    }
    fn visit_string<E>(self, text: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(text)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Integer(n.to_string()))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Integer(n.to_string()))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Inexact)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Absent)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// A JSON object read field by field into `T`, without a `Value`: each key is handed to
/// [`ReadField::read`], which takes the fields it knows and skips the rest. A key given twice
/// keeps its last value, as a `Value` would.
pub(crate) trait ReadField<'de>: Default {
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

/// The visitor that reads an object into a [`ReadField`] type.
struct Fields<T>(PhantomData<T>);

impl<T> Fields<T> {
    fn new() -> Fields<T> {
        Fields(PhantomData)
    }
}

impl<'de, T: ReadField<'de>> Visitor<'de> for Fields<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        while let Some(key) = map.next_key::<Scalar<'de>>()? {
            out.read(key.text().unwrap_or_default(), &mut map)?;
        }
        Ok(out)
    }
}

/// A value where an object read into `T` (or a list of such values) is expected; anything
/// else is kept as the [`Scalar`] it is, for the reader to call odd.
pub(crate) enum Shaped<'a, T> {
    Object(T),
    List(Vec<Shaped<'a, T>>),
    Scalar(Scalar<'a>),
}

impl<'de, T: ReadField<'de>> Deserialize<'de> for Shaped<'de, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any` with every visit method spelled out: serde's defaults (and
        // serde_json's `deserialize_map`) describe a wrong value in their error, and describing
        // a float links float formatting (14 KB of .wasm).
        deserializer.deserialize_any(ShapedVisitor(PhantomData))
    }
}

struct ShapedVisitor<T>(PhantomData<T>);

impl<'de, T: ReadField<'de>> Visitor<'de> for ShapedVisitor<T> {
    type Value = Shaped<'de, T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Fields::new().visit_map(map).map(Shaped::Object)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut list = Vec::new();
        while let Some(entry) = seq.next_element()? {
            list.push(entry);
        }
        Ok(Shaped::List(list))
    }
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        ScalarVisitor.visit_borrowed_str(text).map(Shaped::Scalar)
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        ScalarVisitor.visit_str(text).map(Shaped::Scalar)
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        ScalarVisitor.visit_u64(n).map(Shaped::Scalar)
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        ScalarVisitor.visit_i64(n).map(Shaped::Scalar)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
        ScalarVisitor.visit_f64(n).map(Shaped::Scalar)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        ScalarVisitor.visit_bool(b).map(Shaped::Scalar)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        ScalarVisitor.visit_unit().map(Shaped::Scalar)
    }
}

/// A string field. Empty strings count as absent.
pub(crate) fn text<'a>(obj: &'a Object, name: &str) -> Option<&'a str> {
    obj.get(name)?.as_str().filter(|s| !s.is_empty())
}

/// An id field: a non-empty string, or a number written as its decimal string.
pub(crate) fn id(obj: &Object, name: &str) -> Option<String> {
    match obj.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => integer_text(n),
        _ => None,
    }
}

/// Whether an id field is a number that no integer keeps exactly (above 2^64, or fractional).
/// Such an id is refused by name: read as "no id", a task created and charged would look like
/// nothing started.
pub(crate) fn inexact_id(obj: &Object, name: &str) -> bool {
    matches!(obj.get(name), Some(Value::Number(n)) if integer_text(n).is_none())
}

/// A number field, also accepted as a string of digits (`"985"`). Decimal strings are not
/// read: no documented field is one, and a decimal parser costs 12 KB of tables in the .wasm.
pub(crate) fn number(obj: &Object, name: &str) -> Option<f64> {
    match obj.get(name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<i64>().ok().map(|n| n as f64),
        _ => None,
    }
}

/// An integer id as its decimal text. A fractional number is no id.
fn integer_text(n: &serde_json::Number) -> Option<String> {
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => Some(u.to_string()),
        (None, Some(i)) => Some(i.to_string()),
        (None, None) => None,
    }
}

pub(crate) fn boolean(obj: &Object, name: &str) -> Option<bool> {
    obj.get(name)?.as_bool()
}

/// A list of ids; entries that are not ids are skipped.
pub(crate) fn id_list(obj: &Object, name: &str) -> Vec<String> {
    let Some(Value::Array(entries)) = obj.get(name) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| match entry {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => integer_text(n),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_keep_every_digit() {
        let v = json!({ "a": 12345678901234567890u64, "b": "321", "c": "", "d": null, "e": [1, "x", null, ""] });
        let obj = v.as_object().unwrap();
        assert_eq!(id(obj, "a").as_deref(), Some("12345678901234567890"));
        assert_eq!(id(obj, "b").as_deref(), Some("321"));
        assert_eq!(id(obj, "c"), None);
        assert_eq!(id(obj, "d"), None);
        assert_eq!(id_list(obj, "e"), vec!["1".to_string(), "x".to_string()]);
        let big: Value = serde_json::from_str(
            r#"{"a": 123456789012345678901234, "b": 1.5, "c": 9007199254740993}"#,
        )
        .unwrap();
        let big = big.as_object().unwrap();
        assert!(inexact_id(big, "a") && inexact_id(big, "b") && !inexact_id(big, "c"));
        assert_eq!(id(big, "c").as_deref(), Some("9007199254740993"));
    }
}
