//! Conversions at the JavaScript boundary: option objects in, JSON views and errors out.
//!
//! A wrong type from JS (a number where a string belongs, a missing object) is a `validation`
//! error naming the field, the same as any other bad input.

use js_sys::{Array, Function, Object, Reflect};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::error::Error;
use crate::json_view;

/// An own property of `object`, or `undefined` when `object` is not an object or the property
/// is only inherited: another script's `Object.prototype.baseUrl = ...` is never an option.
pub(crate) fn get(object: &JsValue, name: &str) -> JsValue {
    let Some(object) = object.dyn_ref::<Object>() else {
        return JsValue::UNDEFINED;
    };
    let key = JsValue::from_str(name);
    if !Object::has_own(object, &key) {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &key).unwrap_or(JsValue::UNDEFINED)
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
    if !value.is_object() || Array::is_array(value) {
        return Err(Error::validation(
            label,
            format!("{label} must be an object."),
        ));
    }
    let object: &Object = value.unchecked_ref();
    let names: Vec<String> = Object::keys(object)
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    crate::options::check_names(&names, known, label)?;
    Ok(value.clone())
}

pub(crate) fn opt_string(object: &JsValue, name: &str) -> Result<Option<String>, Error> {
    let value = get(object, name);
    if absent(&value) {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| Error::validation(name, format!("{name} must be a string.")))
}

/// A plain object of string values (`{ authorization: "Bearer ..." }`), own properties only.
pub(crate) fn string_map(value: &JsValue, label: &str) -> Result<Vec<(String, String)>, Error> {
    let invalid = || {
        Error::validation(
            label,
            format!("{label} must be an object of strings, or a function returning one."),
        )
    };
    if !value.is_object() || Array::is_array(value) {
        return Err(invalid());
    }
    let mut out = Vec::new();
    for entry in Object::entries(value.unchecked_ref()).iter() {
        let pair: Array = entry.unchecked_into();
        match (pair.get(0).as_string(), pair.get(1).as_string()) {
            (Some(name), Some(text)) => out.push((name, text)),
            _ => return Err(invalid()),
        }
    }
    Ok(out)
}

/// A resume token argument. Anything but a string is a `validation` error, never a trap: a
/// start that started nothing has `token: null`, and `localStorage.getItem` returns null.
pub(crate) fn token(value: &JsValue) -> Result<String, Error> {
    value.as_string().ok_or_else(|| {
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

pub(crate) fn string(object: &JsValue, name: &str) -> Result<String, Error> {
    opt_string(object, name)?.ok_or_else(|| Error::validation(name, format!("{name} is required.")))
}

/// A list of ids. Integers are accepted and kept as their decimal text (JS callers often hold
/// ids as numbers); anything else names its index.
pub(crate) fn id_list(object: &JsValue, name: &str) -> Result<Vec<String>, Error> {
    let value = get(object, name);
    if !Array::is_array(&value) {
        return Err(Error::validation(
            name,
            format!("{name} must be an array of ids."),
        ));
    }
    Array::from(&value)
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            if let Some(text) = entry.as_string() {
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

pub(crate) fn opt_number(object: &JsValue, name: &str, label: &str) -> Result<Option<f64>, Error> {
    let value = get(object, name);
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
    let value = get(object, name);
    if absent(&value) {
        return Ok(None);
    }
    let refuse = || Error::validation(label, format!("{label} must be an array of milliseconds."));
    if !Array::is_array(&value) {
        return Err(refuse());
    }
    Array::from(&value)
        .iter()
        .map(|entry| match entry.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(n as u64),
            _ => Err(refuse()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub(crate) fn opt_function(object: &JsValue, name: &str) -> Result<Option<Function>, Error> {
    let value = get(object, name);
    if absent(&value) {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| Error::validation(name, format!("{name} must be a function.")))
}

pub(crate) fn opt_signal(object: &JsValue) -> Result<Option<AbortSignal>, Error> {
    let value = get(object, "signal");
    if absent(&value) {
        return Ok(None);
    }
    value
        .dyn_into::<AbortSignal>()
        .map(Some)
        .map_err(|_| Error::validation("signal", "signal must be an AbortSignal."))
}

/// A JSON view as a plain JS object.
pub(crate) fn to_js(value: &Value) -> JsValue {
    crate::json_text::to_js(value)
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
