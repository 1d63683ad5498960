//! What a client and the tasks it runs share: the settings, the transport, one request budget,
//! the starts in flight and the poll loops. Every request goes through [`Shared::send`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::call::Call;
use super::convert::{to_js, to_js_error_from};
use super::headers::ExtraHeaders;
use super::hooks::Hooks;
use super::io;
use super::registry::Registry;
use super::watch::{Host, Watch};
use crate::budget::Ticket;
use crate::config::{task_key, ClientConfig};
use crate::error::Error;
use crate::governor::{Admission, Claim, Governor, Priority};
use crate::http::{HttpRequest, HttpResponse, Millis};
use crate::json_view;
use crate::kind::TaskKind;
use crate::poller::Step;
use crate::providers;
use crate::tracking::Tracking;
use crate::validate::Selection;

/// Reads a safe read's answer into the JSON text of the view the caller gets (with the
/// answer's request id).
pub(crate) type Reader = Box<dyn Fn(&HttpResponse, u64) -> Result<String, Error>>;

/// State shared by a client and the tasks it runs.
pub(crate) struct Shared {
    /// The settings, checked by the core ([`ClientConfig`]).
    pub(crate) config: ClientConfig,
    pub(crate) transport: io::Transport,
    /// Headers added to every request: a fixed list, or a function called before each one.
    pub(crate) headers: ExtraHeaders,
    pub(crate) hooks: Hooks,
    /// One request budget for every request of the client, served in order of urgency: a
    /// start, then the caller's own reads, then `waitForTask`'s polls.
    pub(crate) governor: RefCell<Governor>,
    /// Numbers the requests that wait for the budget, so each keeps its place in line.
    pub(crate) next_claim: Cell<u64>,
    /// Creates in flight or tasks running, by selection: a second start returns the first.
    pub(crate) running: RefCell<Registry<Promise>>,
    /// Which selection a running task was started for, to forget it once finished.
    pub(crate) selection_of: RefCell<Registry<String>>,
    pub(crate) watches: RefCell<Registry<Rc<Watch>>>,
}

impl Shared {
    /// Waits until the client's budget admits a request of this priority, in the turn of the
    /// call's `user`. The call's `signal` aborts the wait, which gives the place in line to
    /// the next.
    async fn admit(&self, priority: Priority, call: &Call) -> Result<Ticket, Error> {
        let id = self.next_claim.get();
        self.next_claim.set(id + 1);
        let claim = Claim {
            id: id.to_string(),
            priority,
            user: call.user.clone(),
            since: io::now(),
        };
        loop {
            let now = io::now();
            let admission = self.governor.borrow_mut().admit(now, claim.clone());
            let at = match admission {
                Admission::Go(ticket) => return Ok(ticket),
                Admission::WaitUntil(at) => at,
            };
            self.hooks.wait("rate-budget", now, at, None);
            if let Err(error) = io::sleep_until(at, call.signal()).await {
                self.governor.borrow_mut().withdraw(&claim.id);
                return Err(error);
            }
        }
    }

    /// Sends an admitted request and learns from the answer. `signal` aborts the request in
    /// flight when `in_flight` says so. A create's may not: its outcome must be known, or a
    /// retry could pay twice.
    async fn transmit(
        &self,
        ticket: Ticket,
        request: &HttpRequest,
        signal: Option<&AbortSignal>,
        in_flight: bool,
    ) -> Result<HttpResponse, Error> {
        let outcome = match self.headers.resolve().await {
            Ok(extra) => {
                self.exchange(request, &extra, signal.filter(|_| in_flight))
                    .await
            }
            Err(error) => Err(error),
        };
        // Settled however it ended: a request that never left frees its place a window later.
        self.governor
            .borrow_mut()
            .settle(ticket.number(), io::now(), outcome.as_ref().ok());
        outcome
    }

    /// One request and its answer, seen by the hooks.
    async fn exchange(
        &self,
        request: &HttpRequest,
        extra: &[(String, String)],
        signal: Option<&AbortSignal>,
    ) -> Result<HttpResponse, Error> {
        self.hooks.request(request);
        let started = io::now();
        let outcome = io::send(request, extra, signal, &self.transport).await;
        self.hooks
            .response(request, io::now().saturating_sub(started), &outcome);
        outcome
    }

    /// Sends a request once the client's budget admits it ([`Shared::admit`]).
    pub(crate) async fn send(
        &self,
        priority: Priority,
        request: &HttpRequest,
        call: &Call,
        in_flight: bool,
    ) -> Result<HttpResponse, Error> {
        let ticket = self.admit(priority, call).await?;
        self.transmit(ticket, request, call.signal(), in_flight)
            .await
    }

    /// A safe read (nothing is charged or changed): transient failures are retried after a
    /// backoff, up to `maxRetries` times. Returns the view text `parse` wrote.
    pub(crate) async fn read(
        &self,
        request: Result<HttpRequest, Error>,
        call: &Call,
        parse: &Reader,
    ) -> Result<String, Error> {
        let request = request?;
        let mut retry = 0;
        loop {
            let outcome = self
                .send(Priority::Read, &request, call, true)
                .await
                .and_then(|response| parse(&response, io::now()));
            let error = match outcome {
                Ok(read) => return Ok(read),
                Err(error) => error,
            };
            let Some(delay) = self.config.retry.delay(retry, &error) else {
                return Err(error);
            };
            let now = io::now();
            self.hooks
                .wait("retry", now, now.saturating_add(delay), Some(&error));
            io::sleep_until(now.saturating_add(delay), call.signal()).await?;
            retry += 1;
        }
    }

