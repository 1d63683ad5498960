//! The poller driven by scripted responses under a virtual clock: every schedule, retry and
//! timeout checked to the millisecond, deterministically, in microseconds of real time.

use unlock_tasks::{
    Action, Endpoint, Error, ErrorCode, Event, HttpRequest, HttpResponse, ItemState, Poller,
    PollingConfig, Provider, ResumeToken, Schedule, TaskKind, TaskResult,
};

const T0: u64 = 1_763_800_000_000;
const KEY: &str = "uak_s3cr3t_never_leaks";

enum Reply {
    Answer(HttpResponse),
    Drop(Error),
}

/// A run of the poller: when each request was sent (ms after T0), and how it ended.
struct Run {
    sent_at: Vec<u64>,
    outcome: Result<TaskResult, Error>,
    events: Vec<Event>,
    poller: Poller,
}

fn endpoint(provider: Provider) -> Endpoint {
    Endpoint::new(provider, Some("http://127.0.0.1:9"), Some(KEY), None).unwrap()
}

fn config(max_wait_ms: Option<u64>) -> PollingConfig {
    PollingConfig::new(Schedule::default(), max_wait_ms, 5).unwrap()
}

fn lensmor_poller(max_wait_ms: Option<u64>) -> Poller {
    Poller::start(
        endpoint(Provider::Lensmor),
        config(max_wait_ms),
        TaskKind::LensmorEmail,
        "321",
        T0,
        T0,
    )
    .unwrap()
}

/// Drives `poller` from `now` with zero-latency answers from `script(n, request)`, where `n`
/// counts the requests of this run from 1.
fn drive(
    mut poller: Poller,
    mut now: u64,
    mut script: impl FnMut(usize, &HttpRequest) -> Reply,
) -> Run {
    let mut sent_at = Vec::new();
    let mut events = Vec::new();
    for _ in 0..10_000 {
        match poller.next_action(now) {
            Action::Send(request) => {
                sent_at.push(now - T0);
                match script(sent_at.len(), &request) {
                    Reply::Answer(response) => poller.on_response(now, &response),
                    Reply::Drop(error) => poller.on_failure(now, error),
                }
                events.extend(std::iter::from_fn(|| poller.poll_event()));
            }
            Action::WaitUntil(at) => {
                assert!(at > now, "WaitUntil must move time forward");
                now = at;
            }
            Action::AwaitResponse => panic!("no request is in flight in this driver"),
            Action::Done(result) => {
                return Run {
                    sent_at,
                    outcome: Ok(result),
                    events,
                    poller,
                }
            }
            Action::Failed(error) => {
                return Run {
                    sent_at,
                    outcome: Err(error),
                    events,
                    poller,
                }
            }
        }
    }
    panic!("the poller never ended");
}

