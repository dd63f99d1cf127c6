//! Every docs example response (fact sheet §1.4, `tests/fixtures/*.json`) reproduced as
//! the emulator's answer to the documented request: same keys, same JSON types, and the
//! same values except ids, times and signatures.

mod common;

use common::*;
use serde_json::{json, Value};

const ID_LEAVES: &[&str] = &[
    "ID",
    "VOTE_ID",
    "QUESTION_ID",
    "EVENT_ID",
    "EVENT_QUESTION_ID",
    "ANSWER_ID",
    "entityId",
    "FIELD_NAME",
    "~FIELD_NAME",
    "MESSAGE_FIELD_NAME",
    "resultUrl",
];

fn allow(extra: &[&'static str]) -> Vec<&'static str> {
    VOLATILE.iter().chain(extra).copied().collect()
}

#[test]
fn the_comparator_catches_differences() {
    let e = json!({"a": {"COUNTER": "1", "x": [1, 2]}, "t": {"s": 1}});
    assert!(shape_diff(&e, &e, &[], &[]).is_empty());
    let int_counter = json!({"a": {"COUNTER": 1, "x": [1, 2]}, "t": {"s": 1}});
    assert_eq!(shape_diff(&e, &int_counter, &[], &[]).len(), 1);
    let missing = json!({"a": {"x": [1, 2]}, "t": {"s": 1}});
    assert_eq!(shape_diff(&e, &missing, &[], &[]).len(), 1);
    let extra = json!({"a": {"COUNTER": "1", "x": [1, 2]}, "t": {"s": 1, "z": 0}});
    assert_eq!(shape_diff(&e, &extra, &[], &[]).len(), 1);
    assert!(shape_diff(&e, &extra, &[], &["t"]).is_empty());
    let other_value = json!({"a": {"COUNTER": "2", "x": [1, 2]}, "t": {"s": 1}});
    assert_eq!(shape_diff(&e, &other_value, &[], &[]).len(), 1);
    assert!(shape_diff(&e, &other_value, &["COUNTER"], &[]).is_empty());
    let short = json!({"a": {"COUNTER": "1", "x": [1]}, "t": {"s": 1}});
    assert_eq!(shape_diff(&e, &short, &[], &[]).len(), 1);
    // maps keyed by ids compare by position
    let ids = json!({"7": {"ID": "7"}});
    assert!(shape_diff(&json!({"1": {"ID": "1"}}), &ids, &["ID"], &[]).is_empty());
    assert_eq!(
        shape_diff(&json!({"1": {"ID": "1"}}), &ids, &[], &[]).len(),
        1
    );
    assert_eq!(shape_diff(&json!({"1": {}}), &json!([]), &[], &[]).len(), 1);
}

#[tokio::test]
async fn get_example() {
    let p = Portal::start().await;
    let a = p
        .call(1, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    assert_time(&a.json);
    // The docs show get without its envelope.
    assert_shape(&fixture("get.json"), ok(&a), &allow(&[]), &[]);
}

#[tokio::test]
async fn get_many_example() {
    let p = Portal::start().await;
    let a = p
        .call(
            1,
            "vote.AttachedVote.getMany",
            &[
                ("moduleId", "im"),
                ("entityType", ENTITY_TYPE),
                ("entityIds[]", "13"),
            ],
        )
        .await;
    assert_time(&a.json);
    assert_shape(&fixture("getMany.json"), &a.json, &allow(&[]), &[]);
}

#[tokio::test]
async fn recall_then_vote_examples() {
    let p = Portal::start().await;
    let a = p
        .call(1, "vote.AttachedVote.recall", &[("attachId", "1")])
        .await;
    assert_time(&a.json);
    // The docs' answer 3 is "Better than anyone!" here and "The best!" in the vote
    // example (translations of one string).
    assert_shape(
        &fixture("recall.json"),
        &a.json,
        &allow(&["3.MESSAGE"]),
        &[],
    );
    let a = p
        .call(
            1,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1][]", "1")],
        )
        .await;
    assert_time(&a.json);
    assert_shape(
        &fixture("vote.json"),
        &a.json,
        &allow(&[
            "3.MESSAGE",
            "EVENT_ID",
            "EVENT_QUESTION_ID",
            "userAnswerMap.*.*.ID",
        ]),
        &[],
    );
}

#[tokio::test]
async fn stop_and_resume_examples() {
    let p = Portal::start().await;
    let a = p
        .call(1, "vote.AttachedVote.stop", &[("attachId", "1")])
        .await;
    assert_time(&a.json);
    // The stop example is older and lacks operating / operating_reset_at.
    assert_shape(&fixture("stop.json"), &a.json, &allow(&[]), &["time"]);
    let a = p
        .call(1, "vote.AttachedVote.resume", &[("attachId", "1")])
        .await;
    assert_shape(&fixture("resume.json"), &a.json, &allow(&[]), &[]);
}

#[tokio::test]
async fn get_with_voted_example() {
    let p = Portal::start().await;
    // The example's poll: a chat poll with three html answers, ANONYMITY 0, OPTIONS 0,
    // and user 1 (Alex) voted for the second answer.
    let sent = p
        .call_json(
            1,
            "vote.Integration.Im.send",
            json!({
                "chatId": 1,
                "IM_MESSAGE_VOTE_DATA": {
                    "QUESTIONS": [{
                        "QUESTION": "First test vote",
                        "FIELD_TYPE": 0,
                        "ANSWERS": [
                            {"MESSAGE": "first option"},
                            {"MESSAGE": "second option"},
                            {"MESSAGE": "third option"}
                        ]
                    }],
                    "ANONYMITY": 0,
                    "OPTIONS": 0
                }
            }),
        )
        .await;
    let message_id = ok(&sent)["messageId"].to_string();
    let addr = [
        ("moduleId", "im"),
        ("entityType", ENTITY_TYPE),
        ("entityId", message_id.as_str()),
    ];
    let got = p.call(1, "vote.AttachedVote.get", &addr).await;
    let second = ok(&got)["attach"]["QUESTIONS"]
        .as_object()
        .and_then(|q| q.values().next())
        .and_then(|q| q["ANSWERS"].as_object())
        .and_then(|a| a.keys().nth(1).cloned())
        .expect("second answer");
    let mut vote = addr.to_vec();
    vote.push(("ballot[1][]", "0"));
    let qid = ok(&got)["attach"]["QUESTIONS"]
        .as_object()
        .and_then(|q| q.keys().next().cloned())
        .expect("question");
    let key = format!("ballot[{qid}][]");
    vote[3] = (key.as_str(), second.as_str());
    ok(&p.call(1, "vote.AttachedVote.vote", &vote).await);

    let a = p.call(1, "vote.AttachedVote.getWithVoted", &addr).await;
    assert_time(&a.json);
    assert_shape(
        &fixture("getWithVoted.json"),
        &a.json,
        &allow(&[ID_LEAVES, &["IMAGE"]].concat()),
        &[],
    );
}

#[tokio::test]
async fn get_answer_voted_example() {
    let p = Portal::start().await;
    let a = p
        .call(
            1,
            "vote.AttachedVote.getAnswerVoted",
            &[("attachId", "1"), ("answerId", "1")],
        )
        .await;
    assert_time(&a.json);
    assert_shape(
        &fixture("getAnswerVoted.json"),
        &a.json,
        &allow(&["IMAGE"]),
        &[],
    );
}

#[tokio::test]
async fn im_send_example() {
    let p = Portal::start().await;
    let a = p
        .call(
            1,
            "vote.Integration.Im.send",
            &[
                ("chatId", "1"),
                ("IM_MESSAGE_VOTE_DATA[QUESTIONS][0][QUESTION]", "Lunch?"),
                ("IM_MESSAGE_VOTE_DATA[QUESTIONS][0][FIELD_TYPE]", "0"),
                (
                    "IM_MESSAGE_VOTE_DATA[QUESTIONS][0][ANSWERS][0][MESSAGE]",
                    "Yes",
                ),
                (
                    "IM_MESSAGE_VOTE_DATA[QUESTIONS][0][ANSWERS][1][MESSAGE]",
                    "No",
                ),
                ("IM_MESSAGE_VOTE_DATA[ANONYMITY]", "1"),
                ("IM_MESSAGE_VOTE_DATA[OPTIONS]", "1"),
            ],
        )
        .await;
    assert_time(&a.json);
    assert_shape(
        &fixture("im.send.json"),
        &a.json,
        &allow(&["messageId", "voteId"]),
        &[],
    );
}

#[tokio::test]
async fn error_examples() {
    let p = Portal::start().await;

    // get (and recall, resume, stop, getWithVoted, getAnswerVoted) on a missing attach.
    let expected = fixture("error-attach-not-found.json");
    for method in [
        "get",
        "recall",
        "resume",
        "stop",
        "getWithVoted",
        "getAnswerVoted",
    ] {
        let a = p
            .call(
                1,
                &format!("vote.AttachedVote.{method}"),
                &[("attachId", "999"), ("answerId", "1")],
            )
            .await;
        assert_eq!(a.status, 400, "{method}");
        assert_shape(&expected, &a.json, &[], &[]);
    }

    // getMany with more than 50 ids. The source spells it "To many entity ids".
    let ids: Vec<String> = (1..=51).map(|i| i.to_string()).collect();
    let mut pairs = vec![("moduleId", "im"), ("entityType", ENTITY_TYPE)];
    pairs.extend(ids.iter().map(|i| ("entityIds[]", i.as_str())));
    let a = p.call(1, "vote.AttachedVote.getMany", &pairs).await;
    assert_eq!(a.status, 400);
    assert_shape(
        &fixture("error-too-many-ids.json"),
        &a.json,
        &["error_description"],
        &[],
    );
    assert_eq!(a.json["error_description"], "To many entity ids");

    // vote on a stopped poll: the docs' body, with the source's HTTP 400.
    ok(&p
        .call(1, "vote.AttachedVote.stop", &[("attachId", "1")])
        .await);
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1][]", "3")],
        )
        .await;
    assert_eq!(a.status, 400);
    assert_shape(&fixture("error-poll-inactive.json"), &a.json, &[], &[]);

    // im.send refused: the docs' "Access denied" (no current user) cannot happen with a
    // webhook; a chat the caller is not in gives the same shape from the same method.
    let poll = p
        .create_poll(json!({
            "author": 1,
            "members": [1],
            "questions": [{"text": "Private?", "answers": ["a", "b"]}]
        }))
        .await;
    let a = p
        .call_json(
            2,
            "vote.Integration.Im.send",
            json!({
                "chatId": poll["chatId"],
                "IM_MESSAGE_VOTE_DATA": {"QUESTIONS": [{"QUESTION": "Q", "ANSWERS": [{"MESSAGE": "a"}, {"MESSAGE": "b"}]}]}
            }),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_shape(
        &fixture("error-access-denied.json"),
        &a.json,
        &["error", "error_description"],
        &[],
    );
    assert_eq!(
        a.json["error_description"],
        Value::from("Insufficient permission to create a poll.")
    );
}
