//! The polling state machine, free of I/O.
//!
//! A driver asks [`Poller::next_action`] what to do at the current time and performs it: send a
//! request, sleep until an instant, or stop with a result or an error. It hands back what
//! happened with [`Poller::on_response`] or [`Poller::on_failure`]. The poller never sleeps,
//! fetches or reads a clock, so the same machine runs under `fetch` + `setTimeout` in a page,
//! one step per alarm in an edge worker, and under a virtual clock in tests.
//!
//! ```text
//!            next_action: due            response / failure
//!  Waiting ───────────────────► InFlight ───────────────────► Waiting (not terminal, retryable)
//!     │                                  └──────────────────► Finished (terminal, fatal, budget spent)
//!     └── next poll past the deadline ──────────────────────► Finished (timeout)
//! ```
//! `Finished` is final: no request is ever sent from it.

use std::collections::VecDeque;

use crate::error::{quote, Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse, Millis};
use crate::kind::TaskKind;
use crate::model::{ItemState, Snapshot, TaskResult, TaskStatus};
use crate::providers::{self, Endpoint};
use crate::schedule::{PollingConfig, Schedule};
use crate::token::ResumeToken;

/// What the driver should do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this request, then report its outcome with `on_response` or `on_failure`.
    Send(HttpRequest),
    /// Nothing to do before this instant (epoch ms); ask again then.
    WaitUntil(Millis),
    /// A request is in flight: report its outcome first.
    AwaitResponse,
    /// The task reached a terminal state. Repeated on every later call.
    Done(TaskResult),
    /// Polling ended with this error. Repeated on every later call. The token stays resumable
    /// unless the error says otherwise (401/404 will fail again).
    Failed(Error),
}

/// Something worth telling the caller while polling goes on.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The task changed since the last poll (the first answer always counts as a change).
    Progress(Snapshot),
    /// The provider rate-limited a poll; polling resumes at `resume_at`.
    Throttled { error: Error, resume_at: Millis },
    /// A poll failed in a way that may pass; it is retried at `resume_at`.
    Retrying {
        error: Error,
        failures: u32,
        resume_at: Millis,
    },
}

/// Where one step of a step-at-a-time driver (`pollOnce`, an edge worker's alarm) leaves the
/// task. Unlike [`Action`], it never asks for another request: a step sends at most one, however
/// long handling its answer took.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Done(TaskResult),
    Failed(Error),
    /// Not finished: poll again at this instant (epoch ms), from the new token.
    NextAt(Millis),
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Waiting,
    InFlight,
    /// Boxed: a result with its items is large, and the other phases carry nothing.
    Finished(Box<Result<TaskResult, Error>>),
}

/// Polls one task until it ends, fails or runs out of time.
#[derive(Debug, Clone)]
pub struct Poller {
    endpoint: Endpoint,
    config: PollingConfig,
    kind: TaskKind,
    task_id: String,
    created_at: Millis,
    /// When this wait started: `maxWaitMs` counts from here.
    started_at: Millis,
    deadline: Option<Millis>,
    salt: u64,
    /// Answered polls so far: the position in the schedule.
    polls: u32,
    /// Failed polls in a row.
    failures: u32,
    next_poll_at: Millis,
    /// The provider's `Retry-After`: no poll before this, whatever the schedule says.
    not_before: Option<Millis>,
    phase: Phase,
    last: Option<Snapshot>,
    events: VecDeque<Event>,
    /// Status words seen that this version does not know, to explain a timeout.
    unknown_statuses: Vec<String>,
}

impl Poller {
    /// Polls a task just created at `created_at`, starting the wait at `now`.
    pub fn start(
        endpoint: Endpoint,
        config: PollingConfig,
        kind: TaskKind,
        task_id: &str,
        created_at: Millis,
        now: Millis,
    ) -> Result<Poller, Error> {
        let first_delay = config.schedule.delay(0, Schedule::salt(task_id));
        let token = ResumeToken::new(kind, task_id, created_at, first_delay)?;
        Poller::resume(endpoint, config, token, now)
    }

