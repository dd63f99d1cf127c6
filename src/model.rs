//! The typed poll model: the PHP-shaped `attach` object as the portal sends
//! it (`Wire*`, lenient), and the clean camelCase objects users get.

use crate::lenient;
use crate::tally::{self, TallyOptions};
use serde::{Deserialize, Serialize};

/// `OPTIONS` bit: users may change or withdraw their vote.
pub const ALLOW_REVOTE: u64 = 1;
/// `OPTIONS` bit: results are hidden from non-authors.
pub const HIDE_RESULT: u64 = 2;
/// `ANONYMITY` value of an anonymous poll (0 undefined, 1 public).
pub const ANONYMOUSLY: u64 = 2;

/// A poll attached to a chat message or a feed post, as users see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachedVote {
    /// Id (attach id for a poll; answer or question id otherwise).
    pub id: u64,
    /// The poll id in the vote module (`VOTE_ID`), not the attach id.
    pub vote_id: u64,
    /// The chat message or feed post the poll is attached to.
    pub entity_id: u64,
    /// Ballots cast (the attach `COUNTER`).
    pub ballots: u64,
    /// `ANONYMITY` as sent: 0 undefined, 1 public, 2 anonymous.
    pub anonymity: u64,
    /// `anonymity == 2`: voters are hidden.
    pub anonymous: bool,
    /// `OPTIONS` bitmask.
    pub options: u64,
    /// `options & 1`: users may change or withdraw their vote.
    pub allow_revote: bool,
    /// `options & 2`: results are hidden from non-authors.
    pub hide_result: bool,
    /// The caller may stop and resume the poll.
    pub can_edit: bool,
    /// The caller may vote now.
    pub can_vote: bool,
    /// The caller may change or recall their vote.
    pub can_revote: bool,
    /// The caller has voted.
    pub is_voted: bool,
    /// The poll is stopped or past its end date.
    pub is_finished: bool,
    /// The signed id: addresses the poll and grants read access.
    pub signed_attach_id: String,
    /// Portal path of the results page.
    pub result_url: String,
    /// Portal path of the results export.
    pub download_url: String,
    /// Ordered by sort, then id.
    pub questions: Vec<Question>,
}

/// One question of a poll.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    /// Id (attach id for a poll; answer or question id otherwise).
    pub id: u64,
    /// The text as entered (plain text or HTML, per `text_type`).
    pub text: String,
    /// `"text"` or `"html"`.
    pub text_type: String,
    /// Sort key (`C_SORT`).
    pub sort: u64,
    /// 0 radio, 1 checkbox, 2 dropdown, 3 multiselect, 99999 compatibility.
    pub field_type: u64,
    /// Several answers may be chosen (field type 1 or 3).
    pub multiple: bool,
    /// The question is active.
    pub active: bool,
    /// An answer is required.
    pub required: bool,
    /// Ballots that answered this question (the question `COUNTER`).
    pub voters: u64,
    /// The caller's chosen answers, ascending.
    pub my_answer_ids: Vec<u64>,
    /// Ordered by sort, then id.
    pub answers: Vec<Answer>,
}

/// One answer of a question, with its share of the votes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// Id (attach id for a poll; answer or question id otherwise).
    pub id: u64,
    /// The text as entered (plain text or HTML, per `text_type`).
    pub text: String,
    /// `"text"` or `"html"`.
    pub text_type: String,
    /// Sort key (`C_SORT`).
    pub sort: u64,
    /// Ballots that chose this answer (the answer `COUNTER`).
    pub votes: u64,
    /// What the portal's widget displays; see [`crate::tally`].
    pub percent: f64,
    /// `votes × 100 / base`, unrounded (base: the sum of votes for single
    /// choice, the voters for multiple choice); 0 when the base is 0.
    pub exact_percent: f64,
    /// `PERCENT` as the server sent it; may be stale right after a write.
    pub server_percent: Option<f64>,
    /// The caller chose this answer.
    pub voted_by_me: bool,
    /// Bar colour, as set in the portal (often empty).
    pub color: String,
    /// Reaction code, as set in the portal (often empty).
    pub reaction: String,
}

