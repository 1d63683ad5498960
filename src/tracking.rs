//! A task or a group of tasks, driven the same way: what the package's poll loop, `pollOnce`
//! and `getTask` hold, so that a group's token resumes wherever a task's does.

use crate::config::task_key;
use crate::error::Error;
use crate::group::GroupPoller;
use crate::group_token::GroupToken;
use crate::http::{HttpRequest, HttpResponse, Millis};
use crate::kind::TaskKind;
use crate::model::Snapshot;
use crate::poller::{Action, Event, Poller, Step};
use crate::providers::Endpoint;
use crate::schedule::PollingConfig;
use crate::token::ResumeToken;

/// The key of a group, named by its first part's task (a task is in one group only).
pub fn group_key(kind: TaskKind, first_task_id: &str) -> String {
    format!("{}\ngroup\n{first_task_id}", kind.as_str())
}

/// What a token names, read without a client: for a page that coordinates its tabs (one lock
/// per task, named by `key`) or lists the tasks it keeps (`running()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub kind: TaskKind,
    /// The task's id; a group's first part's.
    pub task_id: String,
    /// The key one poll loop of this task (or group) is known by, the same for every token of
    /// it however far polling went: [`Tracking::key`].
    pub key: String,
    /// When the task (a group: its first part) was created, epoch ms.
    pub created_at: Millis,
    /// A group's parts; 1 for a task.
    pub parts: usize,
}

impl TokenInfo {
    /// Reads a task's (`ut1.`) or a group's (`ug1.`) token, checked as a resume would check it.
    pub fn read(token: &str) -> Result<TokenInfo, Error> {
        if GroupToken::is_group(token) {
            let group = GroupToken::decode(token)?;
            let first = group
                .parts
                .first()
                .ok_or_else(|| Error::protocol("internal: a group without parts"))?;
            return Ok(TokenInfo {
                kind: group.kind,
                task_id: first.token.task_id.clone(),
                key: group_key(group.kind, &first.token.task_id),
                created_at: group
                    .parts
                    .iter()
                    .map(|p| p.token.created_at)
                    .min()
                    .unwrap_or_default(),
                parts: group.parts.len(),
            });
        }
        let token = ResumeToken::decode(token)?;
        Ok(TokenInfo {
            key: task_key(token.kind, &token.task_id),
            kind: token.kind,
            task_id: token.task_id,
            created_at: token.created_at,
            parts: 1,
        })
    }
}

/// One task's poller, or a group's.
#[derive(Debug, Clone)]
pub enum Tracking {
    Task(Poller),
    Group(GroupPoller),
}

impl Tracking {
    /// Picks polling up from a task's token (`ut1.`) or a group's (`ug1.`).
    pub fn resume(
        endpoint: &Endpoint,
        config: &PollingConfig,
        token: &str,
        now: Millis,
    ) -> Result<Tracking, Error> {
        if GroupToken::is_group(token) {
            let token = GroupToken::decode(token)?;
            return GroupPoller::resume(endpoint, config, token, now).map(Tracking::Group);
        }
        let token = ResumeToken::decode(token)?;
        Poller::resume(endpoint.clone(), config.clone(), token, now).map(Tracking::Task)
    }

    /// The key one poll loop serves all waiters of this task (or group) under, which is also
    /// the key its start was registered under (a task's, or its group's): forgetting it once
    /// it ends lets the selection be started again.
    pub fn key(&self) -> String {
        match self {
            Tracking::Task(p) => task_key(p.kind(), p.task_id()),
            Tracking::Group(g) => group_key(g.kind(), g.task_ids().next().unwrap_or_default()),
        }
    }

    pub fn kind(&self) -> TaskKind {
        match self {
            Tracking::Task(p) => p.kind(),
            Tracking::Group(g) => g.kind(),
        }
    }

    pub fn next_action(&mut self, now: Millis) -> Action {
        match self {
            Tracking::Task(p) => p.next_action(now),
            Tracking::Group(g) => g.next_action(now),
        }
    }

