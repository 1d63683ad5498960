//! A terminal walk through the core, no network and no account: `npm run demo`.
//!
//! It validates a selection, builds the create request, then drives the poller against a
//! simulated Lensmor task on a virtual clock (so 2 minutes of backoff print in an instant),
//! reloads from the token half-way, and prints every contact's outcome.
//!
//! The simulated provider below stands in for the sandbox server until the JavaScript package
//! and its sandbox exist; it answers with the documented shapes, a 429 and a 503 included.

use unlock_tasks::providers::{self, Endpoint};
use unlock_tasks::{
    Action, Event, HttpResponse, ItemState, Poller, PollingConfig, Provider, ResumeToken,
    Selection, TaskKind,
};

const T0: u64 = 1_763_800_000_000;

/// When each contact settles (seconds after creation) and how.
const CONTACTS: [(&str, u64, &str); 5] = [
    ("789", 6, "jane@acme.example"),
    ("790", 15, "omar@globex.example"),
    ("791", 30, "!failed"),
    ("792", 45, ""),
    ("793", 70, "li@initech.example"),
];

fn main() {
    println!("unlock-tasks core demo (virtual clock, simulated Lensmor)\n");

    let picked: Vec<String> = ["789", "790", "791", "790", "792", "793"]
        .map(String::from)
        .to_vec();
    let selection = Selection::new(Some("139574"), &picked, 100).expect("a valid selection");
    println!(
        "Selection: {} contacts for event {} (duplicates removed: {:?})",
        selection.personnel_ids.len(),
        selection.event_id.as_deref().unwrap_or("(none)"),
        selection.duplicates
    );
    let too_many: Vec<String> = (0..2001).map(|i| i.to_string()).collect();
    let refused = Selection::new(Some("139574"), &too_many, 2000).unwrap_err();
    println!(
        "Refused before any request: [{}] {}\n",
        refused.code, refused.message
    );

    let endpoint = Endpoint::new(Provider::Lensmor, None, Some("uak_demo_key"), None).unwrap();
    let create = providers::create_unlock(&endpoint, TaskKind::LensmorEmail, &selection).unwrap();
    println!("Create request (the key is redacted in logs):\n  {create:?}\n");
    let created = HttpResponse::new(
        201,
        r#"{"status":"accepted","task_id":"321","job_id":"321"}"#,
    );
    let created = providers::parse_created(TaskKind::LensmorEmail, &created, T0).unwrap();
    let task_id = created.task_id.expect("a task was created");
    println!("Task {task_id} accepted. Polling on the documented 3/5/10/20 s schedule:\n");

    let config = PollingConfig::default();
    let mut poller = Poller::start(
        endpoint.clone(),
        config.clone(),
        TaskKind::LensmorEmail,
        &task_id,
        T0,
        T0,
    )
    .unwrap();
    let mut now = T0;
    let mut reloaded = false;
    loop {
        if !reloaded && now - T0 >= 30_000 {
            let token = poller.token().encode();
            println!("  -- page reload: stored token {token} --");
            let token = ResumeToken::decode(&token).unwrap();
            poller = Poller::resume(endpoint.clone(), config.clone(), token, now).unwrap();
            reloaded = true;
        }
        match poller.next_action(now) {
            Action::Send(request) => {
                let response = simulated_provider(poller.polls() + 1, now - T0);
                println!(
                    "  t+{:>5.1}s  {} {}  -> HTTP {}",
                    secs(now),
                    request.method.as_str(),
                    request.url,
                    response.status
                );
                poller.on_response(now, &response);
                while let Some(event) = poller.poll_event() {
                    print_event(&event, now);
                }
            }
            Action::WaitUntil(at) => now = at,
            Action::AwaitResponse => unreachable!("this driver answers at once"),
            Action::Done(result) => {
                let s = &result.summary;
                println!(
                    "\nTask {} finished: {}",
                    result.snapshot.task_id,
                    result.snapshot.status.as_str()
                );
                for item in &result.snapshot.items {
                    let detail = item
                        .value
                        .as_deref()
                        .or(item.error_code.as_deref())
                        .unwrap_or("");
                    println!("  {:<4} {:<10} {detail}", item.id, item.state.as_str());
                }
                println!(
                    "Delivered {}, failed {}, no value {}, unresolved {}; {} credits by the published rules.",
                    s.delivered.len(),
                    s.failed.len(),
                    s.no_value.len(),
                    s.unresolved.len(),
                    s.credits
                );
                return;
            }
            Action::Failed(error) => {
                println!("\nPolling stopped: [{}] {error}", error.code);
                return;
            }
        }
    }
}

fn secs(now: u64) -> f64 {
    (now - T0) as f64 / 1000.0
}

fn print_event(event: &Event, now: u64) {
    match event {
        Event::Progress(snapshot) => {
            let settled = snapshot
                .items
                .iter()
                .filter(|i| i.state.is_settled())
                .count();
            let delivered = snapshot
                .items
                .iter()
                .filter(|i| i.state == ItemState::Delivered)
                .count();
            println!(
                "             task {}: {settled}/{} settled, {delivered} delivered",
                snapshot.provider_status,
                snapshot.items.len()
            );
        }
        Event::Throttled { resume_at, .. } => {
            println!(
                "             rate limited: next poll at t+{:.1}s",
                secs(*resume_at)
            );
        }
        Event::Retrying {
            error,
            failures,
            resume_at,
        } => {
            println!(
                "             [{}] failure {failures} in a row, retry at t+{:.1}s (waited {:.1}s)",
                error.code,
                secs(*resume_at),
                (resume_at - now) as f64 / 1000.0
            );
        }
    }
}

/// The simulated provider: poll 3 is rate limited, poll 5 is a 503, the rest report each
/// contact by the time it settles.
fn simulated_provider(poll: u32, elapsed_ms: u64) -> HttpResponse {
    match poll {
        3 => {
            return HttpResponse::new(429, r#"{"code":429,"message":"Too many requests","errorKey":"RATE_LIMIT_EXCEEDED","traceId":"demo-429"}"#)
                .with_header("Retry-After", "12")
        }
        5 => return HttpResponse::new(503, "<html>Service Unavailable</html>"),
        _ => {}
    }
    let items: Vec<String> = CONTACTS
        .iter()
        .map(
            |(id, at, outcome)| match (elapsed_ms >= at * 1000, *outcome) {
                (false, _) => format!(r#"{{"personnelId":"{id}","status":"processing"}}"#),
                (true, "!failed") => format!(
                    r#"{{"personnelId":"{id}","status":"failed","errorCode":"TASK_FAILED"}}"#
                ),
                (true, "") => {
                    format!(r#"{{"personnelId":"{id}","status":"unlocked","email":null}}"#)
                }
                (true, email) => {
                    format!(r#"{{"personnelId":"{id}","status":"unlocked","email":"{email}"}}"#)
                }
            },
        )
        .collect();
    let all_settled = CONTACTS.iter().all(|(_, at, _)| elapsed_ms >= at * 1000);
    let status = if all_settled {
        "completed"
    } else {
        "processing"
    };
    HttpResponse::new(
        200,
        format!(
            r#"{{"taskId":"321","taskStatus":"{status}","items":[{}]}}"#,
            items.join(",")
        ),
    )
}
