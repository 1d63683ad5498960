//! `UnlockClient`: the class JavaScript users code against.
//!
//! Every method converts its arguments, calls the core, and converts the answer back. What the
//! facade adds is I/O and sharing: one request budget for all requests of a client, one create
//! per selection while its task runs, and one poll loop per task however many callers wait.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::AbortSignal;

use super::convert::{self, get, to_js, to_js_error};
use super::io;
use super::registry::Registry;
use super::watch::{Waiter, Watch};
use crate::budget::{RateBudget, DEFAULT_LIMIT, DEFAULT_WINDOW_MS};
use crate::contacts::ContactQuery;
use crate::error::{Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse};
use crate::json_view;
use crate::kind::{Provider, TaskKind};
use crate::options;
use crate::poller::{Poller, Step};
use crate::providers::{self, CallSource, Created, Endpoint};
use crate::schedule::{PollingConfig, Schedule, DEFAULT_DELAYS_MS, DEFAULT_MAX_FAILURES};
use crate::token::ResumeToken;
use crate::validate::{Enrichment, Selection, DEFAULT_MAX_BATCH};

/// Default jitter of the JS client: waits up to 10 % longer, so clients started together drift
/// apart. (The core's default is none, so native schedule tests stay exact.)
const DEFAULT_JITTER: f64 = 0.1;
const DEFAULT_REQUEST_TIMEOUT_MS: u32 = 30_000;

/// State shared by a client and the tasks it runs.
pub(crate) struct Shared {
    endpoint: Endpoint,
    polling: PollingConfig,
    max_batch: usize,
    transport: io::Transport,
    /// Headers added to every request: a fixed list, or a function called before each one.
    headers: ExtraHeaders,
    budget: RefCell<RateBudget>,
    /// Creates in flight or tasks running, by selection: a second start returns the first.
    running: RefCell<Registry<Promise>>,
    /// Which selection a running task was started for, to forget it once finished.
    selection_of: RefCell<Registry<String>>,
    watches: RefCell<Registry<Rc<Watch>>>,
}

