//! The typed poll model: the clean camelCase objects users get, read
//! straight from the PHP-shaped `attach` object the portal sends (leniently).

use crate::json::{Read, Reader};
use crate::lenient;
use crate::prelude::*;
use crate::tally::{self, pair_key, TallyOptions};
use serde::Serialize;

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

impl AttachedVote {
    /// Reads the `attach` object as the portal sends it (unknown fields are
    /// skipped), straight into the user's shape: then marks the caller's
    /// answers, sorts, and tallies.
    pub fn read(r: &mut Reader) -> Read<AttachedVote> {
        let at = r.position();
        let (mut has_id, mut has_questions) = (false, false);
        let mut user_answer_map = Vec::new();
        let mut a = AttachedVote {
            id: 0,
            vote_id: 0,
            entity_id: 0,
            ballots: 0,
            anonymity: 0,
            anonymous: false,
            options: 0,
            allow_revote: false,
            hide_result: false,
            can_edit: false,
            can_vote: false,
            can_revote: false,
            is_voted: false,
            is_finished: false,
            signed_attach_id: String::new(),
            result_url: String::new(),
            download_url: String::new(),
            questions: Vec::new(),
        };
        r.object(|r, key| {
            match key {
                "ID" => {
                    a.id = lenient::count(r)?;
                    has_id = true;
                }
                "VOTE_ID" => a.vote_id = lenient::count(r)?,
                "COUNTER" => a.ballots = lenient::count(r)?,
                "QUESTIONS" => {
                    a.questions = lenient::values(r, Question::read)?;
                    has_questions = true;
                }
                "ANONYMITY" => a.anonymity = lenient::count(r)?,
                "OPTIONS" => a.options = lenient::count(r)?,
                "userAnswerMap" => user_answer_map = lenient::answer_map(r)?,
                "canEdit" => a.can_edit = lenient::flag(r)?,
                "canVote" => a.can_vote = lenient::flag(r)?,
                "canRevote" => a.can_revote = lenient::flag(r)?,
                "isVoted" => a.is_voted = lenient::flag(r)?,
                "isFinished" => a.is_finished = lenient::flag(r)?,
                "signedAttachId" => a.signed_attach_id = lenient::text(r)?,
                "resultUrl" => a.result_url = lenient::text(r)?,
                "downloadUrl" => a.download_url = lenient::text(r)?,
                "entityId" => a.entity_id = lenient::count(r)?,
                _ => r.skip()?,
            }
            Ok(())
        })?;
        require(
            r,
            at,
            has_id && has_questions,
            "an attach needs ID and QUESTIONS",
        )?;
        a.anonymous = a.anonymity == ANONYMOUSLY;
        a.allow_revote = a.options & ALLOW_REVOTE != 0;
        a.hide_result = a.options & HIDE_RESULT != 0;
        // Sorted by question id (stable: a repeated key keeps its first
        // entry first), so each question finds its choices in log time.
        crate::tally::sort_by_key(&mut user_answer_map, |(id, _)| u128::from(*id));
        for question in &mut a.questions {
            let first = user_answer_map.partition_point(|(id, _)| *id < question.id);
            if let Some((_, mine)) = user_answer_map
                .get(first)
                .filter(|(id, _)| *id == question.id)
            {
                question.my_answer_ids.clone_from(mine);
                for answer in &mut question.answers {
                    // `mine` is ascending (see `lenient::answer_map`).
                    answer.voted_by_me = mine.binary_search(&answer.id).is_ok();
                }
            }
            question.retally();
        }
        crate::tally::sort_by_key(&mut a.questions, |q| pair_key(q.sort, q.id));
        Ok(a)
    }
}

