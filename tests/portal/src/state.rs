//! The portal's data: users, chats, polls (attaches), ballots, and the counter logic of
//! `vote/lib/vote.php::registerEvent` / `deleteEvents` (fact sheet §2.5).
//!
//! All of it sits behind one mutex in [`crate::app::App`], so a vote or recall is one
//! atomic read-modify-write.

use crate::util;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The module id the source stores for chat polls.
pub const MODULE_IM: &str = "im";
/// The connector class of chat polls.
pub const ENTITY_IM: &str = "Bitrix\\Vote\\Attachment\\ImMessageConnector";
/// `Option::ALLOW_REVOTE`.
pub const ALLOW_REVOTE: i64 = 1;
/// `Anonymity::PUBLICLY`.
pub const PUBLICLY: i64 = 1;
/// `Anonymity::ANONYMOUSLY`: the only value that hides voters.
pub const ANONYMOUSLY: i64 = 2;
/// `QuestionTypes::RADIO`.
pub const RADIO: i64 = 0;
/// `QuestionTypes::CHECKBOX`.
pub const CHECKBOX: i64 = 1;
/// `QuestionTypes::DROPDOWN`.
pub const DROPDOWN: i64 = 2;
/// `resume()` sets `DATE_END = now + 1 year`.
const ONE_YEAR: i64 = 365 * 86_400;
/// Chat polls are created with `DATE_END = now + 10 years`.
const TEN_YEARS: i64 = 10 * ONE_YEAR;

/// A portal user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub image: Option<String>,
    pub work_position: String,
    pub admin: bool,
}

/// An answer option and its counter (ballots that chose it).
#[derive(Debug, Clone)]
pub struct Answer {
    pub id: u64,
    pub message: String,
    pub c_sort: i64,
    pub counter: i64,
}

/// A question and its counter (ballots that answered it).
#[derive(Debug, Clone)]
pub struct Question {
    pub id: u64,
    pub text: String,
    pub c_sort: i64,
    pub field_type: i64,
    pub counter: i64,
    pub answers: Vec<Answer>,
}

impl Question {
    /// RADIO and DROPDOWN questions keep only the first submitted answer.
    fn single_choice(&self) -> bool {
        matches!(self.field_type, RADIO | DROPDOWN)
    }
}

/// One chosen answer of a ballot (`b_vote_event_answer`).
#[derive(Debug, Clone)]
pub struct BallotAnswer {
    pub answer_id: u64,
    pub event_answer_id: u64,
}

/// One answered question of a ballot (`b_vote_event_question`).
#[derive(Debug, Clone)]
pub struct BallotQuestion {
    pub question_id: u64,
    pub event_question_id: u64,
    pub answers: Vec<BallotAnswer>,
}

/// One user's ballot (`b_vote_event`).
#[derive(Debug, Clone)]
pub struct Ballot {
    pub event_id: u64,
    pub user: u64,
    pub visible: bool,
    pub questions: Vec<BallotQuestion>,
}

/// A poll attached to an entity (`b_vote_attached_object` + `b_vote`).
#[derive(Debug, Clone)]
pub struct Poll {
    pub attach_id: u64,
    pub vote_id: u64,
    pub module_id: String,
    pub entity_type: String,
    pub entity_id: u64,
    pub chat_id: u64,
    pub uid: String,
    pub author: u64,
    pub questions: Vec<Question>,
    pub anonymity: i64,
    pub options: i64,
    pub created: i64,
    pub date_end: i64,
    pub answer_type: &'static str,
    pub counter: i64,
    pub ballots: Vec<Ballot>,
}

/// Which counters a write touched in this request: PHP changed those in its in-memory
/// array, so they are emitted as JSON numbers while the others stay DB strings.
#[derive(Debug, Default, Clone)]
pub struct Touched {
    pub questions: HashSet<u64>,
    pub answers: HashSet<u64>,
}

/// Why a vote failed.
#[derive(Debug, Clone, PartialEq)]
pub enum VoteError {
    /// `LAMP == 'red'`: "The poll is inactive."
    Inactive,
    /// Revote not allowed: "You already voted." (code 32).
    AlreadyVoted,
    /// Nothing valid in the ballot: "Cannot save poll."
    CannotSave,
}

/// Why a recall failed.
#[derive(Debug, Clone, PartialEq)]
pub enum RecallError {
    /// `!canParticipate`: "Access denied".
    AccessDenied,
    /// Revote not allowed: "You already voted." (code 32).
    AlreadyVoted,
}

impl Poll {
    /// `LAMP == 'green'`.
    pub fn is_active(&self, now: i64) -> bool {
        now < self.date_end
    }

