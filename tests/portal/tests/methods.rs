//! Each vote method: success with each addressing form, the response quirks, and each
//! error path (fact sheet §1).

mod common;

use common::*;
use serde_json::{json, Value};

fn attach(a: &Answer) -> &Value {
    &ok(a)["attach"]
}

/// The attach of the default poll as user 1 sees it, and its signedAttachId.
async fn signed_id(p: &Portal) -> String {
    let a = p
        .call(1, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    attach(&a)["signedAttachId"]
        .as_str()
        .expect("signed")
        .to_string()
}

/// A private poll (chat members 1 and 3) with answers "a", "b"; returns (attachId, entityId, answer ids).
async fn private_poll(p: &Portal) -> (u64, u64, Vec<u64>) {
    let c = p
        .create_poll(json!({
            "author": 1,
            "members": [1, 3],
            "questions": [{"text": "Private?", "answers": ["a", "b"]}],
            "ballots": [{"user": 3, "answers": {"0": [1]}}]
        }))
        .await;
    let answers = c["questions"][0]["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    (
        c["attachId"].as_u64().expect("id"),
        c["entityId"].as_u64().expect("entity"),
        answers,
    )
}

fn no_form() -> Value {
    json!({"error": "100", "error_description": "Bitrix\\Vote\\Attach All parameters in the constructor must have real class type"})
}

#[tokio::test]
async fn get_by_every_addressing_form() {
    let p = Portal::start().await;
    let signed = signed_id(&p).await;
    assert!(signed.starts_with("1."));
    let hash = &signed[2..];
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));

    let forms: Vec<Vec<(&str, &str)>> = vec![
        vec![("attachId", "1")],
        vec![
            ("moduleId", "im"),
            ("entityType", ENTITY_TYPE),
            ("entityId", "13"),
        ],
        // moduleId compares case-insensitively, so the docs' `Im` works too.
        vec![
            ("moduleId", "Im"),
            ("entityType", ENTITY_TYPE),
            ("entityId", "13"),
        ],
        vec![("signedAttachId", signed.as_str())],
        // The resultUrl slug is accepted as signedAttachId.
        vec![("signedAttachId", "me7hn922bm011mbf")],
    ];
    for form in forms {
        let a = p.call(2, "vote.AttachedVote.get", &form).await;
        let at = attach(&a);
        assert_eq!(at["ID"], 1, "{form:?}");
        assert_eq!(at["entityId"], 13);
        assert_eq!(at["resultUrl"], "/vote-result/me7hn922bm011mbf");
        // user 2 has not voted and is not the author
        assert_eq!(at["isVoted"], false);
        assert_eq!(at["canVote"], true);
        assert_eq!(at["canEdit"], false);
        assert_eq!(at["userAnswerMap"], json!([]));
    }
    // JSON bodies with real numbers work the same
    let a = p
        .call_json(2, "vote.AttachedVote.get", json!({"attachId": 1}))
        .await;
    assert_eq!(attach(&a)["ID"], 1);
}

