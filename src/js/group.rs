//! Starting a selection larger than one task: the group's parts, created one by one under the
//! core's rules ([`crate::group_start`]); this file only does the I/O.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::call::Call;
use super::convert::to_js;
use super::io;
use super::shared::{Reader, Refusal, Shared};
use crate::error::Error;
use crate::governor::Priority;
use crate::group_header;
use crate::group_start;
use crate::http::{HttpRequest, HttpResponse, Millis};
use crate::json_view;
use crate::kind::TaskKind;
use crate::providers::{self, Created, Precheck};
use crate::schedule::Schedule;
use crate::token::ResumeToken;
use crate::tracking::group_key;
use crate::validate::{Enrichment, Selection};

impl Shared {
    /// Prechecks `selection` part by part (each part at most one task's size) and merges the
    /// answers into one ([`Precheck::merge`]).
    pub(crate) async fn precheck_parts(
        &self,
        kind: TaskKind,
        selection: &Selection,
        size: usize,
        call: &Call,
    ) -> Result<Precheck, Error> {
        let mut merged: Option<Precheck> = None;
        for part in group_start::parts(selection, size) {
            let request = providers::precheck_request(&self.config.endpoint, kind, &part);
            let answer = self
                .read_value(request, call, providers::parse_precheck)
                .await?;
            merged = Some(match merged {
                Some(m) => m.merge(answer),
                None => answer,
            });
        }
        merged.ok_or_else(|| Error::protocol("internal: no part was prechecked"))
    }

    /// The credit balance, as a number (no text in between: a float's formatting and parsing
    /// would cost tens of kilobytes of .wasm).
    async fn balance(&self, call: &Call) -> Result<f64, Error> {
        let provider = self.config.endpoint.provider;
        let request = providers::balance_request(&self.config.endpoint);
        self.read_value(Ok(request), call, move |r, now| {
            Ok(providers::parse_balance(provider, r, now)?.balance)
        })
        .await
    }

