//! Every example response of the docs (fact sheet §1.4) decodes, with the
//! values a user relies on asserted.
#![cfg(not(target_arch = "wasm32"))]

use b24_vote::decode::{decode_response, Attaches, Done};
use b24_vote::{parse_vote_response, AttachWithVoted, AttachedVote, VoterPage};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn answers(attach: &AttachedVote) -> Vec<(u64, u64, f64)> {
    attach.questions[0]
        .answers
        .iter()
        .map(|a| (a.id, a.votes, a.percent))
        .collect()
}

#[test]
fn get_example_without_envelope() {
    let attach = parse_vote_response(&fixture("get")).unwrap();
    assert_eq!(
        (attach.id, attach.vote_id, attach.entity_id, attach.ballots),
        (1, 1, 13, 1)
    );
    assert_eq!(
        (attach.anonymity, attach.anonymous, attach.options),
        (1, false, 1)
    );
    assert!(attach.allow_revote && !attach.hide_result);
    assert!(attach.can_edit && !attach.can_vote && attach.can_revote && attach.is_voted);
    assert!(!attach.is_finished);
    assert_eq!(attach.result_url, "/vote-result/me7hn922bm011mbf");
    assert!(attach.signed_attach_id.starts_with("1.5228"));
    let q = &attach.questions[0];
    assert_eq!(
        (q.id, q.text.as_str(), q.text_type.as_str()),
        (1, "How are you?", "text")
    );
    assert_eq!(
        (q.sort, q.field_type, q.multiple, q.active, q.required),
        (10, 0, false, true, false)
    );
    assert_eq!(q.voters, 1);
    assert_eq!(q.my_answer_ids, vec![1]);
    assert_eq!(
        answers(&attach),
        vec![(1, 1, 100.0), (3, 0, 0.0), (5, 0, 0.0)]
    );
    let great = &q.answers[0];
    assert_eq!(great.text, "Great!");
    assert!(great.voted_by_me && !q.answers[1].voted_by_me);
    assert_eq!(
        (great.exact_percent, great.server_percent),
        (100.0, Some(100.0))
    );
}

#[test]
fn recall_example_has_no_votes_left() {
    let attach = parse_vote_response(&fixture("recall")).unwrap();
    assert_eq!(attach.ballots, 0);
    assert!(!attach.is_voted && attach.can_vote && attach.can_revote);
    let q = &attach.questions[0];
    assert_eq!(q.voters, 0);
    assert!(q.my_answer_ids.is_empty());
    assert_eq!(
        answers(&attach),
        vec![(1, 0, 0.0), (3, 0, 0.0), (5, 0, 0.0)]
    );
    assert_eq!(q.answers[1].text, "Better than anyone!");
    assert!(q
        .answers
        .iter()
        .all(|a| !a.voted_by_me && a.exact_percent == 0.0));
}

#[test]
fn vote_example_mixes_ints_and_strings() {
    let attach = parse_vote_response(&fixture("vote")).unwrap();
    assert_eq!(attach.ballots, 1);
    assert_eq!(attach.questions[0].voters, 1);
    assert_eq!(attach.questions[0].my_answer_ids, vec![1]);
    assert_eq!(
        answers(&attach),
        vec![(1, 1, 100.0), (3, 0, 0.0), (5, 0, 0.0)]
    );
}

#[test]
fn envelope_decoders_agree_with_parse_vote_response() {
    for name in ["recall", "vote"] {
        let body = fixture(name);
        let via_envelope: AttachedVote = decode_response(200, &body).unwrap();
        assert_eq!(via_envelope, parse_vote_response(&body).unwrap());
    }
}

#[test]
fn get_many_example_lists_items_in_order() {
    let Attaches(items) = decode_response(200, &fixture("getMany")).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0], parse_vote_response(&fixture("get")).unwrap());
}

