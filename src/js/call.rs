//! The last argument of every method, `{ signal, user }`, read once.

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::convert;
use crate::error::Error;
use crate::governor;
use crate::options;

/// A call's own options: what aborts it, and whose request it is.
#[derive(Default, Clone)]
pub(crate) struct Call {
    pub signal: Option<AbortSignal>,
    /// The person the call is made for, when one client serves many (a server with one key):
    /// the client's budget gives each user turns. Empty: the caller's own.
    pub user: String,
}

impl Call {
    pub fn read(options: &Option<JsValue>) -> Result<Call, Error> {
        Self::read_with(options, options::CALL).map(|(call, _)| call)
    }

    /// The options of a method that takes more than `signal` and `user` (all its names in
    /// `names`): the call, and the checked object to read the rest from.
    pub fn read_with(options: &Option<JsValue>, names: &[&str]) -> Result<(Call, JsValue), Error> {
        let options = convert::options(
            options.as_ref().unwrap_or(&JsValue::UNDEFINED),
            names,
            "options",
        )?;
        Ok((Self::from_options(&options)?, options))
    }

    /// The `signal` and `user` of an options object whose names were already checked.
    pub fn from_options(options: &JsValue) -> Result<Call, Error> {
        Ok(Call {
            signal: convert::opt_signal(options)?,
            user: governor::caller(convert::opt_string(options, "user")?.as_deref())?,
        })
    }

    pub fn signal(&self) -> Option<&AbortSignal> {
        self.signal.as_ref()
    }

    pub fn aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }
}