    /// Sends a create and reads its answer. A create whose outcome is unknown (the request may
    /// have reached the provider) is never retried here: a blind retry can charge twice.
    pub(crate) async fn create(
        &self,
        kind: TaskKind,
        request: HttpRequest,
        selection: Option<&Selection>,
        call: &Call,
    ) -> Result<(JsValue, Option<String>), Error> {
        let sent = self.send(Priority::Start, &request, call, false).await;
        let request_id = sent
            .as_ref()
            .ok()
            .and_then(|r| r.request_id().map(str::to_string));
        let created_at = io::now();
        let created = providers::read_created(kind, sent, created_at)?;
        let token = created.first_token(&self.config.polling.schedule, created_at)?;
        let view = json_view::started(
            &created,
            token.as_deref(),
            created_at,
            selection.map_or(&[][..], |s| &s.duplicates[..]),
            false,
            request_id.as_deref(),
            &[],
        );
        let task_key = created.task_id.as_ref().map(|id| task_key(kind, id));
        Ok((to_js(&view), task_key))
    }
}

/// A start that failed: the error, and the token of what did start (a group stopped part-way).
pub(crate) struct Refusal {
    pub error: Error,
    pub token: Option<String>,
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Refusal {
        Refusal { error, token: None }
    }
}

impl Host for Shared {
    /// Asks the budget for a background poll, without waiting: the loop defers the poll to
    /// the instant given and keeps serving its waiters' deadlines meanwhile.
    fn admit_poll(&self, claim: Claim) -> Result<Ticket, Millis> {
        match self.governor.borrow_mut().admit(io::now(), claim) {
            Admission::Go(ticket) => Ok(ticket),
            Admission::WaitUntil(at) => Err(at),
        }
    }

    fn withdraw(&self, claim_id: &str) {
        self.governor.borrow_mut().withdraw(claim_id);
    }

    /// Sends an admitted poll; `signal` aborts it.
    async fn poll(
        &self,
        ticket: Ticket,
        request: &HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<HttpResponse, Error> {
        self.transmit(ticket, request, signal, true).await
    }

    /// A task reached its end: a new start of the same selection creates a new task.
    fn forget_task(&self, task_key: &str) {
        if let Some(selection) = self.selection_of.borrow_mut().remove(task_key) {
            self.running.borrow_mut().remove(&selection);
        }
    }

    /// A poll loop ended. Only that loop is unregistered: a newer one may run under its key.
    fn end_watch(&self, watch: &Rc<Watch>) {
        let mut watches = self.watches.borrow_mut();
        if watches
            .get(&watch.key)
            .is_some_and(|w| Rc::ptr_eq(w, watch))
        {
            watches.remove(&watch.key);
        }
    }
}

impl Shared {
    /// One step of a task or a group: the core says what to send and where the step ends
    /// ([`Tracking::step_request`]); this only does the I/O. A group's step polls each
    /// running part once. Returns the polling state and the last answer's request id.
    async fn step(&self, token: &str, call: &Call) -> Result<(Tracking, Option<String>), Error> {
        let now = io::now();
        let polling = self.config.shared_polling();
        let mut poller = Tracking::resume(&self.config.endpoint, &polling, token, now)?;
        let mut request_id = None;
        let mut first = true;
        while let Some(request) = poller.step_request(now, first) {
            first = false;
            match self.send(Priority::Read, &request, call, true).await {
                Ok(response) => {
                    request_id = response.request_id().map(str::to_string);
                    poller.on_response(io::now(), &response)
                }
                Err(error) => poller.on_failure(io::now(), error),
            }
        }
        if matches!(poller.step_outcome(), Step::Done(_)) {
            self.forget_task(&poller.key());
        }
        Ok((poller, request_id))
    }

    /// One `pollOnce` step ([`Shared::step`]): `{ done, result?, snapshot, token, nextPollAt }`.
    pub(crate) async fn poll_once(&self, token: &str, call: &Call) -> Result<JsValue, JsValue> {
        let fail =
            |error: Error, token: Option<&str>| to_js_error_from(&error, token, call.signal());
        let (poller, request_id) = self.step(token, call).await.map_err(|e| fail(e, None))?;
        let encoded = poller.token();
        let outcome = poller.step_outcome();
        let (result, next_poll_at) = match &outcome {
            Step::Done(result) => (Some(result), None),
            Step::NextAt(at) => (None, Some(*at)),
            Step::Failed(error) => return Err(fail(error.clone(), Some(&encoded))),
        };
        let snapshot = poller.snapshot();
        let step = json_view::PollStepView {
            snapshot: snapshot
                .as_ref()
                .map(|s| json_view::TaskView::snapshot(s, request_id.as_deref())),
            result: result.map(|r| json_view::TaskView::result(r, None)),
            next_poll_at,
            token: &encoded,
        };
        Ok(to_js(&step.text()))
    }

    /// `getTask` of a group: one step, its snapshot across the parts.
    pub(crate) async fn read_group(&self, token: &str, call: &Call) -> Result<JsValue, JsValue> {
        let fail = |error: Error| to_js_error_from(&error, None, call.signal());
        let (poller, request_id) = self.step(token, call).await.map_err(fail)?;
        if let Step::Failed(error) = poller.step_outcome() {
            return Err(fail(error));
        }
        let snapshot = poller
            .snapshot()
            .ok_or_else(|| fail(Error::network("No part of the group answered.")))?;
        Ok(to_js(
            &json_view::TaskView::snapshot(&snapshot, request_id.as_deref()).text(),
        ))
    }
}
