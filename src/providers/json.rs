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
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number field, also accepted as a numeric string.
pub(crate) fn number(obj: &Object, name: &str) -> Option<f64> {
    match obj.get(name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
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
            Value::Number(n) => Some(n.to_string()),
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
    }
}