    /// Picks polling up from a token, starting the wait at `now`. The schedule continues where
    /// the token left it; a token of another provider than the endpoint's is refused.
    pub fn resume(
        endpoint: Endpoint,
        config: PollingConfig,
        token: ResumeToken,
        now: Millis,
    ) -> Result<Poller, Error> {
        endpoint.check_kind(token.kind)?;
        providers::check_task_id(token.kind, &token.task_id)?;
        let deadline = config.deadline(now);
        Ok(Poller {
            endpoint,
            deadline,
            salt: Schedule::salt(&token.task_id),
            config,
            kind: token.kind,
            task_id: token.task_id,
            created_at: token.created_at,
            started_at: now,
            polls: token.polls,
            failures: token.failures,
            next_poll_at: token.next_poll_at,
            not_before: token.not_before,
            phase: Phase::Waiting,
            last: None,
            events: VecDeque::new(),
            unknown_statuses: Vec::new(),
        })
    }

    /// What to do at `now`.
    pub fn next_action(&mut self, now: Millis) -> Action {
        match &self.phase {
            Phase::Finished(outcome) => return action_for(outcome),
            Phase::InFlight => return Action::AwaitResponse,
            Phase::Waiting => {}
        }
        let due = self.due();
        let timeout = self
            .deadline
            .and_then(|deadline| self.timeout_for(self.started_at, deadline));
        if let Some(error) = timeout {
            return self.finish(Err(error));
        }
        if now < due {
            return Action::WaitUntil(due);
        }
        match providers::poll_request(&self.endpoint, self.kind, &self.task_id) {
            Ok(request) => {
                self.phase = Phase::InFlight;
                Action::Send(request)
            }
            Err(error) => self.finish(Err(error)),
        }
    }

    /// Reports the response to the request of the last `Send`. Ignored when no request is in
    /// flight (e.g. an answer arriving after `cancel`): it must not revive a finished poller.
    pub fn on_response(&mut self, now: Millis, response: &HttpResponse) {
        if self.phase != Phase::InFlight {
            return;
        }
        self.polls = self.polls.saturating_add(1);
        self.not_before = None;
        match providers::parse_task(self.kind, &self.task_id, response, now) {
            Ok(snapshot) => self.on_snapshot(now, snapshot),
            Err(error) => self.on_poll_error(now, error),
        }
    }

    /// Reports that the request of the last `Send` did not complete (network error, per-request
    /// timeout). Ignored when no request is in flight.
    pub fn on_failure(&mut self, now: Millis, error: Error) {
        if self.phase != Phase::InFlight {
            return;
        }
        self.polls = self.polls.saturating_add(1);
        self.not_before = None;
        self.on_poll_error(now, error);
    }

    /// The request of the last `Send` was not sent: the key's rate budget has no room before
    /// `at` (the governor stretched this poll). The poll is due again at `at`, and a wait
    /// whose deadline comes first ends as `timeout` ([`Poller::timeout_for`]) instead of
    /// waiting on a budget that cannot serve it in time. Counts no poll.
    pub fn defer(&mut self, at: Millis) {
        if self.phase == Phase::InFlight {
            self.phase = Phase::Waiting;
            self.next_poll_at = self.next_poll_at.max(at);
        }
    }

    /// Stops polling with `aborted`. The token stays resumable; the task runs on at the provider.
    pub fn cancel(&mut self) {
        if !matches!(self.phase, Phase::Finished(_)) {
            self.phase = Phase::Finished(Box::new(Err(Error::aborted())));
        }
    }

    /// Makes the next poll due now (a caller asked explicitly), though never before a
    /// provider's `Retry-After`.
    pub fn expedite(&mut self, now: Millis) {
        if self.phase == Phase::Waiting {
            self.next_poll_at = self.next_poll_at.min(now);
        }
    }