/// The `attach` object as sent.
#[derive(Debug, Deserialize)]
pub struct WireAttach {
    #[serde(rename = "ID", deserialize_with = "lenient::count")]
    id: u64,
    #[serde(rename = "VOTE_ID", deserialize_with = "lenient::count", default)]
    vote_id: u64,
    #[serde(rename = "COUNTER", deserialize_with = "lenient::count", default)]
    counter: u64,
    #[serde(rename = "QUESTIONS", deserialize_with = "lenient::values")]
    questions: Vec<WireQuestion>,
    #[serde(rename = "ANONYMITY", deserialize_with = "lenient::count", default)]
    anonymity: u64,
    #[serde(rename = "OPTIONS", deserialize_with = "lenient::count", default)]
    options: u64,
    #[serde(
        rename = "userAnswerMap",
        deserialize_with = "lenient::answer_map",
        default
    )]
    user_answer_map: Vec<(u64, Vec<u64>)>,
    #[serde(rename = "canEdit", deserialize_with = "lenient::flag", default)]
    can_edit: bool,
    #[serde(rename = "canVote", deserialize_with = "lenient::flag", default)]
    can_vote: bool,
    #[serde(rename = "canRevote", deserialize_with = "lenient::flag", default)]
    can_revote: bool,
    #[serde(rename = "isVoted", deserialize_with = "lenient::flag", default)]
    is_voted: bool,
    #[serde(rename = "isFinished", deserialize_with = "lenient::flag", default)]
    is_finished: bool,
    #[serde(rename = "signedAttachId", deserialize_with = "lenient::text", default)]
    signed_attach_id: String,
    #[serde(rename = "resultUrl", deserialize_with = "lenient::text", default)]
    result_url: String,
    #[serde(rename = "downloadUrl", deserialize_with = "lenient::text", default)]
    download_url: String,
    #[serde(rename = "entityId", deserialize_with = "lenient::count", default)]
    entity_id: u64,
}

#[derive(Debug, Deserialize)]
struct WireQuestion {
    #[serde(rename = "ID", deserialize_with = "lenient::count")]
    id: u64,
    #[serde(rename = "QUESTION", deserialize_with = "lenient::text", default)]
    text: String,
    #[serde(rename = "QUESTION_TYPE", deserialize_with = "lenient::text", default)]
    text_type: String,
    #[serde(rename = "C_SORT", deserialize_with = "lenient::count", default)]
    sort: u64,
    #[serde(rename = "FIELD_TYPE", deserialize_with = "lenient::count", default)]
    field_type: u64,
    #[serde(rename = "ACTIVE", deserialize_with = "lenient::flag", default = "yes")]
    active: bool,
    #[serde(rename = "REQUIRED", deserialize_with = "lenient::flag", default)]
    required: bool,
    #[serde(rename = "COUNTER", deserialize_with = "lenient::count", default)]
    counter: u64,
    #[serde(rename = "ANSWERS", deserialize_with = "lenient::values")]
    answers: Vec<WireAnswer>,
}

#[derive(Debug, Deserialize)]
struct WireAnswer {
    #[serde(rename = "ID", deserialize_with = "lenient::count")]
    id: u64,
    #[serde(rename = "MESSAGE", deserialize_with = "lenient::text", default)]
    text: String,
    #[serde(rename = "MESSAGE_TYPE", deserialize_with = "lenient::text", default)]
    text_type: String,
    #[serde(rename = "C_SORT", deserialize_with = "lenient::count", default)]
    sort: u64,
    #[serde(rename = "COUNTER", deserialize_with = "lenient::count", default)]
    counter: u64,
    #[serde(rename = "PERCENT", deserialize_with = "lenient::opt_number", default)]
    percent: Option<f64>,
    #[serde(rename = "COLOR", deserialize_with = "lenient::text", default)]
    color: String,
    #[serde(rename = "REACTION", deserialize_with = "lenient::text", default)]
    reaction: String,
}

