//! `UnlockClient`: the class JavaScript users code against.
//!
//! Every method converts its arguments, calls the core, and converts the answer back. What the
//! facade adds is I/O and sharing: one request budget for all requests of a client, one create
//! per selection while its task runs, and one poll loop per task however many callers wait.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::AbortSignal;

use super::convert::{self, get, to_js, to_js_error, to_js_error_from, to_js_text};
use super::hooks::{call_signal, Hooks};
use super::io;
use super::registry::Registry;
use super::watch::{Host, Waiter, Watch};
use crate::budget::RateBudget;
use crate::config::{self, task_key, ClientConfig, ClientOptions};
use crate::contacts::ContactQuery;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse};
use crate::json_text;
use crate::json_view;
use crate::kind::TaskKind;
use crate::options;
use crate::poller::{Poller, Step};
use crate::providers;
use crate::token::ResumeToken;
use crate::validate::{Enrichment, Selection};

/// Reads a safe read's answer into the view the caller gets.
/// Reads a safe read's answer into the JSON text of the view the caller gets (with the
/// answer's request id).
type Reader = Box<dyn Fn(&HttpResponse, u64) -> Result<String, Error>>;

/// A `Value` view with the answer's request id, as text: what most readers return.
fn text_of(view: Value, response: &HttpResponse) -> String {
    json_text::stringify(&json_view::with_request_id(view, response.request_id()))
}

/// State shared by a client and the tasks it runs.
pub(crate) struct Shared {
    /// The settings, checked by the core ([`ClientConfig`]).
    config: ClientConfig,
    transport: io::Transport,
    /// Headers added to every request: a fixed list, or a function called before each one.
    headers: ExtraHeaders,
    hooks: Hooks,
    budget: RefCell<RateBudget>,
    /// Creates in flight or tasks running, by selection: a second start returns the first.
    running: RefCell<Registry<Promise>>,
    /// Which selection a running task was started for, to forget it once finished.
    selection_of: RefCell<Registry<String>>,
    watches: RefCell<Registry<Rc<Watch>>>,
}

impl Shared {
    /// The same, where `in_flight` says whether `signal` may also abort the request once sent.
    /// A create's may not: its outcome must be known, or a retry could pay twice.
    async fn send(
        &self,
        request: &HttpRequest,
        signal: Option<&AbortSignal>,
        in_flight: bool,
    ) -> Result<HttpResponse, Error> {
        let ticket = loop {
            let now = io::now();
            let acquired = self.budget.borrow_mut().try_acquire(now);
            match acquired {
                Ok(ticket) => break ticket,
                Err(at) => {
                    self.hooks.wait("rate-budget", now, at, None);
                    io::sleep_until(at, signal).await?
                }
            }
        };
        let extra = self.headers.resolve().await?;
        self.hooks.request(request);
        let started = io::now();
        let outcome = io::send(
            request,
            &extra,
            signal.filter(|_| in_flight),
            &self.transport,
        )
        .await;
        let now = io::now();
        self.hooks
            .response(request, now.saturating_sub(started), &outcome);
        let mut budget = self.budget.borrow_mut();
        budget.settle(ticket, now);
        if let Ok(response) = &outcome {
            budget.observe(now, response);
        }
        outcome
    }

    /// A safe read (nothing is charged or changed): transient failures are retried after a
    /// backoff, up to `maxRetries` times. Returns the view text `parse` wrote.
    async fn read(
        &self,
        request: Result<HttpRequest, Error>,
        signal: Option<&AbortSignal>,
        parse: &Reader,
    ) -> Result<String, Error> {
        let request = request?;
        let mut retry = 0;
        loop {
            let outcome = self
                .request(&request, signal)
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
            io::sleep_until(now.saturating_add(delay), signal).await?;
            retry += 1;
        }
    }

