//! The only I/O of the package: `fetch` (the global one, or the caller's), timers (gloo-timers,
//! which use the global `setTimeout`) and `Date.now`.
//!
//! Globals, not `window`, so the same code runs in pages, workers, Node, workerd and Deno. Both waits are abortable and always clean up their timer and listener:
//! a pending 20-second timer would otherwise keep a Node process or a worker alive.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, RequestInit, RequestRedirect, Response};

use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Millis, MAX_BODY_BYTES, RESPONSE_HEADERS};

#[wasm_bindgen]
extern "C" {
    // `catch`: a replaced or missing global `fetch` may throw, and an exception must never
    // pass through wasm frames (see `convert`).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(input: &str, init: &RequestInit) -> Result<Promise, JsValue>;
}

/// Browsers cap timers at 2^31-1 ms; longer waits are slept in pieces.
const MAX_TIMER_MS: f64 = 2_147_483_000.0;

pub(crate) fn now() -> Millis {
    js_sys::Date::now() as Millis
}

fn is_aborted(signal: Option<&AbortSignal>) -> bool {
    signal.is_some_and(AbortSignal::aborted)
}

/// Sleeps until `until` (epoch ms). `Err(aborted)` if `signal` fires first.
pub(crate) async fn sleep_until(until: Millis, signal: Option<&AbortSignal>) -> Result<(), Error> {
    loop {
        if is_aborted(signal) {
            return Err(Error::aborted());
        }
        let remaining = until.saturating_sub(now());
        if remaining == 0 {
            return Ok(());
        }
        wait(remaining as f64, signal).await;
    }
}

/// One timer (gloo-timers), resolved by the timer or by `signal`'s abort, whichever comes
/// first. Dropping the `Timeout` clears it, so an abort leaves no timer behind.
async fn wait(ms: f64, signal: Option<&AbortSignal>) {
    let wake: Rc<RefCell<Option<Function>>> = Rc::default();
    let mut timer: Option<Timeout> = None;
    let promise = Promise::new(&mut |resolve, _reject| {
        let ring = resolve.clone();
        timer = Some(Timeout::new(ms.min(MAX_TIMER_MS) as u32, move || {
            let _ = ring.call0(&JsValue::UNDEFINED);
        }));
        if let Some(signal) = signal {
            let _ = signal.add_event_listener_with_callback("abort", &resolve);
        }
        *wake.borrow_mut() = Some(resolve);
    });
    let _ = JsFuture::from(promise).await;
    drop(timer);
    let wake = wake.borrow_mut().take();
    if let (Some(signal), Some(wake)) = (signal, wake) {
        let _ = signal.remove_event_listener_with_callback("abort", &wake);
    }
}

/// How a client sends: the caller's `fetch` (or the global one), headers added to every
/// request (a proxy's session token), and the per-request time limit.
pub(crate) struct Transport {
    pub fetch: Option<Function>,
    pub timeout_ms: u32,
}