#[test]
fn get_with_voted_example() {
    let result: AttachWithVoted = decode_response(200, &fixture("getWithVoted")).unwrap();
    let attach = &result.attach;
    assert_eq!(
        (attach.entity_id, attach.anonymity, attach.options),
        (32219, 0, 0)
    );
    assert!(!attach.allow_revote && !attach.can_revote);
    assert_eq!(attach.result_url, "/vote-result/qgp3r31sg4vj5vas");
    assert!(attach.download_url.contains("&SITE_ID=s1&"));
    let q = &attach.questions[0];
    assert_eq!(q.text, "First test vote");
    assert_eq!(q.my_answer_ids, vec![3]);
    assert_eq!(
        answers(attach),
        vec![(1, 0, 0.0), (3, 1, 100.0), (5, 0, 0.0)]
    );
    assert_eq!(q.answers[1].text_type, "html");
    let voters = result.voters_of(3).unwrap();
    assert_eq!(voters.len(), 1);
    assert_eq!((voters[0].id, voters[0].name.as_str()), (1, "Alex"));
    assert!(voters[0]
        .image
        .as_deref()
        .unwrap()
        .starts_with("https://your-domain"));
    assert_eq!(voters[0].work_position.as_deref(), Some(""));
}

#[test]
fn get_answer_voted_example_pages() {
    let page: VoterPage = decode_response(200, &fixture("getAnswerVoted")).unwrap();
    assert_eq!((page.total, page.next, page.items.len()), (1, None, 1));
    assert_eq!(page.items[0].name, "Alex");
    let paged = r#"{"result":{"items":[{"ID":"7","NAME":"B","IMAGE":null,"WORK_POSITION":null}]},"total":"51","next":50}"#;
    let page: VoterPage = decode_response(200, paged).unwrap();
    assert_eq!((page.total, page.next, page.items[0].id), (51, Some(50), 7));
    assert_eq!(page.items[0].image, None);
}

#[test]
fn stop_and_resume_examples_are_empty_arrays() {
    let _: Done = decode_response(200, &fixture("stop")).unwrap();
    let _: Done = decode_response(200, &fixture("resume")).unwrap();
    let err = decode_response::<Done>(200, &fixture("recall")).unwrap_err();
    assert_eq!(err.code(), "UNEXPECTED_RESULT");
}

#[test]
fn error_examples_carry_the_portal_code() {
    let cases = [
        (
            "error-attach-not-found",
            "ATTACH_NOT_FOUND",
            "Attach not found",
            400,
        ),
        ("error-too-many-ids", "", "Too many entity ids", 400),
        ("error-poll-inactive", "403", "The poll is inactive.", 403),
        ("error-access-denied", "400", "Access denied", 400),
    ];
    for (name, code, description, status) in cases {
        let err = parse_vote_response(&fixture(name)).unwrap_err();
        assert_eq!(
            (err.code(), err.description(), err.status()),
            (code, description, 0)
        );
        let err = decode_response::<AttachedVote>(status, &fixture(name)).unwrap_err();
        assert_eq!((err.code(), err.status()), (code, status));
        assert!(!err.retryable());
    }
}