    /// Sends a create and reads its answer. A create whose outcome is unknown (the request may
    /// have reached the provider) is never retried here: a blind retry can charge twice.
    async fn create(
        &self,
        kind: TaskKind,
        request: HttpRequest,
        selection: Option<&Selection>,
        signal: Option<&AbortSignal>,
    ) -> Result<(JsValue, Option<String>), Error> {
        let sent = self.send(&request, signal, false).await;
        let request_id = sent
            .as_ref()
            .ok()
            .and_then(|r| r.request_id().map(str::to_string));
        let created_at = io::now();
        let created = providers::read_created(kind, sent, created_at)?;
        let token = created.first_token(&self.config.polling.schedule, created_at)?;
        let view = json_view::with_request_id(
            json_view::started(&created, token.as_deref(), created_at, selection, false),
            request_id.as_deref(),
        );
        let task_key = created.task_id.as_ref().map(|id| task_key(kind, id));
        Ok((to_js(&view), task_key))
    }
}

impl Host for Shared {
    /// Sends a request once the client's budget allows, and learns from the answer. `signal`
    /// aborts the wait for the budget and the request in flight.
    async fn request(
        &self,
        request: &HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<HttpResponse, Error> {
        self.send(request, signal, true).await
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

fn reject(error: &Error) -> Promise {
    Promise::reject(&to_js_error(error, None))
}

/// Starts and follows unlock and enrichment tasks against one provider.
#[wasm_bindgen]
pub struct UnlockClient {
    shared: Rc<Shared>,
}

#[wasm_bindgen]
impl UnlockClient {
    /// Creates a client. Throws an `UnlockError` (code `validation`) on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<UnlockClient, JsValue> {
        Self::from_options(&options).map_err(|e| to_js_error(&e, None))
    }

    fn from_options(options: &JsValue) -> Result<UnlockClient, Error> {
        let options = convert::options(options, options::CLIENT, "options")?;
        let polling = convert::options(&get(&options, "polling")?, options::POLLING, "polling")?;
        let rate = convert::options(
            &get(&options, "rateLimit")?,
            options::RATE_LIMIT,
            "rateLimit",
        )?;
        let number =
            |object: &JsValue, name: &str, label: &str| convert::opt_number(object, name, label);
        let read = ClientOptions {
            provider: convert::opt_string(&options, "provider")?,
            api_key: convert::opt_string(&options, "apiKey")?,
            base_url: convert::opt_string(&options, "baseUrl")?,
            call_source: convert::opt_string(&options, "callSource")?,
            delays_ms: convert::opt_number_list(&polling, "delaysMs", "polling.delaysMs")?,
            jitter: number(&polling, "jitter", "polling.jitter")?,
            max_wait_ms: number(&polling, "maxWaitMs", "polling.maxWaitMs")?,
            max_failures: number(&polling, "maxFailures", "polling.maxFailures")?,
            request_timeout_ms: number(&options, "requestTimeoutMs", "requestTimeoutMs")?,
            rate_requests: number(&rate, "requests", "rateLimit.requests")?,
            rate_window_ms: number(&rate, "windowMs", "rateLimit.windowMs")?,
            max_batch: number(&options, "maxBatch", "maxBatch")?,
            max_retries: number(&options, "maxRetries", "maxRetries")?,
        };
        let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
        let config = ClientConfig::new(read, seed)?;
        Ok(UnlockClient {
            shared: Rc::new(Shared {
                transport: io::Transport {
                    fetch: convert::opt_function(&options, "fetch")?,
                    timeout_ms: config.request_timeout_ms,
                },
                headers: ExtraHeaders::read(&get(&options, "headers")?)?,
                hooks: Hooks::read(&options)?,
                budget: RefCell::new(RateBudget::new(config.rate_limit, config.rate_window_ms)),
                config,
                running: RefCell::default(),
                selection_of: RefCell::default(),
                watches: RefCell::default(),
            }),
        })
    }

    /// The provider this client talks to.
    #[wasm_bindgen(getter, unchecked_return_type = "\"lensmor\" | \"salesfinity\"")]
    pub fn provider(&self) -> String {
        self.shared.config.endpoint.provider.as_str().to_string()
    }

    /// Starts a Lensmor email unlock. A second call for the same selection while its task runs
    /// returns that task (`reused: true`) instead of creating and paying for another.
    #[wasm_bindgen(js_name = unlockEmails, unchecked_return_type = "Promise<StartedTask>")]
    pub fn unlock_emails(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.start_unlock(TaskKind::LensmorEmail, &input, &options)
    }

    /// Starts a Lensmor phone unlock (150 credits per phone). Same rules as `unlockEmails`.
    #[wasm_bindgen(js_name = unlockPhones, unchecked_return_type = "Promise<StartedTask>")]
    pub fn unlock_phones(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.start_unlock(TaskKind::LensmorPhone, &input, &options)
    }

    /// Starts a Salesfinity email enrichment of one LinkedIn profile.
    #[wasm_bindgen(js_name = enrichEmail, unchecked_return_type = "Promise<StartedTask>")]
    pub fn enrich_email(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EnrichInput")] input: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        let checked = call_signal(&options).and_then(|signal| {
            let enrichment = read_enrichment(&input)?;
            let request = providers::create_enrichment(&self.shared.config.endpoint, &enrichment)?;
            Ok((signal, enrichment, request))
        });
        let (signal, enrichment, request) = match checked {
            Ok(checked) => checked,
            Err(error) => return reject(&error),
        };
        let key = config::enrich_key(&enrichment);
        self.start_once(key, TaskKind::SalesfinityEmail, request, None, signal)
    }

