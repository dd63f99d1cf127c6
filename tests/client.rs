//! VoteClient against b24-portal, through the JS class users call. Runs in
//! Node and in headless Chromium (`tests/suite.sh` starts the emulator and
//! passes its URL at build time as B24_PORTAL_URL).
#![cfg(target_arch = "wasm32")]

use b24_vote::wasm::js_client::JsVoteClient;
use js_sys::{Array, Function, Promise, Reflect, JSON};
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const PORTAL: &str = match option_env!("B24_PORTAL_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8390",
};
const IM_CONNECTOR: &str = r"Bitrix\Vote\Attachment\ImMessageConnector";
const ACCESS_TOKEN: &str = "tok-ZQXJ-access-secret";

fn js(value: Value) -> JsValue {
    JSON::parse(&value.to_string()).unwrap()
}

fn field(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| {
        Reflect::get(&v, &key.into()).unwrap()
    })
}

fn num(value: &JsValue, path: &str) -> f64 {
    field(value, path)
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number"))
}

fn code(error: &JsValue) -> String {
    field(error, "code").as_string().unwrap()
}

async fn settle(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

/// A JSON call to the emulator's admin API.
async fn admin(path: &str, body: Option<Value>) -> Value {
    let url = format!("{PORTAL}/_emulator/{path}");
    let request = match body {
        Some(body) => gloo_net::http::Request::post(&url)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .unwrap(),
        None => gloo_net::http::Request::get(&url).build().unwrap(),
    };
    let text = request.send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn stats() -> Value {
    admin("stats", None).await
}

/// A fresh poll: user 1 is the author, users 2 and 3 voted for the first
/// answer and user 4 for the second.
async fn new_poll(allow_revote: bool) -> Value {
    admin(
        "polls",
        Some(json!({
            "author": 1,
            "questions": [{"text": "Lunch?", "multiple": false, "answers": ["Soup", "Salad", "Both"]}],
            "anonymous": false, "allowRevote": allow_revote,
            "ballots": [
                {"user": 2, "answers": {"0": [0]}},
                {"user": 3, "answers": {"0": [0]}},
                {"user": 4, "answers": {"0": [1]}}
            ]
        })),
    )
    .await
}

fn webhook(user: u32) -> JsVoteClient {
    let options = js(json!({ "rateLimit": false, "retries": 3 }));
    JsVoteClient::webhook(
        JsValue::from(format!("{PORTAL}/rest/{user}/hook{user}/")),
        options,
    )
    .unwrap()
}

/// The three forms of a poll created by `new_poll`.
fn forms(poll: &Value) -> [JsValue; 3] {
    [
        js(json!({ "attachId": poll["attachId"] })),
        js(json!({ "moduleId": "Im", "entityType": IM_CONNECTOR, "entityId": poll["entityId"] })),
        js(json!({ "signedAttachId": poll["signedAttachId"] })),
    ]
}

fn answers(attach: &JsValue) -> Vec<(f64, f64)> {
    let question = Array::from(&field(attach, "questions")).get(0);
    Array::from(&field(&question, "answers"))
        .iter()
        .map(|a| (num(&a, "votes"), num(&a, "percent")))
        .collect()
}

#[wasm_bindgen_test]
async fn get_with_each_addressing_form() {
    let poll = new_poll(true).await;
    for form in forms(&poll) {
        let attach = settle(webhook(2).get(form, JsValue::UNDEFINED))
            .await
            .unwrap();
        assert_eq!(num(&attach, "id"), poll["attachId"].as_f64().unwrap());
        assert_eq!(num(&attach, "ballots"), 3.0);
        assert_eq!(answers(&attach), vec![(2.0, 67.0), (1.0, 33.0), (0.0, 0.0)]);
        assert!(field(&attach, "isVoted").as_bool().unwrap());
    }
}

#[wasm_bindgen_test]
async fn recall_with_each_form_lowers_the_counters() {
    for (user, form) in [2, 3, 4].into_iter().zip(forms(&new_poll(true).await)) {
        let attach = settle(webhook(user).recall(form, JsValue::UNDEFINED))
            .await
            .unwrap();
        assert!(!field(&attach, "isVoted").as_bool().unwrap(), "user {user}");
        let question = Array::from(&field(&attach, "questions")).get(0);
        assert_eq!(Array::from(&field(&question, "myAnswerIds")).length(), 0);
    }
    // The docs' poll: user 1's recall leaves no votes at all.
    let attach = settle(webhook(1).recall(js(json!({"attachId": 1})), JsValue::UNDEFINED)).await;
    if let Ok(attach) = attach {
        assert!(!field(&attach, "isVoted").as_bool().unwrap());
    }
}

#[wasm_bindgen_test]
async fn recall_changes_counts_and_percentages() {
    let poll = new_poll(true).await;
    let [by_id, ..] = forms(&poll);
    let attach = settle(webhook(4).recall(by_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(num(&attach, "ballots"), 2.0);
    assert_eq!(answers(&attach), vec![(2.0, 100.0), (0.0, 0.0), (0.0, 0.0)]);
    assert!(field(&attach, "canVote").as_bool().unwrap());
    // Vote again, for "Both", then recall once more.
    let question_id = num(&Array::from(&field(&attach, "questions")).get(0), "id");
    let both = Array::from(&field(
        &Array::from(&field(&attach, "questions")).get(0),
        "answers",
    ))
    .get(2);
    let ballot = js(json!({ question_id.to_string(): [num(&both, "id")] }));
    let voted = settle(webhook(4).vote(by_id.clone(), ballot, JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(answers(&voted), vec![(2.0, 67.0), (0.0, 0.0), (1.0, 33.0)]);
    assert!(field(&voted, "isVoted").as_bool().unwrap());
    let state = admin(&format!("polls/{}", poll["attachId"]), None).await;
    assert_eq!(state["counter"], 3);
}

#[wasm_bindgen_test]
async fn stop_and_resume_by_the_author_only() {
    let poll = new_poll(true).await;
    let [by_id, by_entity, signed] = forms(&poll);
    let denied = settle(webhook(2).stop(by_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(code(&denied), "403");
    assert_eq!(num(&denied, "status"), 400.0);
    assert!(!field(&denied, "retryable").as_bool().unwrap());
    let done = settle(webhook(1).stop(by_entity.clone(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert!(done.is_undefined());
    let stopped = settle(webhook(1).get(by_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert!(field(&stopped, "isFinished").as_bool().unwrap());
    // Voting on a stopped poll is refused.
    let ballot = js(json!({ "1": [1] }));
    let inactive = settle(webhook(5).vote(by_id.clone(), ballot, JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert!(field(&inactive, "description")
        .as_string()
        .unwrap()
        .contains("inactive"));
    // Reading through signedAttachId works on a stopped poll too.
    let read = settle(webhook(2).get(signed, JsValue::UNDEFINED))
        .await
        .unwrap();
    assert!(field(&read, "isFinished").as_bool().unwrap());
    settle(webhook(1).resume(by_entity, JsValue::UNDEFINED))
        .await
        .unwrap();
    let resumed = settle(webhook(1).get(by_id, JsValue::UNDEFINED))
        .await
        .unwrap();
    assert!(!field(&resumed, "isFinished").as_bool().unwrap());
}

#[wasm_bindgen_test]
async fn get_many_get_with_voted_and_get_answer_voted() {
    let first = new_poll(true).await;
    let second = new_poll(true).await;
    let refs = js(json!({ "moduleId": "im", "entityType": IM_CONNECTOR,
                          "entityIds": [second["entityId"], first["entityId"]] }));
    let many = settle(webhook(2).get_many(refs, JsValue::UNDEFINED))
        .await
        .unwrap();
    let ids: Vec<f64> = Array::from(&many).iter().map(|a| num(&a, "id")).collect();
    assert_eq!(
        ids,
        vec![
            second["attachId"].as_f64().unwrap(),
            first["attachId"].as_f64().unwrap()
        ]
    );

    let [by_id, ..] = forms(&first);
    let with = settle(webhook(2).get_with_voted(by_id.clone(), js(json!({"pageSize": 1}))))
        .await
        .unwrap();
    let soup = Array::from(&field(
        &Array::from(&field(&with, "attach.questions")).get(0),
        "answers",
    ))
    .get(0);
    let soup_id = num(&soup, "id");
    let voters = field(&field(&with, "voted"), &soup_id.to_string());
    assert_eq!(Array::from(&voters).length(), 1, "pageSize 1");
    let page = settle(webhook(2).get_answer_voted(by_id, soup_id.into(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(num(&page, "total"), 2.0);
    assert!(field(&page, "next").is_null());
    let names: Vec<f64> = Array::from(&field(&page, "items"))
        .iter()
        .map(|v| num(&v, "id"))
        .collect();
    assert_eq!(names.len(), 2);
}

#[wasm_bindgen_test]
async fn portal_errors_keep_their_codes() {
    let missing = settle(webhook(1).get(js(json!({"attachId": 999_999})), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ATTACH_NOT_FOUND");
    assert_eq!(num(&missing, "status"), 400.0);
    assert_eq!(
        field(&missing, "method").as_string().unwrap(),
        "vote.AttachedVote.get"
    );
    assert!(missing.is_instance_of::<js_sys::Error>());
    let bad_hook = JsVoteClient::webhook(
        JsValue::from(format!("{PORTAL}/rest/1/wrongcode/")),
        js(json!({"rateLimit": false})),
    )
    .unwrap();
    let denied = settle(bad_hook.get(js(json!({"attachId": 1})), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(num(&denied, "status"), 401.0);
    assert!(!field(&denied, "message")
        .as_string()
        .unwrap()
        .contains("wrongcode"));
}

#[wasm_bindgen_test]
async fn invalid_input_rejects_and_sends_nothing() {
    let before = stats().await["requests"].as_u64().unwrap();
    let client = webhook(1);
    let bad_refs = [
        json!({}),
        json!({"attachId": 1, "signedAttachId": "1.x"}),
        json!({"attachId": 0}),
        json!({"attachId": -3}),
        json!({"attachId": 1.5}),
        json!({"moduleId": "im", "entityId": 13}),
        json!({"signedAttachId": ""}),
    ];
    for poll in bad_refs {
        let error = settle(client.get(js(poll.clone()), JsValue::UNDEFINED))
            .await
            .unwrap_err();
        assert_eq!(code(&error), "INVALID_ARGUMENT", "{poll}");
    }
    let error = settle(client.vote(
        js(json!({"attachId": 1})),
        js(json!({})),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_err();
    assert_eq!(code(&error), "INVALID_ARGUMENT");
    let error = settle(client.get(JsValue::from(7), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(code(&error), "INVALID_ARGUMENT");
    let refs = js(
        json!({"moduleId": "im", "entityType": IM_CONNECTOR, "entityIds": (1..=51).collect::<Vec<_>>()}),
    );
    assert_eq!(
        code(
            &settle(client.get_many(refs, JsValue::UNDEFINED))
                .await
                .unwrap_err()
        ),
        "INVALID_ARGUMENT"
    );
    let insecure = JsVoteClient::webhook(
        JsValue::from("http://portal.example/rest/1/s3cret/"),
        JsValue::UNDEFINED,
    );
    let error = JsValue::from(insecure.err().unwrap());
    assert_eq!(code(&error), "INVALID_ARGUMENT");
    assert!(!field(&error, "message")
        .as_string()
        .unwrap()
        .contains("s3cret"));
    assert_eq!(stats().await["requests"].as_u64().unwrap(), before);
}

async fn fault(kind: &str, count: u32, method: &str) {
    admin(
        "faults",
        Some(json!({"kind": kind, "count": count, "delayMs": 3000, "method": method})),
    )
    .await;
}

#[wasm_bindgen_test]
async fn transient_faults_are_retried_for_reads_and_repeatable_writes() {
    let poll = new_poll(true).await;
    let [by_id, ..] = forms(&poll);
    for kind in ["drop", "http500_html", "truncate", "rate_limit"] {
        fault(kind, 1, "vote.AttachedVote.get").await;
        let attach = settle(webhook(1).get(by_id.clone(), JsValue::UNDEFINED)).await;
        assert!(
            attach.is_ok(),
            "get after {kind}: {:?}",
            attach.err().map(|e| code(&e))
        );
        fault(kind, 1, "vote.AttachedVote.stop").await;
        let stopped = settle(webhook(1).stop(by_id.clone(), JsValue::UNDEFINED)).await;
        assert!(stopped.is_ok(), "stop after {kind}");
        settle(webhook(1).resume(by_id.clone(), JsValue::UNDEFINED))
            .await
            .unwrap();
    }
}

/// A webhook client that counts its HTTP attempts in `globalThis.attempts`.
fn counting_webhook(user: u32) -> JsVoteClient {
    let options = js(json!({ "rateLimit": false }));
    let hook = Function::new_with_args(
        "",
        "globalThis.attempts = 0; return () => { globalThis.attempts++; };",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    Reflect::set(&options, &"onRequest".into(), &hook).unwrap();
    JsVoteClient::webhook(
        JsValue::from(format!("{PORTAL}/rest/{user}/hook{user}/")),
        options,
    )
    .unwrap()
}

fn attempts() -> f64 {
    Reflect::get(&js_sys::global(), &"attempts".into())
        .unwrap()
        .as_f64()
        .unwrap()
}

#[wasm_bindgen_test]
async fn vote_is_not_repeated_when_it_may_have_run() {
    let poll = new_poll(true).await;
    let [by_id, ..] = forms(&poll);
    let attach = settle(webhook(9).get(by_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap();
    let question = Array::from(&field(&attach, "questions")).get(0);
    let answer = num(&Array::from(&field(&question, "answers")).get(0), "id");
    let ballot = js(json!({ num(&question, "id").to_string(): [answer] }));
    for (kind, expected) in [
        ("drop", "NETWORK_ERROR"),
        ("http500_html", "DECODE_ERROR"),
        ("truncate", "DECODE_ERROR"),
    ] {
        fault(kind, 1, "vote.AttachedVote.vote").await;
        let client = counting_webhook(9);
        match settle(client.vote(by_id.clone(), ballot.clone(), JsValue::UNDEFINED)).await {
            Err(error) => assert_eq!(code(&error), expected, "{kind}"),
            // Chromium itself re-sends a POST whose reused connection closed
            // before any answer; the library still made one attempt.
            Ok(_) => assert_eq!(kind, "drop", "{kind} must not resolve"),
        }
        assert_eq!(attempts(), 1.0, "{kind}: one attempt, no retry");
        let state = admin(&format!("polls/{}", poll["attachId"]), None).await;
        let mine = state["ballots"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["user"] == 9)
            .count();
        assert!(mine <= 1, "{kind}: user 9 has {mine} ballots");
    }
    // A 503 means the portal did not run it: retried, and it counts once.
    fault("rate_limit", 2, "vote.AttachedVote.vote").await;
    let client = counting_webhook(10);
    let voted = settle(client.vote(by_id, ballot, JsValue::UNDEFINED))
        .await
        .unwrap();
    assert!(field(&voted, "isVoted").as_bool().unwrap());
    assert_eq!(attempts(), 3.0);
}

#[wasm_bindgen_test]
async fn hard_faults_are_reported_with_their_codes() {
    let by_id = js(json!({"attachId": 1}));
    fault("operating_limit", 1, "vote.AttachedVote.get").await;
    let error = settle(webhook(1).get(by_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(code(&error), "OPERATION_TIME_LIMIT");
    assert_eq!(num(&error, "status"), 429.0);
    assert!(field(&error, "retryable").as_bool().unwrap());
    fault("expired_token", 1, "vote.AttachedVote.get").await;
    let error = settle(webhook(1).get(by_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(code(&error), "expired_token");
    fault("empty_result", 1, "vote.AttachedVote.get").await;
    let error = settle(webhook(1).get(by_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(code(&error), "UNEXPECTED_RESULT");
    // For stop, [] is the expected result.
    let poll = new_poll(true).await;
    fault("empty_result", 1, "vote.AttachedVote.stop").await;
    settle(webhook(1).stop(
        js(json!({"attachId": poll["attachId"]})),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
}

#[wasm_bindgen_test]
async fn timeout_and_abort_settle_the_call() {
    let by_id = js(json!({"attachId": 1}));
    fault("delay", 1, "vote.AttachedVote.get").await;
    let error = settle(webhook(1).get(by_id.clone(), js(json!({"timeoutMs": 300}))))
        .await
        .unwrap_err();
    assert_eq!(code(&error), "TIMEOUT");

    let controller = web_sys::AbortController::new().unwrap();
    fault("delay", 1, "vote.AttachedVote.get").await;
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).unwrap();
    let pending = webhook(1).get(by_id.clone(), options.into());
    let abort = Function::new_with_args("c", "setTimeout(() => c.abort(), 100)");
    abort.call1(&JsValue::NULL, &controller).unwrap();
    assert_eq!(code(&settle(pending).await.unwrap_err()), "ABORTED");

    // Already aborted: nothing is sent.
    let before = stats().await["requests"].as_u64().unwrap();
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).unwrap();
    assert_eq!(
        code(
            &settle(webhook(1).get(by_id, options.into()))
                .await
                .unwrap_err()
        ),
        "ABORTED"
    );
    // The delayed request above may land late; wait it out before comparing.
    JsFuture::from(Promise::new(&mut |resolve, _| {
        Function::new_with_args("r", "setTimeout(r, 50)")
            .call1(&JsValue::NULL, &resolve)
            .unwrap();
    }))
    .await
    .unwrap();
    assert!(stats().await["requests"].as_u64().unwrap() <= before + 1);
}

/// A JS refresh callback that trades the refresh token at the emulator's
/// OAuth endpoint, counting its calls in `globalThis.refreshCalls`.
fn refresh_callback() -> Function {
    Function::new_with_args(
        "portal",
        "globalThis.refreshCalls = 0;
         return async (refreshToken) => {
           globalThis.refreshCalls++;
           const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken,
                                              client_id: 'app', client_secret: 'secret' });
           const reply = await (await fetch(portal + '/oauth/token/', { method: 'POST', body })).json();
           return { accessToken: reply.access_token, refreshToken: reply.refresh_token, expiresAt: reply.expires };
         };",
    )
    .call1(&JsValue::NULL, &PORTAL.into())
    .unwrap()
    .unchecked_into()
}

#[wasm_bindgen_test]
async fn twenty_concurrent_calls_with_an_expired_token_share_one_refresh() {
    let tokens = admin("tokens", Some(json!({"user": 1, "ttlSeconds": 0}))).await;
    let before = stats().await["refreshes"].as_u64().unwrap();
    let auth = js(
        json!({ "domain": PORTAL, "accessToken": tokens["accessToken"], "refreshToken": tokens["refreshToken"] }),
    );
    Reflect::set(&auth, &"refresh".into(), &refresh_callback()).unwrap();
    let client = JsVoteClient::oauth(auth, js(json!({"rateLimit": false}))).unwrap();
    let calls: Array = (0..20)
        .map(|_| JsValue::from(client.get(js(json!({"attachId": 1})), JsValue::UNDEFINED)))
        .collect();
    let all = settle(Promise::all(&calls)).await.unwrap();
    assert_eq!(Array::from(&all).length(), 20);
    assert_eq!(stats().await["refreshes"].as_u64().unwrap() - before, 1);
    let calls = Reflect::get(&js_sys::global(), &"refreshCalls".into()).unwrap();
    assert_eq!(calls.as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
async fn a_burst_under_the_portal_limit_has_no_failures() {
    admin("config", Some(json!({"rate": "10/20"}))).await;
    let client = JsVoteClient::webhook(
        JsValue::from(format!("{PORTAL}/rest/1/hook1/")),
        js(json!({"rateLimit": {"burst": 10, "perSecond": 20}})),
    )
    .unwrap();
    let calls: Array = (0..60)
        .map(|_| JsValue::from(client.get(js(json!({"attachId": 1})), JsValue::UNDEFINED)))
        .collect();
    let outcome = settle(Promise::all_settled(&calls)).await.unwrap();
    admin("config", Some(json!({"rate": "off"}))).await;
    let failed = Array::from(&outcome)
        .iter()
        .filter(|o| field(o, "status").as_string().unwrap() != "fulfilled")
        .count();
    assert_eq!(failed, 0);
}

/// A stand-in BX24 (BX24.js) whose token is `token`; `refresh` is the
/// token its refreshAuth hands out, or null for one that never answers.
fn bx24(token: &str, refresh: Option<&str>) -> JsValue {
    Function::new_with_args(
        "portal, token, fresh",
        "const auth = { access_token: token, domain: portal, refresh_token: 'r-secret', expires_in: 0 };
         return {
           refreshes: 0,
           getAuth() { return auth.access_token ? auth : false; },
           refreshAuth(cb) { this.refreshes++; if (fresh) { auth.access_token = fresh; setTimeout(() => cb(auth), 5); } },
           placement: { info: () => ({ placement: 'IM_CONTEXT_MENU', options: { messageId: '13' } }) },
         };",
    )
    .call3(&JsValue::NULL, &PORTAL.into(), &token.into(), &refresh.map_or(JsValue::NULL, JsValue::from))
    .unwrap()
}

#[wasm_bindgen_test]
async fn frame_mode_with_bx24() {
    let token =
        admin("tokens", Some(json!({"user": 1, "ttlSeconds": 3600}))).await["accessToken"].clone();
    let expired =
        admin("tokens", Some(json!({"user": 1, "ttlSeconds": 0}))).await["accessToken"].clone();
    let sdk = bx24(expired.as_str().unwrap(), token.as_str());
    let client = JsVoteClient::frame(sdk.clone(), js(json!({"rateLimit": false}))).unwrap();
    let poll = js(json!({"moduleId": "im", "entityType": IM_CONNECTOR, "entityId": "13"}));
    let attach = settle(client.get(poll, JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(num(&attach, "entityId"), 13.0);
    assert_eq!(num(&sdk, "refreshes"), 1.0);
    assert_eq!(stats().await["authInQuery"], 0);
}

#[wasm_bindgen_test]
async fn frame_refresh_that_never_answers_is_bounded() {
    let expired =
        admin("tokens", Some(json!({"user": 1, "ttlSeconds": 0}))).await["accessToken"].clone();
    let sdk = bx24(expired.as_str().unwrap(), None);
    let client =
        JsVoteClient::frame(sdk, js(json!({"rateLimit": false, "timeoutMs": 1500}))).unwrap();
    let error = settle(client.get(js(json!({"attachId": 1})), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(code(&error), "TIMEOUT");
}

#[wasm_bindgen_test]
async fn frame_mode_with_a_b24frame() {
    let token =
        admin("tokens", Some(json!({"user": 2, "ttlSeconds": 3600}))).await["accessToken"].clone();
    let sdk = Function::new_with_args(
        "portal, token",
        "return { auth: {
            getAuthData() { return { access_token: token, refresh_token: 'r', expires: 0, expires_in: 3600, domain: portal, member_id: 'm' }; },
            refreshAuth() { return new Promise(() => {}); } } };",
    )
    .call2(&JsValue::NULL, &PORTAL.into(), &js(token))
    .unwrap();
    let client = JsVoteClient::frame(sdk, js(json!({"rateLimit": false}))).unwrap();
    let attach = settle(client.get(js(json!({"attachId": 1})), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(num(&attach, "id"), 1.0);
    let bad = JsVoteClient::frame(js(json!({"nothing": true})), JsValue::UNDEFINED);
    assert_eq!(code(&bad.err().unwrap().into()), "INVALID_ARGUMENT");
}

#[wasm_bindgen_test]
async fn no_secret_in_any_error_text() {
    let tokens = admin("tokens", Some(json!({"user": 1, "ttlSeconds": 3600}))).await;
    let access = tokens["accessToken"].as_str().unwrap().to_owned();
    let refresh = tokens["refreshToken"].as_str().unwrap().to_owned();
    let oauth = JsVoteClient::oauth(
        js(json!({"domain": PORTAL, "accessToken": access, "refreshToken": refresh})),
        js(json!({"rateLimit": false, "retries": 0})),
    )
    .unwrap();
    let hook = webhook(1);
    let by_id = js(json!({"attachId": 1}));
    let mut texts = Vec::new();
    for kind in [
        "drop",
        "http500_html",
        "truncate",
        "rate_limit",
        "operating_limit",
        "expired_token",
        "empty_result",
    ] {
        for client in [&oauth, &hook] {
            fault(kind, 1, "vote.AttachedVote.get").await;
            if let Err(error) =
                settle(client.get(by_id.clone(), js(json!({"timeoutMs": 5000})))).await
            {
                texts.push(field(&error, "message").as_string().unwrap());
                texts.push(JSON::stringify(&error).unwrap().as_string().unwrap());
                texts.push(
                    error
                        .unchecked_ref::<js_sys::Error>()
                        .to_string()
                        .as_string()
                        .unwrap(),
                );
            }
        }
    }
    let bogus = JsVoteClient::oauth(
        js(json!({"domain": PORTAL, "accessToken": ACCESS_TOKEN})),
        js(json!({"rateLimit": false})),
    )
    .unwrap();
    let error = settle(bogus.get(by_id, JsValue::UNDEFINED))
        .await
        .unwrap_err();
    texts.push(JSON::stringify(&error).unwrap().as_string().unwrap());
    assert!(texts.len() >= 8, "{texts:?}");
    for text in &texts {
        for secret in [access.as_str(), refresh.as_str(), "hook1", ACCESS_TOKEN] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[wasm_bindgen_test]
async fn one_request_per_call_and_no_auth_in_urls() {
    let before = stats().await;
    let client = webhook(1);
    for _ in 0..5 {
        settle(client.get(js(json!({"attachId": 1})), JsValue::UNDEFINED))
            .await
            .unwrap();
    }
    let after = stats().await;
    assert_eq!(
        after["requests"].as_u64().unwrap() - before["requests"].as_u64().unwrap(),
        5
    );
    assert_eq!(after["preflights"], 0);
    assert_eq!(after["authInQuery"], 0);
}

#[wasm_bindgen_test]
fn rust_debug_output_has_no_secret() {
    use b24_vote::client::auth::TokenSet;
    use b24_vote::client::{ClientOptions, VoteClient};
    use b24_vote::wasm::host::JsHost;
    let hook = VoteClient::webhook(
        JsHost,
        "https://portal.example/rest/7/HOOKs3cr3tCODE/",
        ClientOptions::default(),
    )
    .unwrap();
    let tokens = TokenSet {
        access_token: "ACCESS-s3cr3t-TOKEN".into(),
        refresh_token: Some("REFRESH-s3cr3t-TOKEN".into()),
        expires_at: None,
    };
    let debug_tokens = format!("{tokens:?}");
    let oauth = VoteClient::oauth(
        JsHost,
        "portal.example",
        tokens,
        None,
        ClientOptions::default(),
    )
    .unwrap();
    for text in [
        format!("{hook:?}"),
        format!("{hook:#?}"),
        format!("{oauth:?}"),
        format!("{oauth:#?}"),
        debug_tokens,
    ] {
        assert!(!text.contains("s3cr3t"), "{text}");
    }
    assert!(format!("{hook:?}").contains("portal.example"));
}
