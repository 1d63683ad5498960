//! Properties over generated inputs: tokens round-trip, and no input string makes a parser,
//! validator or decoder panic. `PROPTEST_CASES` raises the number of cases (default 256).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use unlock_tasks::providers::{self, Endpoint};
use unlock_tasks::{
    Action, Enrichment, ErrorCode, HttpResponse, Poller, PollingConfig, Provider, ResumeToken,
    Schedule, Selection, TaskKind,
};

const NOW: u64 = 1_763_800_000_000;

fn kind() -> impl Strategy<Value = TaskKind> {
    prop::sample::select(TaskKind::ALL.to_vec())
}

/// Task ids as the validator accepts them: 1..=256 bytes, no control characters, not `.`/`..`.
fn task_id() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{1,64}".prop_filter("a valid task id", |s| {
        s.len() <= 256 && s != "." && s != ".."
    })
}

/// JSON-ish text: real task bodies mutated, and arbitrary strings.
fn body() -> impl Strategy<Value = String> {
    let real = prop::sample::select(vec![
        r#"{"taskId":"321","taskStatus":"processing","items":[{"personnelId":"789","status":"unlocked","email":"a@b.c"}]}"#,
        r#"{"_id":"507f","status":"completed","email":{"email":"a@b.c","type":"work"}}"#,
        r#"{"code":404,"message":"x","errorKey":"NOT_FOUND","traceId":"t"}"#,
        r#"{"taskId":1e400,"taskStatus":null,"items":{"__proto__":{"polluted":true}}}"#,
        r#"{"items":[null,1,"x",{"personnelId":[],"status":{}}],"taskStatus":"completed"}"#,
        r#"{"status":"accepted","task_id":5,"skipped_personnel_ids":["7",8],"skipped_detail":{"already_unlocked_personnel_ids":["7"],"x":[{"y":-1.5e3}]}}"#,
        r#"{"allowed":true,"credits":15,"detail":{"personnel_ids":["790"],"requested_count":"2"}}"#,
        r#"{"items":[{"id":9,"contactUnlockStatus":"unlocked","email":"a@b.c"},7],"total":1,"semantics":{"pageState":{"accessible":false}}}"#,
        r#"{"code":409,"message":["a","b"],"error":"Conflict","errorKey":"X","details":{"k":[null,true]}}"#,
        r#"{"kind":"lensmor.email","taskId":"5","skippedDetail":{"a":["é
"]}}"#,
    ]);
    prop_oneof![
        real.prop_flat_map(|s| (Just(s), 0..s.len(), any::<char>()))
            .prop_map(|(s, at, c)| {
                let mut s = s.to_string();
                let at = (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                s.insert(at, c);
                s
            }),
        ".{0,200}",
        prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

proptest! {
    #[test]
    fn tokens_round_trip(
        kind in kind(),
        id in task_id(),
        created_at in 0u64..(1 << 50),
        polls in any::<u32>(),
        after in 0u64..(1 << 40),
        not_before in prop::option::of(0u64..(1 << 40)),
        failures in any::<u32>(),
    ) {
        let token = ResumeToken {
            kind,
            task_id: id,
            created_at,
            polls,
            next_poll_at: created_at + after,
            not_before: not_before.map(|d| created_at + d),
            failures,
        };
        let text = token.encode();
        prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        prop_assert_eq!(ResumeToken::decode(&text).unwrap(), token);
    }

    #[test]
    fn token_decoding_never_panics(text in ".{0,300}") {
        if let Err(e) = ResumeToken::decode(&text) {
            prop_assert_eq!(e.code, ErrorCode::Validation);
        }
    }

    #[test]
    fn damaged_v1_payloads_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        use base64::Engine;
        let text = format!("ut1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
        let _ = ResumeToken::decode(&text);
    }

    #[test]
    fn one_changed_character_is_always_refused(
        id in task_id(),
        at in any::<prop::sample::Index>(),
        c in "[A-Za-z0-9_-]",
    ) {
        let text = ResumeToken::new(TaskKind::LensmorEmail, &id, NOW, 3_000).unwrap().encode();
        let at = 4 + at.index(text.len() - 4);
        let mut changed = text.clone();
        changed.replace_range(at..at + 1, &c);
        // The last base64 char carries padding bits: a change there may decode to the same bytes.
        prop_assume!(changed != text && at != text.len() - 1);
        prop_assert!(ResumeToken::decode(&changed).is_err());
    }

    #[test]
    fn response_parsers_never_panic(kind in kind(), status in 100u16..600, body in body(), header in ".{0,40}") {
        let response = HttpResponse::new(status, body).with_header("retry-after", &header);
        let _ = providers::parse_task(kind, "321", &response, NOW);
        let _ = providers::parse_created(kind, &response, NOW);
        let _ = providers::parse_balance(kind.provider(), &response, NOW);
        let _ = providers::parse_precheck(&response, NOW);
        let query = unlock_tasks::ContactQuery::new("139574", None, None, Default::default(), &[])
            .expect("a valid query");
        let _ = providers::parse_contacts(&query, &response, NOW);
        let _ = providers::parse_contact("789", &response, NOW);
        let _ = providers::created_answer(&response.body);
        let _ = response.retry_after_ms(NOW);
    }

    #[test]
    fn validators_never_panic(a in ".{0,80}", b in ".{0,80}", ids in prop::collection::vec(".{0,12}", 0..120)) {
        let _ = Selection::new(Some(&a), &ids, 100);
        let _ = Enrichment::new(&a, &b, Some(&a), Some(&b));
        let _ = unlock_tasks::validate::base_url(&a);
        let _ = unlock_tasks::validate::task_id(&a);
    }

    /// De-duplication keeps the first appearance of each id in the order given, and reports
    /// each repeated id once, in the order of its second appearance: the same as the obvious
    /// quadratic loop, which it replaced.
    #[test]
    fn dedupe_matches_the_obvious_loop(ids in prop::collection::vec("[a-d]{1,2}", 1..60)) {
        let mut distinct: Vec<String> = Vec::new();
        let mut duplicates: Vec<String> = Vec::new();
        for id in &ids {
            if !distinct.contains(id) {
                distinct.push(id.clone());
            } else if !duplicates.contains(id) {
                duplicates.push(id.clone());
            }
        }
        let s = Selection::new(Some("e"), &ids, 100).unwrap();
        prop_assert_eq!(s.personnel_ids, distinct);
        prop_assert_eq!(s.duplicates, duplicates);
    }

    /// Whatever the provider answers, the poller only moves forward in time, never sends from a
    /// finished state, and ends within the failure budget or the deadline.
    #[test]
    fn poller_invariants_under_random_answers(
        answers in prop::collection::vec((prop::sample::select(vec![200u16, 200, 200, 404, 429, 500, 503, 401]), body()), 1..40),
        jitter in 0.0f64..=1.0,
    ) {
        let endpoint = Endpoint::new(Provider::Lensmor, Some("http://127.0.0.1:9"), None, None).unwrap();
        let config = PollingConfig::new(Schedule::new(vec![3_000, 5_000, 10_000, 20_000], jitter, 7).unwrap(), Some(600_000), 5).unwrap();
        let mut poller = Poller::start(endpoint, config, TaskKind::LensmorEmail, "321", NOW, NOW).unwrap();
        let mut now = NOW;
        let mut sent = 0;
        let mut ended = false;
        for _ in 0..200 {
            match poller.next_action(now) {
                Action::Send(_) => {
                    prop_assert!(!ended);
                    let (status, body) = &answers[sent % answers.len()];
                    sent += 1;
                    poller.on_response(now, &HttpResponse::new(*status, body.clone()));
                }
                Action::WaitUntil(at) => { prop_assert!(at > now); now = at; }
                Action::AwaitResponse => prop_assert!(false, "nothing is in flight"),
                Action::Done(_) | Action::Failed(_) => {
                    ended = true;
                    prop_assert!(poller.next_poll_at().is_none());
                    now += 60_000;
                    if now > NOW + 900_000 { break; }
                }
            }
        }
        prop_assert!(ended, "the poller must end within the 10-minute deadline");
        prop_assert!(now - NOW <= 900_000 + 60_000);
    }
}
