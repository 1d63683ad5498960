//! A group of tasks polled as one, under a virtual clock: every part polled until it ends, one
//! snapshot across them, a failed part reported without sinking the others, and a resume from
//! the group token that polls each ended part once to read its items.

use unlock_tasks::{
    Action, Endpoint, Error, ErrorCode, GroupPoller, GroupToken, HttpRequest, HttpResponse,
    PartToken, PollingConfig, Provider, ResumeToken, Schedule, TaskKind, TaskResult, TaskStatus,
};

const T0: u64 = 1_763_800_000_000;

fn endpoint() -> Endpoint {
    Endpoint::new(
        Provider::Lensmor,
        Some("http://127.0.0.1:9"),
        Some("uak_group"),
        None,
    )
    .unwrap()
}

fn config(max_wait_ms: Option<u64>) -> PollingConfig {
    PollingConfig::new(Schedule::default(), max_wait_ms, 5).unwrap()
}

fn group(ids: &[&str]) -> GroupToken {
    let parts = ids
        .iter()
        .map(|id| PartToken {
            token: ResumeToken::new(TaskKind::LensmorEmail, id, T0, 3_000).unwrap(),
            ended: false,
        })
        .collect();
    GroupToken::new(TaskKind::LensmorEmail, parts).unwrap()
}

/// The ids of a result's items, in order.
fn item_ids(result: &TaskResult) -> Vec<&str> {
    result
        .snapshot
        .items
        .iter()
        .map(|i| i.id.as_str())
        .collect()
}

/// The task id a poll request names.
fn task_of(request: &HttpRequest) -> String {
    request
        .url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn answer(task: &str, status: &str, items: &[(&str, &str)]) -> HttpResponse {
    let items: Vec<String> = items
        .iter()
        .map(|(id, s)| {
            let email = if *s == "unlocked" {
                format!(r#","email":"{id}@x.example""#)
            } else {
                String::new()
            };
            format!(r#"{{"personnelId":"{id}","status":"{s}"{email}}}"#)
        })
        .collect();
    HttpResponse::new(
        200,
        format!(
            r#"{{"taskId":"{task}","taskStatus":"{status}","items":[{}]}}"#,
            items.join(",")
        ),
    )
}

/// Drives `poller` with zero-latency answers; returns the tasks polled in order and the end.
fn drive(
    poller: &mut GroupPoller,
    mut now: u64,
    mut script: impl FnMut(&str, usize) -> HttpResponse,
) -> (Vec<String>, Result<TaskResult, Error>) {
    let mut polled: Vec<String> = Vec::new();
    for _ in 0..10_000 {
        match poller.next_action(now) {
            Action::Send(request) => {
                let task = task_of(&request);
                let n = polled.iter().filter(|t| **t == task).count() + 1;
                polled.push(task.clone());
                poller.on_response(now, &script(&task, n));
            }
            Action::WaitUntil(at) => {
                assert!(at > now);
                now = at;
            }
            Action::AwaitResponse => panic!("one request at a time, answered at once"),
            Action::Done(result) => return (polled, Ok(result)),
            Action::Failed(error) => return (polled, Err(error)),
        }
    }
    panic!("did not end");
}

#[test]
fn every_part_is_polled_until_it_ends_and_the_result_holds_every_item() {
    let mut poller =
        GroupPoller::resume(&endpoint(), &config(None), group(&["321", "322"]), T0).unwrap();
    let (polled, outcome) = drive(&mut poller, T0, |task, n| match (task, n) {
        ("321", 1) => answer(
            "321",
            "processing",
            &[("1", "processing"), ("2", "pending")],
        ),
        ("321", _) => answer("321", "completed", &[("1", "unlocked"), ("2", "failed")]),
        _ => answer("322", "completed", &[("3", "unlocked")]),
    });
    assert_eq!(
        polled,
        ["321", "322", "321"],
        "a part that ended is not polled again"
    );
    let result = outcome.unwrap();
    assert_eq!(result.snapshot.status, TaskStatus::Completed);
    let ids = item_ids(&result);
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(result.summary.delivered.len(), 2);
    assert_eq!(result.summary.credits, 2 * 15);
    let parts: Vec<(&str, TaskStatus)> = result
        .snapshot
        .parts
        .iter()
        .map(|p| (p.task_id.as_str(), p.status))
        .collect();
    assert_eq!(
        parts,
        [
            ("321", TaskStatus::Completed),
            ("322", TaskStatus::Completed)
        ]
    );
}

#[test]
fn a_part_that_fails_is_reported_and_the_others_finish() {
    let mut poller = GroupPoller::resume(
        &endpoint(),
        &config(None),
        group(&["321", "322", "323"]),
        T0,
    )
    .unwrap();
    let (_, outcome) = drive(&mut poller, T0, |task, _| match task {
        "322" => HttpResponse::new(
            404,
            r#"{"code":404,"message":"Task not found","errorKey":"TASK_NOT_FOUND","traceId":"t-9"}"#,
        ),
        "323" => answer("323", "failed", &[("5", "failed")]),
        _ => answer(task, "completed", &[("4", "unlocked")]),
    });
    let result = outcome.unwrap();
    assert_eq!(
        result.snapshot.status,
        TaskStatus::Completed,
        "one part completed"
    );
    let parts = &result.snapshot.parts;
    assert_eq!(parts[0].status, TaskStatus::Completed);
    let lost = parts[1].error.as_ref().expect("the part's error is kept");
    assert_eq!(
        (lost.code, lost.trace_id.as_deref()),
        (ErrorCode::NotFound, Some("t-9"))
    );
    assert_eq!(
        (parts[2].status, parts[2].error.is_none()),
        (TaskStatus::Failed, true)
    );
    let ids = item_ids(&result);
    assert_eq!(ids, ["4", "5"], "the failed task's items are reported too");
}

#[test]
fn a_timeout_ends_the_whole_wait_with_a_token_that_resumes_every_part() {
    let mut poller = GroupPoller::resume(
        &endpoint(),
        &config(Some(20_000)),
        group(&["321", "322"]),
        T0,
    )
    .unwrap();
    let (_, outcome) = drive(&mut poller, T0, |task, n| match (task, n) {
        ("321", _) => answer("321", "completed", &[("1", "unlocked")]),
        _ => answer(task, "processing", &[("2", "processing")]),
    });
    assert_eq!(outcome.unwrap_err().code, ErrorCode::Timeout);
    let token = GroupToken::decode(&poller.token().encode()).unwrap();
    assert_eq!(
        token.parts.iter().map(|p| p.ended).collect::<Vec<_>>(),
        [true, false]
    );
    // Resumed (after a reload): the ended part is polled once, for its items; the other runs on.
    let later = T0 + 60_000;
    let mut resumed = GroupPoller::resume(&endpoint(), &config(None), token, later).unwrap();
    let (polled, outcome) = drive(&mut resumed, later, |task, _| match task {
        "321" => answer("321", "completed", &[("1", "unlocked")]),
        _ => answer(task, "completed", &[("2", "unlocked")]),
    });
    assert_eq!(polled, ["321", "322"]);
    assert_eq!(outcome.unwrap().summary.delivered.len(), 2);
}

#[test]
fn a_forbidden_part_id_is_refused_before_anything_is_sent() {
    let parts = vec![PartToken {
        token: ResumeToken::new(TaskKind::LensmorEmail, "phone_1", T0, 0).unwrap(),
        ended: false,
    }];
    let token = GroupToken::new(TaskKind::LensmorEmail, parts).unwrap();
    let error = GroupPoller::resume(&endpoint(), &config(None), token, T0).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("taskId"));
}