#[tokio::test]
async fn get_quirks() {
    let p = Portal::start().await;
    let a = p
        .call(1, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    let at = attach(&a);
    // attach-level numbers are ints, question/answer fields strings
    assert!(at["ID"].is_u64() && at["COUNTER"].is_u64() && at["OPTIONS"].is_u64());
    let q = &at["QUESTIONS"]["1"];
    assert_eq!(q["COUNTER"], "1");
    assert_eq!(q["FIELD_TYPE"], "0");
    let keys: Vec<&String> = q["ANSWERS"].as_object().expect("answers").keys().collect();
    assert_eq!(keys, ["1", "3", "5"]);
    assert_eq!(q["ANSWERS"]["1"]["PERCENT"], 100);
    assert_eq!(q["ANSWERS"]["3"]["~PERCENT"], 0);
    assert_eq!(at["userAnswerMap"]["1"]["1"]["ANSWER_ID"], "1");
    assert_eq!(
        (at["canVote"].clone(), at["canRevote"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(at["isFinished"], false);
}

#[tokio::test]
async fn get_errors() {
    let p = Portal::start().await;
    let nf = json!("ATTACH_NOT_FOUND");
    for form in [
        vec![("attachId", "999")],
        vec![
            ("moduleId", "im"),
            ("entityType", ENTITY_TYPE),
            ("entityId", "14"),
        ],
        vec![
            ("moduleId", "blog"),
            ("entityType", ENTITY_TYPE),
            ("entityId", "13"),
        ],
        vec![(
            "signedAttachId",
            "1.0000000000000000000000000000000000000000000000000000000000000000",
        )],
        vec![("signedAttachId", "nosuchuid0000000")],
    ] {
        let a = p.call(1, "vote.AttachedVote.get", &form).await;
        assert_error(&a, 400, nf.clone(), "Attach not found");
    }
    // no addressing form, or attachId of the wrong type: error 100
    for form in [vec![], vec![("attachId", "abc")], vec![("moduleId", "im")]] {
        let a = p.call(1, "vote.AttachedVote.get", &form).await;
        assert_eq!((a.status, &a.json), (400, &no_form()), "{form:?}");
    }
}

#[tokio::test]
async fn read_access_and_the_signed_grant() {
    let p = Portal::start().await;
    let (id, entity, _) = private_poll(&p).await;
    let id_s = id.to_string();
    let denied = |a: &Answer| assert_error(a, 400, json!(""), "Attach read access denied");
    denied(
        &p.call(2, "vote.AttachedVote.get", &[("attachId", &id_s)])
            .await,
    );
    denied(
        &p.call(2, "vote.AttachedVote.getWithVoted", &[("attachId", &id_s)])
            .await,
    );
    // members read it
    ok(&p
        .call(3, "vote.AttachedVote.get", &[("attachId", &id_s)])
        .await);
    // signedAttachId grants read access to get, getWithVoted, getAnswerVoted…
    let signed = attach(
        &p.call(1, "vote.AttachedVote.get", &[("attachId", &id_s)])
            .await,
    )["signedAttachId"]
        .as_str()
        .expect("signed")
        .to_string();
    let answer = attach(
        &p.call(1, "vote.AttachedVote.get", &[("attachId", &id_s)])
            .await,
    )["QUESTIONS"]
        .as_object()
        .and_then(|q| q.values().next())
        .and_then(|q| q["ANSWERS"].as_object())
        .and_then(|a| a.keys().next().cloned())
        .expect("answer");
    ok(&p
        .call(2, "vote.AttachedVote.get", &[("signedAttachId", &signed)])
        .await);
    ok(&p
        .call(
            2,
            "vote.AttachedVote.getWithVoted",
            &[("signedAttachId", &signed)],
        )
        .await);
    ok(&p
        .call(
            2,
            "vote.AttachedVote.getAnswerVoted",
            &[("signedAttachId", &signed), ("answerId", &answer)],
        )
        .await);
    // …but not to vote, stop or getMany
    let ballot = format!("ballot[{}][]", 0);
    denied(
        &p.call(
            2,
            "vote.AttachedVote.vote",
            &[("signedAttachId", &signed), (&ballot, &answer)],
        )
        .await,
    );
    denied(
        &p.call(2, "vote.AttachedVote.stop", &[("signedAttachId", &signed)])
            .await,
    );
    let entity_s = entity.to_string();
    let a = p
        .call(
            2,
            "vote.AttachedVote.getMany",
            &[
                ("moduleId", "im"),
                ("entityType", ENTITY_TYPE),
                ("entityIds[]", &entity_s),
            ],
        )
        .await;
    assert_error(
        &a,
        400,
        json!(""),
        &format!("Attach with entityId {entity} read access denied"),
    );
    // recall uses its own code
    let a = p
        .call(2, "vote.AttachedVote.recall", &[("attachId", &id_s)])
        .await;
    assert_error(
        &a,
        400,
        json!("ATTACH_READ_ACCESS_DENIED"),
        "Attach read access denied",
    );
}

#[tokio::test]
async fn get_many() {
    let p = Portal::start().await;
    let c = p
        .create_poll(json!({"questions": [{"text": "Q2", "answers": ["x", "y"]}]}))
        .await;
    let e2 = c["entityId"].to_string();
    // form array, input order kept, 0 and junk dropped
    let a = p
        .call(
            2,
            "vote.AttachedVote.getMany",
            &[
                ("moduleId", "im"),
                ("entityType", ENTITY_TYPE),
                ("entityIds[]", &e2),
                ("entityIds[]", "0"),
                ("entityIds[]", "13"),
            ],
        )
        .await;
    let items = ok(&a)["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["entityId"], c["entityId"]);
    assert_eq!(items[1]["entityId"], 13);
    // JSON with the docs' table name `entityId` (an array)
    let a = p
        .call_json(
            2,
            "vote.AttachedVote.getMany",
            json!({"moduleId": "im", "entityType": ENTITY_TYPE, "entityId": [13]}),
        )
        .await;
    assert_eq!(ok(&a)["items"][0]["ID"], 1);
    // empty list
    let a = p
        .call_json(
            2,
            "vote.AttachedVote.getMany",
            json!({"moduleId": "im", "entityType": ENTITY_TYPE, "entityIds": []}),
        )
        .await;
    assert_eq!(ok(&a)["items"], json!([]));
    // the first missing id aborts the call (trailing space as in source)
    let a = p
        .call(
            2,
            "vote.AttachedVote.getMany",
            &[
                ("moduleId", "im"),
                ("entityType", ENTITY_TYPE),
                ("entityIds[]", "13"),
                ("entityIds[]", "77"),
                ("entityIds[]", "78"),
            ],
        )
        .await;
    assert_error(&a, 400, json!(""), "Attach with entityId 77 not found ");
    // missing parameters are binder errors (code "100")
    let a = p
        .call(
            2,
            "vote.AttachedVote.getMany",
            &[("entityType", ENTITY_TYPE), ("entityIds[]", "13")],
        )
        .await;
    assert_error(
        &a,
        400,
        json!("100"),
        "Could not find value for parameter {moduleId}",
    );
    let a = p
        .call(
            2,
            "vote.AttachedVote.getMany",
            &[("moduleId", "im"), ("entityType", ENTITY_TYPE)],
        )
        .await;
    assert_error(
        &a,
        400,
        json!("100"),
        "Could not find value for parameter {entityIds}",
    );
    // exactly 50 is fine
    let ids: Vec<String> = std::iter::repeat_n("13".to_string(), 50).collect();
    let mut pairs = vec![("moduleId", "im"), ("entityType", ENTITY_TYPE)];
    pairs.extend(ids.iter().map(|i| ("entityIds[]", i.as_str())));
    let a = p.call(2, "vote.AttachedVote.getMany", &pairs).await;
    assert_eq!(ok(&a)["items"].as_array().map(Vec::len), Some(50));
}

#[tokio::test]
async fn vote_by_every_addressing_form_with_revote() {
    let p = Portal::start().await;
    let signed = signed_id(&p).await;
    let forms: Vec<Vec<(&str, &str)>> = vec![
        vec![("attachId", "1")],
        vec![
            ("moduleId", "im"),
            ("entityType", ENTITY_TYPE),
            ("entityId", "13"),
        ],
        vec![("signedAttachId", signed.as_str())],
        vec![("signedAttachId", "me7hn922bm011mbf")],
    ];
    for (i, form) in forms.into_iter().enumerate() {
        let choice = ["3", "5", "3", "5"][i];
        let mut pairs = form.clone();
        pairs.push(("ballot[1][]", choice));
        pairs.push(("actionUuid", "c0ffee-1"));
        let a = p.call(2, "vote.AttachedVote.vote", &pairs).await;
        let at = attach(&a);
        // revote replaced the previous ballot: 2 ballots in total (users 1 and 2)
        assert_eq!(at["COUNTER"], 2, "{form:?}");
        assert_eq!(at["isVoted"], true);
        assert_eq!(at["canVote"], false);
        let map = at["userAnswerMap"]["1"].as_object().expect("map");
        assert_eq!(map.keys().collect::<Vec<_>>(), [choice]);
        let answers = &at["QUESTIONS"]["1"]["ANSWERS"];
        assert_eq!(answers[choice]["COUNTER"], 1);
        assert_eq!(answers[choice]["PERCENT"], 50);
    }
    let state = p.poll_state(1).await;
    assert_eq!(state["counter"], 2);
    assert_eq!(state["ballots"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn vote_counter_types_after_a_write() {
    let p = Portal::start().await;
    // user 2 votes for 3: question and answer 3 touched (ints); 1 and 5 stay strings
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1][]", "3")],
        )
        .await;
    let q = &attach(&a)["QUESTIONS"]["1"];
    assert_eq!(q["COUNTER"], json!(2));
    assert_eq!(q["ANSWERS"]["3"]["COUNTER"], json!(1));
    assert_eq!(q["ANSWERS"]["1"]["COUNTER"], json!("1"));
    assert_eq!(q["ANSWERS"]["5"]["COUNTER"], json!("0"));
    assert_eq!(q["ANSWERS"]["1"]["PERCENT"], json!(50));
    // revote 3 → 5: answers 3 and 5 and the question touched, 1 untouched
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1][]", "5")],
        )
        .await;
    let q = &attach(&a)["QUESTIONS"]["1"];
    assert_eq!(q["ANSWERS"]["3"]["COUNTER"], json!(0));
    assert_eq!(q["ANSWERS"]["5"]["COUNTER"], json!(1));
    assert_eq!(q["ANSWERS"]["1"]["COUNTER"], json!("1"));
    // a later read: all strings again
    let a = p
        .call(2, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    let q = &attach(&a)["QUESTIONS"]["1"];
    assert_eq!(q["COUNTER"], json!("2"));
    assert_eq!(q["ANSWERS"]["5"]["COUNTER"], json!("1"));
}

#[tokio::test]
async fn vote_ballot_rules() {
    let p = Portal::start().await;
    // radio keeps only the first answer; unknown answers are dropped
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[
                ("attachId", "1"),
                ("ballot[1][]", "99"),
                ("ballot[1][]", "5"),
                ("ballot[1][]", "3"),
            ],
        )
        .await;
    let map = attach(&a)["userAnswerMap"]["1"]
        .as_object()
        .expect("map")
        .clone();
    assert_eq!(map.keys().collect::<Vec<_>>(), ["5"]);
    // a scalar in place of the array (`ballot[1]=3`)
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1]", "3")],
        )
        .await;
    assert!(attach(&a)["userAnswerMap"]["1"]["3"].is_object());
    // JSON with the docs' format {"1": ["3"]}
    let a = p
        .call_json(
            2,
            "vote.AttachedVote.vote",
            json!({"attachId": 1, "ballot": {"1": ["5"]}}),
        )
        .await;
    assert!(attach(&a)["userAnswerMap"]["1"]["5"].is_object());
    // nothing valid: "Cannot save poll."
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1][]", "99")],
        )
        .await;
    assert_error(&a, 400, json!(""), "Cannot save poll.");
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[7][]", "1")],
        )
        .await;
    assert_error(&a, 400, json!(""), "Cannot save poll.");
    // ballot missing or not an array: binder errors (code "100")
    let a = p
        .call(2, "vote.AttachedVote.vote", &[("attachId", "1")])
        .await;
    assert_error(
        &a,
        400,
        json!("100"),
        "Could not find value for parameter {ballot}",
    );
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot", "3")],
        )
        .await;
    assert_error(
        &a,
        400,
        json!("100"),
        "Invalid value 3 to match with parameter {ballot}. Should be value of type array.",
    );
    // the failed calls changed nothing
    let state = p.poll_state(1).await;
    assert_eq!(state["counter"], 2);
    assert_eq!(state["ballots"][1]["answers"], json!({"1": [5]}));
}