impl Shared {
    /// Sends a request once the client's budget allows, and learns from the answer.
    pub(crate) async fn request(
        &self,
        request: &HttpRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<HttpResponse, Error> {
        let ticket = loop {
            let now = io::now();
            let acquired = self.budget.borrow_mut().try_acquire(now);
            match acquired {
                Ok(ticket) => break ticket,
                Err(at) => io::sleep_until(at, signal).await?,
            }
        };
        let extra = self.headers.resolve().await?;
        let outcome = io::send(request, &extra, signal, &self.transport).await;
        let mut budget = self.budget.borrow_mut();
        budget.settle(ticket, io::now());
        if let Ok(response) = &outcome {
            budget.observe(io::now(), response);
        }
        outcome
    }

    /// A task reached its end: a new start of the same selection creates a new task.
    pub(crate) fn forget_task(&self, task_key: &str) {
        if let Some(selection) = self.selection_of.borrow_mut().remove(task_key) {
            self.running.borrow_mut().remove(&selection);
        }
    }

    /// A poll loop ended. Only that loop is unregistered: a newer one may run under its key.
    pub(crate) fn end_watch(&self, watch: &Rc<Watch>) {
        let mut watches = self.watches.borrow_mut();
        if watches
            .get(&watch.key)
            .is_some_and(|w| Rc::ptr_eq(w, watch))
        {
            watches.remove(&watch.key);
        }
    }

    fn token_for(&self, created: &Created, created_at: u64) -> Result<Option<String>, Error> {
        let Some(task_id) = &created.task_id else {
            return Ok(None);
        };
        let first_delay = self.polling.schedule.delay(0, Schedule::salt(task_id));
        Ok(Some(
            ResumeToken::new(created.kind, task_id, created_at, first_delay)?.encode(),
        ))
    }

    /// Sends a create and reads its answer. A create whose outcome is unknown (the request may
    /// have reached the provider) is never retried here: a blind retry can charge twice.
    async fn create(
        &self,
        kind: TaskKind,
        request: HttpRequest,
        selection: Option<&Selection>,
    ) -> Result<(JsValue, Option<String>), Error> {
        let response = self
            .request(&request, None)
            .await
            .map_err(outcome_unknown)?;
        let created_at = io::now();
        let created =
            providers::parse_created(kind, &response, created_at).map_err(outcome_unknown)?;
        let token = self.token_for(&created, created_at)?;
        let view = json_view::started(&created, token.as_deref(), created_at, selection, false);
        let task_key = created.task_id.as_ref().map(|id| task_key(kind, id));
        Ok((to_js(&view), task_key))
    }
}

/// Says what a failed create means for the money: it may have gone through. That is so when
/// no answer came (network), and also when the provider failed (5xx), which can happen after
/// the task was created. (An accepted answer without a task id says so in its own words.)
fn outcome_unknown(error: Error) -> Error {
    if !matches!(error.code, ErrorCode::Network | ErrorCode::Server) {
        return error;
    }
    let mut error = error;
    error.message.push_str(
        " The create request may have reached the provider: check the contacts' unlock state \
         (or run the precheck) before trying again, as a second request may be charged.",
    );
    error
}

fn task_key(kind: TaskKind, task_id: &str) -> String {
    format!("{}\n{task_id}", kind.as_str())
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
        let provider_name = convert::string(&options, "provider")?;
        let provider = Provider::parse(&provider_name).ok_or_else(|| {
            Error::validation(
                "provider",
                format!(
                    "provider must be \"lensmor\" or \"salesfinity\", not {}.",
                    crate::error::quote(&provider_name)
                ),
            )
        })?;
        let call_source = convert::opt_string(&options, "callSource")?
            .map(|s| CallSource::parse(&s))
            .transpose()?;
        let endpoint = Endpoint::new(
            provider,
            convert::opt_string(&options, "baseUrl")?.as_deref(),
            convert::opt_string(&options, "apiKey")?.as_deref(),
            call_source,
        )?;
        let polling = polling_config(&convert::options(
            &get(&options, "polling"),
            options::POLLING,
            "polling",
        )?)?;
        let max_batch = convert::opt_number(&options, "maxBatch", "maxBatch")?
            .map_or(DEFAULT_MAX_BATCH, |n| n as usize);
        if max_batch == 0 {
            return Err(Error::validation("maxBatch", "maxBatch must be 1 or more."));
        }
        let request_timeout_ms =
            convert::opt_number(&options, "requestTimeoutMs", "requestTimeoutMs")?
                .map_or(DEFAULT_REQUEST_TIMEOUT_MS, |n| {
                    n.clamp(1.0, 600_000.0) as u32
                });
        let headers = ExtraHeaders::read(&get(&options, "headers"))?;
        let fetch = convert::opt_function(&options, "fetch")?;
        let rate = convert::options(
            &get(&options, "rateLimit"),
            options::RATE_LIMIT,
            "rateLimit",
        )?;
        let limit = convert::opt_number(&rate, "requests", "rateLimit.requests")?
            .map_or(DEFAULT_LIMIT, |n| n.max(1.0) as u32);
        let window = convert::opt_number(&rate, "windowMs", "rateLimit.windowMs")?
            .map_or(DEFAULT_WINDOW_MS, |n| n.max(1.0) as u64);
        Ok(UnlockClient {
            shared: Rc::new(Shared {
                endpoint,
                polling,
                max_batch,
                transport: io::Transport {
                    fetch,
                    timeout_ms: request_timeout_ms,
                },
                headers,
                budget: RefCell::new(RateBudget::new(limit, window)),
                running: RefCell::default(),
                selection_of: RefCell::default(),
                watches: RefCell::default(),
            }),
        })
    }

    /// The provider this client talks to.
    #[wasm_bindgen(getter, unchecked_return_type = "\"lensmor\" | \"salesfinity\"")]
    pub fn provider(&self) -> String {
        self.shared.endpoint.provider.as_str().to_string()
    }

    /// Starts a Lensmor email unlock. A second call for the same selection while its task runs
    /// returns that task (`reused: true`) instead of creating and paying for another.
    #[wasm_bindgen(js_name = unlockEmails, unchecked_return_type = "Promise<StartedTask>")]
    pub fn unlock_emails(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
    ) -> Promise {
        self.start_unlock(TaskKind::LensmorEmail, &input)
    }

    /// Starts a Lensmor phone unlock (150 credits per phone). Same rules as `unlockEmails`.
    #[wasm_bindgen(js_name = unlockPhones, unchecked_return_type = "Promise<StartedTask>")]
    pub fn unlock_phones(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
    ) -> Promise {
        self.start_unlock(TaskKind::LensmorPhone, &input)
    }

    /// Starts a Salesfinity email enrichment of one LinkedIn profile.
    #[wasm_bindgen(js_name = enrichEmail, unchecked_return_type = "Promise<StartedTask>")]
    pub fn enrich_email(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EnrichInput")] input: JsValue,
    ) -> Promise {
        let enrichment = match read_enrichment(&input) {
            Ok(e) => e,
            Err(error) => return reject(&error),
        };
        let request = match providers::create_enrichment(&self.shared.endpoint, &enrichment) {
            Ok(r) => r,
            Err(error) => return reject(&error),
        };
        let key = format!("salesfinity.email\n{}", enrichment.fingerprint());
        self.start_once(key, TaskKind::SalesfinityEmail, request, None)
    }