    /// Asks Lensmor, without charging, what unlocking these emails would cost.
    #[wasm_bindgen(js_name = precheckEmails, unchecked_return_type = "Promise<Precheck>")]
    pub fn precheck_emails(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.precheck(TaskKind::LensmorEmail, &input, &options)
    }

    /// Asks Lensmor, without charging, what unlocking these phones would cost.
    #[wasm_bindgen(js_name = precheckPhones, unchecked_return_type = "Promise<Precheck>")]
    pub fn precheck_phones(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.precheck(TaskKind::LensmorPhone, &input, &options)
    }

    /// Reads the credit balance.
    #[wasm_bindgen(js_name = creditBalance, unchecked_return_type = "Promise<Balance>")]
    pub fn credit_balance(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        let provider = self.shared.config.endpoint.provider;
        let request = Ok(providers::balance_request(&self.shared.config.endpoint));
        self.safe_read(
            &options,
            request,
            Box::new(move |r, now| {
                providers::parse_balance(provider, r, now)
                    .map(|b| text_of(json_view::balance(&b), r))
            }),
        )
    }

    /// One read of the task, no waiting (transient failures are retried like any safe read).
    #[wasm_bindgen(js_name = getTask, unchecked_return_type = "Promise<Snapshot>")]
    pub fn get_task(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        let token = convert::token(&token).and_then(|t| ResumeToken::decode(&t));
        let request = token.as_ref().map_err(Clone::clone).and_then(|t| {
            providers::poll_request(&self.shared.config.endpoint, t.kind, &t.task_id)
        });
        let shared = self.shared.clone();
        self.safe_read(
            &options,
            request,
            Box::new(move |r, now| {
                let token = token.as_ref().map_err(Clone::clone)?;
                let snapshot = providers::parse_task(token.kind, &token.task_id, r, now)?;
                if snapshot.done() {
                    shared.forget_task(&task_key(token.kind, &token.task_id));
                }
                let view = json_view::TaskView {
                    snapshot: &snapshot,
                    summary: None,
                    request_id: r.request_id(),
                };
                Ok(view.text())
            }),
        )
    }

    /// Polls until the task ends, the wait's `maxWaitMs` runs out (`timeout`) or `signal`
    /// aborts (`aborted`); both errors carry a `token` to resume from. A task that ends
    /// `failed` at the provider resolves, with every item listed.
    #[wasm_bindgen(js_name = waitForTask, unchecked_return_type = "Promise<TaskResult>")]
    pub fn wait_for_task(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WaitOptions")] options: Option<JsValue>,
    ) -> Promise {
        let joined = convert::token(&token)
            .and_then(|token| self.join_wait(&token, &options.unwrap_or(JsValue::UNDEFINED)));
        match joined {
            Ok(promise) => promise,
            Err(error) => reject(&error),
        }
    }