#[tokio::test]
async fn vote_checkbox_and_percent_floats() {
    let p = Portal::start().await;
    let c = p
        .create_poll(json!({
            "questions": [{"text": "Pick", "multiple": true, "answers": ["a", "b", "c"]}],
            "ballots": [
                {"user": 5, "answers": {"0": [0, 1]}},
                {"user": 6, "answers": {"0": [0]}}
            ]
        }))
        .await;
    let id = c["attachId"].to_string();
    let aids: Vec<String> = c["questions"][0]["answers"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.to_string())
        .collect();
    // answer ids are not their positions
    assert!(aids.iter().all(|a| a != "0" && a != "1" && a != "2"));
    let qid = c["questions"][0]["id"].to_string();
    let key = format!("ballot[{qid}][]");
    let a = p
        .call(
            7,
            "vote.AttachedVote.vote",
            &[("attachId", &id), (&key, &aids[1]), (&key, &aids[2])],
        )
        .await;
    let at = attach(&a);
    let q = &at["QUESTIONS"][&qid];
    // question COUNTER counts voters, not answers
    assert_eq!(q["COUNTER"], json!(3));
    assert_eq!(q["FIELD_TYPE"], "1");
    let ans = &q["ANSWERS"];
    assert_eq!(ans[&aids[0]]["COUNTER"], json!("2"));
    assert_eq!(ans[&aids[0]]["~PERCENT"], json!(66.66666666666667));
    assert_eq!(ans[&aids[0]]["PERCENT"], json!(66.67));
    assert_eq!(ans[&aids[1]]["PERCENT"], json!(66.67));
    assert_eq!(ans[&aids[2]]["~PERCENT"], json!(33.333333333333336));
    assert_eq!(ans[&aids[2]]["PERCENT"], json!(33.33));
    assert_eq!(
        at["userAnswerMap"][&qid].as_object().map(|m| m.len()),
        Some(2)
    );
}

