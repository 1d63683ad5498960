//! Conversions at the JavaScript boundary: option objects in, JSON views and errors out.
//!
//! A wrong type from JS (a number where a string belongs, a missing object) is a `validation`
//! error naming the field, the same as any other bad input.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::error::Error;
use crate::json_view;

// The operations below run code the caller controls (getters, Proxy traps, a revoked Proxy).
// js-sys declares `Object.keys`, `Object.hasOwn` and `Array.isArray` as never throwing, and an
// exception thrown through wasm frames skips their clean-up (the shadow stack pointer is never
// restored): after about a thousand of them the module is dead. Every operation that can run
// foreign code is imported here with `catch`, and an exception is a `validation` error.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(value: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = hasOwn)]
    fn has_own(value: &JsValue, key: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
}

/// The longest string read from JS (1 MiB of UTF-16 units): a longer one is refused before it
/// is copied into wasm memory, where a failed allocation would abort the module.
const MAX_STRING: u32 = 1 << 20;

/// The most entries read from a JS array: more is refused by count before any is read (a
/// sparse `[]` with `length = 1e9` would otherwise be walked).
const MAX_ENTRIES: u32 = 10_000;

fn unreadable(label: &str) -> Error {
    Error::validation(
        label,
        format!("{label} could not be read: a getter or a Proxy threw."),
    )
}

/// Whether `value` is an array (a revoked Proxy makes `Array.isArray` throw).
fn array(value: &JsValue, label: &str) -> Result<bool, Error> {
    is_array(value).map_err(|_| unreadable(label))
}

/// A JS string as a Rust string, `None` for anything else or a string past [`MAX_STRING`].
pub(crate) fn text(value: &JsValue) -> Option<String> {
    let text = value.dyn_ref::<js_sys::JsString>()?;
    match text.length() {
        n if n > MAX_STRING => None,
        // An answer's text: wasm-bindgen's copy goes one UTF-16 unit at a time (`utf8`).
        n if n > LONG_STRING => utf8(text)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .or_else(|| value.as_string()),
        _ => value.as_string(),
    }
}

/// Strings longer than this (UTF-16 units) are copied in by the host's encoder (`utf8`); a
/// short one costs less through wasm-bindgen's own copy than a second call would.
const LONG_STRING: u32 = 1024;

/// The entries of a JS array, read by index, at most [`MAX_ENTRIES`].
fn entries(value: &JsValue, label: &str) -> Result<Vec<JsValue>, Error> {
    let length = Reflect::get(value, &"length".into())
        .map_err(|_| unreadable(label))?
        .as_f64()
        .unwrap_or(0.0);
    if length > f64::from(MAX_ENTRIES) {
        return Err(Error::validation(
            label,
            format!("{label} has more than {MAX_ENTRIES} entries, which are never read."),
        ));
    }
    (0..length as u32)
        .map(|i| Reflect::get_u32(value, i).map_err(|_| unreadable(label)))
        .collect()
}

/// An own property of `object`, or `undefined` when `object` is not an object or the property
/// is only inherited: another script's `Object.prototype.baseUrl = ...` is never an option. A
/// getter or Proxy trap that throws is a `validation` error naming the property.
pub(crate) fn get(object: &JsValue, name: &str) -> Result<JsValue, Error> {
    if !object.is_object() {
        return Ok(JsValue::UNDEFINED);
    }
    let key = JsValue::from_str(name);
    match has_own(object, &key) {
        Ok(true) => Reflect::get(object, &key).map_err(|_| unreadable(name)),
        Ok(false) => Ok(JsValue::UNDEFINED),
        Err(_) => Err(unreadable(name)),
    }
}

fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// Options must be an object when given, with only the names in `known` (see
/// [`crate::options`]): a misspelled option is an error, never silently ignored.
pub(crate) fn options(value: &JsValue, known: &[&str], label: &str) -> Result<JsValue, Error> {
    if absent(value) {
        return Ok(Object::new().into());
    }
    if !value.is_object() || array(value, label)? {
        return Err(Error::validation(
            label,
            format!("{label} must be an object."),
        ));
    }
    let names: Vec<String> = object_keys(value)
        .map_err(|_| unreadable(label))?
        .iter()
        .filter_map(|k| text(&k))
        .collect();
    crate::options::check_names(&names, known, label)?;
    Ok(value.clone())
}

