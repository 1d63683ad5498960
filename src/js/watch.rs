//! One poll loop per task, shared by every `waitForTask` call waiting on it.
//!
//! Two callers waiting on one task (two components of a page, a double click) must cost one
//! poll, not two. Each caller is a [`Waiter`] with its own abort signal, deadline and callbacks;
//! the loop runs while at least one waiter remains. Which waiter times out when is decided by
//! the core ([`Poller::timeout_for`]); this file only routes outcomes to promises.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal};

use super::convert::{call_back, to_js, to_js_error, to_js_error_from};
use super::io;
use crate::budget::Ticket;
use crate::error::{Error, ErrorCode};
use crate::governor::{Claim, Priority};
use crate::http::{HttpRequest, HttpResponse, Millis};
use crate::json_view;
use crate::poller::Action;
use crate::tracking::Tracking;

/// What a poll loop needs from the client that runs it. A trait, so this module does not
/// depend on the client (which depends on it).
pub(crate) trait Host {
    /// Asks the client's rate budget for a poll: a ticket now, or the instant of its place
    /// in line. Never waits: the loop must keep ending waits at their deadlines meanwhile.
    fn admit_poll(&self, claim: Claim) -> Result<Ticket, Millis>;
    /// The loop stopped while its poll waited in line.
    fn withdraw(&self, claim_id: &str);
    /// Sends an admitted poll; `signal` aborts it.
    async fn poll(
        &self,
        ticket: Ticket,
        request: &HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<HttpResponse, Error>;
    /// The task under `task_key` ended: a new start of its selection creates a new task.
    fn forget_task(&self, task_key: &str);
    /// This loop stopped: it must not be joined any more.
    fn end_watch(&self, watch: &Rc<Watch>);
}

/// One caller of `waitForTask`.
pub(crate) struct Waiter {
    pub id: u32,
    pub started_at: Millis,
    pub deadline: Option<Millis>,
    pub signal: Option<AbortSignal>,
    pub on_progress: Option<Function>,
    pub on_event: Option<Function>,
    pub resolve: Function,
    pub reject: Function,
    /// Kept alive while registered on `signal`; removed when the waiter leaves.
    pub on_abort: Option<Closure<dyn FnMut()>>,
}

impl Waiter {
    fn leave(&mut self) {
        if let (Some(signal), Some(listener)) = (&self.signal, &self.on_abort) {
            let _ = signal
                .remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
        self.on_abort = None;
    }
}

/// A task being polled for one or more waiters.
pub(crate) struct Watch {
    pub key: String,
    poller: RefCell<Tracking>,
    waiters: RefCell<Vec<Waiter>>,
    /// Fires when the last waiter leaves, to stop a sleep or a request in flight.
    stop: AbortController,
    /// The latest snapshot, given at once to a waiter that joins late.
    last: RefCell<Option<JsValue>>,
    /// The provider's request id of the last answer, given with the result.
    last_request_id: RefCell<Option<String>>,
    next_id: Cell<u32>,
    /// Since when the next poll has waited for the client's budget: it keeps its place.
    queued_since: Cell<Option<Millis>>,
    /// Whose turn the polls take in the client's budget: the `user` of the wait that started
    /// the loop.
    user: String,
}

impl Watch {
    pub fn new(key: String, poller: Tracking, user: String) -> Result<Rc<Watch>, Error> {
        let stop = AbortController::new()
            .map_err(|_| Error::network("AbortController is not available in this runtime."))?;
        Ok(Rc::new(Watch {
            key,
            poller: RefCell::new(poller),
            waiters: RefCell::default(),
            stop,
            last: RefCell::default(),
            last_request_id: RefCell::default(),
            next_id: Cell::new(0),
            queued_since: Cell::new(None),
            user,
        }))
    }

    pub fn next_waiter_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }

    fn token(&self) -> String {
        self.poller.borrow().token()
    }

    /// Adds a waiter: it hears the latest snapshot at once, and is timed out at once if the
    /// next poll already falls after its deadline.
    pub fn join(self: &Rc<Self>, mut waiter: Waiter) {
        let last = self.last.borrow().clone(); // no borrow held while user code runs
        if let (Some(callback), Some(last)) = (&waiter.on_progress, last) {
            call_back(callback, &last);
        }
        if let Some(signal) = waiter.signal.clone() {
            let watch = Rc::downgrade(self);
            let id = waiter.id;
            let listener = Closure::<dyn FnMut()>::new(move || {
                if let Some(watch) = watch.upgrade() {
                    watch.remove(id, &Error::aborted());
                }
            });
            let _ =
                signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
            waiter.on_abort = Some(listener);
        }
        self.waiters.borrow_mut().push(waiter);
        self.expire_waiters();
    }

    /// Rejects one waiter and lets it go; stops the loop when it was the last.
    fn remove(&self, id: u32, error: &Error) {
        let removed = {
            let mut waiters = self.waiters.borrow_mut();
            let index = waiters.iter().position(|w| w.id == id);
            index.map(|i| waiters.remove(i))
        };
        if let Some(mut waiter) = removed {
            waiter.leave();
            let rejection = to_js_error_from(error, Some(&self.token()), waiter.signal.as_ref());
            let _ = waiter.reject.call1(&JsValue::NULL, &rejection);
        }
        if self.waiters.borrow().is_empty() {
            self.stop.abort();
        }
    }