    pub fn on_response(&mut self, now: Millis, response: &HttpResponse) {
        match self {
            Tracking::Task(p) => p.on_response(now, response),
            Tracking::Group(g) => g.on_response(now, response),
        }
    }

    pub fn on_failure(&mut self, now: Millis, error: Error) {
        match self {
            Tracking::Task(p) => p.on_failure(now, error),
            Tracking::Group(g) => g.on_failure(now, error),
        }
    }

    pub fn defer(&mut self, at: Millis) {
        match self {
            Tracking::Task(p) => p.defer(at),
            Tracking::Group(g) => g.defer(at),
        }
    }

    pub fn expedite(&mut self, now: Millis) {
        match self {
            Tracking::Task(p) => p.expedite(now),
            Tracking::Group(g) => g.expedite(now),
        }
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        match self {
            Tracking::Task(p) => p.poll_event(),
            Tracking::Group(g) => g.poll_event(),
        }
    }

    pub fn timeout_for(&self, started_at: Millis, deadline: Millis) -> Option<Error> {
        match self {
            Tracking::Task(p) => p.timeout_for(started_at, deadline),
            Tracking::Group(g) => g.timeout_for(started_at, deadline),
        }
    }

    /// The next request of one step (`first` starts it): a task polls once, a group polls
    /// each running part once ([`Poller::begin_step`], [`GroupPoller::step_request`]).
    pub fn step_request(&mut self, now: Millis, first: bool) -> Option<HttpRequest> {
        match self {
            Tracking::Task(p) => first.then(|| p.begin_step(now)).flatten(),
            Tracking::Group(g) => g.step_request(now, first),
        }
    }

    pub fn step_outcome(&self) -> Step {
        match self {
            Tracking::Task(p) => p.step_outcome(),
            Tracking::Group(g) => g.step_outcome(),
        }
    }

    /// The latest state, once one poll has answered (a group's: every part's items).
    pub fn snapshot(&self) -> Option<Snapshot> {
        match self {
            Tracking::Task(p) => p.snapshot().cloned(),
            Tracking::Group(g) => g.snapshot(),
        }
    }

    /// The token to resume from, as text.
    pub fn token(&self) -> String {
        match self {
            Tracking::Task(p) => p.token().encode(),
            Tracking::Group(g) => g.token().encode(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group_token::PartToken;

    #[test]
    fn a_token_names_its_task_the_same_however_far_polling_went() {
        let first = ResumeToken::new(TaskKind::LensmorEmail, "321", 1_000, 3_000).unwrap();
        let info = TokenInfo::read(&first.encode()).unwrap();
        assert_eq!(
            (
                info.kind,
                info.task_id.as_str(),
                info.created_at,
                info.parts
            ),
            (TaskKind::LensmorEmail, "321", 1_000, 1)
        );
        let mut later = first.clone();
        later.polls = 4;
        later.next_poll_at = 90_000;
        assert_eq!(TokenInfo::read(&later.encode()).unwrap().key, info.key);

        let part = |id: &str, at| PartToken {
            token: ResumeToken::new(TaskKind::LensmorPhone, id, at, 0).unwrap(),
            ended: false,
        };
        let group = GroupToken::new(
            TaskKind::LensmorPhone,
            vec![part("7", 5_000), part("8", 4_000)],
        )
        .unwrap()
        .encode();
        let info = TokenInfo::read(&group).unwrap();
        assert_eq!(
            (info.task_id.as_str(), info.created_at, info.parts),
            ("7", 4_000, 2)
        );
        assert_eq!(info.key, group_key(TaskKind::LensmorPhone, "7"));
        assert_ne!(
            info.key,
            task_key(TaskKind::LensmorPhone, "7"),
            "a group is not its first task"
        );
        assert!(TokenInfo::read("ut1.nope").is_err());
    }
}