    /// `DATE_END <= now`.
    pub fn is_finished(&self, now: i64) -> bool {
        self.date_end <= now
    }

    /// The user's ballot, if any.
    pub fn ballot_of(&self, user: u64) -> Option<&Ballot> {
        self.ballots.iter().find(|b| b.user == user)
    }

    /// The question an answer belongs to.
    pub fn question_of_answer(&self, answer_id: u64) -> Option<&Question> {
        self.questions
            .iter()
            .find(|q| q.answers.iter().any(|a| a.id == answer_id))
    }

    /// `stop()`: `DATE_END = now`.
    pub fn stop(&mut self, now: i64) {
        self.date_end = now;
    }

    /// `resume()`: `DATE_END = now + 1 year`.
    pub fn resume(&mut self, now: i64) {
        self.date_end = now + ONE_YEAR;
    }

    /// Keeps the known answers of the known questions, in poll order, one answer for
    /// single-choice questions (`Event::check`).
    fn normalize(&self, ballot: &[(u64, Vec<u64>)]) -> Vec<(u64, Vec<u64>)> {
        let mut out = Vec::new();
        for q in &self.questions {
            let mut chosen: Vec<u64> = Vec::new();
            for (qid, answers) in ballot {
                if *qid != q.id {
                    continue;
                }
                for a in answers {
                    if q.answers.iter().any(|x| x.id == *a) && !chosen.contains(a) {
                        chosen.push(*a);
                    }
                }
            }
            if q.single_choice() {
                chosen.truncate(1);
            }
            if !chosen.is_empty() {
                out.push((q.id, chosen));
            }
        }
        out
    }

    /// Deletes a user's ballot and lowers the counters (`deleteEvents`). Returns whether
    /// there was one.
    fn delete_ballot(&mut self, user: u64, touched: &mut Touched) -> bool {
        let Some(pos) = self.ballots.iter().position(|b| b.user == user) else {
            return false;
        };
        let ballot = self.ballots.remove(pos);
        self.counter = (self.counter - 1).max(0);
        for bq in &ballot.questions {
            if let Some(q) = self.questions.iter_mut().find(|q| q.id == bq.question_id) {
                q.counter = (q.counter - 1).max(0);
                touched.questions.insert(q.id);
                for ba in &bq.answers {
                    if let Some(a) = q.answers.iter_mut().find(|a| a.id == ba.answer_id) {
                        a.counter = (a.counter - 1).max(0);
                        touched.answers.insert(a.id);
                    }
                }
            }
        }
        true
    }

    /// Records a normalized ballot and raises the counters (`registerEvent`).
    fn add_ballot(
        &mut self,
        user: u64,
        ballot: &[(u64, Vec<u64>)],
        seq: &mut Sequences,
        touched: &mut Touched,
    ) {
        let mut questions = Vec::new();
        for (qid, answers) in ballot {
            let Some(q) = self.questions.iter_mut().find(|q| q.id == *qid) else {
                continue;
            };
            q.counter += 1;
            touched.questions.insert(q.id);
            let mut chosen = Vec::new();
            for aid in answers {
                if let Some(a) = q.answers.iter_mut().find(|a| a.id == *aid) {
                    a.counter += 1;
                    touched.answers.insert(a.id);
                    chosen.push(BallotAnswer {
                        answer_id: a.id,
                        event_answer_id: seq.next_event_answer(),
                    });
                }
            }
            questions.push(BallotQuestion {
                question_id: q.id,
                event_question_id: seq.next_event_question(),
                answers: chosen,
            });
        }
        self.counter += 1;
        self.ballots.push(Ballot {
            event_id: seq.next_event(),
            user,
            visible: self.anonymity != ANONYMOUSLY,
            questions,
        });
    }

    /// `Attach::voteFor`: checks the poll is active, drops unknown answers, replaces the
    /// previous ballot when revote is allowed, else refuses a second ballot.
    pub fn vote(
        &mut self,
        user: u64,
        ballot: &[(u64, Vec<u64>)],
        now: i64,
        seq: &mut Sequences,
        touched: &mut Touched,
    ) -> Result<(), VoteError> {
        if !self.is_active(now) {
            return Err(VoteError::Inactive);
        }
        let normalized = self.normalize(ballot);
        if self.ballot_of(user).is_some() && self.options & ALLOW_REVOTE == 0 {
            return Err(VoteError::AlreadyVoted);
        }
        if normalized.is_empty() {
            return Err(VoteError::CannotSave);
        }
        self.delete_ballot(user, touched);
        self.add_ballot(user, &normalized, seq, touched);
        Ok(())
    }

