//! The `vote` scope's methods, following the source's controller
//! (`vote/lib/Controller/AttachedVote.php`, `Integration/Im.php`; fact sheet §1).

use crate::app::{lock, App};
use crate::format;
use crate::params::{self, IntParam, Params};
use crate::rest::{Outcome, RestError};
use crate::state::{
    NewPoll, NewQuestion, Portal, RecallError, Touched, VoteError, CHECKBOX, PUBLICLY, RADIO,
};
use serde_json::{json, Map, Value};

/// The methods, in their canonical spelling. REST method names are case-insensitive.
pub const METHODS: &[&str] = &[
    "vote.AttachedVote.get",
    "vote.AttachedVote.getMany",
    "vote.AttachedVote.vote",
    "vote.AttachedVote.recall",
    "vote.AttachedVote.stop",
    "vote.AttachedVote.resume",
    "vote.AttachedVote.getWithVoted",
    "vote.AttachedVote.getAnswerVoted",
    "vote.Integration.Im.send",
    "batch",
    "profile",
];

/// `ENTITY_IDS_LIMIT` of `getMany`.
pub const ENTITY_IDS_LIMIT: usize = 50;
/// `LIST_LIMIT` of the REST layer: the page size of `getAnswerVoted`.
pub const LIST_LIMIT: usize = 50;
/// `ImVote` limits.
pub const MAX_QUESTIONS: usize = 1;
pub const MIN_ANSWERS: usize = 2;
pub const MAX_ANSWERS: usize = 10;

/// The canonical name of a method given in any case, without `.json`.
pub fn canonical(lower: &str) -> Option<&'static str> {
    METHODS
        .iter()
        .copied()
        .find(|m| m.eq_ignore_ascii_case(lower))
}

/// Runs a method as `user`.
pub fn call(
    method: &str,
    app: &App,
    user: u64,
    params: &Params,
    now: i64,
) -> Result<Outcome, RestError> {
    let ctx = Ctx {
        app,
        user,
        params,
        now,
    };
    match method {
        "vote.AttachedVote.get" => ctx.get(),
        "vote.AttachedVote.getMany" => ctx.get_many(),
        "vote.AttachedVote.vote" => ctx.vote(),
        "vote.AttachedVote.recall" => ctx.recall(),
        "vote.AttachedVote.stop" => ctx.stop_or_resume(true),
        "vote.AttachedVote.resume" => ctx.stop_or_resume(false),
        "vote.AttachedVote.getWithVoted" => ctx.get_with_voted(),
        "vote.AttachedVote.getAnswerVoted" => ctx.get_answer_voted(),
        "vote.Integration.Im.send" => ctx.im_send(),
        "batch" => crate::batch::batch(app, user, params, now),
        "profile" => crate::batch::profile(app, user),
        _ => Err(RestError::method_not_found()),
    }
}

/// How the poll was addressed (fact sheet §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    AttachId,
    Entity,
    Signed,
}

/// Which read check the action uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadRule {
    /// `CheckAttachReadAccessWithSign`: a `signedAttachId` grants read access.
    SignedGrants,
    /// `CheckAttachReadAccess`: the connector's `canRead`; its error has no code.
    Plain,
    /// `recallAction`'s own check, with code `ATTACH_READ_ACCESS_DENIED`.
    Recall,
}

/// A binder error: a required parameter is missing (code `"100"`). Other methods' docs
/// show this code as a JSON number; the emulator keeps every `error` a string.
fn missing(name: &str) -> RestError {
    RestError::controller(
        "100",
        format!("Could not find value for parameter {{{name}}}"),
    )
}

/// A binder error: a parameter has the wrong type (code `"100"`).
fn invalid(name: &str, value: &str, ty: &str) -> RestError {
    RestError::controller(
        "100",
        format!("Invalid value {value} to match with parameter {{{name}}}. Should be value of type {ty}."),
    )
}

fn required_int(params: &Params, name: &str) -> Result<i64, RestError> {
    match params::int_param(params, name) {
        IntParam::Value(n) => Ok(n),
        IntParam::Missing => Err(missing(name)),
        IntParam::Invalid(v) => Err(invalid(name, &v, "int")),
    }
}