pub(crate) fn opt_string(object: &JsValue, name: &str) -> Result<Option<String>, Error> {
    let value = get(object, name)?;
    if absent(&value) {
        return Ok(None);
    }
    text(&value).map(Some).ok_or_else(|| {
        let what = if value.is_string() {
            "at most 1 MiB long"
        } else {
            "a string"
        };
        Error::validation(name, format!("{name} must be {what}."))
    })
}

/// A plain object of string values (`{ authorization: "Bearer ..." }`), own properties only.
pub(crate) fn string_map(value: &JsValue, label: &str) -> Result<Vec<(String, String)>, Error> {
    let invalid = || {
        Error::validation(
            label,
            format!("{label} must be an object of strings, or a function returning one."),
        )
    };
    if !value.is_object() || array(value, label)? {
        return Err(invalid());
    }
    let names = object_keys(value).map_err(|_| unreadable(label))?;
    let mut out = Vec::new();
    for name in names.iter() {
        let value = Reflect::get(value, &name).map_err(|_| unreadable(label))?;
        match (text(&name), text(&value)) {
            (Some(name), Some(value)) => out.push((name, value)),
            _ => return Err(invalid()),
        }
    }
    Ok(out)
}

/// A resume token argument. Anything but a string is a `validation` error, never a trap: a
/// start that started nothing has `token: null`, and `localStorage.getItem` returns null.
pub(crate) fn token(value: &JsValue) -> Result<String, Error> {
    text(value).ok_or_else(|| {
        let what = if value.is_null() {
            "null (a start that started nothing has no token; nothing stored?)"
        } else {
            "not a string"
        };
        Error::validation(
            "token",
            format!("The token is {what}: pass the string a start or an error gave you."),
        )
    })
}

/// A list of ids. Integers are accepted and kept as their decimal text (JS callers often hold
/// ids as numbers); anything else names its index.
pub(crate) fn id_list(object: &JsValue, name: &str) -> Result<Vec<String>, Error> {
    let value = get(object, name)?;
    if !array(&value, name)? {
        return Err(Error::validation(
            name,
            format!("{name} must be an array of ids."),
        ));
    }
    entries(&value, name)?
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            if let Some(text) = text(entry) {
                return Ok(text);
            }
            match entry.as_f64() {
                Some(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
                    Ok((n as i64).to_string())
                }
                _ => Err(Error::validation(
                    format!("{name}[{index}]"),
                    format!("{name}[{index}] must be a string id."),
                )),
            }
        })
        .collect()
}

/// The entries of a JS array (at most [`MAX_ENTRIES`]); anything else is a `validation` error.
pub(crate) fn list(value: &JsValue, label: &str) -> Result<Vec<JsValue>, Error> {
    if !array(value, label)? {
        return Err(Error::validation(
            label,
            format!("{label} must be an array."),
        ));
    }
    entries(value, label)
}

/// A string, or an array of strings, as a list (empty when absent).
pub(crate) fn opt_text_list(object: &JsValue, name: &str) -> Result<Vec<String>, Error> {
    let value = get(object, name)?;
    if absent(&value) {
        return Ok(Vec::new());
    }
    let wrong = || {
        Error::validation(
            name,
            format!("{name} must be a string or an array of strings."),
        )
    };
    if !array(&value, name)? {
        return text(&value).map(|t| vec![t]).ok_or_else(wrong);
    }
    entries(&value, name)?
        .iter()
        .map(|entry| text(entry).ok_or_else(wrong))
        .collect()
}

/// The client's `store` option: absent, `"local"`, or an object whose `get`, `set` and
/// `delete` are functions (its own or its class's).
pub(crate) fn opt_store(options: &JsValue) -> Result<JsValue, Error> {
    let value = get(options, "store")?;
    if absent(&value) || value.as_string().as_deref() == Some("local") {
        return Ok(value);
    }
    let method = |name: &str| Reflect::get(&value, &name.into()).is_ok_and(|f| f.is_function());
    if value.is_object() && ["get", "set", "delete"].into_iter().all(method) {
        return Ok(value);
    }
    Err(Error::validation(
        "store",
        "store must be \"local\" or an object with get, set and delete functions.",
    ))
}