    /// Starts one step at `now`: the poll request to send now, if any. A step polls at once
    /// (the caller asked), though never before a provider's `Retry-After`; `None` when the
    /// task already ended or the provider asked to wait. Report the answer as usual, then read
    /// [`Poller::step_outcome`].
    pub fn begin_step(&mut self, now: Millis) -> Option<HttpRequest> {
        self.expedite(now);
        match self.next_action(now) {
            Action::Send(request) => Some(request),
            Action::WaitUntil(_) | Action::AwaitResponse | Action::Done(_) | Action::Failed(_) => {
                None
            }
        }
    }

    /// Where the step leaves the task. It reads the state without asking the clock, so a slow
    /// answer (handling it took longer than the next wait) cannot turn into a second request.
    pub fn step_outcome(&self) -> Step {
        match &self.phase {
            Phase::Finished(outcome) => match outcome.as_ref() {
                Ok(result) => Step::Done(result.clone()),
                Err(error) => Step::Failed(error.clone()),
            },
            // In flight: the answer was never reported; the token repeats that poll.
            Phase::Waiting | Phase::InFlight => Step::NextAt(self.due()),
        }
    }

    /// The next thing worth telling the caller, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The token to resume from: after a reload, on another machine, or in the next step of an
    /// edge worker. A poll in flight is repeated on resume (polls are safe to repeat).
    pub fn token(&self) -> ResumeToken {
        ResumeToken {
            kind: self.kind,
            task_id: self.task_id.clone(),
            created_at: self.created_at,
            polls: self.polls,
            next_poll_at: self.next_poll_at,
            not_before: self.not_before,
            failures: self.failures,
        }
    }