    /// `Attach::recall`: the caller has read access already (checked by the controller).
    pub fn recall(
        &mut self,
        user: u64,
        now: i64,
        touched: &mut Touched,
    ) -> Result<(), RecallError> {
        if !self.is_active(now) {
            return Err(RecallError::AccessDenied);
        }
        if self.ballot_of(user).is_none() {
            // canRevote succeeds with no events to delete: success, nothing changes.
            return Ok(());
        }
        if self.options & ALLOW_REVOTE == 0 {
            return Err(RecallError::AlreadyVoted);
        }
        self.delete_ballot(user, touched);
        Ok(())
    }

    /// Visible voters of an answer, in ballot order.
    pub fn voters(&self, answer_id: u64) -> Vec<u64> {
        self.ballots
            .iter()
            .filter(|b| b.visible)
            .filter(|b| {
                b.questions
                    .iter()
                    .any(|q| q.answers.iter().any(|a| a.answer_id == answer_id))
            })
            .map(|b| b.user)
            .collect()
    }
}

/// A chat; `members: None` means everyone may read it.
#[derive(Debug, Clone, Default)]
pub struct Chat {
    pub members: Option<BTreeSet<u64>>,
}

/// Id sequences. Attach ids, vote ids, message ids and answer ids are deliberately
/// different sequences (the fact sheet: attachId is not voteId; answer ids are not
/// positions).
#[derive(Debug, Clone)]
pub struct Sequences {
    attach: u64,
    vote: u64,
    question: u64,
    answer: u64,
    message: u64,
    chat: u64,
    event: u64,
    event_question: u64,
    event_answer: u64,
}

impl Sequences {
    fn bump(v: &mut u64, step: u64) -> u64 {
        let out = *v;
        *v += step;
        out
    }
    pub fn next_attach(&mut self) -> u64 {
        Self::bump(&mut self.attach, 1)
    }
    pub fn next_vote(&mut self) -> u64 {
        Self::bump(&mut self.vote, 1)
    }
    pub fn next_question(&mut self) -> u64 {
        Self::bump(&mut self.question, 1)
    }
    pub fn next_answer(&mut self) -> u64 {
        Self::bump(&mut self.answer, 2)
    }
    pub fn next_message(&mut self) -> u64 {
        Self::bump(&mut self.message, 1)
    }
    pub fn next_chat(&mut self) -> u64 {
        Self::bump(&mut self.chat, 1)
    }
    pub fn next_event(&mut self) -> u64 {
        Self::bump(&mut self.event, 1)
    }
    pub fn next_event_question(&mut self) -> u64 {
        Self::bump(&mut self.event_question, 1)
    }
    pub fn next_event_answer(&mut self) -> u64 {
        Self::bump(&mut self.event_answer, 1)
    }
}

/// `C_SORT` of the item at `index`: 10, 20, 30…
fn sort_key(index: usize) -> i64 {
    i64::try_from(index)
        .unwrap_or(i64::MAX)
        .saturating_add(1)
        .saturating_mul(10)
}

/// A question to create.
#[derive(Debug, Clone)]
pub struct NewQuestion {
    pub text: String,
    pub field_type: i64,
    pub answers: Vec<String>,
}

/// A poll to create (admin API or `vote.Integration.Im.send`).
#[derive(Debug, Clone)]
pub struct NewPoll {
    pub author: u64,
    pub chat_id: u64,
    pub questions: Vec<NewQuestion>,
    pub anonymity: i64,
    pub options: i64,
    pub answer_type: &'static str,
}

/// Everything the portal stores.
#[derive(Debug, Clone)]
pub struct Portal {
    pub users: BTreeMap<u64, User>,
    pub chats: BTreeMap<u64, Chat>,
    pub polls: BTreeMap<u64, Poll>,
    pub seq: Sequences,
    /// `(user, templateId)` → `(messageId, voteId)` for `Im.send` de-duplication.
    pub templates: HashMap<(u64, String), (u64, u64)>,
    /// The server's base URL, for avatar URLs.
    pub base_url: String,
}