#[tokio::test]
async fn vote_without_revote_and_on_a_stopped_poll() {
    let p = Portal::start().await;
    let c = p
        .create_poll(json!({
            "allowRevote": false,
            "questions": [{"text": "Once", "answers": ["a", "b"]}],
            "ballots": [{"user": 2, "answers": {"0": [0]}}]
        }))
        .await;
    let id = c["attachId"].to_string();
    let qid = c["questions"][0]["id"].to_string();
    let b = c["questions"][0]["answers"][1].to_string();
    let key = format!("ballot[{qid}][]");
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", &id), (&key, &b)],
        )
        .await;
    assert_error(&a, 400, json!("32"), "You already voted.");
    let a = p
        .call(2, "vote.AttachedVote.get", &[("attachId", &id)])
        .await;
    assert_eq!(attach(&a)["canRevote"], false);
    assert_eq!(attach(&a)["OPTIONS"], 0);

    ok(&p
        .call(1, "vote.AttachedVote.stop", &[("attachId", &id)])
        .await);
    let a = p
        .call(
            3,
            "vote.AttachedVote.vote",
            &[("attachId", &id), (&key, &b)],
        )
        .await;
    assert_error(&a, 400, json!("403"), "The poll is inactive.");
}

#[tokio::test]
async fn recall_paths() {
    let p = Portal::start().await;
    // by each addressing form
    let signed = signed_id(&p).await;
    for form in [
        vec![("attachId", "1")],
        vec![
            ("moduleId", "im"),
            ("entityType", ENTITY_TYPE),
            ("entityId", "13"),
        ],
        vec![("signedAttachId", signed.as_str())],
    ] {
        ok(&p
            .call(
                2,
                "vote.AttachedVote.vote",
                &[("attachId", "1"), ("ballot[1][]", "3")],
            )
            .await);
        let mut pairs = form.clone();
        pairs.push(("actionUuid", "uuid-1"));
        let a = p.call(2, "vote.AttachedVote.recall", &pairs).await;
        let at = attach(&a);
        assert_eq!(at["userAnswerMap"], json!([]), "{form:?}");
        assert_eq!(at["isVoted"], false);
        assert_eq!(at["COUNTER"], 1);
        assert_eq!(at["QUESTIONS"]["1"]["ANSWERS"]["3"]["COUNTER"], json!(0));
        assert_eq!(at["QUESTIONS"]["1"]["COUNTER"], json!(1));
    }
    // recall without a vote: success, nothing touched (all strings)
    let a = p
        .call(2, "vote.AttachedVote.recall", &[("attachId", "1")])
        .await;
    let q = &attach(&a)["QUESTIONS"]["1"];
    assert_eq!(q["COUNTER"], json!("1"));
    assert_eq!(q["ANSWERS"]["3"]["COUNTER"], json!("0"));

    // no revote: "You already voted." (32)
    let c = p
        .create_poll(json!({
            "allowRevote": false,
            "questions": [{"text": "Once", "answers": ["a", "b"]}],
            "ballots": [{"user": 2, "answers": {"0": [1]}}]
        }))
        .await;
    let id = c["attachId"].to_string();
    let a = p
        .call(2, "vote.AttachedVote.recall", &[("attachId", &id)])
        .await;
    assert_error(&a, 400, json!("32"), "You already voted.");

    // stopped poll: "Access denied" (no code, no period)
    ok(&p
        .call(1, "vote.AttachedVote.stop", &[("attachId", "1")])
        .await);
    let a = p
        .call(1, "vote.AttachedVote.recall", &[("attachId", "1")])
        .await;
    assert_error(&a, 400, json!(""), "Access denied");
    assert_eq!(p.poll_state(1).await["counter"], 1);
}

