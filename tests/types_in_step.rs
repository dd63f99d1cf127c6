//! `src/types.d.ts` (shipped in the package) names exactly the fields the
//! Rust model serializes, so the TypeScript types cannot drift.
#![cfg(not(target_arch = "wasm32"))]

use b24_vote::decode::ToJson;
use b24_vote::parse_vote_response;
use serde_json::Value;
use std::collections::BTreeSet;

const TYPES: &str = include_str!("../src/types.d.ts");

/// The property names of `export interface NAME { … }` in TYPES.
fn interface_fields(name: &str) -> BTreeSet<String> {
    let start = TYPES
        .find(&format!("export interface {name} "))
        .unwrap_or_else(|| panic!("no interface {name}"));
    let body = &TYPES[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("/**") && !l.starts_with('*') && !l.is_empty())
        .filter_map(|l| l.split([':', '?']).next())
        .map(|f| f.trim().to_owned())
        .collect()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn model_interfaces_match_the_serialized_rust_types() {
    let body = include_str!("fixtures/get.json");
    let attach: Value =
        serde_json::from_str(&parse_vote_response(body).unwrap().to_json()).unwrap();
    let question = &attach["questions"][0];
    let answer = &question["answers"][0];
    assert_eq!(interface_fields("AttachedVote"), keys(&attach));
    assert_eq!(interface_fields("Question"), keys(question));
    assert_eq!(interface_fields("Answer"), keys(answer));
}
