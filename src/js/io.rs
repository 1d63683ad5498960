//! The only I/O of the package: `fetch` (the global one, or the caller's), timers (gloo-timers,
//! which use the global `setTimeout`) and `Date.now`.
//!
//! Globals, not `window`, so the same code runs in pages, workers, Node, workerd and Deno. Both waits are abortable and always clean up their timer and listener:
//! a pending 20-second timer would otherwise keep a Node process or a worker alive.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{AbortController, AbortSignal, Headers, RequestInit, RequestRedirect, Response};

use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Millis, MAX_BODY_BYTES, RESPONSE_HEADERS};

#[wasm_bindgen]
extern "C" {
    // `catch`: a replaced or missing global `fetch` may throw, and an exception must never
    // pass through wasm frames (see `convert`).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(input: &str, init: &RequestInit) -> Result<Promise, JsValue>;

    /// A response's body stream, and its reader. Their methods throw when the body was
    /// already used (a caller's `fetch` may hand back such a `Response`), hence our own
    /// `catch` imports.
    type Body;
    #[wasm_bindgen(catch, method, js_name = getReader)]
    fn get_reader(this: &Body) -> Result<BodyReader, JsValue>;
    type BodyReader;
    #[wasm_bindgen(catch, method)]
    fn read(this: &BodyReader) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, method)]
    fn cancel(this: &BodyReader) -> Result<Promise, JsValue>;
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
    // Every wait of the request is raced against its signal: a caller's fetch, or a body stream,
    // that ignores the signal would otherwise hold the request past its time limit, forever.
    let aborted = rejected_on_abort(signal);
    let response: Response = JsFuture::from(race(&Promise::resolve(&pending), &aborted))
        .await
        .map_err(describe)?
        .dyn_into()
        .map_err(|_| "the fetch option did not resolve to a Response".to_string())?;
    let body = read_body(&response, &aborted).await?;
    let mut out = HttpResponse::new(response.status(), body);
    let received = response.headers();
    for name in RESPONSE_HEADERS {
        if let Ok(Some(value)) = received.get(name) {
            out = out.with_header(name, &value);
        }
    }
    Ok(out)
}

/// The body as text, read chunk by chunk and cut one byte past the core's limit (which then
/// refuses it by size): an endless or huge answer is never held whole, in JS or in wasm
/// memory, and its stream is cancelled. Decoded as `Response.text()` does: UTF-8, a leading
/// byte-order mark dropped, invalid bytes replaced.
async fn read_body(response: &Response, aborted: &Promise) -> Result<String, String> {
    let stream = Reflect::get(response, &"body".into()).map_err(describe)?;
    if stream.is_null() || stream.is_undefined() {
        return Ok(String::new());
    }
    let reader = stream
        .unchecked_into::<Body>()
        .get_reader()
        .map_err(describe)?;
    let mut bytes: Vec<u8> = Vec::new();
    loop {
        let chunk = JsFuture::from(race(&reader.read().map_err(describe)?, aborted))
            .await
            .map_err(describe)?;
        if Reflect::get(&chunk, &"done".into())
            .map_err(describe)?
            .is_truthy()
        {
            break;
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(describe)?
            .dyn_into()
            .map_err(|_| "the body's stream gave something other than bytes".to_string())?;
        let room = MAX_BODY_BYTES + 1 - bytes.len();
        let take = (value.length() as usize).min(room);
        let start = bytes.len();
        bytes.resize(start + take, 0);
        value.subarray(0, take as u32).copy_to(&mut bytes[start..]);
        if bytes.len() > MAX_BODY_BYTES {
            if let Ok(cancelled) = reader.cancel() {
                // Awaited apart, so that a source whose cancel never settles delays nothing
                // and one whose cancel fails is not an unhandled rejection.
                spawn_local(async move {
                    let _ = JsFuture::from(cancelled).await;
                });
            }
            break;
        }
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    Ok(String::from_utf8_lossy(text).into_owned())
}

/// A promise that rejects when `signal` aborts (at once if it already has), to race waits with.
/// The listener is the promise's own `reject`: no closure to keep or free.
fn rejected_on_abort(signal: &AbortSignal) -> Promise {
    if signal.aborted() {
        return Promise::reject(&"aborted".into());
    }
    Promise::new(&mut |_resolve, reject| {
        let _ = signal.add_event_listener_with_callback("abort", &reject);
    })
}

/// `Promise.race([promise, aborted])`.
fn race(promise: &Promise, aborted: &Promise) -> Promise {
    Promise::race(&js_sys::Array::of2(promise, aborted))
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