#[tokio::test]
async fn stop_and_resume() {
    let p = Portal::start().await;
    let signed = signed_id(&p).await;
    let forms: Vec<Vec<(&str, &str)>> = vec![
        vec![("attachId", "1")],
        vec![
            ("moduleId", "im"),
            ("entityType", ENTITY_TYPE),
            ("entityId", "13"),
        ],
        vec![("signedAttachId", signed.as_str())],
    ];
    for form in forms {
        let mut pairs = form.clone();
        pairs.push(("actionUuid", "u-1"));
        let a = p.call(1, "vote.AttachedVote.stop", &pairs).await;
        assert_eq!(ok(&a), &json!([]), "{form:?}");
        let g = p
            .call(2, "vote.AttachedVote.get", &[("attachId", "1")])
            .await;
        let at = attach(&g);
        assert_eq!(
            (
                at["isFinished"].clone(),
                at["canVote"].clone(),
                at["canRevote"].clone()
            ),
            (json!(true), json!(false), json!(false))
        );
        let a = p.call(1, "vote.AttachedVote.resume", &pairs).await;
        assert_eq!(ok(&a), &json!([]));
        let g = p
            .call(2, "vote.AttachedVote.get", &[("attachId", "1")])
            .await;
        assert_eq!(attach(&g)["isFinished"], false);
        assert_eq!(attach(&g)["canVote"], true);
    }
    // only the author may stop or resume
    for method in ["stop", "resume"] {
        let a = p
            .call(
                2,
                &format!("vote.AttachedVote.{method}"),
                &[("attachId", "1")],
            )
            .await;
        assert_error(&a, 400, json!("403"), "Access denied.");
    }
    // stopping twice is fine; voting works again after resume
    ok(&p
        .call(1, "vote.AttachedVote.stop", &[("attachId", "1")])
        .await);
    ok(&p
        .call(1, "vote.AttachedVote.stop", &[("attachId", "1")])
        .await);
    ok(&p
        .call(1, "vote.AttachedVote.resume", &[("attachId", "1")])
        .await);
    ok(&p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1][]", "5")],
        )
        .await);
}

