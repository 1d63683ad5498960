//! `KeyGovernor`: the core's [`Governor`] for a server that holds a provider key and serves
//! many users with it (the edge worker keeps one in a Durable Object per key). Each method
//! reads its arguments, calls the core and writes one view.

use wasm_bindgen::prelude::*;

use super::convert::{self, get, text, to_js, to_js_error};
use crate::budget::RateBudget;
use crate::config;
use crate::error::Error;
use crate::governor::{instant, Claim, Governor};
use crate::json_view;
use crate::options;

fn thrown(error: Error) -> JsValue {
    to_js_error(&error, None)
}

fn now_of(value: &JsValue) -> Result<u64, Error> {
    instant(value.as_f64().unwrap_or(f64::NAN), "now")
}

/// One provider key's window, shared by every user of a server, and the line of requests
/// waiting for it: a person's start, then a person's read, then background polls; users take
/// turns; polls are paced and stretched, never dropped.
#[wasm_bindgen]
pub struct KeyGovernor {
    inner: Governor,
}

#[wasm_bindgen]
impl KeyGovernor {
    /// `{ requests, windowMs }` (the key's window; defaults are the client's), and `saved`
    /// (what `save()` returned before a restart) with `now`: a restored window allows no
    /// burst.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "KeyGovernorOptions")] options: JsValue,
    ) -> Result<KeyGovernor, JsValue> {
        Self::read(&options).map_err(thrown)
    }

    fn read(options: &JsValue) -> Result<KeyGovernor, Error> {
        let options = convert::options(options, options::GOVERNOR, "options")?;
        let (limit, window_ms) = config::rate_window(
            convert::opt_number(&options, "requests", "requests")?,
            convert::opt_number(&options, "windowMs", "windowMs")?,
        )?;
        let budget = match convert::opt_string(&options, "saved")? {
            Some(saved) => {
                let now = now_of(&get(&options, "now")?)?;
                RateBudget::restore(limit, window_ms, &saved, now)
            }
            None => RateBudget::new(limit, window_ms),
        };
        Ok(KeyGovernor {
            inner: Governor::new(budget),
        })
    }

    /// Asks for a request at `now`: `{ go: true, ticket }` (send it, then `settle`) or
    /// `{ go: false, at }` (ask again at `at` with the same `id`, keeping its place).
    #[wasm_bindgen(unchecked_return_type = "Admission")]
    pub fn admit(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "GovernorClaim")] claim: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let admitted = (|| {
            let claim = convert::options(&claim, options::CLAIM, "claim")?;
            let field =
                |name: &str| Ok::<_, Error>(convert::opt_string(&claim, name)?.unwrap_or_default());
            let since = get(&claim, "since")?.as_f64().unwrap_or(f64::NAN);
            let claim = Claim::checked(&field("id")?, &field("priority")?, &field("user")?, since)?;
            Ok(self.inner.admit(now_of(&now)?, claim))
        })();
        admitted
            .map(|a| to_js(&json_view::admission(&a)))
            .map_err(thrown)
    }

    /// The request of `ticket` ended at `now`, with `answer` (`{ status, headers }`) when one
    /// arrived: `Retry-After` and `X-RateLimit-*` hold for everyone in line.
    pub fn settle(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] ticket: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
        #[wasm_bindgen(unchecked_param_type = "GovernorAnswer | null")] answer: JsValue,
    ) -> Result<(), JsValue> {
        (|| {
            let ticket = instant(ticket.as_f64().unwrap_or(f64::NAN), "ticket")?;
            let now = now_of(&now)?;
            if answer.is_undefined() || answer.is_null() {
                self.inner.settle(ticket, now, None);
                return Ok(());
            }
            let answer = convert::options(&answer, options::ANSWER, "answer")?;
            let status = convert::opt_number(&answer, "status", "answer.status")?
                .filter(|s| (100.0..=599.0).contains(s))
                .ok_or_else(|| {
                    Error::validation("answer.status", "answer.status must be an HTTP status.")
                })?;
            let headers = match get(&answer, "headers")? {
                h if h.is_undefined() || h.is_null() => Vec::new(),
                h => convert::string_map(&h, "answer.headers")?,
            };
            self.inner
                .settle_answer(ticket, now, status as u16, &headers);
            Ok(())
        })()
        .map_err(thrown)
    }

    /// The request `id` stopped waiting (its caller gave up): the next in line moves up.
    pub fn withdraw(&mut self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) {
        if let Some(id) = text(&id) {
            self.inner.withdraw(&id);
        }
    }

    /// The window as a short text for storage, to pass as `saved` after a restart. It holds
    /// instants only: no key, no id, no user.
    pub fn save(&self) -> String {
        self.inner.budget().save()
    }

    /// Requests waiting in line.
    #[wasm_bindgen(getter)]
    pub fn waiting(&self) -> u32 {
        self.inner.waiting() as u32
    }
}