#[test]
fn empty_result_where_an_attach_is_expected() {
    let err = parse_vote_response(r#"{"result":[],"time":{}}"#).unwrap_err();
    assert_eq!(err.code(), "UNEXPECTED_RESULT");
    let err = decode_response::<AttachedVote>(200, r#"{"result":[]}"#).unwrap_err();
    assert_eq!((err.code(), err.status()), ("UNEXPECTED_RESULT", 200));
}

#[test]
fn bare_attach_object_decodes() {
    let body = fixture("get");
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let bare = value["attach"].to_string();
    assert_eq!(
        parse_vote_response(&bare).unwrap(),
        parse_vote_response(&body).unwrap()
    );
}

#[test]
fn decode_errors_say_where() {
    let truncated = &fixture("recall")[..1500];
    let err = parse_vote_response(truncated).unwrap_err();
    assert_eq!(err.code(), "DECODE_ERROR");
    assert!(err.description().contains("line"), "{}", err.description());
    let wrong = r#"{"result":{"attach":{"ID":1,"QUESTIONS":{"1":{"ID":"1","ANSWERS":{"1":{"ID":"1","COUNTER":"many"}}}}}}}"#;
    let err = parse_vote_response(wrong).unwrap_err();
    assert_eq!(err.code(), "DECODE_ERROR");
    let message = err.description();
    assert!(
        message.contains("at result.attach.QUESTIONS.1.ANSWERS.1.COUNTER (line 1, column 91)"),
        "{message}"
    );
    let html = "<html><body>502 Bad Gateway</body></html>";
    let err = decode_response::<AttachedVote>(502, html).unwrap_err();
    assert_eq!(
        (err.code(), err.status(), err.retryable()),
        ("DECODE_ERROR", 502, true)
    );
}

#[test]
fn a_body_cut_anywhere_may_be_retried_a_whole_wrong_one_not() {
    // Every cut of two fixtures (literals and `\u` escapes included) is a
    // DECODE_ERROR a 2xx answer may be retried after: the answer was lost.
    for name in ["recall", "getWithVoted"] {
        let body = fixture(name);
        for cut in 1..body.len() {
            let Some(prefix) = body.get(..cut) else {
                continue;
            };
            if let Err(err) = decode_response::<AttachedVote>(200, prefix) {
                assert_eq!(err.code(), "DECODE_ERROR", "{name} cut at {cut}");
                assert!(
                    err.retryable(),
                    "{name} cut at {cut}: {}",
                    err.description()
                );
            }
        }
    }
    // A whole 2xx answer that is not the expected JSON comes back the same.
    let whole = [
        "<!DOCTYPE html><html><body>Maintenance</body></html>",
        r#"{"result":{"attach":{"ID":"x","QUESTIONS":{}}}}"#,
        r#"{"result":{"attach":nul}}"#,
    ];
    for body in whole {
        let err = decode_response::<AttachedVote>(200, body).unwrap_err();
        assert_eq!(err.code(), "DECODE_ERROR", "{body}");
        assert!(!err.retryable(), "{body}");
    }
}

#[test]
fn orders_by_sort_then_id_and_tallies_in_id_order() {
    // Answers 9 and 4 tie on the fraction; 4 is earlier by id and gets the
    // spare point, although 9 sorts first on screen.
    let body = r#"{"attach":{"ID":5,"QUESTIONS":{
        "2":{"ID":"2","C_SORT":"20","COUNTER":"3","FIELD_TYPE":"0","ANSWERS":{
            "9":{"ID":"9","C_SORT":"5","COUNTER":"1"},
            "4":{"ID":"4","C_SORT":"10","COUNTER":"1"},
            "6":{"ID":"6","C_SORT":"10","COUNTER":"1"}}},
        "8":{"ID":"8","C_SORT":"10","COUNTER":"2","FIELD_TYPE":"1","ANSWERS":[
            {"ID":"1","C_SORT":"1","COUNTER":2,"PERCENT":100},
            {"ID":"2","C_SORT":"2","COUNTER":"1","PERCENT":50}]}},
        "userAnswerMap":{"8":{"2":{},"1":{}}}}}"#;
    let attach = parse_vote_response(body).unwrap();
    let ids: Vec<u64> = attach.questions.iter().map(|q| q.id).collect();
    assert_eq!(ids, vec![8, 2]);
    let single = &attach.questions[1];
    let shown: Vec<(u64, f64)> = single.answers.iter().map(|a| (a.id, a.percent)).collect();
    assert_eq!(shown, vec![(9, 33.0), (4, 34.0), (6, 33.0)]);
    let multiple = &attach.questions[0];
    assert!(multiple.multiple);
    assert_eq!(multiple.my_answer_ids, vec![1, 2]);
    let shown: Vec<f64> = multiple.answers.iter().map(|a| a.percent).collect();
    assert_eq!(shown, vec![100.0, 50.0]);
    assert_eq!(multiple.answers[1].exact_percent, 50.0);
}