/// A poll with `n` voters for its first answer (users 100..100+n) and one for the second.
async fn crowded_poll(p: &Portal, n: u64, anonymous: bool) -> (String, String, String) {
    let mut ballots: Vec<Value> = (0..n)
        .map(|i| json!({"user": 100 + i, "answers": {"0": [0]}}))
        .collect();
    ballots.push(json!({"user": 2, "answers": {"0": [1]}}));
    let c = p
        .create_poll(json!({
            "anonymous": anonymous,
            "questions": [{"text": "Crowd", "answers": ["a", "b", "c"]}],
            "ballots": ballots
        }))
        .await;
    (
        c["attachId"].to_string(),
        c["questions"][0]["answers"][0].to_string(),
        c["questions"][0]["answers"][1].to_string(),
    )
}

#[tokio::test]
async fn get_with_voted_paths() {
    let p = Portal::start().await;
    // default poll: Alex voted for 1
    let a = p
        .call(1, "vote.AttachedVote.getWithVoted", &[("attachId", "1")])
        .await;
    let voted = &ok(&a)["voted"];
    assert_eq!(voted.as_object().map(|m| m.len()), Some(1));
    assert_eq!(voted["1"][0]["ID"], 1);
    assert_eq!(voted["1"][0]["NAME"], "Alex");
    assert!(voted["1"][0]["IMAGE"].is_string());
    assert_eq!(voted["1"][0]["WORK_POSITION"], "");

    let (id, first, second) = crowded_poll(&p, 60, false).await;
    let with = |size: &'static str| {
        let id = id.clone();
        let p = &p;
        async move {
            let mut pairs = vec![("attachId", id.as_str())];
            if !size.is_empty() {
                pairs.push(("pageSize", size));
            }
            p.call(2, "vote.AttachedVote.getWithVoted", &pairs).await
        }
    };
    let count = |a: &Answer, answer: &str| ok(a)["voted"][answer].as_array().map(Vec::len);
    assert_eq!(count(&with("").await, &first), Some(10)); // default 10
    assert_eq!(count(&with("100").await, &first), Some(50)); // clamped to 50
    assert_eq!(count(&with("0").await, &first), Some(1)); // clamped to 1
    let a = with("3").await;
    assert_eq!(count(&a, &first), Some(3));
    assert_eq!(count(&a, &second), Some(1));
    assert_eq!(ok(&a)["voted"][&second][0]["NAME"], "Maria");
    // answers nobody chose are absent
    assert_eq!(ok(&a)["voted"].as_object().map(|m| m.len()), Some(2));
    let a = p
        .call(
            2,
            "vote.AttachedVote.getWithVoted",
            &[("attachId", id.as_str()), ("pageSize", "x")],
        )
        .await;
    assert_error(
        &a,
        400,
        json!("100"),
        "Invalid value x to match with parameter {pageSize}. Should be value of type int.",
    );

    // anonymous polls hide voters: voted is []
    let (anon, _, _) = crowded_poll(&p, 3, true).await;
    let a = p
        .call(2, "vote.AttachedVote.getWithVoted", &[("attachId", &anon)])
        .await;
    assert_eq!(ok(&a)["voted"], json!([]));
    assert_eq!(ok(&a)["attach"]["ANONYMITY"], 2);
    assert_eq!(ok(&a)["attach"]["COUNTER"], 4);
    // errors
    let a = p
        .call(2, "vote.AttachedVote.getWithVoted", &[("attachId", "999")])
        .await;
    assert_error(&a, 400, json!("ATTACH_NOT_FOUND"), "Attach not found");
    let a = p.call(2, "vote.AttachedVote.getWithVoted", &[]).await;
    assert_eq!(a.json, no_form());
}

