//! Every example in the providers' documents (`../shared/seeds/`) parsed as written.
//!
//! The examples are copied here so each test names what it reads; each copy is checked to stand
//! in its seed (`../shared/seeds`, which must be there) verbatim, whitespace aside.

use std::path::PathBuf;

use serde_json::Value;
use unlock_tasks::providers::{self, Endpoint};
use unlock_tasks::{ErrorCode, HttpResponse, ItemState, Provider, Selection, TaskKind, TaskStatus};

const NOW: u64 = 1_763_800_000_000;

/// (seed file, example text as written there)
const LENSMOR_TASK: (&str, &str) = (
    "000_a7182db944c76966.txt",
    r#"{
  "taskId": "321",
  "taskStatus": "processing",
  "items": [
    {
      "personnelId": "789",
      "status": "unlocked",
      "email": "jane@acme.example"
    },
    {
      "personnelId": "790",
      "status": "processing"
    }
  ]
}"#,
);
const LENSMOR_CREATE_REQUEST: (&str, &str) = (
    "001_a163fcfdeee60b46.txt",
    r#"{"event_id":"139574","personnel_ids":["789","790"]}"#,
);
const LENSMOR_CREATED: (&str, &str) = (
    "001_a163fcfdeee60b46.txt",
    r#"{
"status": "accepted",
"task_id": "321",
"job_id": "321"
}"#,
);
const LENSMOR_CREATED_GUIDE: (&str, &str) = (
    "002_233f201f800c2f53.txt",
    r#"{
  "status": "accepted",
  "task_id": "321",
  "job_id": "321"
}"#,
);
const LENSMOR_PERSONNEL: (&str, &str) = (
    "002_233f201f800c2f53.txt",
    r#"{
  "id": "789",
  "fullName": "Jane Doe",
  "title": "VP of Partnerships",
  "companyName": "Example Retail Co",
  "email": null,
  "contactUnlockStatus": "locked"
}"#,
);
const SALESFINITY_HEADLINE: (&str, &str) = (
    "004_1888c6a02baaa862.txt",
    r#"{
  "_id": "507f1f77bcf86cd799439011",
  "linkedin_url": "https://www.linkedin.com/in/username",
  "email": {
    "email": "[email protected]",
    "type": "work"
  },
  "external_id": "lead-42"
}"#,
);
const SALESFINITY_COMPLETED: (&str, &str) = (
    "004_1888c6a02baaa862.txt",
    r#"{
  "_id": "507f1f77bcf86cd799439011",
  "status": "completed",
  "enrichment_type": "work_email",
  "email": { "email": "[email protected]", "type": "work" },
  "linkedin_url": "https://www.linkedin.com/in/janedoe",
  "external_id": "lead-42"
}"#,
);
const SALESFINITY_RUNNING: (&str, &str) = (
    "004_1888c6a02baaa862.txt",
    r#"{
  "_id": "507f1f77bcf86cd799439011",
  "status": "processing",
  "linkedin_url": "https://www.linkedin.com/in/janedoe"
}"#,
);

const ALL: [(&str, &str); 8] = [
    LENSMOR_TASK,
    LENSMOR_CREATE_REQUEST,
    LENSMOR_CREATED,
    LENSMOR_CREATED_GUIDE,
    LENSMOR_PERSONNEL,
    SALESFINITY_HEADLINE,
    SALESFINITY_COMPLETED,
    SALESFINITY_RUNNING,
];

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds")
}

#[test]
fn copies_stand_verbatim_in_the_seeds() {
    // No skipping: without the seeds this test would pass while checking nothing. The project
    // is always checked out with `shared/` beside it (CI too).
    let dir = seeds_dir();
    assert!(
        dir.is_dir(),
        "{} is missing: the seed copies cannot be checked against the providers' documents",
        dir.display()
    );
    for (file, example) in ALL {
        let seed = std::fs::read_to_string(dir.join(file)).expect("seed file readable");
        assert!(
            collapse(&seed).contains(&collapse(example)),
            "{file} does not contain:\n{example}"
        );
    }
}