    /// The latest state of the task, once one poll has answered.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.last.as_ref()
    }

    /// When the next poll is due (epoch ms), or `None` once finished.
    pub fn next_poll_at(&self) -> Option<Millis> {
        match self.phase {
            Phase::Finished(_) => None,
            Phase::Waiting | Phase::InFlight => Some(self.due()),
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished(_))
    }

    /// The error polling ended with, once it ended with one (no copy of a result is made: a
    /// group asks this of every part on every step).
    pub fn failure(&self) -> Option<&Error> {
        match &self.phase {
            Phase::Finished(outcome) => outcome.as_ref().as_ref().err(),
            Phase::Waiting | Phase::InFlight => None,
        }
    }

    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// Answered polls so far, including those of earlier runs resumed from the token.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    fn due(&self) -> Millis {
        self.next_poll_at.max(self.not_before.unwrap_or(0))
    }

    fn on_snapshot(&mut self, now: Millis, mut snapshot: Snapshot) {
        self.failures = 0;
        if let Some(previous) = &self.last {
            snapshot.carry_over(previous);
        }
        self.note_unknown_statuses(&snapshot);
        if self.last.as_ref() != Some(&snapshot) {
            self.events.push_back(Event::Progress(snapshot.clone()));
        }
        let done = snapshot.done();
        self.last = Some(snapshot.clone());
        if done {
            self.phase = Phase::Finished(Box::new(Ok(TaskResult::new(
                snapshot,
                providers::credits_per_contact(self.kind()),
            ))));
        } else {
            self.schedule_next(now, None);
        }
    }

    fn on_poll_error(&mut self, now: Millis, error: Error) {
        if error.code == ErrorCode::RateLimited {
            // Throttling means "wait and keep polling"; it is no failure of the task.
            let resume_at = self.schedule_next(now, error.retry_after_ms);
            self.events.push_back(Event::Throttled { error, resume_at });
            return;
        }
        if !error.code.is_transient() {
            self.finish(Err(error));
            return;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.config.max_failures {
            let failures = self.failures;
            self.finish(Err(error.context(&format!(
                "Gave up after {failures} failed polls in a row"
            ))));
            return;
        }
        let resume_at = self.schedule_next(now, error.retry_after_ms);
        self.events.push_back(Event::Retrying {
            error,
            failures: self.failures,
            resume_at,
        });
    }

    /// Sets the next poll after the schedule's wait, or after `retry_after_ms` when that is
    /// longer: the provider's word is a floor, and the schedule still backs off under it.
    fn schedule_next(&mut self, now: Millis, retry_after_ms: Option<u64>) -> Millis {
        let wait = self.config.schedule.delay(self.polls, self.salt);
        self.phase = Phase::Waiting;
        self.next_poll_at = now.saturating_add(wait);
        self.not_before = retry_after_ms.map(|ms| now.saturating_add(ms));
        self.due()
    }

    fn finish(&mut self, outcome: Result<TaskResult, Error>) -> Action {
        let action = action_for(&outcome);
        self.phase = Phase::Finished(Box::new(outcome));
        action
    }

    fn note_unknown_statuses(&mut self, snapshot: &Snapshot) {
        let task = (snapshot.status == TaskStatus::Unknown).then_some(&snapshot.provider_status);
        let items = snapshot
            .items
            .iter()
            .filter(|item| item.state == ItemState::Unknown)
            .map(|item| &item.provider_status);
        for word in task.into_iter().chain(items) {
            if !self.unknown_statuses.contains(word) {
                self.unknown_statuses.push(word.clone());
            }
        }
    }

    /// The `timeout` error a wait with this `deadline` ends in, if the next poll is due after
    /// it. Waiting idle until the deadline only to give up then helps nobody, so a wait ends as
    /// soon as this says so. Public for drivers that serve several waiters with different
    /// deadlines from one poller.
    pub fn timeout_for(&self, started_at: Millis, deadline: Millis) -> Option<Error> {
        let due = self.due();
        if self.is_finished() || due <= deadline {
            return None;
        }
        Some(self.timeout_error(started_at, due, deadline))
    }

    fn timeout_error(&self, started_at: Millis, due: Millis, deadline: Millis) -> Error {
        let mut message = format!(
            "{} task {} did not finish within {}: the next poll would be {} after the wait \
             started.",
            self.kind.as_str(),
            self.task_id,
            duration(deadline.saturating_sub(started_at)),
            duration(due.saturating_sub(started_at)),
        );
        match &self.last {
            Some(snapshot) => {
                let settled = snapshot
                    .items
                    .iter()
                    .filter(|i| i.state.is_settled())
                    .count();
                message.push_str(&format!(
                    " Last seen: {} ({settled} of {} contacts settled).",
                    display_status(snapshot),
                    snapshot.items.len()
                ));
            }
            None => message.push_str(" It was not polled in that time."),
        }
        if !self.unknown_statuses.is_empty() {
            message.push_str(&format!(
                " The provider answered with status words this version does not know: {}.",
                self.unknown_statuses.join(", ")
            ));
        }
        message.push_str(" It keeps running at the provider; resume it from its token.");
        Error::new(ErrorCode::Timeout, message)
    }
}

/// A duration for a person: "850 ms", "18 s", "2 min 5 s".
fn duration(ms: u64) -> String {
    match ms {
        0..=9_999 if ms % 1000 != 0 => format!("{ms} ms"),
        0..=119_999 => format!("{} s", ms / 1000),
        _ => format!("{} min {} s", ms / 60_000, ms % 60_000 / 1000),
    }
}

fn action_for(outcome: &Result<TaskResult, Error>) -> Action {
    match outcome {
        Ok(result) => Action::Done(result.clone()),
        Err(error) => Action::Failed(error.clone()),
    }
}

fn display_status(snapshot: &Snapshot) -> String {
    match snapshot.status {
        TaskStatus::Unknown => format!("unknown status {}", quote(&snapshot.provider_status)),
        known => known.as_str().to_string(),
    }
}