/// A boolean own property, `None` when absent.
pub(crate) fn opt_bool(object: &JsValue, name: &str) -> Result<Option<bool>, Error> {
    let value = get(object, name)?;
    if absent(&value) {
        return Ok(None);
    }
    value
        .as_bool()
        .map(Some)
        .ok_or_else(|| Error::validation(name, format!("{name} must be true or false.")))
}

pub(crate) fn opt_number(object: &JsValue, name: &str, label: &str) -> Result<Option<f64>, Error> {
    let value = get(object, name)?;
    if absent(&value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
        _ => Err(Error::validation(
            label,
            format!("{label} must be a number of 0 or more."),
        )),
    }
}

pub(crate) fn opt_number_list(
    object: &JsValue,
    name: &str,
    label: &str,
) -> Result<Option<Vec<u64>>, Error> {
    let value = get(object, name)?;
    if absent(&value) {
        return Ok(None);
    }
    let refuse = || Error::validation(label, format!("{label} must be an array of milliseconds."));
    if !array(&value, label)? {
        return Err(refuse());
    }
    entries(&value, label)?
        .iter()
        .map(|entry| match entry.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(n as u64),
            _ => Err(refuse()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub(crate) fn opt_function(object: &JsValue, name: &str) -> Result<Option<Function>, Error> {
    let value = get(object, name)?;
    if absent(&value) {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| Error::validation(name, format!("{name} must be a function.")))
}

pub(crate) fn opt_signal(object: &JsValue) -> Result<Option<AbortSignal>, Error> {
    let value = get(object, "signal")?;
    if absent(&value) {
        return Ok(None);
    }
    value
        .dyn_into::<AbortSignal>()
        .map(Some)
        .map_err(|_| Error::validation("signal", "signal must be an AbortSignal."))
}

#[wasm_bindgen(module = "/src/js/boundary.js")]
extern "C" {
    /// `JSON.parse`, then packed item lists made into objects.
    #[wasm_bindgen(catch)]
    fn view(text: &str) -> Result<JsValue, JsValue>;
    /// A string's UTF-8 bytes, copied into wasm memory natively.
    #[wasm_bindgen(catch)]
    fn utf8(text: &js_sys::JsString) -> Result<Vec<u8>, JsValue>;
}

/// A view the core wrote as JSON text ([`json_view`]) as a plain JS value, built in one step by
/// the host's `JSON.parse`, which makes every key an own data property (`__proto__` included,
/// never a prototype change), and item lists made into objects by `src/js/boundary.js`. One call
/// across the boundary instead of one per value.
pub(crate) fn to_js(text: &str) -> JsValue {
    view(text).unwrap_or(JsValue::NULL)
}

/// An `UnlockError`: a real `Error` (stack included) with `name = "UnlockError"`, the stable
/// `code` and the provider's fields. `token`, when given, lets the caller resume (timeout,
/// abort). The package entry's `UnlockError` class recognises these with `instanceof`.
pub(crate) fn to_js_error(error: &Error, token: Option<&str>) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("UnlockError");
    let fields = to_js(&json_view::error_fields(error));
    let _ = Object::assign(&js, &fields.unchecked_into());
    if let Some(token) = token {
        let _ = Reflect::set(&js, &"token".into(), &token.into());
    }
    js.into()
}

/// An error for JS; an abort keeps the signal's reason as `cause` (`AbortSignal.timeout()`'s
/// TimeoutError, or whatever `abort(reason)` was given).
pub(crate) fn to_js_error_from(
    error: &Error,
    token: Option<&str>,
    signal: Option<&AbortSignal>,
) -> JsValue {
    let js = to_js_error(error, token);
    if error.code == crate::error::ErrorCode::Aborted {
        if let Some(signal) = signal.filter(|s| s.aborted()) {
            let _ = Reflect::set(&js, &"cause".into(), &signal.reason());
        }
    }
    js
}

/// Calls a user callback; an exception there is logged, never allowed to lose the task.
pub(crate) fn call_back(callback: &Function, value: &JsValue) {
    if let Err(thrown) = callback.call1(&JsValue::NULL, value) {
        web_sys::console::error_2(
            &"unlock-tasks: a callback threw; polling goes on.".into(),
            &thrown,
        );
    }
}
