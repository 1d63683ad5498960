//! The facade under wasm-bindgen-test, with real `fetch` and timers against the sandbox, in
//! Node and in headless Chromium (scripts/wasm-tests.mjs runs both, with the sandbox's URL in
//! `SANDBOX_URL` at build time: `std::env` does not exist inside wasm).
#![cfg(target_arch = "wasm32")]

use js_sys::{Promise, Reflect, JSON};
use unlock_tasks::UnlockClient;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

// option_env!, not env!: the file must compile (and lint) without a sandbox running; only
// running it needs one.
#[allow(clippy::option_env_unwrap)]
fn sandbox() -> &'static str {
    option_env!("SANDBOX_URL").expect("build with SANDBOX_URL set (scripts/wasm-tests.mjs)")
}

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("valid JSON in the test")
}

fn client(provider: &str, key: &str) -> UnlockClient {
    let options = format!(
        r#"{{"provider":"{provider}","apiKey":"{key}","baseUrl":"{}","polling":{{"delaysMs":[40,60,100,150]}}}}"#,
        sandbox()
    );
    UnlockClient::new(js(&options)).expect("valid options")
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, name| {
        Reflect::get(&v, &name.into()).unwrap_or(JsValue::UNDEFINED)
    })
}

fn text(value: &JsValue, path: &str) -> String {
    get(value, path).as_string().unwrap_or_default()
}

fn len(value: &JsValue, path: &str) -> u32 {
    js_sys::Array::from(&get(value, path)).length()
}

async fn ok(promise: Promise) -> JsValue {
    JsFuture::from(promise)
        .await
        .expect("expected the promise to resolve")
}

async fn code_of(promise: Promise) -> String {
    let error = JsFuture::from(promise)
        .await
        .expect_err("expected a rejection");
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "rejections are Errors"
    );
    assert_eq!(text(&error, "name"), "UnlockError");
    text(&error, "code")
}

fn unlock(ids: &[&str]) -> JsValue {
    let ids: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    js(&format!(
        r#"{{"eventId":"139574","personnelIds":[{}]}}"#,
        ids.join(",")
    ))
}

#[wasm_bindgen_test]
async fn create_wait_and_every_outcome() {
    let client = client("lensmor", "uak_wasm_1");
    let task = ok(client.unlock_emails(unlock(&["801", "802", "803", "807"]), None)).await;
    assert_eq!(text(&task, "kind"), "lensmor.email");
    let result = ok(client.wait_for_task(text(&task, "token").into(), None)).await;
    assert_eq!(text(&result, "status"), "completed");
    assert_eq!(len(&result, "delivered"), 2);
    assert_eq!(text(&get(&result, "failed"), "0.id"), "803");
    assert_eq!(text(&get(&result, "noValue"), "0.id"), "807");
    assert_eq!(get(&result, "credits").as_f64(), Some(45.0));
}

#[wasm_bindgen_test]
async fn a_new_client_resumes_from_the_token() {
    let task = ok(client("lensmor", "uak_wasm_2").unlock_phones(unlock(&["810"]), None)).await;
    let result =
        ok(client("lensmor", "uak_wasm_2").wait_for_task(text(&task, "token").into(), None)).await;
    assert_eq!(text(&result, "taskId"), text(&task, "taskId"));
    assert_eq!(get(&result, "done"), JsValue::TRUE);
}

#[wasm_bindgen_test]
async fn abort_rejects_with_aborted() {
    let client = client("lensmor", "uak_wasm_3");
    let task = ok(client.unlock_emails(unlock(&["811"]), None)).await;
    let controller = AbortController::new().unwrap();
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).unwrap();
    let waiting = client.wait_for_task(text(&task, "token").into(), Some(options.into()));
    controller.abort();
    assert_eq!(code_of(waiting).await, "aborted");
}

#[wasm_bindgen_test]
async fn each_error_code_reaches_js() {
    let lensmor = client("lensmor", "uak_wasm_4");
    let too_many: Vec<String> = (0..10_001).map(|i| format!("p{i}")).collect();
    let refs: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert_eq!(
        code_of(lensmor.unlock_emails(unlock(&refs), None)).await,
        "validation"
    );
    assert_eq!(
        code_of(client("lensmor", "uak_revoked").credit_balance(None)).await,
        "unauthorized"
    );
    assert_eq!(
        code_of(client("lensmor", "uak_broke").unlock_emails(unlock(&["812"]), None)).await,
        "payment_required"
    );
    let running = ok(lensmor.unlock_emails(unlock(&["813"]), None)).await;
    assert_eq!(
        code_of(client("lensmor", "uak_wasm_4").unlock_emails(unlock(&["813"]), None)).await,
        "conflict"
    );
    let missing = js(r#"{"eventId":"no-such-event","personnelIds":["814"]}"#);
    assert_eq!(
        code_of(lensmor.unlock_emails(missing, None)).await,
        "not_found"
    );
    let quick = js(r#"{"maxWaitMs":1}"#);
    assert_eq!(
        code_of(lensmor.wait_for_task(text(&running, "token").into(), Some(quick))).await,
        "timeout"
    );
    assert_eq!(
        code_of(lensmor.wait_for_task("ut9.newer".into(), None)).await,
        "validation"
    );
}

#[wasm_bindgen_test]
async fn salesfinity_enrichment_and_poll_once() {
    let client = client("salesfinity", "sf_wasm");
    let input =
        js(r#"{"linkedinUrl":"linkedin.com/in/ada-lovelace","type":"work","externalId":"lead-7"}"#);
    let task = ok(client.enrich_email(input, None)).await;
    let mut token = text(&task, "token");
    let mut step = JsValue::UNDEFINED;
    for _ in 0..200 {
        step = ok(client.poll_once(token.clone().into(), None)).await;
        token = text(&step, "token");
        if get(&step, "done") == JsValue::TRUE {
            break;
        }
        let next = get(&step, "nextPollAt").as_f64().unwrap_or(0.0);
        sleep((next - js_sys::Date::now()).max(0.0)).await;
    }
    assert_eq!(get(&step, "done"), JsValue::TRUE);
    assert_eq!(
        text(&step, "result.delivered.0.value"),
        "ada-lovelace@work.example"
    );
    assert_eq!(text(&step, "result.externalId"), "lead-7");
}

async fn sleep(ms: f64) {
    let promise = Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function =
            Reflect::get(&global, &"setTimeout".into()).unwrap().into();
        set_timeout
            .call2(&JsValue::NULL, &resolve, &ms.into())
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}