    /// A safe read ([`Shared::read`]: retried, aborted by the call) whose answer is kept as a
    /// value for the next step, not written as a view.
    async fn read_value<T: 'static>(
        &self,
        request: Result<HttpRequest, Error>,
        call: &Call,
        parse: impl Fn(&HttpResponse, Millis) -> Result<T, Error> + 'static,
    ) -> Result<T, Error> {
        let slot: Rc<RefCell<Option<T>>> = Rc::default();
        let keep = slot.clone();
        let read: Reader = Box::new(move |r, now| {
            *keep.borrow_mut() = Some(parse(r, now)?);
            Ok(String::new())
        });
        self.read(request, call, &read).await?;
        let value = slot.borrow_mut().take();
        value.ok_or_else(|| Error::protocol("internal: the answer was not read"))
    }

    /// Starts a selection larger than one task as a group ([`group_start`]'s rules): every
    /// part prechecked and the sum checked against the balance before the first create; the
    /// parts created one by one, cut smaller when the provider refuses their size. A refusal
    /// of another kind stops the group: the error carries the group's token (the parts that
    /// started run on) and the contacts that did not start.
    pub(crate) async fn start_group(
        &self,
        kind: TaskKind,
        selection: Selection,
        size: usize,
        call: &Call,
    ) -> Result<(JsValue, Option<String>), Refusal> {
        group_start::fits(selection.personnel_ids.len(), size)?;
        let endpoint = &self.config.endpoint;
        let credits = self
            .precheck_parts(kind, &selection, size, call)
            .await?
            .credits;
        let balance = self.balance(call).await?;
        group_start::affordable(credits as u64, balance)?;

        let created_at = io::now();
        let group = group_header::selection_group(kind, &selection);
        let mut started = group_start::Started::default();
        let mut queue: VecDeque<Selection> = group_start::parts(&selection, size).into();
        let mut request_id = None;
        while let Some(part) = queue.pop_front() {
            let mut request = providers::create_unlock(endpoint, kind, &part)?;
            let rest = part.personnel_ids.len()
                + queue.iter().map(|p| p.personnel_ids.len()).sum::<usize>();
            group_header::announce(&mut request, endpoint, &group, rest);
            let sent = self.send(Priority::Start, &request, call, false).await;
            request_id = request_id.or_else(|| {
                sent.as_ref()
                    .ok()
                    .and_then(|r| r.request_id().map(str::to_string))
            });
            let outcome = providers::read_created(kind, sent, io::now()).and_then(|created| {
                let token = self.first_token(&created, created_at)?;
                Ok((created, token))
            });
            let error = match outcome {
                Ok((created, token)) => {
                    started.add(created, token);
                    continue;
                }
                Err(error) => error,
            };
            let rest: Vec<String> = part
                .personnel_ids
                .iter()
                .chain(queue.iter().flat_map(|p| p.personnel_ids.iter()))
                .cloned()
                .collect();
            let smaller = group_start::smaller_parts(&error, part.personnel_ids.len())
                .filter(|&s| group_start::room_for(started.parts.len(), rest.len(), s));
            if let Some(smaller) = smaller {
                let remaining = Selection {
                    personnel_ids: rest,
                    duplicates: Vec::new(),
                    ..part
                };
                queue = group_start::parts(&remaining, smaller).into();
                continue;
            }
            let token = started.token(kind).map(|t| t.encode());
            let error = group_start::partial_start(error, started.parts.len(), rest);
            return Err(Refusal { error, token });
        }
        Ok(group_view(
            kind,
            started,
            created_at,
            &selection.duplicates,
            request_id,
        ))
    }

    /// Starts a Salesfinity lookup for each profile (one request each), at most `concurrency`
    /// at once through the client's budget, as one group. The balance is checked first (one
    /// credit per found email at most). A refusal stops new creates; the ones in flight end,
    /// and the error lists the profiles that did not start.
    pub(crate) async fn start_enrichments(
        shared: Rc<Shared>,
        profiles: Vec<Enrichment>,
        repeats: Vec<String>,
        concurrency: usize,
        call: Call,
    ) -> Result<(JsValue, Option<String>), Refusal> {
        let balance = shared.balance(&call).await?;
        group_start::affordable(profiles.len() as u64, balance)?;
        let created_at = io::now();
        let count = profiles.len();
        let run = Rc::new(RefCell::new(Lookups {
            group: group_header::enrichment_group(&profiles),
            queue: profiles.iter().cloned().enumerate().collect(),
            unfinished: count,
            created: (0..count).map(|_| None).collect(),
            stop: None,
            request_id: None,
        }));
        let workers = Array::new();
        for _ in 0..concurrency.min(count) {
            let (shared, run, call) = (shared.clone(), run.clone(), call.clone());
            workers.push(&future_to_promise(async move {
                shared.look_up(&run, &call, created_at).await;
                Ok(JsValue::UNDEFINED)
            }));
        }
        // Workers never reject: each outcome is kept in `run`.
        let _ = JsFuture::from(Promise::all(&workers)).await;
        let run = run.borrow();
        let mut started = group_start::Started::default();
        let mut not_started = Vec::new();
        for (profile, created) in profiles.iter().zip(&run.created) {
            match created {
                Some((created, token)) => started.add(created.clone(), token.clone()),
                None => not_started.push(profile.linkedin_url.clone()),
            }
        }
        if let Some(error) = run.stop.clone() {
            let token = started.token(KIND).map(|t| t.encode());
            let error = group_start::partial_start(error, started.parts.len(), not_started);
            return Err(Refusal { error, token });
        }
        let request_id = run.request_id.clone();
        Ok(group_view(KIND, started, created_at, &repeats, request_id))
    }

    /// One worker of [`Shared::start_enrichments`]: creates the next profile's lookup until
    /// none is left or one was refused.
    async fn look_up(&self, run: &RefCell<Lookups>, call: &Call, created_at: u64) {
        loop {
            // The lookups not yet created, this one's and those in flight included: what a
            // proxy reserves if this is the first create of the group it sees.
            let next = {
                let mut run = run.borrow_mut();
                if run.stop.is_some() {
                    None
                } else {
                    let rest = run.unfinished;
                    run.queue
                        .pop_front()
                        .map(|next| (next, rest, run.group.clone()))
                }
            };
            let Some(((index, profile), rest, group)) = next else {
                break;
            };
            let endpoint = &self.config.endpoint;
            let outcome = match providers::create_enrichment(endpoint, &profile) {
                Ok(mut request) => {
                    group_header::announce(&mut request, endpoint, &group, rest);
                    let sent = self.send(Priority::Start, &request, call, false).await;
                    let id = sent
                        .as_ref()
                        .ok()
                        .and_then(|r| r.request_id().map(str::to_string));
                    providers::read_created(KIND, sent, io::now()).and_then(|created| {
                        let token = self.first_token(&created, created_at)?;
                        Ok((created, token, id))
                    })
                }
                Err(error) => Err(error),
            };
            let mut run = run.borrow_mut();
            run.unfinished -= 1;
            match outcome {
                Ok((created, token, id)) => {
                    run.request_id = run.request_id.take().or(id);
                    run.created[index] = Some((created, token));
                }
                Err(error) => {
                    run.stop.get_or_insert(error);
                }
            }
        }
    }

    /// The token of a task a create just started, first due after the schedule's first wait.
    fn first_token(
        &self,
        created: &Created,
        created_at: u64,
    ) -> Result<Option<ResumeToken>, Error> {
        created
            .task_id
            .as_deref()
            .map(|id| {
                let delay = self.config.polling.schedule.delay(0, Schedule::salt(id));
                ResumeToken::new(created.kind, id, created_at, delay)
            })
            .transpose()
    }
}

const KIND: TaskKind = TaskKind::SalesfinityEmail;

/// A started group as the caller sees it: a `StartedTask` whose `taskId` is the first part's,
/// with the group's token and `parts`; the key its start is known by until it ends.
fn group_view(
    kind: TaskKind,
    started: group_start::Started,
    created_at: u64,
    duplicates: &[String],
    request_id: Option<String>,
) -> (JsValue, Option<String>) {
    let token = started.token(kind).map(|t| t.encode());
    let ids: Vec<String> = started
        .parts
        .iter()
        .map(|p| p.token.task_id.clone())
        .collect();
    let status = if ids.is_empty() {
        "success"
    } else {
        "accepted"
    };
    let created = Created {
        kind,
        task_id: ids.first().cloned(),
        provider_status: status.to_string(),
        skipped_ids: started.skipped_ids,
        skipped: started.skipped,
        skipped_detail: None,
    };
    let view = json_view::started(
        &created,
        token.as_deref(),
        created_at,
        duplicates,
        false,
        request_id.as_deref(),
        &ids,
    );
    let key = ids.first().map(|first| group_key(kind, first));
    (to_js(&view), key)
}

/// Where the lookups of one `enrichEmails` call stand: the profiles not yet sent, each one's
/// create answer (by position), and the refusal that stopped new creates.
struct Lookups {
    /// The group's id, announced with each create ([`group_header`]).
    group: String,
    queue: VecDeque<(usize, Enrichment)>,
    /// Lookups whose create has not answered yet (queued or in flight).
    unfinished: usize,
    created: Vec<Option<(Created, Option<ResumeToken>)>>,
    stop: Option<Error>,
    request_id: Option<String>,
}