fn ok(body: &str) -> HttpResponse {
    HttpResponse::new(200, body)
}

#[test]
fn lensmor_email_task_example() {
    let s = providers::parse_task(TaskKind::LensmorEmail, "321", &ok(LENSMOR_TASK.1), NOW).unwrap();
    assert_eq!(s.task_id, "321");
    assert_eq!(s.status, TaskStatus::Processing);
    assert!(!s.done());
    assert_eq!(s.items.len(), 2);
    assert_eq!(s.items[0].id, "789");
    assert_eq!(s.items[0].state, ItemState::Delivered);
    assert_eq!(s.items[0].value.as_deref(), Some("jane@acme.example"));
    assert_eq!(s.items[1].id, "790");
    assert_eq!(s.items[1].state, ItemState::Processing);
    assert_eq!(s.items[1].value, None);
    assert_eq!(
        s.summary(providers::credits_per_contact(s.kind)).credits,
        15
    );
}

#[test]
fn lensmor_create_request_matches_the_example() {
    let endpoint = Endpoint::new(Provider::Lensmor, None, Some("uak_example"), None).unwrap();
    let selection = Selection::new(Some("139574"), &["789".into(), "790".into()], 100).unwrap();
    let request = providers::create_unlock(&endpoint, TaskKind::LensmorEmail, &selection).unwrap();
    assert_eq!(
        request.url,
        "https://platform.lensmor.com/external/contacts/unlock"
    );
    assert_eq!(request.header("authorization"), Some("Bearer uak_example"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let sent: Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
    let documented: Value = serde_json::from_str(LENSMOR_CREATE_REQUEST.1).unwrap();
    assert_eq!(sent, documented);
}

#[test]
fn lensmor_created_examples() {
    for (_, example) in [LENSMOR_CREATED, LENSMOR_CREATED_GUIDE] {
        let response = HttpResponse::new(201, example);
        let created = providers::parse_created(TaskKind::LensmorEmail, &response, NOW).unwrap();
        assert_eq!(created.task_id.as_deref(), Some("321"));
        assert_eq!(created.provider_status, "accepted");
        assert!(created.skipped_ids.is_empty());
    }
}

#[test]
fn lensmor_personnel_example_is_a_locked_contact() {
    let record: Value = serde_json::from_str(LENSMOR_PERSONNEL.1).unwrap();
    assert_eq!(record["contactUnlockStatus"], "locked");
    assert!(record["email"].is_null());
    // Its id is what goes into an unlock selection.
    let selection = Selection::new(
        Some("139574"),
        &[record["id"].as_str().unwrap().to_string()],
        100,
    )
    .unwrap();
    assert_eq!(selection.personnel_ids, ["789"]);
}

#[test]
fn lensmor_phone_task_follows_the_openapi_schema() {
    // 003 gives the schema, not an example: required taskId, taskStatus, items[personnelId,
    // status]; optional phone (string or null) and errorCode.
    let body = r#"{"taskId":"phone_321","taskStatus":"completed","items":[
        {"personnelId":"789","status":"unlocked","phone":"+1 555 0100"},
        {"personnelId":"790","status":"unlocked","phone":null},
        {"personnelId":"791","status":"failed","errorCode":"TASK_FAILED"}]}"#;
    let s = providers::parse_task(TaskKind::LensmorPhone, "phone_321", &ok(body), NOW).unwrap();
    assert_eq!(s.status, TaskStatus::Completed);
    let states: Vec<ItemState> = s.items.iter().map(|i| i.state).collect();
    assert_eq!(
        states,
        [ItemState::Delivered, ItemState::NoValue, ItemState::Failed]
    );
    assert_eq!(s.items[0].value.as_deref(), Some("+1 555 0100"));
    assert_eq!(s.items[2].error_code.as_deref(), Some("TASK_FAILED"));
    let summary = s.summary(providers::credits_per_contact(s.kind));
    assert_eq!(summary.delivered.len(), 1);
    assert_eq!(summary.no_value.len(), 1);
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.credits, 300, "two unlocked phones at 150");
}

