//! The JS-facing decoder and tally, in a real wasm instance. Runs in Node
//! (`wasm-pack test --node`) and in Chromium (`WASM_BINDGEN_USE_BROWSER=1
//! wasm-pack test --headless --chrome`): one test body, two runtimes.
#![cfg(target_arch = "wasm32")]

use b24_vote::wasm::exports;

// The exports as JS sees them: an error is the thrown `B24VoteError`.
fn parse_vote_response(body: JsValue) -> Result<JsValue, JsValue> {
    exports::parse_vote_response(body).map_err(JsValue::from)
}

fn percentages(votes: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    exports::percentages(votes, options).map_err(JsValue::from)
}
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const RECALL: &str = include_str!("fixtures/recall.json");
const GET: &str = include_str!("fixtures/get.json");

fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

fn numbers(value: &JsValue) -> Vec<f64> {
    Array::from(value)
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn assert_b24_error(error: &JsValue, code: &str) {
    assert!(error.is_instance_of::<js_sys::Error>(), "not an Error");
    assert_eq!(field(error, "name").as_string().unwrap(), "B24VoteError");
    assert_eq!(field(error, "code").as_string().unwrap(), code);
    assert!(field(error, "status").as_f64().is_some());
    assert!(field(error, "retryable").as_bool().is_some());
    assert!(field(error, "description").as_string().is_some());
}

#[wasm_bindgen_test]
fn decodes_the_recall_example_into_plain_objects() {
    let attach = parse_vote_response(JsValue::from(RECALL)).unwrap();
    let plain = js_sys::Object::get_prototype_of(&js_sys::Object::new().into());
    assert_eq!(
        JsValue::from(js_sys::Object::get_prototype_of(&attach)),
        JsValue::from(plain)
    );
    assert!(!attach.is_instance_of::<js_sys::Map>());
    assert_eq!(field(&attach, "ballots").as_f64(), Some(0.0));
    assert_eq!(field(&attach, "isVoted").as_bool(), Some(false));
    let questions = field(&attach, "questions");
    assert!(Array::is_array(&questions));
    let question = Array::from(&questions).get(0);
    assert_eq!(Array::from(&field(&question, "myAnswerIds")).length(), 0);
    let answers = Array::from(&field(&question, "answers"));
    let ids: Vec<f64> = answers
        .iter()
        .map(|a| field(&a, "id").as_f64().unwrap())
        .collect();
    assert_eq!(ids, vec![1.0, 3.0, 5.0]);
    assert_eq!(field(&answers.get(0), "serverPercent").as_f64(), Some(0.0));
}

#[wasm_bindgen_test]
fn get_example_percentages_and_my_answers() {
    let attach = parse_vote_response(JsValue::from(GET)).unwrap();
    let question = Array::from(&field(&attach, "questions")).get(0);
    assert_eq!(numbers(&field(&question, "myAnswerIds")), vec![1.0]);
    let answers = Array::from(&field(&question, "answers"));
    let shown: Vec<f64> = answers
        .iter()
        .map(|a| field(&a, "percent").as_f64().unwrap())
        .collect();
    assert_eq!(shown, vec![100.0, 0.0, 0.0]);
    assert_eq!(field(&answers.get(0), "votedByMe").as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn a_malformed_body_does_not_poison_the_instance() {
    let error = parse_vote_response(JsValue::from(&RECALL[..RECALL.len() / 2])).unwrap_err();
    assert_b24_error(&error, "DECODE_ERROR");
    let message = field(&error, "message").as_string().unwrap();
    assert!(message.contains("column"), "{message}");
    let error = parse_vote_response(JsValue::from("\u{0}\u{ffff}{[")).unwrap_err();
    assert_b24_error(&error, "DECODE_ERROR");
    // The same instance still decodes a good body.
    let attach = parse_vote_response(JsValue::from(RECALL)).unwrap();
    assert_eq!(field(&attach, "id").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
fn error_envelopes_and_empty_results_throw_typed_errors() {
    let error = parse_vote_response(JsValue::from(
        r#"{"error":"ATTACH_NOT_FOUND","error_description":"Attach not found"}"#,
    ))
    .unwrap_err();
    assert_b24_error(&error, "ATTACH_NOT_FOUND");
    assert_eq!(
        field(&error, "description").as_string().unwrap(),
        "Attach not found"
    );
    let error = parse_vote_response(JsValue::from(r#"{"result":[]}"#)).unwrap_err();
    assert_b24_error(&error, "UNEXPECTED_RESULT");
}

#[wasm_bindgen_test]
fn percentages_from_js() {
    let votes: JsValue = Array::of3(&1.into(), &1.into(), &1.into()).into();
    assert_eq!(
        numbers(&percentages(votes.clone(), JsValue::UNDEFINED).unwrap()),
        vec![34.0, 33.0, 33.0]
    );
    let options = js_sys::Object::new();
    Reflect::set(&options, &"decimals".into(), &1.into()).unwrap();
    assert_eq!(
        numbers(&percentages(votes.clone(), options.into()).unwrap()),
        vec![33.4, 33.3, 33.3]
    );
    let multiple = js_sys::Object::new();
    Reflect::set(&multiple, &"multiple".into(), &true.into()).unwrap();
    Reflect::set(&multiple, &"voters".into(), &2.into()).unwrap();
    assert_eq!(
        numbers(&percentages(votes, multiple.into()).unwrap()),
        vec![50.0, 50.0, 50.0]
    );
}

#[wasm_bindgen_test]
fn percentages_reject_bad_input() {
    let bad_votes = [
        Array::of2(&1.into(), &(-1).into()),
        Array::of2(&1.into(), &1.5.into()),
        Array::of2(&1.into(), &f64::NAN.into()),
        Array::of2(&1.into(), &JsValue::UNDEFINED),
        Array::of2(&1.into(), &"2".into()),
    ];
    for votes in bad_votes {
        let error = percentages(votes.into(), JsValue::UNDEFINED).unwrap_err();
        assert_b24_error(&error, "INVALID_ARGUMENT");
    }
    assert_b24_error(
        &percentages(JsValue::from(3), JsValue::UNDEFINED).unwrap_err(),
        "INVALID_ARGUMENT",
    );
    let multiple = js_sys::Object::new();
    Reflect::set(&multiple, &"multiple".into(), &true.into()).unwrap();
    let votes: JsValue = Array::of1(&1.into()).into();
    assert_b24_error(
        &percentages(votes, multiple.into()).unwrap_err(),
        "INVALID_ARGUMENT",
    );
}

#[wasm_bindgen_test]
fn non_ascii_text_and_non_string_bodies() {
    let body = RECALL
        .replace("How are you?", "Как дела? 😀 «ёлка»")
        .replace("Great!", "Отлично — ✓");
    let attach = parse_vote_response(JsValue::from(body.as_str())).unwrap();
    let question = Array::from(&field(&attach, "questions")).get(0);
    assert_eq!(
        field(&question, "text").as_string().unwrap(),
        "Как дела? 😀 «ёлка»"
    );
    let first = Array::from(&field(&question, "answers")).get(0);
    assert_eq!(field(&first, "text").as_string().unwrap(), "Отлично — ✓");
    // Long non-ASCII runs grow the buffer more than once.
    let long = RECALL.replace("What's up??", &"ж".repeat(5000));
    let attach = parse_vote_response(JsValue::from(long.as_str())).unwrap();
    let question = Array::from(&field(&attach, "questions")).get(0);
    let last = Array::from(&field(&question, "answers")).get(2);
    assert_eq!(
        field(&last, "text").as_string().unwrap().chars().count(),
        5000
    );
    assert_b24_error(
        &parse_vote_response(JsValue::from(42)).unwrap_err(),
        "DECODE_ERROR",
    );
    assert_b24_error(
        &parse_vote_response(JsValue::UNDEFINED).unwrap_err(),
        "DECODE_ERROR",
    );
}