    /// Asks Lensmor, without charging, what unlocking these emails would cost.
    #[wasm_bindgen(js_name = precheckEmails, unchecked_return_type = "Promise<Precheck>")]
    pub fn precheck_emails(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
    ) -> Promise {
        self.precheck(TaskKind::LensmorEmail, &input)
    }

    /// Asks Lensmor, without charging, what unlocking these phones would cost.
    #[wasm_bindgen(js_name = precheckPhones, unchecked_return_type = "Promise<Precheck>")]
    pub fn precheck_phones(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
    ) -> Promise {
        self.precheck(TaskKind::LensmorPhone, &input)
    }

    /// Reads the credit balance.
    #[wasm_bindgen(js_name = creditBalance, unchecked_return_type = "Promise<Balance>")]
    pub fn credit_balance(&self) -> Promise {
        let shared = self.shared.clone();
        future_to_promise(async move {
            let request = providers::balance_request(&shared.endpoint);
            let response = shared.request(&request, None).await;
            let balance = response
                .and_then(|r| providers::parse_balance(shared.endpoint.provider, &r, io::now()));
            balance
                .map(|b| to_js(&json_view::balance(&b)))
                .map_err(|e| to_js_error(&e, None))
        })
    }

    /// One GET of the task, no waiting and no retry.
    #[wasm_bindgen(js_name = getTask, unchecked_return_type = "Promise<Snapshot>")]
    pub fn get_task(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
    ) -> Promise {
        let shared = self.shared.clone();
        let token = convert::token(&token);
        future_to_promise(async move {
            let outcome = async {
                let token = ResumeToken::decode(&token?)?;
                let request =
                    providers::poll_request(&shared.endpoint, token.kind, &token.task_id)?;
                let response = shared.request(&request, None).await?;
                let snapshot =
                    providers::parse_task(token.kind, &token.task_id, &response, io::now())?;
                if snapshot.done() {
                    shared.forget_task(&task_key(token.kind, &token.task_id));
                }
                Ok(snapshot)
            };
            outcome
                .await
                .map(|s| to_js(&json_view::snapshot(&s)))
                .map_err(|e| to_js_error(&e, None))
        })
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
    ) -> Promise {
        let shared = self.shared.clone();
        let query = read_contact_query(&query);
        future_to_promise(async move {
            let outcome = async {
                let query = query?;
                let request = providers::contacts_request(&shared.endpoint, &query);
                shared
                    .read(request, |r, now| providers::parse_contacts(&query, r, now))
                    .await
            };
            outcome
                .await
                .map(|p| to_js(&json_view::contact_page(&p)))
                .map_err(|e| to_js_error(&e, None))
        })
    }

    /// One contact by personnel id (Lensmor, free): how to read the values of contacts that a
    /// create skipped as already unlocked.
    #[wasm_bindgen(js_name = getContact, unchecked_return_type = "Promise<Contact>")]
    pub fn get_contact(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] personnel_id: JsValue,
    ) -> Promise {
        let shared = self.shared.clone();
        let id = personnel_id
            .as_string()
            .ok_or_else(|| Error::validation("personnelId", "personnelId must be a string."));
        future_to_promise(async move {
            let outcome = async {
                let id = id?;
                let request = providers::contact_request(&shared.endpoint, &id);
                shared
                    .read(request, |r, now| providers::parse_contact(&id, r, now))
                    .await
            };
            outcome
                .await
                .map(|c| to_js(&json_view::contact(&c)))
                .map_err(|e| to_js_error(&e, None))
        })
    }

    /// One step for edge workers and schedulers: one poll now (unless the provider's
    /// `Retry-After` forbids it), then the new token and when to poll next.
    #[wasm_bindgen(js_name = pollOnce, unchecked_return_type = "Promise<PollStep>")]
    pub fn poll_once(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
    ) -> Promise {
        let shared = self.shared.clone();
        let token = convert::token(&token);
        future_to_promise(async move {
            match token {
                Ok(token) => shared.poll_once(&token).await,
                Err(error) => Err(to_js_error(&error, None)),
            }
        })
    }
}

impl UnlockClient {
    fn start_unlock(&self, kind: TaskKind, input: &JsValue) -> Promise {
        let selection = match read_selection(input, self.shared.max_batch) {
            Ok(s) => s,
            Err(error) => return reject(&error),
        };
        let request = match providers::create_unlock(&self.shared.endpoint, kind, &selection) {
            Ok(r) => r,
            Err(error) => return reject(&error),
        };
        let key = format!("{}\n{}", kind.as_str(), selection.fingerprint());
        self.start_once(key, kind, request, Some(selection))
    }