impl Question {
    fn read(r: &mut Reader) -> Read<Question> {
        let at = r.position();
        let (mut has_id, mut has_answers) = (false, false);
        let mut q = Question {
            id: 0,
            text: String::new(),
            text_type: String::new(),
            sort: 0,
            field_type: 0,
            multiple: false,
            active: true,
            required: false,
            voters: 0,
            my_answer_ids: Vec::new(),
            answers: Vec::new(),
        };
        r.object(|r, key| {
            match key {
                "ID" => {
                    q.id = lenient::count(r)?;
                    has_id = true;
                }
                "QUESTION" => q.text = lenient::text(r)?,
                "QUESTION_TYPE" => q.text_type = lenient::text(r)?,
                "C_SORT" => q.sort = lenient::count(r)?,
                "FIELD_TYPE" => q.field_type = lenient::count(r)?,
                "ACTIVE" => q.active = lenient::flag(r)?,
                "REQUIRED" => q.required = lenient::flag(r)?,
                "COUNTER" => q.voters = lenient::count(r)?,
                "ANSWERS" => {
                    q.answers = lenient::values(r, Answer::read)?;
                    has_answers = true;
                }
                _ => r.skip()?,
            }
            Ok(())
        })?;
        require(
            r,
            at,
            has_id && has_answers,
            "a question needs ID and ANSWERS",
        )?;
        q.multiple = is_multiple(q.field_type);
        Ok(q)
    }

    /// Recomputes `percent` and `exactPercent` of every answer from the
    /// counters, as the portal's widget would show them, and leaves the
    /// answers in display order (sort, then id).
    pub fn retally(&mut self) {
        // The widget hands out rounding remainders in answer id order.
        crate::tally::sort_by_key(&mut self.answers, |a| u128::from(a.id));
        let mut votes = Vec::new();
        let mut sum = 0u64;
        for answer in &self.answers {
            votes.push(answer.votes);
            sum = sum.saturating_add(answer.votes);
        }
        let options = TallyOptions {
            multiple: self.multiple,
            voters: Some(self.voters),
            decimals: 0,
        };
        let base = if self.multiple { self.voters } else { sum };
        // Cannot fail: decimals is 0 and voters is given.
        let shown = tally::percentages(&votes, options).unwrap_or_default();
        for (answer, &percent) in self.answers.iter_mut().zip(&shown) {
            answer.percent = percent;
            answer.exact_percent = tally::exact_percent(answer.votes, base);
        }
        crate::tally::sort_by_key(&mut self.answers, |a| pair_key(a.sort, a.id));
    }
}

impl Answer {
    fn read(r: &mut Reader) -> Read<Answer> {
        let at = r.position();
        let mut has_id = false;
        let mut a = Answer {
            id: 0,
            text: String::new(),
            text_type: String::new(),
            sort: 0,
            votes: 0,
            percent: 0.0,
            exact_percent: 0.0,
            server_percent: None,
            voted_by_me: false,
            color: String::new(),
            reaction: String::new(),
        };
        r.object(|r, key| {
            match key {
                "ID" => {
                    a.id = lenient::count(r)?;
                    has_id = true;
                }
                "MESSAGE" => a.text = lenient::text(r)?,
                "MESSAGE_TYPE" => a.text_type = lenient::text(r)?,
                "C_SORT" => a.sort = lenient::count(r)?,
                "COUNTER" => a.votes = lenient::count(r)?,
                "PERCENT" => a.server_percent = lenient::opt_number(r)?,
                "COLOR" => a.color = lenient::text(r)?,
                "REACTION" => a.reaction = lenient::text(r)?,
                _ => r.skip()?,
            }
            Ok(())
        })?;
        require(r, at, has_id, "an answer needs an ID")?;
        Ok(a)
    }
}

/// A shape fault at `at` unless `ok`.
fn require(r: &Reader, at: usize, ok: bool, message: &str) -> Read<()> {
    if ok {
        Ok(())
    } else {
        Err(r.shape(at, message))
    }
}

/// Question types whose answers may be chosen together.
fn is_multiple(field_type: u64) -> bool {
    matches!(field_type, 1 | 3)
}