    /// One page of an event's contacts (Lensmor, free): each with its unlock state and, once
    /// unlocked for this key, its email and phone. A page past the key's preview window
    /// resolves with no items and `accessible: false`.
    #[wasm_bindgen(js_name = listContacts, unchecked_return_type = "Promise<ContactPage>")]
    pub fn list_contacts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ContactQuery")] query: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        let query = read_contact_query(&query);
        let request = query
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|q| providers::contacts_request(&self.shared.config.endpoint, q));
        self.safe_read(
            &options,
            request,
            Box::new(move |r, now| {
                let query = query.as_ref().map_err(Clone::clone)?;
                providers::parse_contacts(query, r, now)
                    .map(|p| text_of(json_view::contact_page(&p), r))
            }),
        )
    }

    /// One contact by personnel id (Lensmor, free): how to read the values of contacts that a
    /// create skipped as already unlocked.
    #[wasm_bindgen(js_name = getContact, unchecked_return_type = "Promise<Contact>")]
    pub fn get_contact(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] personnel_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        let id = convert::text(&personnel_id)
            .ok_or_else(|| Error::validation("personnelId", "personnelId must be a string."));
        let request = id
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|id| providers::contact_request(&self.shared.config.endpoint, id));
        let id = id.unwrap_or_default();
        self.safe_read(
            &options,
            request,
            Box::new(move |r, now| {
                providers::parse_contact(&id, r, now).map(|c| text_of(json_view::contact(&c), r))
            }),
        )
    }

    /// One step for edge workers and schedulers: one poll now (unless the provider's
    /// `Retry-After` forbids it), then the new token and when to poll next.
    #[wasm_bindgen(js_name = pollOnce, unchecked_return_type = "Promise<PollStep>")]
    pub fn poll_once(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> Promise {
        let shared = self.shared.clone();
        let checked = convert::token(&token).and_then(|t| Ok((t, call_signal(&options)?)));
        future_to_promise(async move {
            match checked {
                Ok((token, signal)) => shared.poll_once(&token, signal.as_ref()).await,
                Err(error) => Err(to_js_error(&error, None)),
            }
        })
    }
}

impl UnlockClient {
    fn start_unlock(&self, kind: TaskKind, input: &JsValue, options: &Option<JsValue>) -> Promise {
        let checked = call_signal(options).and_then(|signal| {
            let selection = read_selection(input, self.shared.config.max_batch)?;
            let request = providers::create_unlock(&self.shared.config.endpoint, kind, &selection)?;
            Ok((signal, selection, request))
        });
        let (signal, selection, request) = match checked {
            Ok(checked) => checked,
            Err(error) => return reject(&error),
        };
        let key = config::unlock_key(kind, &selection);
        self.start_once(key, kind, request, Some(selection), signal)
    }

    /// A safe read with the call's `signal`: retried on transient failures, its view given the
    /// answer's request id, an abort rejected with the signal's reason as `cause`.
    ///
    /// Not generic: one copy of this future and its retry loop serves every read (one per
    /// method cost kilobytes of .wasm each).
    fn safe_read(
        &self,
        options: &Option<JsValue>,
        request: Result<HttpRequest, Error>,
        parse: Reader,
    ) -> Promise {
        let shared = self.shared.clone();
        let signal = call_signal(options);
        future_to_promise(async move {
            let signal = signal.map_err(|e| to_js_error(&e, None))?;
            match shared.read(request, signal.as_ref(), &parse).await {
                Ok(text) => Ok(to_js_text(&text)),
                Err(error) => Err(to_js_error_from(&error, None, signal.as_ref())),
            }
        })
    }

