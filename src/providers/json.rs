//! Reading JSON the tolerant way.
//!
//! Responses are read into a `serde_json::Value` and picked apart by hand: unknown fields are
//! ignored, ids are accepted as strings or numbers (and kept as strings: a JS number would lose
//! digits), and a wrong type reads as "absent" rather than failing the whole response.

use serde_json::{Map, Value};

pub(crate) type Object = Map<String, Value>;

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