fn yes() -> bool {
    true
}

/// Question types whose answers may be chosen together.
fn is_multiple(field_type: u64) -> bool {
    matches!(field_type, 1 | 3)
}

impl From<WireAttach> for AttachedVote {
    fn from(wire: WireAttach) -> Self {
        let mut questions: Vec<Question> = wire
            .questions
            .into_iter()
            .map(|q| {
                let mine = wire
                    .user_answer_map
                    .iter()
                    .find(|(question_id, _)| *question_id == q.id)
                    .map(|(_, answers)| answers.as_slice())
                    .unwrap_or_default();
                Question::from_wire(q, mine)
            })
            .collect();
        crate::tally::small_sort_by(&mut questions, |a, b| (a.sort, a.id) < (b.sort, b.id));
        AttachedVote {
            id: wire.id,
            vote_id: wire.vote_id,
            entity_id: wire.entity_id,
            ballots: wire.counter,
            anonymity: wire.anonymity,
            anonymous: wire.anonymity == ANONYMOUSLY,
            options: wire.options,
            allow_revote: wire.options & ALLOW_REVOTE != 0,
            hide_result: wire.options & HIDE_RESULT != 0,
            can_edit: wire.can_edit,
            can_vote: wire.can_vote,
            can_revote: wire.can_revote,
            is_voted: wire.is_voted,
            is_finished: wire.is_finished,
            signed_attach_id: wire.signed_attach_id,
            result_url: wire.result_url,
            download_url: wire.download_url,
            questions,
        }
    }
}

impl Question {
    fn from_wire(wire: WireQuestion, my_answer_ids: &[u64]) -> Self {
        let multiple = is_multiple(wire.field_type);
        let voters = wire.counter;
        let answers: Vec<Answer> = wire
            .answers
            .into_iter()
            .map(|a| Answer {
                voted_by_me: my_answer_ids.contains(&a.id),
                id: a.id,
                text: a.text,
                text_type: a.text_type,
                sort: a.sort,
                votes: a.counter,
                percent: 0.0,
                exact_percent: 0.0,
                server_percent: a.percent,
                color: a.color,
                reaction: a.reaction,
            })
            .collect();
        let mut question = Question {
            id: wire.id,
            text: wire.text,
            text_type: wire.text_type,
            sort: wire.sort,
            field_type: wire.field_type,
            multiple,
            active: wire.active,
            required: wire.required,
            voters,
            my_answer_ids: my_answer_ids.to_vec(),
            answers: Vec::new(),
        };
        question.answers = answers;
        question.retally();
        // Users see sort order; `retally` works in id order on its own.
        crate::tally::small_sort_by(&mut question.answers, |a, b| {
            (a.sort, a.id) < (b.sort, b.id)
        });
        question
    }

    /// Recomputes `percent` and `exactPercent` of every answer from the
    /// counters, as the portal's widget would show them.
    pub fn retally(&mut self) {
        let mut by_id: Vec<usize> = (0..self.answers.len()).collect();
        crate::tally::small_sort_by(&mut by_id, |&i, &j| {
            self.answers.get(i).map_or(0, |a| a.id) < self.answers.get(j).map_or(0, |a| a.id)
        });
        let votes: Vec<u64> = by_id
            .iter()
            .filter_map(|&i| self.answers.get(i).map(|a| a.votes))
            .collect();
        let options = TallyOptions {
            multiple: self.multiple,
            voters: Some(self.voters),
            decimals: 0,
        };
        let base = if self.multiple {
            self.voters
        } else {
            votes.iter().fold(0u64, |sum, &v| sum.saturating_add(v))
        };
        // Cannot fail: decimals is 0 and voters is given.
        let shown = tally::percentages(&votes, options).unwrap_or_default();
        for (&index, &percent) in by_id.iter().zip(shown.iter()) {
            if let Some(answer) = self.answers.get_mut(index) {
                answer.percent = percent;
                answer.exact_percent = tally::exact_percent(answer.votes, base);
            }
        }
    }
}