    /// Times out every waiter whose deadline comes before the next poll.
    fn expire_waiters(&self) {
        let expired: Vec<(u32, Error)> = {
            let poller = self.poller.borrow();
            self.waiters
                .borrow()
                .iter()
                .filter_map(|w| Some((w.id, poller.timeout_for(w.started_at, w.deadline?)?)))
                .collect()
        };
        for (id, error) in expired {
            self.remove(id, &error);
        }
    }

    /// Calls one callback of every waiter. The callbacks are collected first: no borrow is
    /// held while user code runs (it may join, abort or start another wait).
    fn broadcast(&self, callback_of: fn(&Waiter) -> Option<Function>, value: &JsValue) {
        let callbacks: Vec<Function> = self
            .waiters
            .borrow()
            .iter()
            .filter_map(callback_of)
            .collect();
        for callback in callbacks {
            call_back(&callback, value);
        }
    }

    fn broadcast_event(&self, event: &JsValue) {
        self.broadcast(|w| w.on_event.clone(), event);
    }

    fn broadcast_progress(&self, snapshot: JsValue) {
        self.broadcast(|w| w.on_progress.clone(), &snapshot);
        *self.last.borrow_mut() = Some(snapshot);
    }

    /// Settles every remaining waiter with the task's outcome (each gets its own object).
    /// Ends every wait: with the result's JSON text (each waiter gets its own object), or the
    /// error.
    fn settle(&self, outcome: Result<String, Error>) {
        let token = self.token();
        let waiters: Vec<Waiter> = self.waiters.borrow_mut().drain(..).collect();
        for mut waiter in waiters {
            waiter.leave();
            let _ = match &outcome {
                Ok(result) => waiter.resolve.call1(&JsValue::NULL, &to_js(result)),
                Err(error) => waiter
                    .reject
                    .call1(&JsValue::NULL, &to_js_error(error, Some(&token))),
            };
        }
    }

    pub fn stopped(&self) -> bool {
        self.stop.signal().aborted()
    }

    /// Drives the poller until the task ends or every waiter has left.
    pub async fn run(self: Rc<Self>, shared: Rc<impl Host>) {
        let stop = self.stop.signal();
        loop {
            self.expire_waiters();
            if self.stopped() {
                break;
            }
            let action = self.poller.borrow_mut().next_action(io::now());
            match action {
                Action::Send(request) => {
                    let now = io::now();
                    let since = self.queued_since.get().unwrap_or(now);
                    let claim = Claim {
                        id: self.key.clone(),
                        priority: Priority::Poll,
                        user: self.user.clone(),
                        since,
                    };
                    let ticket = match shared.admit_poll(claim) {
                        Ok(ticket) => ticket,
                        Err(at) => {
                            // Stretched by the budget: waits whose deadline comes first end
                            // now, the rest sleep until the poll's place in line.
                            self.queued_since.set(Some(since));
                            self.poller.borrow_mut().defer(at);
                            continue;
                        }
                    };
                    self.queued_since.set(None);
                    let outcome = shared.poll(ticket, &request, Some(&stop)).await;
                    if self.stopped() {
                        break; // every waiter left while the request was in flight
                    }
                    let now = io::now();
                    let status = outcome.as_ref().ok().map(|r| r.status);
                    match outcome {
                        Ok(response) => {
                            *self.last_request_id.borrow_mut() =
                                response.request_id().map(str::to_string);
                            self.poller.borrow_mut().on_response(now, &response)
                        }
                        Err(error) => self.poller.borrow_mut().on_failure(now, error),
                    }
                    self.broadcast_event(&to_js(&json_view::polled(now, status)));
                    self.report_events(now);
                }
                Action::WaitUntil(until) => {
                    self.broadcast_event(&to_js(&json_view::waiting(io::now(), until)));
                    if io::sleep_until(until, Some(&stop)).await.is_err() {
                        break;
                    }
                }
                Action::Done(result) => {
                    shared.forget_task(&self.key);
                    let id = self.last_request_id.borrow().clone();
                    self.settle(Ok(
                        json_view::TaskView::result(&result, id.as_deref()).text()
                    ));
                    break;
                }
                Action::Failed(error) => {
                    self.settle(Err(error));
                    break;
                }
                Action::AwaitResponse => {
                    // Unreachable: this loop answers every request before asking again.
                    self.settle(Err(Error::new(
                        ErrorCode::Protocol,
                        "internal: poll loop out of step",
                    )));
                    break;
                }
            }
        }
        if self.queued_since.get().is_some() {
            shared.withdraw(&self.key);
        }
        shared.end_watch(&self);
    }

    fn report_events(&self, now: Millis) {
        loop {
            let event = self.poller.borrow_mut().poll_event();
            let Some(event) = event else { break };
            if let crate::poller::Event::Progress(snapshot) = &event {
                let view = json_view::TaskView::snapshot(snapshot, None);
                self.broadcast_progress(to_js(&view.text()));
            }
            self.broadcast_event(&to_js(&json_view::event(&event, now)));
        }
    }
}