#[tokio::test]
async fn get_answer_voted_paging() {
    let p = Portal::start().await;
    let (id, first, second) = crowded_poll(&p, 60, false).await;
    let page = |start: &'static str, answer: String| {
        let id = id.clone();
        let p = &p;
        async move {
            let mut pairs = vec![("attachId", id.as_str()), ("answerId", answer.as_str())];
            if !start.is_empty() {
                pairs.push(("start", start));
            }
            p.call(2, "vote.AttachedVote.getAnswerVoted", &pairs).await
        }
    };
    let a = page("", first.clone()).await;
    assert_eq!(ok(&a)["items"].as_array().map(Vec::len), Some(50));
    assert_eq!(a.json["total"], 60);
    assert_eq!(a.json["next"], 50);
    assert_eq!(ok(&a)["items"][0]["ID"], 100);
    let a = page("50", first.clone()).await;
    assert_eq!(ok(&a)["items"].as_array().map(Vec::len), Some(10));
    assert_eq!(ok(&a)["items"][0]["ID"], 150);
    assert_eq!(a.json["total"], 60);
    assert!(a.json.get("next").is_none());
    let a = page("", second).await;
    assert_eq!(ok(&a)["items"][0]["NAME"], "Maria");
    assert_eq!(ok(&a)["items"][0]["IMAGE"], Value::Null);
    assert!(a.json.get("next").is_none());
    // an answer of another poll: "Access denied." (403)
    let a = page("", "1".into()).await;
    assert_error(&a, 400, json!("403"), "Access denied.");
    let a = p
        .call(2, "vote.AttachedVote.getAnswerVoted", &[("attachId", &id)])
        .await;
    assert_error(
        &a,
        400,
        json!("100"),
        "Could not find value for parameter {answerId}",
    );
    // anonymous: nobody listed
    let (anon, first, _) = crowded_poll(&p, 2, true).await;
    let a = p
        .call(
            2,
            "vote.AttachedVote.getAnswerVoted",
            &[("attachId", &anon), ("answerId", &first)],
        )
        .await;
    assert_eq!(ok(&a)["items"], json!([]));
    assert_eq!(a.json["total"], 0);
}