/// Sends `request` with the transport's `fetch`, `extra` headers first (the package's own
/// headers win on a clash). Aborting `signal` aborts the request in flight, and a request
/// without an answer after the time limit is aborted as a `network` error.
pub(crate) async fn send(
    request: &HttpRequest,
    extra: &[(String, String)],
    signal: Option<&AbortSignal>,
    transport: &Transport,
) -> Result<HttpResponse, Error> {
    let timeout_ms = transport.timeout_ms;
    if is_aborted(signal) {
        return Err(Error::aborted());
    }
    let controller = AbortController::new()
        .map_err(|_| Error::network("AbortController is not available in this runtime."))?;
    let timed_out = Rc::new(RefCell::new(false));
    let timer = {
        let controller = controller.clone();
        let timed_out = timed_out.clone();
        Timeout::new(timeout_ms, move || {
            *timed_out.borrow_mut() = true;
            controller.abort();
        })
    };
    let forward_abort = {
        let controller = controller.clone();
        Closure::<dyn FnMut()>::new(move || controller.abort())
    };
    if let Some(signal) = signal {
        let _ = signal
            .add_event_listener_with_callback("abort", forward_abort.as_ref().unchecked_ref());
    }

    let outcome = fetch(
        request,
        extra,
        &controller.signal(),
        transport.fetch.as_ref(),
    )
    .await;

    drop(timer); // clears it
    if let Some(signal) = signal {
        let _ = signal
            .remove_event_listener_with_callback("abort", forward_abort.as_ref().unchecked_ref());
    }
    match outcome {
        Ok(response) => Ok(response),
        Err(_) if is_aborted(signal) => Err(Error::aborted()),
        Err(_) if *timed_out.borrow() => Err(Error::network(format!(
            "{} {} got no answer within {timeout_ms} ms (requestTimeoutMs).",
            request.method.as_str(),
            request.url
        ))),
        Err(reason) => Err(Error::network(format!(
            "{} {} did not complete: {reason}. Check the network, the base URL, and CORS if this is a browser.",
            request.method.as_str(),
            request.url
        ))),
    }
}

/// The fetch itself, body included (the body read is abortable by the same signal).
///
/// `redirect: "manual"`: a redirect is never followed, because the runtime would send the key
/// headers along to the new address; the core reads the 3xx (or a browser's opaque redirect)
/// as an error that names it.
async fn fetch(
    request: &HttpRequest,
    extra: &[(String, String)],
    signal: &AbortSignal,
    custom: Option<&Function>,
) -> Result<HttpResponse, String> {
    let headers = Headers::new().map_err(describe)?;
    for (name, value) in extra {
        headers.set(name, value).map_err(describe)?;
    }
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(describe)?;
    }
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    init.set_redirect(RequestRedirect::Manual);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_signal(Some(signal));
    let pending = match custom {
        Some(fetch) => fetch
            .call2(&JsValue::UNDEFINED, &JsValue::from_str(&request.url), &init)
            .map_err(describe)?,
        None => global_fetch(&request.url, &init).map_err(describe)?.into(),
    };
    let response: Response = JsFuture::from(Promise::resolve(&pending))
        .await
        .map_err(describe)?
        .dyn_into()
        .map_err(|_| "the fetch option did not resolve to a Response".to_string())?;
    let text = JsFuture::from(response.text().map_err(describe)?)
        .await
        .map_err(describe)?;
    // A body past the core's limit is cut before it is copied into wasm memory (the core then
    // refuses it by size): a runaway answer must not exhaust the module's memory.
    let text: js_sys::JsString = text.dyn_into().unwrap_or_default();
    let limit = MAX_BODY_BYTES as u32 + 1;
    let text = if text.length() > limit {
        text.slice(0, limit)
    } else {
        text
    };
    let mut out = HttpResponse::new(response.status(), String::from(text));
    let received = response.headers();
    for name in RESPONSE_HEADERS {
        if let Ok(Some(value)) = received.get(name) {
            out = out.with_header(name, &value);
        }
    }
    Ok(out)
}

/// A thrown JS value as text, for an error message (never containing request headers). Read
/// with `Reflect.get`, which catches: an error's getters are foreign code too.
fn describe(value: JsValue) -> String {
    let field = |value: &JsValue, name: &str| {
        js_sys::Reflect::get(value, &name.into())
            .ok()
            .and_then(|v| super::convert::text(&v))
            .filter(|t| !t.is_empty())
    };
    if !value.is_object() {
        return super::convert::text(&value).unwrap_or_else(|| "unknown error".into());
    }
    let message = field(&value, "message").unwrap_or_else(|| "unknown error".into());
    let cause = js_sys::Reflect::get(&value, &"cause".into())
        .ok()
        .filter(JsValue::is_object)
        .and_then(|cause| field(&cause, "message"));
    match cause {
        Some(cause) => format!("{message} ({cause})"),
        None => message,
    }
}
