//! `UnlockClient`: the class JavaScript users code against.
//!
//! Every method converts its arguments, calls the core, and converts the answer back. What the
//! facade adds is I/O and sharing: one request budget for all requests of a client, one create
//! per selection while its task runs, and one poll loop per task however many callers wait.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::AbortSignal;

use super::call::Call;
use super::convert::{self, get, to_js, to_js_error, to_js_error_from};
use super::headers::ExtraHeaders;
use super::hooks::Hooks;
use super::inputs::{
    read_contact_query, read_enrichment, read_enrichments, read_selection, read_unlock_options,
};
use super::io;
use super::shared::{Reader, Refusal, Shared};
use super::watch::{Host, Waiter, Watch};
use crate::budget::RateBudget;
use crate::config::{self, task_key, ClientConfig, ClientOptions};
use crate::error::Error;
use crate::governor::Governor;
use crate::group_start;
use crate::group_token::GroupToken;
use crate::http::{HttpRequest, HttpResponse};
use crate::json_view;
use crate::kind::TaskKind;
use crate::options;
use crate::providers;
use crate::token::ResumeToken;
use crate::tracking::Tracking;
use crate::validate::MAX_GROUP_IDS;

fn reject(error: &Error) -> Promise {
    Promise::reject(&to_js_error(error, None))
}

/// Starts and follows unlock and enrichment tasks against one provider.
#[wasm_bindgen]
pub struct UnlockClient {
    shared: Rc<Shared>,
    /// Where the package's JS layer keeps the tokens of running tasks (the `store` option,
    /// checked here): `"local"`, an object with `get`/`set`/`delete`, or `undefined`.
    store: JsValue,
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
            share_across_tabs: convert::opt_bool(&options, "shareAcrossTabs")?,
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
                governor: RefCell::new(Governor::new(RateBudget::new(
                    config.rate_limit,
                    config.rate_window_ms,
                ))),
                next_claim: Cell::new(0),
                config,
                running: RefCell::default(),
                selection_of: RefCell::default(),
                watches: RefCell::default(),
            }),
            store: convert::opt_store(&options)?,
        })
    }

    /// The `store` option as given (`"local"`, your object, or `undefined`): where the tokens
    /// of running tasks are kept for `running()` and `resumeAll()`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"local\" | UnlockStore | undefined")]
    pub fn store(&self) -> JsValue {
        self.store.clone()
    }

    /// Where this client's requests go (the provider, or a proxy): with the provider, what
    /// tells one deployment's tasks from another's in the tabs of one origin.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.shared.config.endpoint.base_url.clone()
    }

    /// Whether waits on a task share one poller with the other tabs of this origin (the
    /// `shareAcrossTabs` option; they do only where the runtime has Web Locks and
    /// BroadcastChannel).
    #[wasm_bindgen(getter, js_name = shareAcrossTabs)]
    pub fn share_across_tabs(&self) -> bool {
        self.shared.config.share_across_tabs
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
        #[wasm_bindgen(unchecked_param_type = "UnlockOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.start_unlock(TaskKind::LensmorEmail, &input, &options)
    }

    /// Starts a Lensmor phone unlock (150 credits per phone). Same rules as `unlockEmails`.
    #[wasm_bindgen(js_name = unlockPhones, unchecked_return_type = "Promise<StartedTask>")]
    pub fn unlock_phones(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UnlockInput")] input: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UnlockOptions")] options: Option<JsValue>,
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
        let checked = Call::read(&options).and_then(|call| {
            let enrichment = read_enrichment(&input)?;
            let request = providers::create_enrichment(&self.shared.config.endpoint, &enrichment)?;
            Ok((call, enrichment, request))
        });
        let (call, enrichment, request) = match checked {
            Ok(checked) => checked,
            Err(error) => return reject(&error),
        };
        let key = config::enrich_key(&enrichment);
        self.start_once(key, call, move |shared, call| async move {
            let created = shared
                .create(TaskKind::SalesfinityEmail, request, None, &call)
                .await;
            created.map_err(Refusal::from)
        })
    }

    /// Starts a Salesfinity email lookup for each profile (one request each, at most
    /// `maxConcurrency` at once), as one group with one token.
    #[wasm_bindgen(js_name = enrichEmails, unchecked_return_type = "Promise<StartedTask>")]
    pub fn enrich_emails(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EnrichInput[]")] profiles: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EnrichManyOptions")] options: Option<JsValue>,
    ) -> Promise {
        let checked = read_enrichments(&profiles, &options).and_then(|checked| {
            self.shared
                .config
                .endpoint
                .check_kind(TaskKind::SalesfinityEmail)?;
            Ok(checked)
        });
        let (call, profiles, repeats, concurrency) = match checked {
            Ok(checked) => checked,
            Err(error) => return reject(&error),
        };
        let keys: Vec<String> = profiles.iter().map(config::enrich_key).collect();
        let key = keys.join("\n\n");
        self.start_once(key, call, move |shared, call| {
            Shared::start_enrichments(shared, profiles, repeats, concurrency, call)
        })
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
                    .map(|b| json_view::balance(&b, r.request_id()))
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
        if let Some(group) = convert::text(&token).filter(|t| GroupToken::is_group(t)) {
            let shared = self.shared.clone();
            let call = Call::read(&options);
            return future_to_promise(async move {
                let call = call.map_err(|e| to_js_error(&e, None))?;
                shared.read_group(&group, &call).await
            });
        }
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
                Ok(json_view::TaskView::snapshot(&snapshot, r.request_id()).text())
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
                    .map(|p| json_view::contact_page(&p, r.request_id()))
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
                providers::parse_contact(&id, r, now)
                    .map(|c| json_view::contact(&c, r.request_id()))
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
        let checked = convert::token(&token).and_then(|t| Ok((t, Call::read(&options)?)));
        future_to_promise(async move {
            match checked {
                Ok((token, call)) => shared.poll_once(&token, &call).await,
                Err(error) => Err(to_js_error(&error, None)),
            }
        })
    }
}