#[tokio::test]
async fn im_send_creates_an_addressable_poll() {
    let p = Portal::start().await;
    let data = json!({
        "QUESTIONS": [{"QUESTION": "Tea or coffee?", "FIELD_TYPE": 1,
                       "ANSWERS": [{"MESSAGE": "Tea"}, {"MESSAGE": "Coffee"}]}],
        "ANONYMITY": 2,
        "OPTIONS": 1
    });
    let a = p
        .call_json(
            2,
            "vote.Integration.Im.send",
            json!({"chatId": 5, "IM_MESSAGE_VOTE_DATA": data, "templateId": "t-1"}),
        )
        .await;
    let r = ok(&a).clone();
    let (mid, vid) = (
        r["messageId"].as_u64().expect("m"),
        r["voteId"].as_u64().expect("v"),
    );
    let g = p
        .call(
            2,
            "vote.AttachedVote.get",
            &[
                ("moduleId", "im"),
                ("entityType", ENTITY_TYPE),
                ("entityId", &mid.to_string()),
            ],
        )
        .await;
    let at = attach(&g);
    assert_eq!(at["VOTE_ID"], vid);
    // voteId is not attachId
    assert_ne!(at["ID"], at["VOTE_ID"]);
    assert_eq!(at["canEdit"], true);
    assert_eq!(at["ANONYMITY"], 2);
    assert_eq!(at["OPTIONS"], 1);
    let q = at["QUESTIONS"]
        .as_object()
        .and_then(|m| m.values().next())
        .expect("q");
    assert_eq!(q["FIELD_TYPE"], "1");
    assert_eq!(q["QUESTION"], "Tea or coffee?");
    let msgs: Vec<&Value> = q["ANSWERS"]
        .as_object()
        .expect("a")
        .values()
        .map(|a| &a["MESSAGE"])
        .collect();
    assert_eq!(msgs, [&json!("Tea"), &json!("Coffee")]);
    // templateId: the same request again creates nothing new
    let again = p
        .call_json(
            2,
            "vote.Integration.Im.send",
            json!({"chatId": 5, "IM_MESSAGE_VOTE_DATA": data, "templateId": "t-1"}),
        )
        .await;
    assert_eq!(ok(&again), &r);
    let other = p
        .call_json(
            2,
            "vote.Integration.Im.send",
            json!({"chatId": 5, "IM_MESSAGE_VOTE_DATA": data, "templateId": "t-2"}),
        )
        .await;
    assert_ne!(ok(&other)["messageId"], r["messageId"]);
}

#[tokio::test]
async fn im_send_errors() {
    let p = Portal::start().await;
    let send = |data: Value| {
        let p = &p;
        async move {
            p.call_json(
                1,
                "vote.Integration.Im.send",
                json!({"chatId": 1, "IM_MESSAGE_VOTE_DATA": data}),
            )
            .await
        }
    };
    let answers = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"MESSAGE": format!("A{i}")}))
            .collect::<Vec<_>>()
            .into()
    };
    let q = |n: usize| json!({"QUESTION": "Q", "ANSWERS": answers(n)});
    let cases = [
        (
            json!({"QUESTIONS": []}),
            "Poll question and answer options are required.",
        ),
        (json!({}), "Poll question and answer options are required."),
        (
            json!({"QUESTIONS": [q(2), q(2)]}),
            "Maximum possible questions: 1.",
        ),
        (
            json!({"QUESTIONS": [q(1)]}),
            "Minimum possible answer options: 2.",
        ),
        (
            json!({"QUESTIONS": [q(11)]}),
            "Maximum possible answer options: 10.",
        ),
        (
            json!({"QUESTIONS": [{"QUESTION": "Q", "FIELD_TYPE": 7, "ANSWERS": answers(2)}]}),
            "One or more of the poll fields are invalid.",
        ),
        (
            json!({"QUESTIONS": [q(2)], "ANONYMITY": 9}),
            "One or more of the poll fields are invalid.",
        ),
    ];
    for (data, message) in cases {
        assert_error(&send(data.clone()).await, 400, json!(""), message);
    }
    // limits are inclusive
    ok(&send(json!({"QUESTIONS": [q(10)]})).await);
    // missing parameters
    let a = p
        .call_json(1, "vote.Integration.Im.send", json!({"chatId": 1}))
        .await;
    assert_error(
        &a,
        400,
        json!("100"),
        "Could not find value for parameter {IM_MESSAGE_VOTE_DATA}",
    );
    let a = p
        .call_json(
            1,
            "vote.Integration.Im.send",
            json!({"IM_MESSAGE_VOTE_DATA": {"QUESTIONS": [q(2)]}}),
        )
        .await;
    assert_error(
        &a,
        400,
        json!("100"),
        "Could not find value for parameter {chatId}",
    );
    let a = p
        .call_json(
            1,
            "vote.Integration.Im.send",
            json!({"chatId": 0, "IM_MESSAGE_VOTE_DATA": {"QUESTIONS": [q(2)]}}),
        )
        .await;
    assert_error(
        &a,
        400,
        json!(""),
        "Insufficient permission to create a poll.",
    );
}