fn optional_int(params: &Params, name: &str, default: i64) -> Result<i64, RestError> {
    match params::int_param(params, name) {
        IntParam::Value(n) => Ok(n),
        IntParam::Missing => Ok(default),
        IntParam::Invalid(v) => Err(invalid(name, &v, "int")),
    }
}

fn required_array<'p>(params: &'p Params, name: &str) -> Result<&'p Value, RestError> {
    match params.get(name) {
        None | Some(Value::Null) => Err(missing(name)),
        Some(v @ (Value::Array(_) | Value::Object(_))) => Ok(v),
        Some(v) => Err(invalid(name, &params::display(v), "array")),
    }
}

fn required_string(params: &Params, name: &str) -> Result<String, RestError> {
    match params.get(name) {
        None | Some(Value::Null) => Err(missing(name)),
        Some(v) => params::to_str(v).ok_or_else(|| invalid(name, "Array", "string")),
    }
}

fn not_found() -> RestError {
    RestError::controller("ATTACH_NOT_FOUND", "Attach not found")
}

struct Ctx<'a> {
    app: &'a App,
    user: u64,
    params: &'a Params,
    now: i64,
}

impl Ctx<'_> {
    /// Resolves the addressing form: attachId, then moduleId+entityType+entityId, then
    /// signedAttachId (a signed id or a `resultUrl` slug). `Ok(None)` is a form that
    /// matched but found no attach.
    fn resolve(&self, portal: &Portal) -> Result<(Option<u64>, Via), RestError> {
        let p = self.params;
        if let IntParam::Value(id) = params::int_param(p, "attachId") {
            let found = u64::try_from(id)
                .ok()
                .filter(|id| portal.polls.contains_key(id));
            return Ok((found, Via::AttachId));
        }
        let module = p.get("moduleId").and_then(params::to_str);
        let entity_type = p.get("entityType").and_then(params::to_str);
        let entity_id = params::int_param(p, "entityId");
        if let (Some(module), Some(entity_type), IntParam::Value(entity_id)) =
            (module, entity_type, entity_id)
        {
            return Ok((
                portal.find_by_entity(&module, &entity_type, entity_id),
                Via::Entity,
            ));
        }
        if let Some(signed) = p.get("signedAttachId").and_then(params::to_str) {
            let found = match signed.split_once('.') {
                Some((id, _)) => id
                    .parse::<u64>()
                    .ok()
                    .filter(|id| format::signed_attach_id(&self.app.secret, *id) == signed)
                    .filter(|id| portal.polls.contains_key(id)),
                None => portal.find_by_uid(&signed),
            };
            return Ok((found, Via::Signed));
        }
        Err(RestError::controller(
            "100",
            "Bitrix\\Vote\\Attach All parameters in the constructor must have real class type",
        ))
    }

    /// Resolves the poll and checks read access; returns the attach id.
    fn load(&self, portal: &Portal, rule: ReadRule) -> Result<u64, RestError> {
        let (found, via) = self.resolve(portal)?;
        let id = found.ok_or_else(not_found)?;
        let poll = portal.polls.get(&id).ok_or_else(not_found)?;
        let readable = (rule == ReadRule::SignedGrants && via == Via::Signed)
            || portal.can_read(poll, self.user);
        if !readable {
            return Err(match rule {
                ReadRule::Recall => {
                    RestError::controller("ATTACH_READ_ACCESS_DENIED", "Attach read access denied")
                }
                _ => RestError::controller("", "Attach read access denied"),
            });
        }
        Ok(id)
    }

    fn attach_json(&self, portal: &Portal, id: u64, touched: &Touched) -> Result<Value, RestError> {
        let poll = portal.polls.get(&id).ok_or_else(not_found)?;
        Ok(format::attach(
            portal,
            poll,
            self.user,
            touched,
            &self.app.secret,
            self.now,
        ))
    }

    fn get(&self) -> Result<Outcome, RestError> {
        let portal = lock(&self.app.portal);
        let id = self.load(&portal, ReadRule::SignedGrants)?;
        let attach = self.attach_json(&portal, id, &Touched::default())?;
        Ok(Outcome::result(json!({ "attach": attach })))
    }

    fn get_many(&self) -> Result<Outcome, RestError> {
        let module = required_string(self.params, "moduleId")?;
        let entity_type = required_string(self.params, "entityType")?;
        // The source's name is `entityIds`; the docs' table calls it `entityId`.
        let list = match self.params.get("entityIds") {
            Some(_) => required_array(self.params, "entityIds")?,
            None => match self.params.get("entityId") {
                Some(v @ (Value::Array(_) | Value::Object(_))) => v,
                _ => required_array(self.params, "entityIds")?,
            },
        };
        let ids: Vec<i64> = params::as_list(list)
            .into_iter()
            .map(|v| params::to_int(v).unwrap_or(0))
            .filter(|id| *id != 0)
            .collect();
        if ids.len() > ENTITY_IDS_LIMIT {
            return Err(RestError::controller("", "To many entity ids"));
        }
        let portal = lock(&self.app.portal);
        let mut items = Vec::new();
        for entity_id in ids {
            let poll = portal
                .find_by_entity(&module, &entity_type, entity_id)
                .and_then(|id| portal.polls.get(&id))
                .ok_or_else(|| {
                    RestError::controller(
                        "",
                        format!("Attach with entityId {entity_id} not found "),
                    )
                })?;
            if !portal.can_read(poll, self.user) {
                return Err(RestError::controller(
                    "",
                    format!("Attach with entityId {entity_id} read access denied"),
                ));
            }
            items.push(self.attach_json(&portal, poll.attach_id, &Touched::default())?);
        }
        Ok(Outcome::result(json!({ "items": items })))
    }

    fn vote(&self) -> Result<Outcome, RestError> {
        let mut portal = lock(&self.app.portal);
        let id = self.load(&portal, ReadRule::Plain)?;
        let ballot = parse_ballot(required_array(self.params, "ballot")?);
        // actionUuid is accepted and, as in the source, only echoed in Pull events.
        let mut touched = Touched::default();
        portal
            .vote(id, self.user, &ballot, self.now, &mut touched)
            .map_err(|e| match e {
                VoteError::Inactive => RestError::controller("403", "The poll is inactive."),
                VoteError::AlreadyVoted => RestError::controller("32", "You already voted."),
                VoteError::CannotSave => RestError::controller("", "Cannot save poll."),
            })?;
        let attach = self.attach_json(&portal, id, &touched)?;
        Ok(Outcome::result(json!({ "attach": attach })))
    }

    fn recall(&self) -> Result<Outcome, RestError> {
        let mut portal = lock(&self.app.portal);
        let id = self.load(&portal, ReadRule::Recall)?;
        let mut touched = Touched::default();
        let poll = portal.polls.get_mut(&id).ok_or_else(not_found)?;
        poll.recall(self.user, self.now, &mut touched)
            .map_err(|e| match e {
                RecallError::AccessDenied => RestError::controller("", "Access denied"),
                RecallError::AlreadyVoted => RestError::controller("32", "You already voted."),
            })?;
        let attach = self.attach_json(&portal, id, &touched)?;
        Ok(Outcome::result(json!({ "attach": attach })))
    }

    fn stop_or_resume(&self, stop: bool) -> Result<Outcome, RestError> {
        let mut portal = lock(&self.app.portal);
        let id = self.load(&portal, ReadRule::Plain)?;
        let can_edit = portal
            .polls
            .get(&id)
            .is_some_and(|poll| portal.can_edit(poll, self.user));
        if !can_edit {
            return Err(RestError::controller("403", "Access denied."));
        }
        let poll = portal.polls.get_mut(&id).ok_or_else(not_found)?;
        if stop {
            poll.stop(self.now);
        } else {
            poll.resume(self.now);
        }
        Ok(Outcome::result(json!([])))
    }

    fn get_with_voted(&self) -> Result<Outcome, RestError> {
        let page_size = optional_int(self.params, "pageSize", 10)?.clamp(1, 50) as usize;
        let portal = lock(&self.app.portal);
        let id = self.load(&portal, ReadRule::SignedGrants)?;
        let poll = portal.polls.get(&id).ok_or_else(not_found)?;
        let mut voted = Map::new();
        for q in &poll.questions {
            for a in q.answers.iter().filter(|a| a.counter > 0) {
                let users: Vec<Value> = poll
                    .voters(a.id)
                    .into_iter()
                    .take(page_size)
                    .map(|u| format::user(&portal, u))
                    .collect();
                if !users.is_empty() {
                    voted.insert(a.id.to_string(), Value::Array(users));
                }
            }
        }
        let attach = self.attach_json(&portal, id, &Touched::default())?;
        Ok(Outcome::result(json!({
            "attach": attach,
            "voted": format::php_map(voted),
        })))
    }

    fn get_answer_voted(&self) -> Result<Outcome, RestError> {
        let portal = lock(&self.app.portal);
        let id = self.load(&portal, ReadRule::SignedGrants)?;
        let answer_id = required_int(self.params, "answerId")?;
        let poll = portal.polls.get(&id).ok_or_else(not_found)?;
        let Some(answer_id) = u64::try_from(answer_id)
            .ok()
            .filter(|a| poll.question_of_answer(*a).is_some())
        else {
            return Err(RestError::controller("403", "Access denied."));
        };
        // `PageNavigation` is wired from the REST `start` parameter, 50 per page.
        let start = self
            .params
            .get("start")
            .and_then(params::to_int)
            .and_then(|s| usize::try_from(s).ok())
            .unwrap_or(0);
        let voters = poll.voters(answer_id);
        let total = voters.len();
        let items: Vec<Value> = voters
            .into_iter()
            .skip(start)
            .take(LIST_LIMIT)
            .map(|u| format::user(&portal, u))
            .collect();
        let mut extra = vec![("total", json!(total))];
        let next = start.saturating_add(items.len());
        if !items.is_empty() && next < total {
            extra.push(("next", json!(next)));
        }
        Ok(Outcome {
            result: json!({ "items": items }),
            extra,
        })
    }

    fn im_send(&self) -> Result<Outcome, RestError> {
        let chat_id = required_int(self.params, "chatId")?;
        let data = required_array(self.params, "IM_MESSAGE_VOTE_DATA")?;
        let template_id = self
            .params
            .get("templateId")
            .and_then(params::to_str)
            .filter(|t| !t.is_empty());
        let spec = parse_im_vote(data, self.user)?;
        let mut portal = lock(&self.app.portal);
        let denied = || RestError::controller("", "Insufficient permission to create a poll.");
        let chat_id = u64::try_from(chat_id)
            .ok()
            .filter(|c| *c > 0)
            .ok_or_else(denied)?;
        match portal.chats.get(&chat_id) {
            Some(chat) => {
                if chat
                    .members
                    .as_ref()
                    .is_some_and(|m| !m.contains(&self.user))
                {
                    return Err(denied());
                }
            }
            None => {
                portal.chats.insert(chat_id, Default::default());
            }
        }
        if let Some(t) = &template_id {
            if let Some((message_id, vote_id)) = portal.templates.get(&(self.user, t.clone())) {
                return Ok(Outcome::result(
                    json!({ "messageId": message_id, "voteId": vote_id }),
                ));
            }
        }
        let attach_id = portal.create_poll(NewPoll { chat_id, ..spec }, self.now);
        let poll = portal.polls.get(&attach_id).ok_or_else(not_found)?;
        let (message_id, vote_id) = (poll.entity_id, poll.vote_id);
        if let Some(t) = template_id {
            portal
                .templates
                .insert((self.user, t), (message_id, vote_id));
        }
        Ok(Outcome::result(
            json!({ "messageId": message_id, "voteId": vote_id }),
        ))
    }
}

