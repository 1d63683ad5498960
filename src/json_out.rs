//! JSON text written straight into a `String`: the views JS receives (handed to the host's
//! `JSON.parse` in one call) and the bodies sent to providers.
//!
//! Why not serde's `Serialize` with serde_json's writer: that writer goes through `io::Write`
//! once per token, and at the release profile's `opt-level = "z"` none of it is inlined, so
//! writing a 100-item task view was a third of reading an answer; and every view type linked
//! its own copy of the serializer. Here a view is a sequence of `push_str`s (BENCHMARKS.md has
//! both measured). Keys are this crate's own constants, written as they are; every string
//! value is escaped.
//!
//! Punctuation is written with `push_str`, never `push(char)`: at opt-level "z" `String::push`
//! is a call that encodes the character as UTF-8 (it measured slower in the view writer's
//! profile), hence the lint allowed here.
#![allow(clippy::single_char_add_str)]

/// One JSON object as text, its fields written by `write`.
pub fn object(write: impl FnOnce(&mut Obj)) -> String {
    let mut out = String::new();
    let mut obj = Obj::new(&mut out);
    write(&mut obj);
    obj.end();
    out
}

/// A JSON object being written: `{`, then fields, then `}` from [`Obj::end`].
pub struct Obj<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Obj<'a> {
    /// Writes nothing yet: the `{` goes out with the first key (or as `{}` from [`Obj::end`]).
    pub fn new(out: &'a mut String) -> Obj<'a> {
        Obj { out, empty: true }
    }

    /// Writes `"key":` (after `{` or a comma) and hands back the text for the value.
    pub fn key(&mut self, key: &str) -> &mut String {
        self.open(key, "\":")
    }

    /// `{"key` or `,"key`, then `after`: the punctuation goes out in as few writes as it can,
    /// because at `opt-level = "z"` every write is a call (BENCHMARKS.md).
    fn open(&mut self, key: &str, after: &str) -> &mut String {
        self.out.push_str(if self.empty { "{\"" } else { ",\"" });
        self.empty = false;
        self.out.push_str(key);
        self.out.push_str(after);
        self.out
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        let out = self.open(key, "\":\"");
        escaped(out, value);
        out.push_str("\"");
        self
    }

    /// A string, or `null` when absent.
    pub fn str_or_null(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.str(key, value),
            None => self.raw(key, "null"),
        }
    }

    /// A string, or no field at all when absent (the TypeScript types' optional fields).
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.str(key, value);
        }
        self
    }

    pub fn uint(&mut self, key: &str, value: u64) -> &mut Self {
        uint(self.key(key), value);
        self
    }

    /// A number, or `null` when absent.
    pub fn uint_or_null(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(value) => self.uint(key, value),
            None => self.raw(key, "null"),
        }
    }

    pub fn opt_uint(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        if let Some(value) = value {
            self.uint(key, value);
        }
        self
    }

    pub fn number(&mut self, key: &str, value: f64) -> &mut Self {
        number(self.key(key), value);
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// A list of strings.
    pub fn strs(&mut self, key: &str, values: &[String]) -> &mut Self {
        list(self.key(key), values, |out, value| string(out, value));
        self
    }

    /// A value that is already JSON text.
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key).push_str(json);
        self
    }

    pub fn end(self) {
        self.out.push_str(if self.empty { "{}" } else { "}" });
    }
}

/// A JSON list: each entry written by `write`.
pub fn list<T>(out: &mut String, entries: &[T], mut write: impl FnMut(&mut String, &T)) {
    out.push_str("[");
    for (n, entry) in entries.iter().enumerate() {
        if n > 0 {
            out.push_str(",");
        }
        write(out, entry);
    }
    out.push_str("]");
}

/// A JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7); everything
/// else, non-ASCII included, written as it is.
pub fn string(out: &mut String, value: &str) {
    out.push_str("\"");
    escaped(out, value);
    out.push_str("\"");
}

/// A string's content, escaped. The bytes escaped are all ASCII, so every cut between them
/// falls on a character boundary; most values have none and go out in one write.
pub fn escaped(out: &mut String, value: &str) {
    let plain = |byte: &u8| *byte >= 0x20 && *byte != b'"' && *byte != b'\\';
    if value.as_bytes().iter().all(plain) {
        out.push_str(value);
        return;
    }
    let mut start = 0;
    for (at, byte) in value.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&value[start..at]);
        if escaped.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(byte >> 4)].into());
            out.push(HEX[usize::from(byte & 0xf)].into());
        } else {
            out.push_str(escaped);
        }
        start = at + 1;
    }
    out.push_str(&value[start..]);
}

/// A string's length in UTF-16 code units: how JavaScript counts, and slices, the same text.
pub fn utf16_len(value: &str) -> usize {
    if value.is_ascii() {
        value.len()
    } else {
        value.chars().map(char::len_utf16).sum()
    }
}

pub fn uint(out: &mut String, value: u64) {
    out.push_str(itoa::Buffer::new().format(value));
}

/// A number as JS reads it back: whole numbers as integers, others in their shortest form;
/// JSON has no NaN or infinity, so those are `null` (what `JSON.stringify` writes).
pub fn number(out: &mut String, value: f64) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole f64 below is an exact i64
    if !value.is_finite() {
        out.push_str("null");
    } else if value.fract() == 0.0 && value.abs() < EXACT {
        out.push_str(itoa::Buffer::new().format(value as i64));
    } else {
        out.push_str(zmij::Buffer::new().format_finite(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn written(write: impl FnOnce(&mut String)) -> String {
        let mut out = String::new();
        write(&mut out);
        out
    }

    #[test]
    fn strings_read_back_as_written() {
        let mut samples: Vec<String> = ["", "plain", "quote \" back \\ slash", "é ☃ 𝄞", "\u{7f}"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        samples.push((0u8..0x20).map(char::from).collect());
        for sample in samples {
            let text = written(|out| string(out, &sample));
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, Value::String(sample.clone()), "{text}");
        }
    }

    #[test]
    fn numbers_read_back_as_written() {
        for value in [
            0.0,
            -1.0,
            42.0,
            1.5,
            -0.25,
            1e21,
            9_007_199_254_740_993.0,
            1e-7,
        ] {
            let text = written(|out| number(out, value));
            assert_eq!(text.parse::<f64>().unwrap(), value, "{text}");
        }
        assert_eq!(written(|out| number(out, 42.0)), "42");
        assert_eq!(written(|out| number(out, f64::NAN)), "null");
        assert_eq!(written(|out| number(out, f64::INFINITY)), "null");
        assert_eq!(written(|out| uint(out, u64::MAX)), "18446744073709551615");
    }

    #[test]
    fn objects_and_lists() {
        let text = written(|out| {
            let mut obj = Obj::new(out);
            obj.str("a", "x")
                .opt_str("absent", None)
                .str_or_null("b", None)
                .uint("c", 3)
                .opt_uint("d", None)
                .uint_or_null("h", None)
                .uint_or_null("i", Some(7))
                .bool("e", true)
                .strs("f", &["1".into(), "2".into()])
                .raw("g", "{}");
            obj.end();
        });
        assert_eq!(
            text,
            r#"{"a":"x","b":null,"c":3,"h":null,"i":7,"e":true,"f":["1","2"],"g":{}}"#
        );
        assert_eq!(written(|out| Obj::new(out).end()), "{}");
        assert_eq!(written(|out| list::<u8>(out, &[], |_, _| {})), "[]");
    }
}