    /// Creates the task unless one for the same selection is being created or is running: then
    /// the caller gets that one, marked `reused`.
    ///
    /// `signal` aborts the start while it waits for the client's rate budget; once the create
    /// is sent it completes either way, because its outcome must be known (a start joined to a
    /// running one is not aborted by its signal).
    fn start_once(
        &self,
        key: String,
        kind: TaskKind,
        request: HttpRequest,
        selection: Option<Selection>,
        signal: Option<AbortSignal>,
    ) -> Promise {
        if signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Promise::reject(&to_js_error_from(&Error::aborted(), None, signal.as_ref()));
        }
        if let Some(running) = self.shared.running.borrow().get(&key) {
            return reused(running.clone());
        }
        let shared = self.shared.clone();
        let running_key = key.clone();
        let promise = future_to_promise(async move {
            match shared
                .create(kind, request, selection.as_ref(), signal.as_ref())
                .await
            {
                Ok((view, Some(task_key))) => {
                    shared
                        .selection_of
                        .borrow_mut()
                        .insert(task_key, running_key);
                    Ok(view)
                }
                Ok((view, None)) => {
                    shared.running.borrow_mut().remove(&running_key); // nothing is running
                    Ok(view)
                }
                Err(error) => {
                    shared.running.borrow_mut().remove(&running_key);
                    Err(to_js_error_from(&error, None, signal.as_ref()))
                }
            }
        });
        self.shared
            .running
            .borrow_mut()
            .insert(key, promise.clone());
        promise
    }

    fn precheck(&self, kind: TaskKind, input: &JsValue, options: &Option<JsValue>) -> Promise {
        let request = read_selection(input, self.shared.config.max_batch).and_then(|selection| {
            providers::precheck_request(&self.shared.config.endpoint, kind, &selection)
        });
        let parse = |r: &HttpResponse, now| {
            providers::parse_precheck(r, now).map(|p| text_of(json_view::precheck(&p), r))
        };
        self.safe_read(options, request, Box::new(parse))
    }

    fn join_wait(&self, token: &str, options: &JsValue) -> Result<Promise, Error> {
        let options = convert::options(options, options::WAIT, "options")?;
        let signal = convert::opt_signal(&options)?;
        let on_progress = convert::opt_function(&options, "onProgress")?;
        let on_event = convert::opt_function(&options, "onEvent")?;
        let max_wait = convert::opt_number(&options, "maxWaitMs", "maxWaitMs")?;
        let token = ResumeToken::decode(token)?;
        if signal.as_ref().is_some_and(AbortSignal::aborted) {
            let error = to_js_error_from(&Error::aborted(), None, signal.as_ref());
            return Ok(Promise::reject(&error));
        }
        let now = io::now();
        let max_wait = self.shared.config.wait_limit(max_wait)?;
        let key = task_key(token.kind, &token.task_id);
        // A loop whose waiters all left is stopping: never join it, start a new one.
        let existing = self
            .shared
            .watches
            .borrow()
            .get(&key)
            .filter(|w| !w.stopped())
            .cloned();
        let (watch, fresh) = match existing {
            Some(watch) => (watch, false),
            None => {
                // The shared loop has no deadline of its own: each waiter has one.
                let config = &self.shared.config;
                let poller =
                    Poller::resume(config.endpoint.clone(), config.shared_polling(), token, now)?;
                (Watch::new(key.clone(), poller)?, true)
            }
        };
        let mut slot: Option<(js_sys::Function, js_sys::Function)> = None;
        let promise = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
        let (resolve, reject) =
            slot.ok_or_else(|| Error::protocol("internal: promise executor did not run"))?;
        watch.join(Waiter {
            id: watch.next_waiter_id(),
            started_at: now,
            deadline: max_wait.map(|ms| now.saturating_add(ms)),
            signal,
            on_progress,
            on_event,
            resolve,
            reject,
            on_abort: None,
        });
        if fresh {
            self.shared.watches.borrow_mut().insert(key, watch.clone());
            spawn_local(watch.run(self.shared.clone()));
        }
        Ok(promise)
    }
}