/// `ballot`: question id → answer id(s); a scalar stands for a one-item list.
fn parse_ballot(value: &Value) -> Vec<(u64, Vec<u64>)> {
    let entries: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    entries
        .into_iter()
        .filter_map(|(k, v)| {
            let qid = k.trim().parse::<u64>().ok()?;
            let answers = params::as_list(v)
                .into_iter()
                .filter_map(params::to_int)
                .filter_map(|a| u64::try_from(a).ok())
                .collect();
            Some((qid, answers))
        })
        .collect()
}

/// Validates `IM_MESSAGE_VOTE_DATA` like `ImVote::prepareVoteData`.
fn parse_im_vote(data: &Value, author: u64) -> Result<NewPoll, RestError> {
    let required = || RestError::controller("", "Poll question and answer options are required.");
    let invalid_fields =
        || RestError::controller("", "One or more of the poll fields are invalid.");
    let questions = data
        .get("QUESTIONS")
        .map(params::as_list)
        .unwrap_or_default();
    if questions.is_empty() {
        return Err(required());
    }
    if questions.len() > MAX_QUESTIONS {
        return Err(RestError::controller(
            "",
            format!("Maximum possible questions: {MAX_QUESTIONS}."),
        ));
    }
    let mut out = Vec::new();
    for q in questions {
        if !q.is_object() {
            return Err(invalid_fields());
        }
        let text = q
            .get("QUESTION")
            .and_then(params::to_str)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if text.is_empty() {
            return Err(required());
        }
        let field_type = match q.get("FIELD_TYPE") {
            None | Some(Value::Null) => RADIO,
            Some(v) => params::to_int(v).ok_or_else(invalid_fields)?,
        };
        if field_type != RADIO && field_type != CHECKBOX {
            return Err(invalid_fields());
        }
        let answers: Vec<String> = q
            .get("ANSWERS")
            .map(params::as_list)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| match a {
                Value::Object(_) => a.get("MESSAGE").and_then(params::to_str),
                other => params::to_str(other),
            })
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
        if answers.is_empty() {
            return Err(required());
        }
        if answers.len() < MIN_ANSWERS {
            return Err(RestError::controller(
                "",
                format!("Minimum possible answer options: {MIN_ANSWERS}."),
            ));
        }
        if answers.len() > MAX_ANSWERS {
            return Err(RestError::controller(
                "",
                format!("Maximum possible answer options: {MAX_ANSWERS}."),
            ));
        }
        out.push(NewQuestion {
            text,
            field_type,
            answers,
        });
    }
    let anonymity = match data.get("ANONYMITY") {
        None | Some(Value::Null) => PUBLICLY,
        Some(v) => params::to_int(v).ok_or_else(invalid_fields)?,
    };
    if !(0..=2).contains(&anonymity) {
        return Err(invalid_fields());
    }
    // OPTIONS ??= 0. The mobile app sends ['1'] / []: take the first item of a list.
    let options = match data.get("OPTIONS") {
        None | Some(Value::Null) => 0,
        Some(v @ (Value::Array(_) | Value::Object(_))) => params::as_list(v)
            .first()
            .and_then(|x| params::to_int(x))
            .unwrap_or(0),
        Some(v) => params::to_int(v).ok_or_else(invalid_fields)?,
    };
    if options < 0 {
        return Err(invalid_fields());
    }
    Ok(NewPoll {
        author,
        chat_id: 0,
        questions: out,
        anonymity,
        options,
        answer_type: "html",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names() {
        assert_eq!(
            canonical("vote.attachedvote.getwithvoted"),
            Some("vote.AttachedVote.getWithVoted")
        );
        assert_eq!(canonical("vote.nope"), None);
    }

    #[test]
    fn ballots() {
        assert_eq!(
            parse_ballot(&json!({"1": ["3", 5], "2": "7", "x": [1]})),
            vec![(1, vec![3, 5]), (2, vec![7])]
        );
        assert_eq!(parse_ballot(&json!([[1]])), vec![(0, vec![1])]);
    }

    #[test]
    fn im_vote_limits() {
        let ok = json!({"QUESTIONS": [{"QUESTION": "Q", "ANSWERS": [{"MESSAGE": "a"}, {"MESSAGE": "b"}]}]});
        assert!(parse_im_vote(&ok, 1).is_ok());
        let one = json!({"QUESTIONS": [{"QUESTION": "Q", "ANSWERS": [{"MESSAGE": "a"}]}]});
        assert_eq!(
            parse_im_vote(&one, 1).unwrap_err().description,
            "Minimum possible answer options: 2."
        );
        let none = json!({"QUESTIONS": []});
        assert_eq!(
            parse_im_vote(&none, 1).unwrap_err().description,
            "Poll question and answer options are required."
        );
    }
}
