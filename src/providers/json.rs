//! Reading JSON the tolerant way: unknown fields are ignored, ids are accepted as strings or
//! numbers (and kept as strings: a JS number would lose digits), and a wrong type reads as
//! "absent" rather than failing the whole response.
//!
//! Every answer is read in one pass into flat structs. Each struct says where the value of each
//! key it knows goes ([`Fields`], written with [`read_fields!`]); each field's type is one of a
//! few [`Slot`]s: a [`Scalar`], a list of [`Ids`] or [`Words`], a nested object (`Option<T>`),
//! a [`List`] of objects, or a value kept as the JSON text it was sent as ([`Raw`]). No
//! `serde_json::Value` is built.
//!
//! One visitor ([`SlotSeed`]) reads every slot, so serde_json's parser is instantiated once for
//! all answers: a visitor generic over each struct copied the parser once per struct (about
//! 5 KB of .wasm each). Every visit method is spelled out: serde's defaults describe a wrong
//! value in their error, and describing a float links float formatting (14 KB).
//!
//! serde_json parses, natively and in the wasm build alike, so the native tests read answers
//! with the very parser users run. The host's `JSON.parse` was the wasm build's parser until
//! issue 12: it is smaller, but it turns an integer id above 2^53 into a float (a task created
//! and paid for, then unfollowable). BENCHMARKS.md compares the candidates.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::json_out;

/// One JSON value of an answer read in one pass, the tolerant way: a string (borrowed from the
/// text unless it has escapes), an integer (kept as its decimal text: a JS number would lose
/// digits past 2^53), another number, a boolean, or anything else, which no reader takes.
#[derive(Debug, Default)]
pub(crate) enum Scalar<'a> {
    /// Absent, or `null`.
    #[default]
    Absent,
    Text(Cow<'a, str>),
    Integer(String),
    /// A number no integer keeps exactly (fractional, or past 2^64).
    Float(f64),
    Bool(bool),
    /// An object or a list: present, but not a value any reader takes.
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

    /// A number where an id was expected: no integer keeps it exactly, so it is refused by
    /// name (read as "no id", a task created and charged would look like nothing started).
    pub(crate) fn is_inexact_id(&self) -> bool {
        matches!(self, Scalar::Float(_))
    }

    /// A number, also accepted as a string of digits (`"985"`). Decimal strings are not read:
    /// no documented field is one, and a decimal parser costs 12 KB of tables in the .wasm.
    pub(crate) fn number(&self) -> Option<f64> {
        let integer = |digits: &str| {
            let digits = digits.trim();
            (digits.parse::<i64>().map(|n| n as f64))
                .or_else(|_| digits.parse::<u64>().map(|n| n as f64))
                .ok()
        };
        match self {
            Scalar::Integer(digits) => integer(digits),
            Scalar::Text(text) => integer(text),
            Scalar::Float(n) => Some(*n),
            _ => None,
        }
    }

    /// A count or a time: a number that is not negative, without its fraction.
    pub(crate) fn whole(&self) -> Option<u64> {
        self.number().filter(|n| *n >= 0.0).map(|n| n as u64)
    }

    pub(crate) fn boolean(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// A struct read from a JSON object: where the value of each key it knows goes.
pub(crate) trait Fields<'de> {
    /// The slot for `key`'s value; `None` skips it. A key given twice keeps its last value.
    fn slot(&mut self, key: &str) -> Option<Slot<'_, 'de>>;
}

/// Where one value goes; see [`AsSlot`] for the field type of each.
pub(crate) enum Slot<'s, 'de> {
    Scalar(&'s mut Scalar<'de>),
    Ids(&'s mut Vec<String>),
    Words(&'s mut Vec<String>),
    Raw(&'s mut Option<String>),
    Object(&'s mut dyn Nested<'de>),
    List(&'s mut dyn Entries<'de>),
}

/// A field type that is a [`Slot`], so that [`read_fields!`] needs only key and field names.
pub(crate) trait AsSlot<'de> {
    fn as_slot(&mut self) -> Slot<'_, 'de>;
}

impl<'de> AsSlot<'de> for Scalar<'de> {
    fn as_slot(&mut self) -> Slot<'_, 'de> {
        Slot::Scalar(self)
    }
}

/// A list of ids (strings, or integers as their decimal text); entries that are not ids are
/// skipped, and anything but a list reads as no ids.
#[derive(Debug, Default)]
pub(crate) struct Ids(pub Vec<String>);

impl<'de> AsSlot<'de> for Ids {
    fn as_slot(&mut self) -> Slot<'_, 'de> {
        Slot::Ids(&mut self.0)
    }
}

/// A string or a list of strings (an error's `message`); anything else reads as none.
#[derive(Debug, Default)]
pub(crate) struct Words(pub Vec<String>);

impl<'de> AsSlot<'de> for Words {
    fn as_slot(&mut self) -> Slot<'_, 'de> {
        Slot::Words(&mut self.0)
    }
}

/// A value kept as the JSON text it was sent as (`skipped_detail`, an error's `details`),
/// written again compactly: `None` when absent or `null`.
#[derive(Debug, Default)]
pub(crate) struct Raw(pub Option<String>);

impl<'de> AsSlot<'de> for Raw {
    fn as_slot(&mut self) -> Slot<'_, 'de> {
        Slot::Raw(&mut self.0)
    }
}

/// A nested object: read into a `T` when the value is an object, else left `None`.
pub(crate) trait Nested<'de> {
    fn begin(&mut self) -> &mut dyn Fields<'de>;
}

impl<'de, T: Fields<'de> + Default> Nested<'de> for Option<T> {
    fn begin(&mut self) -> &mut dyn Fields<'de> {
        self.insert(T::default())
    }
}