impl Shared {
    /// One `pollOnce` step: the core says whether to send and where the step ends
    /// ([`Poller::begin_step`], [`Poller::step_outcome`]); this only does the I/O.
    async fn poll_once(
        &self,
        token: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<JsValue, JsValue> {
        let fail = |error: Error, token: Option<&str>| to_js_error_from(&error, token, signal);
        let token = ResumeToken::decode(token).map_err(|e| fail(e, None))?;
        let now = io::now();
        let polling = self.config.shared_polling();
        let mut poller = Poller::resume(self.config.endpoint.clone(), polling, token, now)
            .map_err(|e| fail(e, None))?;
        let mut request_id = None;
        if let Some(request) = poller.begin_step(now) {
            match self.request(&request, signal).await {
                Ok(response) => {
                    request_id = response.request_id().map(str::to_string);
                    poller.on_response(io::now(), &response)
                }
                Err(error) => poller.on_failure(io::now(), error),
            }
        }
        let encoded = poller.token().encode();
        let outcome = poller.step_outcome();
        let (result, next_poll_at) = match &outcome {
            Step::Done(result) => {
                self.forget_task(&task_key(result.snapshot.kind, poller.task_id()));
                (Some(result), None)
            }
            Step::NextAt(at) => (None, Some(*at)),
            Step::Failed(error) => return Err(fail(error.clone(), Some(&encoded))),
        };
        let step = json_view::PollStepView {
            snapshot: poller.snapshot().map(|snapshot| json_view::TaskView {
                snapshot,
                summary: None,
                request_id: request_id.as_deref(),
            }),
            result: result.map(|result| json_view::TaskView {
                snapshot: &result.snapshot,
                summary: Some(&result.summary),
                request_id: None,
            }),
            next_poll_at,
            token: &encoded,
        };
        Ok(to_js_text(&step.text()))
    }
}

/// The `headers` option: sent with every request, for a proxy that wants to know who calls
/// (a session token). A function is called before each request, and may return a promise, so a
/// token can be refreshed.
pub(crate) enum ExtraHeaders {
    Fixed(Vec<(String, String)>),
    Computed(js_sys::Function),
}

impl ExtraHeaders {
    fn read(value: &JsValue) -> Result<ExtraHeaders, Error> {
        if let Some(function) = value.dyn_ref::<js_sys::Function>() {
            return Ok(ExtraHeaders::Computed(function.clone()));
        }
        if value.is_undefined() || value.is_null() {
            return Ok(ExtraHeaders::Fixed(Vec::new()));
        }
        convert::string_map(value, "headers").map(ExtraHeaders::Fixed)
    }

    async fn resolve(&self) -> Result<Vec<(String, String)>, Error> {
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

/// A running start handed to a second caller: the same task, marked `reused`.
fn reused(running: Promise) -> Promise {
    future_to_promise(async move {
        let view = JsFuture::from(running).await?;
        let copy = Object::assign(&Object::new(), &view.into());
        Reflect::set(&copy, &"reused".into(), &true.into())?;
        Ok(copy.into())
    })
}

pub(crate) fn read_selection(input: &JsValue, max_batch: usize) -> Result<Selection, Error> {
    let input = convert::options(input, options::UNLOCK_INPUT, "input")?;
    let event_id = convert::opt_string(&input, "eventId")?.unwrap_or_default();
    let ids = convert::id_list(&input, "personnelIds")?;
    Selection::new(&event_id, &ids, max_batch)
}

fn read_contact_query(query: &JsValue) -> Result<ContactQuery, Error> {
    let query = convert::options(query, options::CONTACT_QUERY, "query")?;
    let event_id = convert::opt_string(&query, "eventId")?.unwrap_or_default();
    let filters = [
        convert::opt_string(&query, "exhibitorId")?,
        convert::opt_string(&query, "department")?,
        convert::opt_string(&query, "level")?,
        convert::opt_string(&query, "searchQuery")?,
    ];
    ContactQuery::new(
        &event_id,
        convert::opt_number(&query, "page", "page")?,
        convert::opt_number(&query, "pageSize", "pageSize")?,
        filters,
        convert::opt_string(&query, "sourceType")?,
    )
}

pub(crate) fn read_enrichment(input: &JsValue) -> Result<Enrichment, Error> {
    let input = convert::options(input, options::ENRICH_INPUT, "input")?;
    let url = convert::opt_string(&input, "linkedinUrl")?.unwrap_or_default();
    let email_type = convert::opt_string(&input, "type")?.unwrap_or_default();
    Enrichment::new(
        &url,
        &email_type,
        convert::opt_string(&input, "callbackUrl")?.as_deref(),
        convert::opt_string(&input, "externalId")?.as_deref(),
    )
}
