//! The client's observation hooks (`onRequest`, `onResponse`, `onWait`).
//!
//! A hook is told what happened in the words of [`crate::json_view`]'s hook views, which carry
//! no headers, so never a key. A hook that throws is logged and ignored: observing a request
//! must not be able to lose a task.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::convert::{self, call_back, to_js};
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Millis};
use crate::json_view;

#[derive(Default)]
pub(crate) struct Hooks {
    on_request: Option<Function>,
    on_response: Option<Function>,
    on_wait: Option<Function>,
}

impl Hooks {
    pub fn read(options: &JsValue) -> Result<Hooks, Error> {
        Ok(Hooks {
            on_request: convert::opt_function(options, "onRequest")?,
            on_response: convert::opt_function(options, "onResponse")?,
            on_wait: convert::opt_function(options, "onWait")?,
        })
    }

    pub fn request(&self, request: &HttpRequest) {
        if let Some(hook) = &self.on_request {
            call_back(
                hook,
                &to_js(&json_view::request_hook(
                    request.method.as_str(),
                    &request.url,
                )),
            );
        }
    }

    pub fn response(
        &self,
        request: &HttpRequest,
        duration_ms: u64,
        outcome: &Result<HttpResponse, Error>,
    ) {
        if let Some(hook) = &self.on_response {
            let outcome = outcome.as_ref().map(|r| (r.status, r.request_id()));
            let view = json_view::response_hook(
                request.method.as_str(),
                &request.url,
                duration_ms,
                outcome,
            );
            call_back(hook, &to_js(&view));
        }
    }

    pub fn wait(&self, reason: &str, at: Millis, until: Millis, error: Option<&Error>) {
        if let Some(hook) = &self.on_wait {
            call_back(
                hook,
                &to_js(&json_view::wait_hook(reason, at, until, error)),
            );
        }
    }
}