impl<'de, T: Fields<'de> + Default> AsSlot<'de> for Option<T> {
    fn as_slot(&mut self) -> Slot<'_, 'de> {
        Slot::Object(self)
    }
}

/// A list whose entries should be objects read into `T`.
#[derive(Default)]
pub(crate) enum List<T> {
    /// Absent, or `null`.
    #[default]
    Absent,
    /// Each entry, `None` where it was not an object.
    Entries(Vec<Option<T>>),
    /// Present, but not a list.
    Other,
}

/// What [`SlotSeed`] needs of a [`List`]: whether it is one, then its entries one by one.
pub(crate) trait Entries<'de> {
    fn absent(&mut self);
    fn set(&mut self, list: bool);
    /// Adds an entry, read into fields when it is an object (`None` if this is not a list).
    fn push(&mut self, object: bool) -> Option<&mut dyn Fields<'de>>;
}

impl<'de, T: Fields<'de> + Default> Entries<'de> for List<T> {
    fn absent(&mut self) {
        *self = List::Absent;
    }
    fn set(&mut self, list: bool) {
        *self = if list {
            List::Entries(Vec::new())
        } else {
            List::Other
        };
    }
    fn push(&mut self, object: bool) -> Option<&mut dyn Fields<'de>> {
        let List::Entries(entries) = self else {
            return None;
        };
        entries.push(object.then(T::default));
        let entry = entries.last_mut()?.as_mut()?;
        Some(entry)
    }
}

impl<'de, T: Fields<'de> + Default> AsSlot<'de> for List<T> {
    fn as_slot(&mut self) -> Slot<'_, 'de> {
        Slot::List(self)
    }
}

