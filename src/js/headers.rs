//! The `headers` client option: headers added to every request, for a proxy that wants to know
//! who calls (a session token).

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::convert;
use crate::error::Error;

/// The `headers` option: sent with every request, for a proxy that wants to know who calls
/// (a session token). A function is called before each request, and may return a promise, so a
/// token can be refreshed.
pub(crate) enum ExtraHeaders {
    Fixed(Vec<(String, String)>),
    Computed(js_sys::Function),
}

impl ExtraHeaders {
    pub(crate) fn read(value: &JsValue) -> Result<ExtraHeaders, Error> {
        if let Some(function) = value.dyn_ref::<js_sys::Function>() {
            return Ok(ExtraHeaders::Computed(function.clone()));
        }
        if value.is_undefined() || value.is_null() {
            return Ok(ExtraHeaders::Fixed(Vec::new()));
        }
        convert::string_map(value, "headers").map(ExtraHeaders::Fixed)
    }

    pub(crate) async fn resolve(&self) -> Result<Vec<(String, String)>, Error> {
        let function = match self {
            ExtraHeaders::Fixed(list) => return Ok(list.clone()),
            ExtraHeaders::Computed(function) => function,
        };
        let failed = |_| Error::validation("headers", "The headers function threw or rejected.");
        let value = function.call0(&JsValue::UNDEFINED).map_err(failed)?;
        let value = JsFuture::from(Promise::resolve(&value))
            .await
            .map_err(failed)?;
        convert::string_map(&value, "headers")
    }
}
