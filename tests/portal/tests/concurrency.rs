//! Shared state under concurrent requests: votes and recalls racing each other never
//! corrupt the counters.

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// Checks the recorded counters against the recorded ballots.
fn assert_consistent(state: &Value) {
    let ballots = state["ballots"].as_array().expect("ballots");
    assert_eq!(state["counter"], ballots.len(), "attach counter: {state}");
    let users: HashSet<u64> = ballots.iter().filter_map(|b| b["user"].as_u64()).collect();
    assert_eq!(users.len(), ballots.len(), "one ballot per user: {state}");
    for q in state["questions"].as_array().expect("questions") {
        let qid = q["id"].to_string();
        let answering = ballots
            .iter()
            .filter(|b| b["answers"].get(&qid).is_some())
            .count();
        assert_eq!(q["counter"], answering, "question {qid}: {state}");
        for a in q["answers"].as_array().expect("answers") {
            let aid = &a["id"];
            let choosing = ballots
                .iter()
                .filter(|b| {
                    b["answers"][&qid]
                        .as_array()
                        .is_some_and(|ids| ids.contains(aid))
                })
                .count();
            assert_eq!(a["counter"], choosing, "answer {aid}: {state}");
        }
    }
}

async fn checkbox_poll(p: &Portal) -> (String, String, Vec<String>) {
    let c = p
        .create_poll(json!({
            "questions": [{"text": "Race", "multiple": true, "answers": ["a", "b", "c"]}],
            "allowRevote": true
        }))
        .await;
    let aids = c["questions"][0]["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|v| v.to_string())
        .collect();
    (
        c["attachId"].to_string(),
        c["questions"][0]["id"].to_string(),
        aids,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_votes_and_recalls() {
    let p = Arc::new(Portal::start().await);
    let (id, qid, aids) = checkbox_poll(&p).await;
    let key = format!("ballot[{qid}][]");

    // 16 users, each with a voting task and a recalling task racing it: 32 streams.
    let mut tasks = Vec::new();
    for user in 300..316u64 {
        for voter in [true, false] {
            let (p, id, key, aids) = (p.clone(), id.clone(), key.clone(), aids.clone());
            tasks.push(tokio::spawn(async move {
                for round in 0..8usize {
                    let a = if voter {
                        let first = &aids[(user as usize + round) % 3];
                        let second = &aids[(user as usize + round + 1) % 3];
                        let mut pairs =
                            vec![("attachId", id.as_str()), (key.as_str(), first.as_str())];
                        if round % 2 == 0 {
                            pairs.push((key.as_str(), second.as_str()));
                        }
                        p.call(user, "vote.AttachedVote.vote", &pairs).await
                    } else {
                        p.call(
                            user,
                            "vote.AttachedVote.recall",
                            &[("attachId", id.as_str())],
                        )
                        .await
                    };
                    assert_eq!(a.status, 200, "{}", a.json);
                    // at most one ballot per user, never a negative count
                    let counter = a.json["result"]["attach"]["COUNTER"].as_i64().expect("n");
                    assert!((0..=16).contains(&counter), "{counter}");
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("task");
    }
    let state = p.poll_state(id.parse().expect("id")).await;
    assert_consistent(&state);

    // Then 32 distinct users vote at once: every vote is counted exactly once.
    let (id2, qid2, aids2) = checkbox_poll(&p).await;
    let key2 = format!("ballot[{qid2}][]");
    let mut tasks = Vec::new();
    for user in 400..432u64 {
        let (p, id2, key2, aids2) = (p.clone(), id2.clone(), key2.clone(), aids2.clone());
        tasks.push(tokio::spawn(async move {
            let choice = &aids2[(user % 3) as usize];
            let a = p
                .call(
                    user,
                    "vote.AttachedVote.vote",
                    &[("attachId", id2.as_str()), (key2.as_str(), choice.as_str())],
                )
                .await;
            assert_eq!(a.status, 200, "{}", a.json);
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let state = p.poll_state(id2.parse().expect("id")).await;
    assert_consistent(&state);
    assert_eq!(state["counter"], 32);
    let counters: Vec<i64> = state["questions"][0]["answers"]
        .as_array()
        .expect("a")
        .iter()
        .filter_map(|a| a["counter"].as_i64())
        .collect();
    // users 400..432: user % 3 == 1 → 11, == 2 → 11, == 0 → 10
    let mut expected = [0i64; 3];
    for user in 400..432u64 {
        expected[(user % 3) as usize] += 1;
    }
    assert_eq!(counters, expected);
    assert_eq!(state["questions"][0]["counter"], 32);
}