/// Implements [`Fields`] for a struct whose fields are each read from one key:
/// `read_fields!('a, Answer<'a> { "taskId" => task_id, ... });`.
macro_rules! read_fields {
    ($de:lifetime, $ty:ty { $($key:literal => $field:ident),* $(,)? }) => {
        impl<$de> $crate::providers::json::Fields<$de> for $ty {
            fn slot(&mut self, key: &str) -> Option<$crate::providers::json::Slot<'_, $de>> {
                use $crate::providers::json::AsSlot;
                match key {
                    $($key => Some(self.$field.as_slot()),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use read_fields;

/// An object whose fields no reader wants.
#[derive(Debug, Default)]
pub(crate) struct Ignored;

impl<'de> Fields<'de> for Ignored {
    fn slot(&mut self, _: &str) -> Option<Slot<'_, 'de>> {
        None
    }
}

/// What a text turned out to be when read as an object.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Object,
    NotObject,
    NotJson,
}

/// Reads `text` into `fields` when it is a JSON object.
pub(crate) fn read<'de>(text: &'de str, fields: &mut dyn Fields<'de>) -> Shape {
    struct Top<'f, 'de> {
        fields: &'f mut dyn Fields<'de>,
        object: bool,
    }
    impl<'de> Nested<'de> for Top<'_, 'de> {
        fn begin(&mut self) -> &mut dyn Fields<'de> {
            self.object = true;
            self.fields
        }
    }
    let mut top = Top {
        fields,
        object: false,
    };
    let mut parser = serde_json::Deserializer::from_str(text);
    let read = SlotSeed(Slot::Object(&mut top)).deserialize(&mut parser);
    match (read.and_then(|()| parser.end()), top.object) {
        (Err(_), _) => Shape::NotJson,
        (Ok(()), true) => Shape::Object,
        (Ok(()), false) => Shape::NotObject,
    }
}

/// Reads `text` as a JSON object into a `T`; `None` when it is not JSON, or not an object.
pub(crate) fn object<'de, T: Fields<'de> + Default>(text: &'de str) -> Option<T> {
    let mut fields = T::default();
    (read(text, &mut fields) == Shape::Object).then_some(fields)
}

/// The one visitor: reads a value into its slot, whatever the value is.
struct SlotSeed<'s, 'de>(Slot<'s, 'de>);

impl<'de> DeserializeSeed<'de> for SlotSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> SlotSeed<'_, 'de> {
    /// A value that is neither a list nor an object; `json` writes it as JSON text.
    fn scalar(self, value: Scalar<'de>, json: impl FnOnce(&mut String)) {
        match self.0 {
            Slot::Scalar(slot) => *slot = value,
            Slot::Words(words) => words.extend(value.text().map(str::to_string)),
            Slot::Raw(raw) => json(raw.insert(String::new())),
            Slot::List(list) => list.set(false),
            Slot::Ids(_) | Slot::Object(_) => {}
        }
    }
}

impl<'de> Visitor<'de> for SlotSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<(), E> {
        let json = |out: &mut String| json_out::string(out, text);
        self.scalar(Scalar::Text(Cow::Borrowed(text)), json);
        Ok(())
    }
    fn visit_str<E>(self, text: &str) -> Result<(), E> {
        let json = |out: &mut String| json_out::string(out, text);
        self.scalar(Scalar::Text(Cow::Owned(text.to_string())), json);
        Ok(())
    }
    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.scalar(Scalar::Integer(n.to_string()), |out| json_out::uint(out, n));
        Ok(())
    }
    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        let digits = n.to_string();
        let json = |out: &mut String| out.push_str(&digits);
        self.scalar(Scalar::Integer(digits.clone()), json);
        Ok(())
    }
    fn visit_f64<E>(self, n: f64) -> Result<(), E> {
        self.scalar(Scalar::Float(n), |out| json_out::number(out, n));
        Ok(())
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        let json = |out: &mut String| out.push_str(if b { "true" } else { "false" });
        self.scalar(Scalar::Bool(b), json);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        match self.0 {
            Slot::Scalar(slot) => *slot = Scalar::Absent,
            Slot::Raw(raw) => *raw = None,
            Slot::List(list) => list.absent(),
            Slot::Ids(_) | Slot::Words(_) | Slot::Object(_) => {}
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.0 {
            Slot::Ids(ids) => {
                while let Some(entry) = next_scalar(&mut seq)? {
                    ids.extend(entry.id());
                }
            }
            Slot::Words(words) => {
                while let Some(entry) = next_scalar(&mut seq)? {
                    words.extend(entry.text().map(str::to_string));
                }
            }
            Slot::Raw(raw) => write_list(raw.insert(String::new()), seq)?,
            Slot::List(list) => {
                list.set(true);
                while seq.next_element_seed(EntrySeed(&mut *list))?.is_some() {}
            }
            Slot::Scalar(slot) => {
                *slot = Scalar::Other;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
            }
            Slot::Object(_) => while seq.next_element::<IgnoredAny>()?.is_some() {},
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.0 {
            Slot::Object(nested) => read_map(nested.begin(), map),
            Slot::Raw(raw) => write_map(raw.insert(String::new()), map),
            other => {
                match other {
                    Slot::Scalar(slot) => *slot = Scalar::Other,
                    Slot::List(list) => list.set(false),
                    _ => {}
                }
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(())
            }
        }
    }
}

/// The next entry of a list, as a [`Scalar`] read by the one visitor.
fn next_scalar<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<Option<Scalar<'de>>, A::Error> {
    let mut entry = Scalar::Absent;
    let read = seq.next_element_seed(SlotSeed(Slot::Scalar(&mut entry)))?;
    Ok(read.map(|()| entry))
}

