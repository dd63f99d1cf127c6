//! The decoder never panics, whatever it is given: arbitrary bytes, arbitrary
//! JSON, and the docs' fixtures with values swapped for arbitrary ones.
#![cfg(not(target_arch = "wasm32"))]

use b24_vote::decode::{decode_response, Attaches, Done};
use b24_vote::{parse_vote_response, AttachWithVoted, AttachedVote, VoterPage};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

fn decode_all(body: &str) {
    let _ = parse_vote_response(body);
    let _ = decode_response::<AttachedVote>(200, body);
    let _ = decode_response::<Attaches>(200, body);
    let _ = decode_response::<AttachWithVoted>(200, body);
    let _ = decode_response::<VoterPage>(200, body);
    let _ = decode_response::<Done>(500, body);
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[0-9]{0,3}|Y|N|[a-zA-Z_~]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = "ID|COUNTER|QUESTIONS|ANSWERS|C_SORT|FIELD_TYPE|PERCENT|result|attach|error|items|voted|userAnswerMap|total|next|[0-9]{1,2}";
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value at a pseudo-random path of `doc` with `replacement`.
fn mutate(doc: &mut Value, mut pick: u64, replacement: Value) {
    let mut node = doc;
    loop {
        let len = match node {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if len == 0 || pick % 5 == 0 {
            *node = replacement;
            return;
        }
        let index = (pick as usize / 5) % len;
        pick /= 7;
        node = match node {
            Value::Object(m) => m.values_mut().nth(index).unwrap(),
            Value::Array(a) => &mut a[index],
            _ => unreachable!(),
        };
    }
}

fn runner(cases: u32) -> TestRunner {
    // A fixed seed: the same cases on every run, so a failure reproduces.
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

fn cases() -> u32 {
    std::env::var("DECODER_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4_000)
}

#[test]
fn arbitrary_bytes_never_panic() {
    runner(cases())
        .run(&prop::collection::vec(any::<u8>(), 0..512), |bytes| {
            decode_all(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_json_never_panics() {
    runner(cases())
        .run(&json_value(), |value| {
            decode_all(&value.to_string());
            decode_all(&serde_json::json!({ "result": { "attach": value } }).to_string());
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_fixtures_never_panic() {
    let fixtures: Vec<Value> = [
        "get",
        "recall",
        "vote",
        "getMany",
        "getWithVoted",
        "getAnswerVoted",
    ]
    .iter()
    .map(|name| {
        let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
    .collect();
    runner(cases())
        .run(
            &(any::<usize>(), any::<u64>(), json_value(), 0usize..4000),
            |(which, pick, value, cut)| {
                let mut doc = fixtures[which % fixtures.len()].clone();
                mutate(&mut doc, pick, value);
                let body = doc.to_string();
                decode_all(&body);
                decode_all(body.get(..cut).unwrap_or(&body));
                Ok(())
            },
        )
        .unwrap();
}

/// The hand-written reader accepts exactly the documents serde_json accepts
/// (lone surrogate escapes aside: JSON.parse takes them, serde_json does not).
fn same_validity(text: &str) -> Result<(), TestCaseError> {
    if text.contains("\\u") {
        return Ok(());
    }
    let ours = {
        let mut reader = b24_vote::json::Reader::new(text);
        reader.skip().and_then(|()| reader.finish()).is_ok()
    };
    let theirs = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    prop_assert_eq!(ours, theirs, "{:?}", text);
    Ok(())
}

#[test]
fn validity_agrees_with_serde_json() {
    let fixtures: Vec<String> = ["get", "recall", "getWithVoted"]
        .iter()
        .map(|name| {
            let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(path).unwrap()
        })
        .collect();
    let edits = (
        any::<usize>(),
        any::<usize>(),
        prop::sample::select(vec![
            "", ",", "]", "}", "[", "{", "\"", ":", "0", "-", ".", "e", "1e", "01", "tru", "null",
            "\\", " ",
        ]),
    );
    runner(cases())
        .run(
            &(edits, 0usize..3, 0usize..3),
            |((at, cut, insert), which, mode)| {
                let doc = &fixtures[which];
                let at = at % doc.len();
                let edited = match mode {
                    0 => format!("{}{insert}{}", &doc[..at], &doc[at..]),
                    1 => format!(
                        "{}{}",
                        &doc[..at],
                        &doc[(at + 1 + cut % 8).min(doc.len())..]
                    ),
                    _ => doc[..at].to_string(),
                };
                same_validity(&edited)
            },
        )
        .unwrap();
    runner(cases())
        .run(&json_value(), |value| same_validity(&value.to_string()))
        .unwrap();
}