    /// Creates the task unless one for the same selection is being created or is running: then
    /// the caller gets that one, marked `reused`.
    fn start_once(
        &self,
        key: String,
        kind: TaskKind,
        request: HttpRequest,
        selection: Option<Selection>,
    ) -> Promise {
        if let Some(running) = self.shared.running.borrow().get(&key) {
            return reused(running.clone());
        }
        let shared = self.shared.clone();
        let running_key = key.clone();
        let promise = future_to_promise(async move {
            match shared.create(kind, request, selection.as_ref()).await {
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
                    Err(to_js_error(&error, None))
                }
            }
        });
        self.shared
            .running
            .borrow_mut()
            .insert(key, promise.clone());
        promise
    }

    fn precheck(&self, kind: TaskKind, input: &JsValue) -> Promise {
        let shared = self.shared.clone();
        let selection = read_selection(input, self.shared.max_batch);
        future_to_promise(async move {
            let outcome = async {
                let request = providers::precheck_request(&shared.endpoint, kind, &selection?)?;
                let response = shared.request(&request, None).await?;
                providers::parse_precheck(&response, io::now())
            };
            outcome
                .await
                .map(|p| to_js(&json_view::precheck(&p)))
                .map_err(|e| to_js_error(&e, None))
        })
    }

    fn join_wait(&self, token: &str, options: &JsValue) -> Result<Promise, Error> {
        let options = convert::options(options, options::WAIT, "options")?;
        let signal = convert::opt_signal(&options)?;
        let on_progress = convert::opt_function(&options, "onProgress")?;
        let on_event = convert::opt_function(&options, "onEvent")?;
        let max_wait = convert::opt_number(&options, "maxWaitMs", "maxWaitMs")?;
        let token = ResumeToken::decode(token)?;
        if signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(Error::aborted());
        }
        let now = io::now();
        let max_wait = max_wait
            .map(|ms| ms as u64)
            .or(self.shared.polling.max_wait_ms);
        if max_wait == Some(0) {
            return Err(Error::validation(
                "maxWaitMs",
                "maxWaitMs must be more than 0.",
            ));
        }
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
                let mut config = self.shared.polling.clone();
                config.max_wait_ms = None;
                let poller = Poller::resume(self.shared.endpoint.clone(), config, token, now)?;
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
    async fn poll_once(&self, token: &str) -> Result<JsValue, JsValue> {
        let fail = |error: Error, token: Option<&str>| to_js_error(&error, token);
        let token = ResumeToken::decode(token).map_err(|e| fail(e, None))?;
        let mut config = self.polling.clone();
        config.max_wait_ms = None;
        let now = io::now();
        let mut poller =
            Poller::resume(self.endpoint.clone(), config, token, now).map_err(|e| fail(e, None))?;
        if let Some(request) = poller.begin_step(now) {
            match self.request(&request, None).await {
                Ok(response) => poller.on_response(io::now(), &response),
                Err(error) => poller.on_failure(io::now(), error),
            }
        }
        let encoded = poller.token().encode();
        let snapshot = poller
            .snapshot()
            .map_or(JsValue::NULL, |s| to_js(&json_view::snapshot(s)));
        let step = Object::new();
        let set =
            |name: &str, value: JsValue| Reflect::set(&step, &name.into(), &value).map(|_| ());
        match poller.step_outcome() {
            Step::Done(result) => {
                self.forget_task(&task_key(result.snapshot.kind, poller.task_id()));
                set("done", true.into())?;
                set("result", to_js(&json_view::result(&result)))?;
                set("nextPollAt", JsValue::NULL)?;
            }
            Step::NextAt(at) => {
                set("done", false.into())?;
                set("nextPollAt", (at as f64).into())?;
            }
            Step::Failed(error) => return Err(fail(error, Some(&encoded))),
        }
        set("snapshot", snapshot)?;
        set("token", encoded.into())?;
        Ok(step.into())
    }

    /// One GET of a free Lensmor read, parsed by `parse`.
    async fn read<T>(
        &self,
        request: Result<HttpRequest, Error>,
        parse: impl FnOnce(&HttpResponse, u64) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let response = self.request(&request?, None).await?;
        parse(&response, io::now())
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

fn polling_config(polling: &JsValue) -> Result<PollingConfig, Error> {
    let delays = convert::opt_number_list(polling, "delaysMs", "polling.delaysMs")?
        .unwrap_or_else(|| DEFAULT_DELAYS_MS.to_vec());
    let jitter =
        convert::opt_number(polling, "jitter", "polling.jitter")?.unwrap_or(DEFAULT_JITTER);
    let max_wait =
        convert::opt_number(polling, "maxWaitMs", "polling.maxWaitMs")?.map(|n| n as u64);
    let max_failures = convert::opt_number(polling, "maxFailures", "polling.maxFailures")?
        .map_or(DEFAULT_MAX_FAILURES, |n| n as u32);
    let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    PollingConfig::new(Schedule::new(delays, jitter, seed)?, max_wait, max_failures)
}
