//! A group: a selection larger than one task (a whole attendee list), polled as one.
//!
//! Each part is a task with its own [`Poller`], so each keeps its own place in the schedule and
//! its own `Retry-After`; the group sends one request at a time, for whichever part is due
//! first. What the caller sees is one snapshot: every part's items together, and each part's
//! state in [`Snapshot::parts`]. A part that fails (its task failed, or the provider no longer
//! knows it) is reported there without sinking the others; a wait that ends (`timeout`,
//! `aborted`) ends for the whole group, with the group's token to resume from.

use crate::error::{Error, ErrorCode};
use crate::group_token::{GroupToken, PartToken};
use crate::http::{HttpRequest, HttpResponse, Millis};
use crate::kind::TaskKind;
use crate::model::{PartState, Snapshot, TaskResult, TaskStatus};
use crate::poller::{Action, Event, Poller, Step};
use crate::providers::{self, Endpoint};
use crate::schedule::PollingConfig;

/// Polls every part of a group until each has ended.
#[derive(Debug, Clone)]
pub struct GroupPoller {
    kind: TaskKind,
    parts: Vec<Poller>,
    /// The part whose request is in flight.
    in_flight: Option<usize>,
    /// A wait that ended for the whole group (`timeout`, `aborted`).
    ended: Option<Error>,
    /// The parts already polled in the current step ([`GroupPoller::step_request`]).
    stepped: Vec<bool>,
}

impl GroupPoller {
    /// Picks a group up from its token, starting the wait at `now`. Parts that had ended are
    /// due at once: one poll reads their items again.
    pub fn resume(
        endpoint: &Endpoint,
        config: &PollingConfig,
        token: GroupToken,
        now: Millis,
    ) -> Result<GroupPoller, Error> {
        let parts = token
            .parts
            .into_iter()
            .map(|part| {
                let mut poller = Poller::resume(endpoint.clone(), config.clone(), part.token, now)?;
                if part.ended {
                    poller.expedite(now);
                }
                Ok(poller)
            })
            .collect::<Result<Vec<Poller>, Error>>()?;
        Ok(GroupPoller {
            kind: token.kind,
            stepped: vec![false; parts.len()],
            parts,
            in_flight: None,
            ended: None,
        })
    }

    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    /// What to do next: the request of the part due first, a wait until the earliest part is
    /// due, or the group's end once every part has ended.
    pub fn next_action(&mut self, now: Millis) -> Action {
        if let Some(error) = &self.ended {
            return Action::Failed(error.clone());
        }
        if self.in_flight.is_some() {
            return Action::AwaitResponse;
        }
        let mut earliest: Option<Millis> = None;
        for (index, part) in self.parts.iter_mut().enumerate() {
            if part.is_finished() {
                // Ended: asked no more (its result is not copied on every step), unless the
                // way it ended ends the group's wait.
                if let Some(error) = part.failure().filter(|e| ends_the_wait(e)) {
                    self.ended = Some(error.clone());
                    return Action::Failed(error.clone());
                }
                continue;
            }
            match part.next_action(now) {
                Action::Send(request) => {
                    self.in_flight = Some(index);
                    return Action::Send(request);
                }
                Action::WaitUntil(at) => earliest = Some(earliest.map_or(at, |e| e.min(at))),
                Action::AwaitResponse => return Action::AwaitResponse,
                Action::Failed(error) if ends_the_wait(&error) => {
                    self.ended = Some(error.clone());
                    return Action::Failed(error);
                }
                Action::Done(_) | Action::Failed(_) => {}
            }
        }
        match earliest {
            Some(at) => Action::WaitUntil(at),
            None => Action::Done(self.result()),
        }
    }

    pub fn on_response(&mut self, now: Millis, response: &HttpResponse) {
        if let Some(index) = self.in_flight.take() {
            self.parts[index].on_response(now, response);
        }
    }

    pub fn on_failure(&mut self, now: Millis, error: Error) {
        if let Some(index) = self.in_flight.take() {
            self.parts[index].on_failure(now, error);
        }
    }

    /// The request in flight was not sent: the rate budget has no room before `at`.
    pub fn defer(&mut self, at: Millis) {
        if let Some(index) = self.in_flight.take() {
            self.parts[index].defer(at);
        }
    }

    /// Stops every part with `aborted`; the token stays resumable.
    pub fn cancel(&mut self) {
        self.in_flight = None;
        self.ended.get_or_insert_with(Error::aborted);
    }

    /// Makes every running part due now (a caller asked explicitly).
    pub fn expedite(&mut self, now: Millis) {
        for part in &mut self.parts {
            part.expedite(now);
        }
    }