#[test]
fn lensmor_api_error_schema() {
    let body = r#"{"code":401,"message":"Missing or invalid API key","errorKey":"INVALID_API_KEY","traceId":"8f2c"}"#;
    let err = providers::parse_task(
        TaskKind::LensmorPhone,
        "1",
        &HttpResponse::new(401, body),
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(err.error_key.as_deref(), Some("INVALID_API_KEY"));
    assert_eq!(err.trace_id.as_deref(), Some("8f2c"));
}

#[test]
fn salesfinity_examples() {
    let headline = providers::parse_task(
        TaskKind::SalesfinityEmail,
        "x",
        &ok(SALESFINITY_HEADLINE.1),
        NOW,
    )
    .unwrap();
    assert_eq!(headline.task_id, "507f1f77bcf86cd799439011");
    assert_eq!(
        headline.status,
        TaskStatus::Completed,
        "an email with no status word reads as completed"
    );
    assert_eq!(headline.provider_status, "");
    assert_eq!(headline.external_id.as_deref(), Some("lead-42"));
    let item = &headline.items[0];
    assert_eq!(item.id, "https://www.linkedin.com/in/username");
    assert_eq!(item.state, ItemState::Delivered);
    // The docs' page obfuscated the address; it is parsed as written.
    assert_eq!(item.value.as_deref(), Some("[email protected]"));
    assert_eq!(item.value_type.as_deref(), Some("work"));

    let completed = providers::parse_task(
        TaskKind::SalesfinityEmail,
        "x",
        &ok(SALESFINITY_COMPLETED.1),
        NOW,
    )
    .unwrap();
    assert!(completed.done());
    assert_eq!(completed.items[0].state, ItemState::Delivered);
    assert_eq!(
        completed
            .summary(providers::credits_per_contact(completed.kind))
            .credits,
        1
    );

    let running = providers::parse_task(
        TaskKind::SalesfinityEmail,
        "x",
        &ok(SALESFINITY_RUNNING.1),
        NOW,
    )
    .unwrap();
    assert_eq!(running.status, TaskStatus::Processing);
    assert!(!running.done());
    assert_eq!(running.items[0].state, ItemState::Processing);
    assert_eq!(running.items[0].value, None);
    assert_eq!(
        running
            .summary(providers::credits_per_contact(running.kind))
            .credits,
        0
    );
}

#[test]
fn salesfinity_lifecycle_words() {
    let cases = [
        ("pending", TaskStatus::Pending, ItemState::Pending, 0),
        ("not-found", TaskStatus::Completed, ItemState::NotFound, 0),
        ("failed", TaskStatus::Failed, ItemState::Failed, 0),
        ("queued-v2", TaskStatus::Unknown, ItemState::Unknown, 0),
    ];
    for (word, task, item, credits) in cases {
        let body = format!(
            r#"{{"_id":"a1","status":"{word}","email":null,"linkedin_url":"https://www.linkedin.com/in/j"}}"#
        );
        let s = providers::parse_task(TaskKind::SalesfinityEmail, "a1", &ok(&body), NOW).unwrap();
        assert_eq!(
            (
                s.status,
                s.items[0].state,
                s.summary(providers::credits_per_contact(s.kind)).credits
            ),
            (task, item, credits),
            "{word}"
        );
        assert_eq!(s.provider_status, word);
    }
    // Completed with no email: not delivered, not hidden.
    let body = r#"{"_id":"a1","status":"completed","email":null}"#;
    let s = providers::parse_task(TaskKind::SalesfinityEmail, "a1", &ok(body), NOW).unwrap();
    assert_eq!(s.items[0].state, ItemState::NoValue);
    assert_eq!(
        s.items[0].id, "a1",
        "with no linkedin_url the request id names the item"
    );
}
