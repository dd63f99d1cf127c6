//! The admin API for tests, under `/_emulator/` (never under `/rest/`).

use crate::app::{lock, App};
use crate::config::parse_operating_limit;
use crate::faults::{normalize_method, Fault, FaultKind};
use crate::format;
use crate::limits::Rate;
use crate::rest::json_response;
use crate::state::{
    NewPoll, NewQuestion, Touched, ALLOW_REVOTE, ANONYMOUSLY, CHECKBOX, ENTITY_IM, MODULE_IM,
    PUBLICLY, RADIO,
};
use crate::util;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

fn bad_request(description: impl Into<String>) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": "BAD_REQUEST", "error_description": description.into()}),
    )
}

/// The longest `delayMs` a fault may ask for: ten minutes, the operating-limit window.
const MAX_DELAY_MS: u64 = 600_000;

/// Refuses user id 0: every user has a webhook `/rest/<id>/hook<id>/` with id >= 1.
fn check_user(what: &str, user: u64) -> Result<(), String> {
    if user == 0 {
        return Err(format!("{what} must be a user id >= 1"));
    }
    Ok(())
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

/// Parses a JSON body; an empty body is `{}`.
fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, String> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|e| format!("bad JSON body: {e}"))
}

/// `POST /_emulator/reset`
pub async fn reset(State(app): State<Arc<App>>) -> Response {
    app.reset();
    ok(json!({"ok": true}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PollQuestionBody {
    text: String,
    #[serde(default)]
    multiple: bool,
    answers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BallotBody {
    user: u64,
    answers: BTreeMap<String, Vec<usize>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PollBody {
    #[serde(default = "default_author")]
    author: u64,
    questions: Vec<PollQuestionBody>,
    #[serde(default)]
    anonymous: bool,
    #[serde(default = "default_true")]
    allow_revote: bool,
    #[serde(default)]
    ballots: Vec<BallotBody>,
    /// Chat members (read access); default everyone. The author is always a member.
    #[serde(default)]
    members: Option<Vec<u64>>,
    /// Raw `ANONYMITY` (0, 1, 2), overriding `anonymous`.
    #[serde(default)]
    anonymity: Option<i64>,
    /// Raw `OPTIONS` bitmask, overriding `allowRevote`.
    #[serde(default)]
    options: Option<i64>,
}

fn default_author() -> u64 {
    1
}

fn default_true() -> bool {
    true
}

/// `POST /_emulator/polls`: creates a chat poll, optionally with seeded ballots.
pub async fn create_poll(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let spec: PollBody = match parse_body(&body) {
        Ok(s) => s,
        Err(e) => return bad_request(e),
    };
    if spec.questions.is_empty() {
        return bad_request("questions must not be empty");
    }
    if spec.questions.iter().any(|q| q.answers.is_empty()) {
        return bad_request("every question needs at least one answer");
    }
    let users = std::iter::once(("author", spec.author))
        .chain(spec.members.iter().flatten().map(|m| ("members", *m)))
        .chain(spec.ballots.iter().map(|b| ("ballots[].user", b.user)));
    for (what, user) in users {
        if let Err(e) = check_user(what, user) {
            return bad_request(e);
        }
    }
    let mut seen = HashSet::new();
    let mut seeded = Vec::new();
    for b in &spec.ballots {
        if !seen.insert(b.user) {
            return bad_request(format!("user {} has two ballots", b.user));
        }
        let mut ballot = Vec::new();
        for (qi, answers) in &b.answers {
            let Some(q) = qi
                .parse::<usize>()
                .ok()
                .and_then(|i| spec.questions.get(i).map(|q| (i, q)))
            else {
                return bad_request(format!("ballot of user {}: no question {qi}", b.user));
            };
            if let Some(bad) = answers.iter().find(|a| **a >= q.1.answers.len()) {
                return bad_request(format!(
                    "ballot of user {}: question {qi} has no answer {bad}",
                    b.user
                ));
            }
            ballot.push((q.0, answers.clone()));
        }
        seeded.push((b.user, ballot));
    }
    let anonymity = spec.anonymity.unwrap_or(if spec.anonymous {
        ANONYMOUSLY
    } else {
        PUBLICLY
    });
    let options = spec
        .options
        .unwrap_or(if spec.allow_revote { ALLOW_REVOTE } else { 0 });

    let now = util::now_secs();
    let mut portal = lock(&app.portal);
    let chat_id = portal.create_chat(spec.members.clone());
    let attach_id = portal.create_poll(
        NewPoll {
            author: spec.author,
            chat_id,
            questions: spec
                .questions
                .iter()
                .map(|q| NewQuestion {
                    text: q.text.clone(),
                    field_type: if q.multiple { CHECKBOX } else { RADIO },
                    answers: q.answers.clone(),
                })
                .collect(),
            anonymity,
            options,
            answer_type: "text",
        },
        now,
    );
    let Some(ids) = portal.polls.get(&attach_id).map(|p| {
        p.questions
            .iter()
            .map(|q| (q.id, q.answers.iter().map(|a| a.id).collect::<Vec<u64>>()))
            .collect::<Vec<_>>()
    }) else {
        return bad_request("poll vanished");
    };
    for (user, ballot) in seeded {
        portal.ensure_user(user);
        let by_id: Vec<(u64, Vec<u64>)> = ballot
            .into_iter()
            .filter_map(|(qi, answers)| {
                let (qid, aids) = ids.get(qi)?;
                Some((
                    *qid,
                    answers
                        .iter()
                        .filter_map(|a| aids.get(*a).copied())
                        .collect(),
                ))
            })
            .collect();
        if portal
            .vote(attach_id, user, &by_id, now, &mut Touched::default())
            .is_err()
        {
            return bad_request(format!("ballot of user {user} could not be recorded"));
        }
    }
    let Some(poll) = portal.polls.get(&attach_id) else {
        return bad_request("poll vanished");
    };
    ok(json!({
        "attachId": attach_id,
        "signedAttachId": format::signed_attach_id(&app.secret, attach_id),
        "moduleId": MODULE_IM,
        "entityType": ENTITY_IM,
        "entityId": poll.entity_id,
        "resultUrl": format!("/vote-result/{}", poll.uid),
        "voteId": poll.vote_id,
        "chatId": chat_id,
        "questions": ids.iter().map(|(qid, aids)| json!({"id": qid, "answers": aids})).collect::<Vec<_>>(),
    }))
}

/// `GET /_emulator/polls/{attachId}`: the recorded counters and ballots.
pub async fn poll_state(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let portal = lock(&app.portal);
    let Some(poll) = id.parse::<u64>().ok().and_then(|id| portal.polls.get(&id)) else {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": "NOT_FOUND", "error_description": format!("no poll {id}")}),
        );
    };
    let now = util::now_secs();
    let ballots: Vec<Value> = poll
        .ballots
        .iter()
        .map(|b| {
            let answers: Map<String, Value> = b
                .questions
                .iter()
                .map(|q| {
                    (
                        q.question_id.to_string(),
                        json!(q.answers.iter().map(|a| a.answer_id).collect::<Vec<_>>()),
                    )
                })
                .collect();
            json!({"user": b.user, "answers": answers, "visible": b.visible})
        })
        .collect();
    ok(json!({
        "attachId": poll.attach_id,
        "voteId": poll.vote_id,
        "entityId": poll.entity_id,
        "chatId": poll.chat_id,
        "author": poll.author,
        "anonymity": poll.anonymity,
        "options": poll.options,
        "isFinished": poll.is_finished(now),
        "counter": poll.counter,
        "questions": poll.questions.iter().map(|q| json!({
            "id": q.id,
            "counter": q.counter,
            "answers": q.answers.iter().map(|a| json!({"id": a.id, "counter": a.counter})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "ballots": ballots,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenBody {
    #[serde(default = "default_author")]
    user: u64,
    #[serde(default = "default_ttl")]
    ttl_seconds: i64,
    /// Lifetime of access tokens later issued by refreshing this pair.
    #[serde(default = "default_ttl")]
    refresh_ttl_seconds: i64,
}

fn default_ttl() -> i64 {
    crate::auth::DEFAULT_TTL
}

/// `POST /_emulator/tokens`: an OAuth pair for a user (`ttlSeconds: 0` is already expired).
pub async fn tokens(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let spec: TokenBody = match parse_body(&body) {
        Ok(s) => s,
        Err(e) => return bad_request(e),
    };
    if let Err(e) = check_user("user", spec.user) {
        return bad_request(e);
    }
    for (name, ttl) in [
        ("ttlSeconds", spec.ttl_seconds),
        ("refreshTtlSeconds", spec.refresh_ttl_seconds),
    ] {
        if !(0..=crate::auth::MAX_TTL).contains(&ttl) {
            return bad_request(format!(
                "{name} must be 0 to {} (ten years), got {ttl}",
                crate::auth::MAX_TTL
            ));
        }
    }
    lock(&app.portal).ensure_user(spec.user);
    let issued = lock(&app.tokens).issue(
        spec.user,
        spec.ttl_seconds,
        spec.refresh_ttl_seconds,
        util::now_secs(),
    );
    ok(json!({
        "accessToken": issued.access_token,
        "refreshToken": issued.refresh_token,
        "expiresAt": issued.expires_at,
        "expiresIn": issued.expires_in,
        "user": issued.user,
        "clientEndpoint": format!("{}/rest/", app.base_url),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultBody {
    kind: String,
    #[serde(default = "default_count")]
    count: u64,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    method: Option<String>,
}

fn default_count() -> u64 {
    1
}

/// `POST /_emulator/faults`: the next `count` matching REST requests fail as `kind`.
pub async fn faults(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let spec: FaultBody = match parse_body(&body) {
        Ok(s) => s,
        Err(e) => return bad_request(e),
    };
    if spec.count == 0 {
        return bad_request("count must be at least 1");
    }
    if spec.delay_ms > MAX_DELAY_MS {
        return bad_request(format!("delayMs must be at most {MAX_DELAY_MS}"));
    }
    let Some(kind) = FaultKind::parse(&spec.kind) else {
        return bad_request(format!(
            "unknown fault kind {:?}; expected drop, http500_html, truncate, delay, \
             rate_limit, operating_limit, expired_token or empty_result",
            spec.kind
        ));
    };
    let mut faults = lock(&app.faults);
    faults.add(Fault {
        kind,
        remaining: spec.count,
        delay_ms: spec.delay_ms,
        method: spec.method.as_deref().map(normalize_method),
    });
    ok(json!({"ok": true, "pending": faults.pending()}))
}

/// `GET /_emulator/stats`
pub async fn stats(State(app): State<Arc<App>>) -> Response {
    ok(lock(&app.stats).to_json())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigBody {
    #[serde(default)]
    rate: Option<String>,
    #[serde(default)]
    operating_limit: Option<Value>,
}

/// `POST /_emulator/config {"rate": "10/20" | "off", "operatingLimit": 2.5 | "off"}`
pub async fn config(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let spec: ConfigBody = match parse_body(&body) {
        Ok(s) => s,
        Err(e) => return bad_request(e),
    };
    let rate = match spec.rate.as_deref().map(Rate::parse).transpose() {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let limit = match &spec.operating_limit {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => match n.as_f64().filter(|s| *s >= 0.0) {
            Some(s) => Some(Some(s)),
            None => return bad_request("operatingLimit must be >= 0"),
        },
        Some(Value::String(s)) => match parse_operating_limit(s) {
            Ok(l) => Some(l),
            Err(e) => return bad_request(e),
        },
        Some(_) => return bad_request("operatingLimit must be seconds or \"off\""),
    };
    let mut bucket = lock(&app.bucket);
    if let Some(rate) = rate {
        bucket.set_rate(rate);
    }
    let mut operating = lock(&app.operating);
    if let Some(limit) = limit {
        operating.limit = limit;
        operating.clear();
    }
    ok(json!({
        "rate": bucket.rate.map_or("off".to_string(), |r| format!("{}/{}", r.burst, r.per_second)),
        "operatingLimit": operating.limit,
    }))
}