fn task(status: &str, items: &[(&str, &str, Option<&str>)]) -> HttpResponse {
    let items: Vec<String> = items
        .iter()
        .map(|(id, st, email)| match email {
            Some(e) => format!(r#"{{"personnelId":"{id}","status":"{st}","email":"{e}"}}"#),
            None => format!(r#"{{"personnelId":"{id}","status":"{st}"}}"#),
        })
        .collect();
    HttpResponse::new(
        200,
        format!(
            r#"{{"taskId":"321","taskStatus":"{status}","items":[{}]}}"#,
            items.join(",")
        ),
    )
}

fn processing() -> HttpResponse {
    task(
        "processing",
        &[("789", "processing", None), ("790", "pending", None)],
    )
}

fn completed_mixed() -> HttpResponse {
    task(
        "completed",
        &[
            ("789", "unlocked", Some("jane@acme.example")),
            ("790", "failed", None),
        ],
    )
}

fn api_error(status: u16, key: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        format!(r#"{{"code":{status},"message":"m","errorKey":"{key}","traceId":"tr-{status}"}}"#),
    )
}

fn finishing_on(n: usize) -> impl FnMut(usize, &HttpRequest) -> Reply {
    move |i, _| {
        Reply::Answer(if i == n {
            completed_mixed()
        } else {
            processing()
        })
    }
}

#[test]
fn fifth_poll_finishes_at_3_8_18_38_58_seconds() {
    let run = drive(lensmor_poller(None), T0, finishing_on(5));
    assert_eq!(run.sent_at, [3_000, 8_000, 18_000, 38_000, 58_000]);
    let result = run.outcome.unwrap();
    assert_eq!(result.summary.delivered.len(), 1);
    assert_eq!(result.summary.failed.len(), 1);
    assert_eq!(result.summary.failed[0].id, "790");
    assert_eq!(result.summary.credits, 15);
}

#[test]
fn the_request_is_the_documented_get_with_the_key() {
    let mut seen = None;
    drive(lensmor_poller(None), T0, |_, req| {
        seen = Some(req.clone());
        Reply::Answer(completed_mixed())
    });
    let req = seen.unwrap();
    assert_eq!(req.method.as_str(), "GET");
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/external/contacts/unlock-tasks/321"
    );
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn nothing_is_sent_after_a_terminal_state() {
    let mut run = drive(lensmor_poller(None), T0, finishing_on(2));
    assert_eq!(run.sent_at.len(), 2);
    let later = T0 + 3_600_000;
    // A stray answer cannot revive it, and every later call repeats the result.
    run.poller.on_response(later, &processing());
    for t in [later, later + 1, later + 100_000] {
        assert!(matches!(run.poller.next_action(t), Action::Done(_)));
    }
    assert_eq!(run.poller.next_poll_at(), None);
}

#[test]
fn retry_after_seconds_moves_the_next_poll_at_least_that_far() {
    let run = drive(lensmor_poller(None), T0, |i, _| {
        Reply::Answer(match i {
            1 => api_error(429, "RATE_LIMIT_EXCEEDED").with_header("Retry-After", "30"),
            3 => completed_mixed(),
            _ => processing(),
        })
    });
    // 429 at 3 s: the schedule says +5 s, Retry-After says +30 s; the longer wins.
    assert_eq!(run.sent_at, [3_000, 33_000, 43_000]);
    assert!(
        matches!(&run.events[0], Event::Throttled { resume_at, .. } if *resume_at == T0 + 33_000)
    );
    assert!(
        run.outcome.is_ok(),
        "throttling is waited out, not a failure"
    );
}

#[test]
fn retry_after_as_an_http_date() {
    let date = httpdate(T0 + 3_000 + 45_000);
    let run = drive(lensmor_poller(None), T0, |i, _| {
        Reply::Answer(match i {
            1 => api_error(429, "RATE_LIMIT_EXCEEDED").with_header("retry-after", &date),
            _ => completed_mixed(),
        })
    });
    assert_eq!(run.sent_at, [3_000, 48_000]);
}

#[test]
fn short_retry_after_does_not_undercut_the_schedule() {
    let run = drive(lensmor_poller(None), T0, |i, _| {
        Reply::Answer(match i {
            1 => api_error(429, "RATE_LIMIT_EXCEEDED").with_header("Retry-After", "1"),
            _ => completed_mixed(),
        })
    });
    assert_eq!(run.sent_at, [3_000, 8_000]);
}

#[test]
fn a_429_without_retry_after_follows_the_schedule_and_never_fails_the_wait() {
    let run = drive(lensmor_poller(None), T0, |i, _| {
        Reply::Answer(if i <= 8 {
            api_error(429, "RATE_LIMIT_EXCEEDED")
        } else {
            completed_mixed()
        })
    });
    assert_eq!(
        run.sent_at,
        [3_000, 8_000, 18_000, 38_000, 58_000, 78_000, 98_000, 118_000, 138_000],
        "each 429 is followed by the schedule's next wait (3, 5, 10, then 20 s), no sooner"
    );
    assert!(
        run.outcome.is_ok(),
        "eight 429s are more than the failure budget, yet no failure"
    );
    let throttled = run
        .events
        .iter()
        .filter(|e| matches!(e, Event::Throttled { .. }))
        .count();
    assert_eq!(throttled, 8);
}

#[test]
fn five_server_errors_in_a_row_end_in_server() {
    let run = drive(lensmor_poller(None), T0, |_, _| {
        Reply::Answer(HttpResponse::new(503, "<html>busy</html>"))
    });
    assert_eq!(run.sent_at, [3_000, 8_000, 18_000, 38_000, 58_000]);
    let err = run.outcome.unwrap_err();
    assert_eq!(err.code, ErrorCode::Server);
    assert_eq!(err.status, Some(503));
    assert!(
        err.message
            .starts_with("Gave up after 5 failed polls in a row"),
        "{}",
        err.message
    );
    let retries = run
        .events
        .iter()
        .filter(|e| matches!(e, Event::Retrying { .. }))
        .count();
    assert_eq!(retries, 4);
}

#[test]
fn network_failures_end_in_network() {
    let run = drive(lensmor_poller(None), T0, |_, _| {
        Reply::Drop(Error::network("connection reset"))
    });
    assert_eq!(run.sent_at.len(), 5);
    assert_eq!(run.outcome.unwrap_err().code, ErrorCode::Network);
}

#[test]
fn a_success_resets_the_failure_budget() {
    // 4 failures, a success, 4 failures, then completion: never 5 in a row.
    let run = drive(lensmor_poller(None), T0, |i, _| match i {
        5 => Reply::Answer(processing()),
        10 => Reply::Answer(completed_mixed()),
        _ if i % 2 == 0 => Reply::Drop(Error::network("reset")),
        _ => Reply::Answer(HttpResponse::new(502, "")),
    });
    assert_eq!(run.sent_at.len(), 10);
    assert!(run.outcome.is_ok());
}

#[test]
fn malformed_answers_are_retried_then_reported_as_protocol() {
    let run = drive(lensmor_poller(None), T0, |_, _| {
        Reply::Answer(HttpResponse::new(200, "{\"taskId\":"))
    });
    assert_eq!(run.sent_at.len(), 5);
    assert_eq!(run.outcome.unwrap_err().code, ErrorCode::Protocol);
}

#[test]
fn unauthorized_and_not_found_stop_at_once() {
    for (status, code) in [
        (401, ErrorCode::Unauthorized),
        (403, ErrorCode::Unauthorized),
        (404, ErrorCode::NotFound),
    ] {
        let run = drive(lensmor_poller(None), T0, |i, _| {
            Reply::Answer(if i == 2 {
                api_error(status, "X")
            } else {
                processing()
            })
        });
        assert_eq!(run.sent_at.len(), 2, "{status}");
        let err = run.outcome.unwrap_err();
        assert_eq!(err.code, code);
        assert_eq!(err.trace_id, Some(format!("tr-{status}")));
        assert!(!err.message.contains(KEY) && !format!("{err:?}").contains(KEY));
    }
}

#[test]
fn an_api_error_inside_a_200_is_an_error() {
    let run = drive(lensmor_poller(None), T0, |_, _| {
        Reply::Answer(api_error(404, "TASK_NOT_FOUND").with_status_200())
    });
    assert_eq!(run.outcome.unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn max_wait_ends_in_timeout_and_the_token_resumes() {
    // 60 s budget: polls at 3, 8, 18, 38, 58; the next would be at 78 > 60.
    let run = drive(lensmor_poller(Some(60_000)), T0, |_, _| {
        Reply::Answer(processing())
    });
    assert_eq!(run.sent_at, [3_000, 8_000, 18_000, 38_000, 58_000]);
    let err = run.outcome.unwrap_err();
    assert_eq!(err.code, ErrorCode::Timeout);
    assert!(err.message.contains("within 60 s"), "{}", err.message);
    assert!(
        err.message
            .contains("Last seen: processing (0 of 2 contacts settled)"),
        "{}",
        err.message
    );

    // The token picks up where the schedule was: the 6th poll at 78 s, 20 s steps after.
    let token = ResumeToken::decode(&run.poller.token().encode()).unwrap();
    assert_eq!((token.polls, token.next_poll_at), (5, T0 + 78_000));
    let resumed = Poller::resume(
        endpoint(Provider::Lensmor),
        config(None),
        token,
        T0 + 60_000,
    )
    .unwrap();
    let run = drive(resumed, T0 + 60_000, finishing_on(2));
    assert_eq!(run.sent_at, [78_000, 98_000]);
    assert!(run.outcome.is_ok());
}

#[test]
fn a_resume_after_the_due_time_polls_at_once() {
    let token = ResumeToken {
        polls: 3,
        next_poll_at: T0 + 38_000,
        ..ResumeToken::new(TaskKind::LensmorEmail, "321", T0, 3_000).unwrap()
    };
    let poller = Poller::resume(
        endpoint(Provider::Lensmor),
        config(None),
        token,
        T0 + 500_000,
    )
    .unwrap();
    let run = drive(poller, T0 + 500_000, finishing_on(2));
    assert_eq!(run.sent_at, [500_000, 520_000]);
}

#[test]
fn a_poll_in_flight_is_repeated_on_resume() {
    let mut poller = lensmor_poller(None);
    assert!(matches!(poller.next_action(T0 + 3_000), Action::Send(_)));
    assert!(matches!(
        poller.next_action(T0 + 3_001),
        Action::AwaitResponse
    ));
    // The page reloads before the answer: the token says the poll is due at 3 s...
    let token = poller.token();
    assert_eq!((token.polls, token.next_poll_at), (0, T0 + 3_000));
    // ...so the resumed poller sends that same poll at once, and it counts as the first.
    let encoded = token.encode();
    let resumed = Poller::resume(
        endpoint(Provider::Lensmor),
        config(None),
        ResumeToken::decode(&encoded).unwrap(),
        T0 + 60_000,
    )
    .unwrap();
    let run = drive(resumed, T0 + 60_000, finishing_on(1));
    assert_eq!(
        run.sent_at,
        [60_000],
        "the lost poll is repeated immediately"
    );
    assert_eq!(run.poller.polls(), 1);
}

/// `pollOnce` used to ask `next_action` again after the answer, with a later clock: when
/// handling the answer took longer than the next wait, that was a second `Send`, and the step
/// failed with "poll step out of order". The step now reads its outcome without the clock.
#[test]
fn a_step_sends_one_poll_whatever_the_delays_and_the_answer_size() {
    for (delays, items) in [(vec![5_000, 1], 2), (vec![1_000, 100], 5_000)] {
        let config = PollingConfig::new(Schedule::new(delays, 0.0, 1).unwrap(), None, 5).unwrap();
        let mut poller = Poller::start(
            endpoint(Provider::Lensmor),
            config,
            TaskKind::LensmorEmail,
            "321",
            T0,
            T0,
        )
        .unwrap();
        let list: Vec<(String, &str)> = (0..items)
            .map(|i| (format!("{}", 1000 + i), "processing"))
            .collect();
        let refs: Vec<(&str, &str, Option<&str>)> = list
            .iter()
            .map(|(id, st)| (id.as_str(), *st, None))
            .collect();
        let answer = task("processing", &refs);
        let sent_at = T0 + 10;
        assert!(poller.begin_step(sent_at).is_some(), "a step polls at once");
        poller.on_response(sent_at, &answer);
        let next = match poller.step_outcome() {
            unlock_tasks::Step::NextAt(at) => at,
            other => panic!("{other:?}"),
        };
        assert!(next > sent_at);
        // However late the driver looks again, the step is over: the old code's question
        // (`next_action` at a later time) would have asked for a second request here.
        let late = next + 1_000;
        assert!(matches!(poller.next_action(late), Action::Send(_)));
        assert_eq!(poller.snapshot().map(|s| s.items.len()), Some(items));
    }
}

#[test]
fn a_step_stops_at_retry_after_and_reports_the_end() {
    let mut poller = lensmor_poller(None);
    assert!(poller.begin_step(T0).is_some());
    poller.on_response(
        T0,
        &api_error(429, "RATE_LIMIT_EXCEEDED").with_header("retry-after", "30"),
    );
    assert_eq!(
        poller.step_outcome(),
        unlock_tasks::Step::NextAt(T0 + 30_000)
    );
    assert!(
        poller.begin_step(T0 + 1_000).is_none(),
        "never before Retry-After"
    );
    assert!(poller.begin_step(T0 + 30_000).is_some());
    poller.on_response(T0 + 30_000, &completed_mixed());
    assert!(matches!(poller.step_outcome(), unlock_tasks::Step::Done(_)));
    assert!(
        poller.begin_step(T0 + 40_000).is_none(),
        "nothing after the end"
    );
}

#[test]
fn unknown_statuses_keep_polling_until_the_deadline_and_are_named() {
    let run = drive(lensmor_poller(Some(40_000)), T0, |_, _| {
        Reply::Answer(task("queued_v2", &[("789", "reviewing", None)]))
    });
    assert_eq!(run.sent_at, [3_000, 8_000, 18_000, 38_000]);
    let err = run.outcome.unwrap_err();
    assert_eq!(err.code, ErrorCode::Timeout);
    assert!(
        err.message.contains("queued_v2, reviewing"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("unknown status \"queued_v2\""),
        "{}",
        err.message
    );
}

#[test]
fn progress_is_reported_only_on_change() {
    let run = drive(lensmor_poller(None), T0, |i, _| {
        Reply::Answer(match i {
            1 | 2 => processing(),
            3 | 4 => task(
                "processing",
                &[
                    ("789", "unlocked", Some("j@a.example")),
                    ("790", "pending", None),
                ],
            ),
            _ => completed_mixed(),
        })
    });
    let progress: Vec<_> = run
        .events
        .iter()
        .filter(|e| matches!(e, Event::Progress(_)))
        .collect();
    assert_eq!(
        progress.len(),
        3,
        "first answer, the unlock of 789, the completion"
    );
}

#[test]
fn cancel_rejects_with_aborted_and_ignores_the_late_answer() {
    let mut poller = lensmor_poller(None);
    assert!(matches!(poller.next_action(T0 + 3_000), Action::Send(_)));
    poller.cancel();
    poller.on_response(T0 + 3_100, &completed_mixed());
    match poller.next_action(T0 + 3_200) {
        Action::Failed(e) => assert_eq!(e.code, ErrorCode::Aborted),
        other => panic!("expected aborted, got {other:?}"),
    }
    assert_eq!(
        poller.snapshot(),
        None,
        "the answer after abort was not taken"
    );
}

#[test]
fn expedite_polls_now_but_never_before_retry_after() {
    let mut poller = lensmor_poller(None);
    poller.expedite(T0 + 100);
    assert!(matches!(poller.next_action(T0 + 100), Action::Send(_)));
    poller.on_response(
        T0 + 100,
        &api_error(429, "RATE_LIMIT_EXCEEDED").with_header("Retry-After", "60"),
    );
    poller.expedite(T0 + 200);
    assert_eq!(poller.next_action(T0 + 200), Action::WaitUntil(T0 + 60_100));
    // The floor survives a token round trip (an edge worker's next step).
    let token = ResumeToken::decode(&poller.token().encode()).unwrap();
    let mut resumed =
        Poller::resume(endpoint(Provider::Lensmor), config(None), token, T0 + 300).unwrap();
    resumed.expedite(T0 + 300);
    assert_eq!(
        resumed.next_action(T0 + 300),
        Action::WaitUntil(T0 + 60_100)
    );
}

#[test]
fn failures_in_a_row_carry_across_resumes() {
    let mut poller = lensmor_poller(None);
    for _ in 0..4 {
        poller.expedite(T0);
        let Action::Send(_) = poller.next_action(T0) else {
            panic!()
        };
        poller.on_response(T0, &HttpResponse::new(500, ""));
        poller = Poller::resume(
            endpoint(Provider::Lensmor),
            config(None),
            poller.token(),
            T0,
        )
        .unwrap();
    }
    let run = drive(poller, T0, |_, _| Reply::Answer(HttpResponse::new(500, "")));
    assert_eq!(
        run.sent_at.len(),
        1,
        "the fifth failure in a row, across resumes, ends it"
    );
    assert_eq!(run.outcome.unwrap_err().code, ErrorCode::Server);
}

#[test]
fn a_retry_after_past_the_deadline_times_out_at_once() {
    let run = drive(lensmor_poller(Some(30_000)), T0, |_, _| {
        Reply::Answer(api_error(429, "RATE_LIMIT_EXCEEDED").with_header("Retry-After", "120"))
    });
    assert_eq!(run.sent_at, [3_000]);
    assert_eq!(run.outcome.unwrap_err().code, ErrorCode::Timeout);
}

#[test]
fn salesfinity_enrichment_runs_to_not_found_at_no_cost() {
    let poller = Poller::start(
        endpoint(Provider::Salesfinity),
        config(None),
        TaskKind::SalesfinityEmail,
        "507f1f77bcf86cd799439011",
        T0,
        T0,
    )
    .unwrap();
    let run = drive(poller, T0, |i, req| {
        assert_eq!(
            req.url,
            "http://127.0.0.1:9/v1/api/enrichment/email/507f1f77bcf86cd799439011"
        );
        assert_eq!(req.header("x-api-key"), Some(KEY));
        let status = if i < 3 { "processing" } else { "not-found" };
        Reply::Answer(HttpResponse::new(
            200,
            format!(r#"{{"_id":"507f1f77bcf86cd799439011","status":"{status}","email":null}}"#),
        ))
    });
    let result = run.outcome.unwrap();
    assert_eq!(result.summary.not_found.len(), 1);
    assert_eq!(result.snapshot.items[0].state, ItemState::NotFound);
    assert_eq!(result.summary.credits, 0);
}

#[test]
fn a_token_of_another_provider_is_refused_on_resume() {
    let token = ResumeToken::new(TaskKind::SalesfinityEmail, "abc", T0, 3_000).unwrap();
    let err = Poller::resume(endpoint(Provider::Lensmor), config(None), token, T0).unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation);
    assert_eq!(err.field.as_deref(), Some("token"));
}

#[test]
fn hostile_task_ids_stay_one_path_segment() {
    let hostile = "../../credits/balance?x=1#";
    // Salesfinity's ids are opaque: the id stays one segment.
    let poller = Poller::start(
        endpoint(Provider::Salesfinity),
        config(None),
        TaskKind::SalesfinityEmail,
        hostile,
        T0,
        T0,
    )
    .unwrap();
    let mut url = String::new();
    drive(poller, T0, |_, req| {
        url = req.url.clone();
        Reply::Answer(HttpResponse::new(404, "{}"))
    });
    assert_eq!(
        url,
        "http://127.0.0.1:9/v1/api/enrichment/email/..%2F..%2Fcredits%2Fbalance%3Fx%3D1%23"
    );
    // Lensmor's are decimal (OpenAPI 0.27): refused before anything is sent.
    let token = ResumeToken::new(TaskKind::LensmorPhone, hostile, T0, 0).unwrap();
    let err = Poller::resume(endpoint(Provider::Lensmor), config(None), token, T0).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("taskId"));
}

fn httpdate(at_ms: u64) -> String {
    // RFC 9110 IMF-fixdate, built by hand so the test does not share the parser's code.
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = at_ms / 1000;
    let days = secs / 86_400;
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {d:02} {} {year} {h:02}:{m:02}:{s:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize]
    )
}

trait With200 {
    fn with_status_200(self) -> HttpResponse;
}

impl With200 for HttpResponse {
    fn with_status_200(mut self) -> HttpResponse {
        self.status = 200;
        self
    }
}

#[test]
fn an_item_missing_from_a_later_answer_keeps_its_last_state() {
    let run = drive(lensmor_poller(None), T0, |i, _| {
        Reply::Answer(match i {
            1 => task(
                "processing",
                &[
                    ("789", "unlocked", Some("jane@acme.example")),
                    ("790", "processing", None),
                ],
            ),
            // The provider forgets 789 and sends 790 twice.
            2 => task(
                "processing",
                &[("790", "processing", None), ("790", "processing", None)],
            ),
            // 789 comes back as "processing" (a glitch) and 790 fails; a new 791 appears.
            _ => task(
                "completed",
                &[
                    ("789", "processing", None),
                    ("790", "failed", None),
                    ("791", "unlocked", Some("li@x.example")),
                ],
            ),
        })
    });
    let result = run.outcome.unwrap();
    let ids: Vec<&str> = result
        .snapshot
        .items
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["789", "790", "791"],
        "every contact once seen is reported, once"
    );
    assert_eq!(
        result
            .summary
            .delivered
            .iter()
            .map(|i| i.value.as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["jane@acme.example", "li@x.example"]
    );
    assert_eq!(result.summary.failed.len(), 1);
    assert_eq!(result.summary.credits, 30);
}

/// The key's budget is spent for a minute while a wait of 5 s runs: the poll is deferred, and
/// the wait ends as `timeout` at once instead of after the minute (the package used to reject
/// after 60 s and 111 polls).
#[test]
fn a_poll_deferred_past_the_deadline_ends_the_wait_as_timeout() {
    let mut poller = lensmor_poller(Some(5_000));
    let Action::Send(_) = poller.next_action(T0 + 3_000) else {
        panic!("the first poll is due at 3 s")
    };
    poller.defer(T0 + 60_000);
    assert_eq!(poller.polls(), 0, "a deferred poll was not sent");
    match poller.next_action(T0 + 3_000) {
        Action::Failed(error) => {
            assert_eq!(error.code, ErrorCode::Timeout);
            assert!(
                error.message.contains("did not finish within 5 s"),
                "{}",
                error.message
            );
        }
        _ => panic!("expected a timeout"),
    }
}

/// Deferred within the deadline, the poll is sent at the instant the budget gave.
#[test]
fn a_deferred_poll_is_sent_when_the_budget_has_room() {
    let mut poller = lensmor_poller(Some(60_000));
    let Action::Send(_) = poller.next_action(T0 + 3_000) else {
        panic!("the first poll is due at 3 s")
    };
    poller.defer(T0 + 7_000);
    assert!(matches!(poller.next_action(T0 + 3_000), Action::WaitUntil(at) if at == T0 + 7_000));
    assert!(matches!(poller.next_action(T0 + 7_000), Action::Send(_)));
    // A deferral never moves a poll earlier than its schedule.
    poller.defer(T0 + 1);
    assert!(matches!(poller.next_action(T0 + 6_000), Action::WaitUntil(at) if at == T0 + 7_000));
}