    /// One step (`pollOnce`, an edge worker's alarm) polls every running part once, though
    /// never one before its provider's `Retry-After`: the next request of the step, `first`
    /// starting it. Report each answer as usual; `None` once every part had its turn.
    pub fn step_request(&mut self, now: Millis, first: bool) -> Option<HttpRequest> {
        if first {
            self.stepped.iter_mut().for_each(|s| *s = false);
        }
        while let Some(i) = self.stepped.iter().position(|stepped| !stepped) {
            self.stepped[i] = true;
            if let Some(request) = self.parts[i].begin_step(now) {
                self.in_flight = Some(i);
                return Some(request);
            }
        }
        None
    }

    /// Where a step leaves the group, without asking the clock (see [`Poller::step_outcome`]).
    pub fn step_outcome(&self) -> Step {
        if let Some(error) = &self.ended {
            return Step::Failed(error.clone());
        }
        match self.next_poll_at() {
            Some(at) => Step::NextAt(at),
            None => Step::Done(self.result()),
        }
    }

    /// The next thing worth telling the caller: a part's progress as the group's snapshot, or
    /// a part's throttle or retry as it is.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.parts.iter_mut().find_map(Poller::poll_event)?;
        Some(match event {
            Event::Progress(_) => Event::Progress(self.snapshot()?),
            other => other,
        })
    }

    /// The token to resume every part from.
    pub fn token(&self) -> GroupToken {
        GroupToken {
            kind: self.kind,
            parts: self
                .parts
                .iter()
                .map(|p| PartToken {
                    token: p.token(),
                    ended: task_ended(p),
                })
                .collect(),
        }
    }

    /// Every part's items together, and each part's state, once any part has answered.
    pub fn snapshot(&self) -> Option<Snapshot> {
        self.parts
            .iter()
            .any(|p| p.snapshot().is_some())
            .then(|| self.merged())
    }

    /// The `timeout` a wait with this `deadline` ends in, if no part's next poll comes by it
    /// (see [`Poller::timeout_for`]): named by the part due first.
    pub fn timeout_for(&self, started_at: Millis, deadline: Millis) -> Option<Error> {
        let first = self
            .parts
            .iter()
            .filter(|p| p.next_poll_at().is_some())
            .min_by_key(|p| p.next_poll_at())?;
        first.timeout_for(started_at, deadline)
    }

    /// The task ids of the parts, in order.
    pub fn task_ids(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().map(Poller::task_id)
    }

    /// When the next poll is due, or `None` once every part has ended.
    pub fn next_poll_at(&self) -> Option<Millis> {
        self.parts.iter().filter_map(Poller::next_poll_at).min()
    }

    /// The group's result: every part's items, sorted by outcome, priced by the kind.
    fn result(&self) -> TaskResult {
        TaskResult::new(self.merged(), providers::credits_per_contact(self.kind))
    }

    fn merged(&self) -> Snapshot {
        let parts: Vec<PartState> = self.parts.iter().map(part_state).collect();
        let status = group_status(&parts);
        let first = self.parts.first().map_or("", |p| p.task_id());
        let mut items = Vec::new();
        let mut anomalies = Vec::new();
        for snapshot in self.parts.iter().filter_map(Poller::snapshot) {
            items.extend(snapshot.items.iter().cloned());
            anomalies.extend(snapshot.anomalies.iter().cloned());
        }
        Snapshot {
            kind: self.kind,
            task_id: first.to_string(),
            status,
            provider_status: status.as_str().to_string(),
            items,
            external_id: None,
            anomalies,
            parts,
        }
    }
}

/// A part's own state: its task's status as last read, and the error it ended with.
fn part_state(poller: &Poller) -> PartState {
    let error = poller.failure().cloned();
    let status = match (&error, poller.snapshot()) {
        (Some(_), _) => TaskStatus::Failed,
        (None, Some(snapshot)) => snapshot.status,
        (None, None) => TaskStatus::Pending,
    };
    PartState {
        task_id: poller.task_id().to_string(),
        status,
        error,
    }
}

/// The group's status: running while any part runs; then completed if any part completed
/// (the failed ones named in `parts`), failed if none did.
fn group_status(parts: &[PartState]) -> TaskStatus {
    let running = |s: TaskStatus| !s.is_terminal();
    if parts.iter().any(|p| running(p.status) && p.error.is_none()) {
        let started = parts.iter().any(|p| p.status != TaskStatus::Pending);
        return if started {
            TaskStatus::Processing
        } else {
            TaskStatus::Pending
        };
    }
    if parts.iter().any(|p| p.status == TaskStatus::Completed) {
        TaskStatus::Completed
    } else {
        TaskStatus::Failed
    }
}

/// Whether a part's task has ended (done, or failed for good), as opposed to a wait that
/// ended while the task may still run.
fn task_ended(poller: &Poller) -> bool {
    poller.is_finished() && !poller.failure().is_some_and(ends_the_wait)
}

/// An error that ends the wait for the whole group rather than one part's task.
fn ends_the_wait(error: &Error) -> bool {
    matches!(error.code, ErrorCode::Timeout | ErrorCode::Aborted)
}