impl UnlockClient {
    /// Starts an unlock: one task, or a group of tasks when the selection is larger than one
    /// task takes ([`Shared::start_group`]).
    ///
    /// With `group: false` (a proxy relaying one part of a browser's group), it is one task
    /// or a refusal: more than `maxBatch` contacts are a `validation` error, and a refusal of
    /// its size rejects as it is (its `limit` says how to cut), for the caller to re-split.
    fn start_unlock(&self, kind: TaskKind, input: &JsValue, options: &Option<JsValue>) -> Promise {
        let size = self.shared.config.max_batch;
        let checked = read_unlock_options(options).and_then(|(call, group)| {
            let most = if group { MAX_GROUP_IDS } else { size };
            Ok((call, group, read_selection(input, most)?))
        });
        let (call, group, selection) = match checked {
            Ok(checked) => checked,
            Err(error) => return reject(&error),
        };
        let key = config::unlock_key(kind, &selection);
        if selection.personnel_ids.len() > size {
            return self.start_once(key, call, move |shared, call| async move {
                shared.start_group(kind, selection, size, &call).await
            });
        }
        let request = match providers::create_unlock(&self.shared.config.endpoint, kind, &selection)
        {
            Ok(request) => request,
            Err(error) => return reject(&error),
        };
        self.start_once(key, call, move |shared, call| async move {
            let error = match shared.create(kind, request, Some(&selection), &call).await {
                Ok(created) => return Ok(created),
                Err(error) => error,
            };
            // Refused for its size (the account's limit, an older deployment): nothing was
            // created, so it starts again as a group of smaller parts.
            match group_start::smaller_parts(&error, selection.personnel_ids.len()) {
                Some(size) if group => shared.start_group(kind, selection, size, &call).await,
                _ => Err(Refusal::from(error)),
            }
        })
    }

