//! The PHP-flavoured JSON of an attach (`AttachedVoteFrontendFormatService::format`),
//! with its quirks (fact sheet §2.7):
//! - attach-level ids and counters are ints, question and answer fields are DB strings;
//! - counters a write touched in the same request are ints ([`Touched`]);
//! - `PERCENT` / `~PERCENT` are ints when integral, floats otherwise;
//! - empty maps are `[]`.

use crate::state::{Poll, Portal, Touched};
use crate::util;
use serde_json::{json, Map, Value};

/// An object, or `[]` when empty (PHP's `json_encode` of an empty array).
pub fn php_map(map: Map<String, Value>) -> Value {
    if map.is_empty() {
        Value::Array(Vec::new())
    } else {
        Value::Object(map)
    }
}

/// A number as PHP's `json_encode` writes it: `100.0` becomes `100`.
pub fn php_number(x: f64) -> Value {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// `round($x, 2)`: half away from zero.
pub fn php_round2(x: f64) -> f64 {
    let scaled = x * 100.0;
    // PHP pre-rounds to 15 significant digits so 1.005 rounds up; mimic it.
    let pre = format!("{scaled:.9}").parse::<f64>().unwrap_or(scaled);
    pre.round() / 100.0
}

/// `~PERCENT` and `PERCENT` of an answer.
pub fn percents(answer_counter: i64, question_counter: i64) -> (Value, Value) {
    if question_counter <= 0 {
        return (Value::from(0), Value::from(0));
    }
    let product = answer_counter.saturating_mul(100);
    let raw = if product % question_counter == 0 {
        // PHP's `/` gives an int when the division is exact.
        Value::from(product / question_counter)
    } else {
        Value::from(product as f64 / question_counter as f64)
    };
    let rounded = php_number(php_round2(product as f64 / question_counter as f64));
    (raw, rounded)
}

fn counter(value: i64, touched: bool) -> Value {
    if touched {
        Value::from(value)
    } else {
        Value::from(value.to_string())
    }
}

/// `<attachId>.<hmac>`: the signed attach id.
pub fn signed_attach_id(secret: &[u8], attach_id: u64) -> String {
    let mut message = b"vote.result".to_vec();
    message.extend_from_slice(attach_id.to_string().as_bytes());
    format!(
        "{attach_id}.{}",
        util::hex(&util::hmac_sha256(secret, &message))
    )
}

/// The attach object as the given user sees it.
pub fn attach(
    portal: &Portal,
    poll: &Poll,
    user: u64,
    touched: &Touched,
    secret: &[u8],
    now: i64,
) -> Value {
    let aid = poll.attach_id;
    let timestamp = util::iso8601(poll.created);
    let mut questions = Map::new();
    for q in &poll.questions {
        let field_type = q.field_type.to_string();
        let field_name = format!("bx_vote_event[{aid}][BALLOT][{}]", q.id);
        let mut answers = Map::new();
        for a in &q.answers {
            let (raw, rounded) = percents(a.counter, q.counter);
            answers.insert(
                a.id.to_string(),
                json!({
                    "ID": a.id.to_string(),
                    "ACTIVE": "Y",
                    "TIMESTAMP_X": timestamp,
                    "QUESTION_ID": q.id.to_string(),
                    "C_SORT": a.c_sort.to_string(),
                    "IMAGE_ID": null,
                    "MESSAGE": a.message,
                    "MESSAGE_TYPE": poll.answer_type,
                    "COUNTER": counter(a.counter, touched.answers.contains(&a.id)),
                    "FIELD_TYPE": field_type,
                    "FIELD_WIDTH": "0",
                    "FIELD_HEIGHT": "0",
                    "FIELD_PARAM": null,
                    "COLOR": "",
                    "REACTION": "",
                    "~FIELD_NAME": field_name,
                    "FIELD_NAME": field_name,
                    "MESSAGE_FIELD_NAME": format!("bx_vote_event[{aid}][MESSAGE][{}][{}]", q.id, a.id),
                    "~PERCENT": raw,
                    "PERCENT": rounded,
                }),
            );
        }
        questions.insert(
            q.id.to_string(),
            json!({
                "ID": q.id.to_string(),
                "ACTIVE": "Y",
                "TIMESTAMP_X": timestamp,
                "VOTE_ID": poll.vote_id.to_string(),
                "C_SORT": q.c_sort.to_string(),
                "COUNTER": counter(q.counter, touched.questions.contains(&q.id)),
                "QUESTION": q.text,
                "QUESTION_TYPE": "text",
                "IMAGE_ID": null,
                "DIAGRAM": "Y",
                "DIAGRAM_TYPE": "histogram",
                "REQUIRED": "N",
                "FIELD_TYPE": field_type,
                "FIELD_NAME": field_name,
                "IMAGE": null,
                "ANSWERS": php_map(answers),
            }),
        );
    }

    let mut answer_map = Map::new();
    if let Some(ballot) = poll.ballot_of(user) {
        for bq in &ballot.questions {
            let mut per_answer = Map::new();
            for ba in &bq.answers {
                per_answer.insert(
                    ba.answer_id.to_string(),
                    json!({
                        "EVENT_ID": ba.event_answer_id.to_string(),
                        "EVENT_QUESTION_ID": bq.event_question_id.to_string(),
                        "ANSWER_ID": ba.answer_id.to_string(),
                        "ID": ba.event_answer_id.to_string(),
                        "MESSAGE": "",
                    }),
                );
            }
            answer_map.insert(bq.question_id.to_string(), php_map(per_answer));
        }
    }

    let can_participate = portal.can_read(poll, user) && poll.is_active(now);
    let voted = poll.ballot_of(user).is_some();
    let signed = signed_attach_id(secret, aid);
    json!({
        "ID": aid,
        "VOTE_ID": poll.vote_id,
        "COUNTER": poll.counter,
        "QUESTIONS": php_map(questions),
        "ANONYMITY": poll.anonymity,
        "OPTIONS": poll.options,
        "userAnswerMap": php_map(answer_map),
        "canEdit": portal.can_edit(poll, user),
        "canVote": can_participate && !voted,
        "canRevote": can_participate && poll.options & crate::state::ALLOW_REVOTE != 0,
        "isVoted": voted,
        "signedAttachId": signed,
        "resultUrl": format!("/vote-result/{}", poll.uid),
        "downloadUrl": format!(
            "/bitrix/services/main/ajax.php?action=vote.AttachedVote.download&SITE_ID=s1&signedAttachId={signed}"
        ),
        "entityId": poll.entity_id,
        "isFinished": poll.is_finished(now),
    })
}

/// `BaseUserDto`: `{ID, NAME, IMAGE, WORK_POSITION}`.
pub fn user(portal: &Portal, id: u64) -> Value {
    let u = portal.user(id);
    json!({
        "ID": u.id,
        "NAME": u.name,
        "IMAGE": u.image,
        "WORK_POSITION": u.work_position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_types() {
        assert_eq!(percents(1, 1), (json!(100), json!(100)));
        assert_eq!(percents(0, 1), (json!(0), json!(0)));
        assert_eq!(percents(0, 0), (json!(0), json!(0)));
        assert_eq!(percents(1, 2), (json!(50), json!(50)));
        assert_eq!(percents(1, 3), (json!(33.333333333333336), json!(33.33)));
        assert_eq!(percents(2, 3).1, json!(66.67));
        assert_eq!(percents(1, 8).1, json!(12.5));
    }

    #[test]
    fn rounding_half_away() {
        assert_eq!(php_round2(1.005), 1.01);
        assert_eq!(php_round2(-1.005), -1.01);
        assert_eq!(php_round2(2.675), 2.68);
    }

    #[test]
    fn empty_is_array() {
        assert_eq!(php_map(Map::new()), json!([]));
    }
}