impl Portal {
    /// The default state: users 1 (admin, "Alex") and 2, chat 1 open to everyone, and the
    /// docs' poll (attach 1, vote 1, message 13, answers 1/3/5, user 1 voted for answer 1).
    pub fn new(base_url: &str, now: i64) -> Portal {
        let mut portal = Portal {
            users: BTreeMap::new(),
            chats: BTreeMap::new(),
            polls: BTreeMap::new(),
            seq: Sequences {
                attach: 2,
                vote: 7,
                question: 2,
                answer: 7,
                message: 20,
                chat: 2,
                event: 2,
                event_question: 2,
                event_answer: 2,
            },
            templates: HashMap::new(),
            base_url: base_url.to_string(),
        };
        portal.users.insert(
            1,
            User {
                id: 1,
                name: "Alex".into(),
                image: Some(format!("{base_url}/upload/main/avatar/1.jpg")),
                work_position: String::new(),
                admin: true,
            },
        );
        portal.users.insert(
            2,
            User {
                id: 2,
                name: "Maria".into(),
                image: None,
                work_position: String::new(),
                admin: false,
            },
        );
        portal.chats.insert(1, Chat::default());
        let answer = |id: u64, message: &str, c_sort: i64, counter: i64| Answer {
            id,
            message: message.into(),
            c_sort,
            counter,
        };
        portal.polls.insert(
            1,
            Poll {
                attach_id: 1,
                vote_id: 1,
                module_id: MODULE_IM.into(),
                entity_type: ENTITY_IM.into(),
                entity_id: 13,
                chat_id: 1,
                uid: "me7hn922bm011mbf".into(),
                author: 1,
                questions: vec![Question {
                    id: 1,
                    text: "How are you?".into(),
                    c_sort: 10,
                    field_type: RADIO,
                    counter: 1,
                    answers: vec![
                        answer(1, "Great!", 10, 1),
                        answer(3, "Best of all!", 20, 0),
                        answer(5, "What's up??", 30, 0),
                    ],
                }],
                anonymity: PUBLICLY,
                options: ALLOW_REVOTE,
                created: now,
                date_end: now + TEN_YEARS,
                answer_type: "text",
                counter: 1,
                ballots: vec![Ballot {
                    event_id: 1,
                    user: 1,
                    visible: true,
                    questions: vec![BallotQuestion {
                        question_id: 1,
                        event_question_id: 1,
                        answers: vec![BallotAnswer {
                            answer_id: 1,
                            event_answer_id: 1,
                        }],
                    }],
                }],
            },
        );
        portal
    }

    /// Creates a user on first mention (every user gets a webhook `/rest/<id>/hook<id>/`).
    pub fn ensure_user(&mut self, id: u64) {
        self.users.entry(id).or_insert_with(|| User {
            id,
            name: format!("User {id}"),
            image: None,
            work_position: String::new(),
            admin: false,
        });
    }

    /// Read access to a chat poll is chat membership (`ImMessageConnector::canRead`).
    pub fn can_read(&self, poll: &Poll, user: u64) -> bool {
        if poll.author == user {
            return true;
        }
        match self.chats.get(&poll.chat_id) {
            Some(Chat {
                members: Some(members),
            }) => members.contains(&user),
            _ => true,
        }
    }

    /// `canEdit` of a chat poll: the author of the poll message.
    pub fn can_edit(&self, poll: &Poll, user: u64) -> bool {
        poll.author == user && self.can_read(poll, user)
    }

    /// `Manager::loadFirstFromEntity`. The source stores `im`; the comparison ignores case
    /// as MySQL's default collation does, so the docs' `Im` works too.
    pub fn find_by_entity(
        &self,
        module_id: &str,
        entity_type: &str,
        entity_id: i64,
    ) -> Option<u64> {
        self.polls
            .values()
            .find(|p| {
                p.module_id.eq_ignore_ascii_case(module_id)
                    && p.entity_type.eq_ignore_ascii_case(entity_type)
                    && i64::try_from(p.entity_id).is_ok_and(|e| e == entity_id)
            })
            .map(|p| p.attach_id)
    }

    /// Looks an attach up by its `UID` (the `resultUrl` slug).
    pub fn find_by_uid(&self, uid: &str) -> Option<u64> {
        self.polls
            .values()
            .find(|p| p.uid == uid)
            .map(|p| p.attach_id)
    }

    /// Creates a chat; `None` members means everyone. The author is always a member.
    pub fn create_chat(&mut self, members: Option<Vec<u64>>) -> u64 {
        let id = self.seq.next_chat();
        let members = members.map(|m| m.into_iter().collect::<BTreeSet<u64>>());
        if let Some(m) = &members {
            for user in m {
                self.ensure_user(*user);
            }
        }
        self.chats.insert(id, Chat { members });
        id
    }