/// The next key of an object (a string, borrowed from the text unless it has escapes).
fn next_key<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    map.next_key_seed(KeySeed)
}

/// Reads an object's key. Keys are read by their own small visitor rather than as a
/// [`Scalar`] through [`SlotSeed`]: every item of an answer has several, and going through the
/// slot machinery was a sixth of reading a 100-item answer. serde_json only ever hands a key
/// over as a string, so only the string methods are spelled out.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }
    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_string()))
    }
}

fn read_map<'de, A: MapAccess<'de>>(
    fields: &mut dyn Fields<'de>,
    mut map: A,
) -> Result<(), A::Error> {
    while let Some(key) = next_key(&mut map)? {
        match fields.slot(&key) {
            Some(slot) => map.next_value_seed(SlotSeed(slot))?,
            None => drop(map.next_value::<IgnoredAny>()?),
        }
    }
    Ok(())
}

/// One entry of a [`List`]: an object is read into a new entry, anything else is noted.
struct EntrySeed<'s, 'de>(&'s mut dyn Entries<'de>);

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        // An entry is read as a nested object; a value that is not one is added as `None`.
        let mut entry = Entry {
            list: self.0,
            object: false,
            nowhere: Ignored,
        };
        SlotSeed(Slot::Object(&mut entry)).deserialize(deserializer)?;
        if !entry.object {
            entry.list.push(false);
        }
        Ok(())
    }
}

struct Entry<'s, 'de> {
    list: &'s mut dyn Entries<'de>,
    object: bool,
    /// Where an object's fields go if the list had no place for it (it always has: `set(true)`
    /// comes first), so that no input can reach a panic.
    nowhere: Ignored,
}

impl<'de> Nested<'de> for Entry<'_, 'de> {
    fn begin(&mut self) -> &mut dyn Fields<'de> {
        self.object = true;
        match self.list.push(true) {
            Some(fields) => fields,
            None => &mut self.nowhere,
        }
    }
}