    /// A safe read with the call's options: retried on transient failures, its view given the
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
        let call = Call::read(options);
        future_to_promise(async move {
            let call = call.map_err(|e| to_js_error(&e, None))?;
            match shared.read(request, &call, &parse).await {
                Ok(text) => Ok(to_js(&text)),
                Err(error) => Err(to_js_error_from(&error, None, call.signal())),
            }
        })
    }

    /// Starts unless a start of the same selection is under way or its task is running: then
    /// the caller gets that one, marked `reused`. `start` makes the task (or group); it is
    /// given the shared state and the call.
    ///
    /// `signal` aborts the start while it waits for the client's rate budget; once a create
    /// is sent it completes either way, because its outcome must be known (a start joined to a
    /// running one is not aborted by its signal). A refusal carries the token of what did
    /// start (a group stopped part-way).
    fn start_once<F, Fut>(&self, key: String, call: Call, start: F) -> Promise
    where
        F: FnOnce(Rc<Shared>, Call) -> Fut,
        Fut: Future<Output = Result<(JsValue, Option<String>), Refusal>> + 'static,
    {
        if call.aborted() {
            return Promise::reject(&to_js_error_from(&Error::aborted(), None, call.signal()));
        }
        if let Some(running) = self.shared.running.borrow().get(&key) {
            return reused(running.clone());
        }
        let shared = self.shared.clone();
        let signal = call.signal.clone();
        let running_key = key.clone();
        let started = start(shared.clone(), call);
        let promise = future_to_promise(async move {
            match started.await {
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
                Err(refused) => {
                    shared.running.borrow_mut().remove(&running_key);
                    let token = refused.token.as_deref();
                    Err(to_js_error_from(&refused.error, token, signal.as_ref()))
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
        let selection = read_selection(input, MAX_GROUP_IDS);
        if let Ok(selection) = selection.as_ref() {
            if selection.personnel_ids.len() > self.shared.config.max_batch {
                let (shared, selection) = (self.shared.clone(), selection.clone());
                let call = Call::read(options);
                return future_to_promise(async move {
                    let call = call.map_err(|e| to_js_error(&e, None))?;
                    let size = shared.config.max_batch;
                    match shared.precheck_parts(kind, &selection, size, &call).await {
                        Ok(merged) => Ok(to_js(&json_view::precheck(&merged, None))),
                        Err(error) => Err(to_js_error_from(&error, None, call.signal())),
                    }
                });
            }
        }
        let request = selection.and_then(|selection| {
            providers::precheck_request(&self.shared.config.endpoint, kind, &selection)
        });
        let parse = |r: &HttpResponse, now| {
            providers::parse_precheck(r, now).map(|p| json_view::precheck(&p, r.request_id()))
        };
        self.safe_read(options, request, Box::new(parse))
    }

    fn join_wait(&self, token: &str, options: &JsValue) -> Result<Promise, Error> {
        let options = convert::options(options, options::WAIT, "options")?;
        let Call { signal, user } = Call::from_options(&options)?;
        let on_progress = convert::opt_function(&options, "onProgress")?;
        let on_event = convert::opt_function(&options, "onEvent")?;
        let max_wait = convert::opt_number(&options, "maxWaitMs", "maxWaitMs")?;
        let now = io::now();
        // The shared loop has no deadline of its own: each waiter has one.
        let config = &self.shared.config;
        let tracking = Tracking::resume(&config.endpoint, &config.shared_polling(), token, now)?;
        if signal.as_ref().is_some_and(AbortSignal::aborted) {
            let error = to_js_error_from(&Error::aborted(), None, signal.as_ref());
            return Ok(Promise::reject(&error));
        }
        let max_wait = self.shared.config.wait_limit(max_wait)?;
        let key = tracking.key();
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
            None => (Watch::new(key.clone(), tracking, user)?, true),
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

/// A running start handed to a second caller: the same task, marked `reused`.
fn reused(running: Promise) -> Promise {
    future_to_promise(async move {
        let view = JsFuture::from(running).await?;
        let copy = Object::assign(&Object::new(), &view.into());
        Reflect::set(&copy, &"reused".into(), &true.into())?;
        Ok(copy.into())
    })
}