    /// Creates a poll posted as a new chat message; returns the attach id.
    pub fn create_poll(&mut self, spec: NewPoll, now: i64) -> u64 {
        self.ensure_user(spec.author);
        if let Some(Chat {
            members: Some(members),
        }) = self.chats.get_mut(&spec.chat_id)
        {
            members.insert(spec.author);
        }
        let attach_id = self.seq.next_attach();
        let vote_id = self.seq.next_vote();
        let entity_id = self.seq.next_message();
        let mut questions = Vec::new();
        for (qi, nq) in spec.questions.iter().enumerate() {
            let qid = self.seq.next_question();
            let answers = nq
                .answers
                .iter()
                .enumerate()
                .map(|(ai, text)| Answer {
                    id: self.seq.next_answer(),
                    message: text.clone(),
                    c_sort: sort_key(ai),
                    counter: 0,
                })
                .collect();
            questions.push(Question {
                id: qid,
                text: nq.text.clone(),
                c_sort: sort_key(qi),
                field_type: nq.field_type,
                counter: 0,
                answers,
            });
        }
        self.polls.insert(
            attach_id,
            Poll {
                attach_id,
                vote_id,
                module_id: MODULE_IM.into(),
                entity_type: ENTITY_IM.into(),
                entity_id,
                chat_id: spec.chat_id,
                uid: util::fresh_uid(),
                author: spec.author,
                questions,
                anonymity: spec.anonymity,
                options: spec.options,
                created: now,
                date_end: now + TEN_YEARS,
                answer_type: spec.answer_type,
                counter: 0,
                ballots: Vec::new(),
            },
        );
        attach_id
    }

    /// Casts a vote on a poll (the poll must exist).
    pub fn vote(
        &mut self,
        attach_id: u64,
        user: u64,
        ballot: &[(u64, Vec<u64>)],
        now: i64,
        touched: &mut Touched,
    ) -> Result<(), VoteError> {
        let Portal { polls, seq, .. } = self;
        match polls.get_mut(&attach_id) {
            Some(poll) => poll.vote(user, ballot, now, seq, touched),
            None => Err(VoteError::CannotSave),
        }
    }

    /// The user record, or a placeholder for an unknown id.
    pub fn user(&self, id: u64) -> User {
        self.users.get(&id).cloned().unwrap_or(User {
            id,
            name: format!("User {id}"),
            image: None,
            work_position: String::new(),
            admin: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_counters(p: &Poll) {
        assert_eq!(p.counter, p.ballots.len() as i64);
        for q in &p.questions {
            let n = p
                .ballots
                .iter()
                .filter(|b| b.questions.iter().any(|bq| bq.question_id == q.id))
                .count() as i64;
            assert_eq!(q.counter, n);
            for a in &q.answers {
                let n = p
                    .ballots
                    .iter()
                    .filter(|b| {
                        b.questions
                            .iter()
                            .any(|bq| bq.answers.iter().any(|ba| ba.answer_id == a.id))
                    })
                    .count() as i64;
                assert_eq!(a.counter, n);
            }
        }
    }

    #[test]
    fn vote_revote_recall() {
        let mut portal = Portal::new("http://x", 1000);
        let mut t = Touched::default();
        portal.vote(1, 2, &[(1, vec![3, 5])], 1000, &mut t).unwrap();
        let p = &portal.polls[&1];
        assert_eq!(p.counter, 2);
        // radio: only the first answer is kept
        assert_eq!(p.questions[0].answers[1].counter, 1);
        assert_eq!(p.questions[0].answers[2].counter, 0);
        check_counters(p);
        let mut t = Touched::default();
        portal.vote(1, 2, &[(1, vec![5])], 1000, &mut t).unwrap();
        check_counters(&portal.polls[&1]);
        assert!(t.answers.contains(&3) && t.answers.contains(&5));
        let mut t = Touched::default();
        portal
            .polls
            .get_mut(&1)
            .unwrap()
            .recall(2, 1000, &mut t)
            .unwrap();
        check_counters(&portal.polls[&1]);
        assert_eq!(portal.polls[&1].counter, 1);
        let err = portal.vote(1, 2, &[(1, vec![99])], 1000, &mut t);
        assert_eq!(err, Err(VoteError::CannotSave));
    }

    #[test]
    fn no_revote() {
        let mut portal = Portal::new("http://x", 1000);
        portal.polls.get_mut(&1).unwrap().options = 0;
        let mut t = Touched::default();
        let err = portal.vote(1, 1, &[(1, vec![3])], 1000, &mut t);
        assert_eq!(err, Err(VoteError::AlreadyVoted));
        let err = portal.polls.get_mut(&1).unwrap().recall(1, 1000, &mut t);
        assert_eq!(err, Err(RecallError::AlreadyVoted));
        portal.polls.get_mut(&1).unwrap().stop(1000);
        let err = portal.vote(1, 2, &[(1, vec![3])], 1000, &mut t);
        assert_eq!(err, Err(VoteError::Inactive));
    }
}