/// A list kept as JSON text: each entry written again.
fn write_list<'de, A: SeqAccess<'de>>(out: &mut String, mut seq: A) -> Result<(), A::Error> {
    out.push('[');
    let mut first = true;
    loop {
        let mut entry = None;
        if seq
            .next_element_seed(SlotSeed(Slot::Raw(&mut entry)))?
            .is_none()
        {
            break;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(entry.as_deref().unwrap_or("null"));
    }
    out.push(']');
    Ok(())
}

/// An object kept as JSON text: each key and value written again, in the order sent.
fn write_map<'de, A: MapAccess<'de>>(out: &mut String, mut map: A) -> Result<(), A::Error> {
    out.push('{');
    let mut first = true;
    while let Some(key) = next_key(&mut map)? {
        let mut value = None;
        map.next_value_seed(SlotSeed(Slot::Raw(&mut value)))?;
        if !first {
            out.push(',');
        }
        first = false;
        json_out::string(out, &key);
        out.push(':');
        out.push_str(value.as_deref().unwrap_or("null"));
    }
    out.push('}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Sample<'a> {
        a: Scalar<'a>,
        b: Scalar<'a>,
        c: Scalar<'a>,
        d: Scalar<'a>,
        e: Ids,
        f: Raw,
        g: Option<Ignored>,
        h: List<Sample<'a>>,
        w: Words,
    }
    read_fields!('a, Sample<'a> {
        "a" => a, "b" => b, "c" => c, "d" => d, "e" => e, "f" => f, "g" => g, "h" => h, "w" => w,
    });

    #[test]
    fn ids_keep_every_digit() {
        let text = r#"{"a": 12345678901234567890, "b": "321", "c": "", "d": null, "e": [1, "x", null, "", {}, 2.5, -4], "z": {"deep": [true]}}"#;
        let s: Sample = object(text).unwrap();
        assert_eq!(s.a.id().as_deref(), Some("12345678901234567890"));
        assert_eq!(s.b.id().as_deref(), Some("321"));
        assert_eq!(s.c.id(), None);
        assert_eq!(s.d.id(), None);
        assert_eq!(s.e.0, ["1", "x", "-4"]);
        assert!(s.g.is_none() && matches!(s.h, List::Absent));
        let big: Sample =
            object(r#"{"a": 123456789012345678901234, "b": 1.5, "c": 9007199254740993}"#).unwrap();
        assert!(big.a.is_inexact_id() && big.b.is_inexact_id() && !big.c.is_inexact_id());
        assert_eq!(big.c.id().as_deref(), Some("9007199254740993"));
    }

    #[test]
    fn raw_values_are_written_again_as_sent() {
        let sent = r#"{"k":[1,-2,2.5,"a\"b",true,false,null,{}],"é":{"x":[]}}"#;
        let text = format!(r#"{{"f": {sent}}}"#);
        let s: Sample = object(&text).unwrap();
        assert_eq!(s.f.0.as_deref(), Some(sent));
        let null: Sample = object(r#"{"f": null}"#).unwrap();
        assert_eq!(null.f.0, None);
    }

    #[test]
    fn nested_objects_and_lists() {
        let text = r#"{"g": {"x": 1}, "h": [{"a": "1"}, 7, {"b": "2", "h": [{"a": "3"}]}], "w": ["m", 1, "n"]}"#;
        let s: Sample = object(text).unwrap();
        assert!(s.g.is_some());
        let List::Entries(entries) = &s.h else {
            panic!("a list")
        };
        assert_eq!(entries.len(), 3);
        assert!(entries[1].is_none(), "a number is no entry");
        assert_eq!(entries[0].as_ref().and_then(|e| e.a.text()), Some("1"));
        assert!(
            matches!(&entries[2].as_ref().unwrap().h, List::Entries(inner) if inner.len() == 1)
        );
        assert_eq!(s.w.0, ["m", "n"]);
        let odd: Sample = object(r#"{"g": [1], "h": {"a": 1}, "w": "one"}"#).unwrap();
        assert!(odd.g.is_none() && matches!(odd.h, List::Other));
        assert_eq!(odd.w.0, ["one"]);
    }

    #[test]
    fn numbers_and_booleans() {
        let s: Sample = object(r#"{"a": 985, "b": " 12 ", "c": -3.5, "d": true}"#).unwrap();
        assert_eq!(s.a.number(), Some(985.0));
        assert_eq!(s.b.number(), Some(12.0), "digits in a string are a number");
        assert_eq!((s.c.number(), s.c.whole()), (Some(-3.5), None));
        assert_eq!((s.d.boolean(), s.d.number()), (Some(true), None));
        assert_eq!(read("[1]", &mut Ignored), Shape::NotObject);
        assert_eq!(read("{", &mut Ignored), Shape::NotJson);
        assert_eq!(read("{} x", &mut Ignored), Shape::NotJson);
        assert_eq!(read(" {} ", &mut Ignored), Shape::Object);
    }
}
