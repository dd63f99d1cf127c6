//! Request encoding: which REST method a call is, and its form body with
//! the arguments already checked (`PollRef`, `EntityRefs`, `Ballot` write
//! themselves into it; `form` percent-encodes in PHP bracket syntax).

use crate::error::{Error, Result};
use crate::form::Form;
use crate::policy::MethodClass;
use crate::{Ballot, EntityRefs, PollRef};

/// The REST methods of the `vote` scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// vote.AttachedVote.get
    Get,
    /// vote.AttachedVote.getMany
    GetMany,
    /// vote.AttachedVote.vote
    Vote,
    /// vote.AttachedVote.recall
    Recall,
    /// vote.AttachedVote.stop
    Stop,
    /// vote.AttachedVote.resume
    Resume,
    /// vote.AttachedVote.getWithVoted
    GetWithVoted,
    /// vote.AttachedVote.getAnswerVoted
    GetAnswerVoted,
}

impl Method {
    /// The REST method's name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "vote.AttachedVote.get",
            Method::GetMany => "vote.AttachedVote.getMany",
            Method::Vote => "vote.AttachedVote.vote",
            Method::Recall => "vote.AttachedVote.recall",
            Method::Stop => "vote.AttachedVote.stop",
            Method::Resume => "vote.AttachedVote.resume",
            Method::GetWithVoted => "vote.AttachedVote.getWithVoted",
            Method::GetAnswerVoted => "vote.AttachedVote.getAnswerVoted",
        }
    }

    pub(crate) fn class(self) -> MethodClass {
        match self {
            Method::Vote => MethodClass::Vote,
            Method::Recall | Method::Stop | Method::Resume => MethodClass::Repeatable,
            _ => MethodClass::Read,
        }
    }

    /// The writes take `actionUuid` (fact sheet §1.2).
    pub(crate) fn takes_action_uuid(self) -> bool {
        self.class() != MethodClass::Read
    }
}

/// A call ready to send: the method and its form, arguments checked.
pub struct Request {
    pub(crate) method: Method,
    pub(crate) form: Form,
}

impl Request {
    /// A method that takes only the poll: get, recall, stop, resume.
    pub fn poll(method: Method, poll: &PollRef) -> Self {
        let mut form = Form::default();
        poll.write(&mut form);
        Request { method, form }
    }

    /// getMany.
    pub fn get_many(refs: &EntityRefs) -> Self {
        let mut form = Form::default();
        refs.write(&mut form);
        Request {
            method: Method::GetMany,
            form,
        }
    }

    /// vote.
    pub fn vote(poll: &PollRef, ballot: &Ballot) -> Self {
        let mut request = Request::poll(Method::Vote, poll);
        ballot.write(&mut request.form);
        request
    }

    /// getWithVoted.
    pub fn get_with_voted(poll: &PollRef, page_size: Option<u32>) -> Self {
        let mut request = Request::poll(Method::GetWithVoted, poll);
        if let Some(size) = page_size {
            request.form.number("pageSize", u64::from(size));
        }
        request
    }

    /// getAnswerVoted.
    pub fn get_answer_voted(poll: &PollRef, answer_id: u64, start: Option<u64>) -> Result<Self> {
        if answer_id == 0 {
            return Err(
                Error::invalid_argument("answerId must be a positive integer")
                    .with_method(Method::GetAnswerVoted.name()),
            );
        }
        let mut request = Request::poll(Method::GetAnswerVoted, poll);
        request.form.number("answerId", answer_id);
        if let Some(start) = start {
            request.form.number("start", start);
        }
        Ok(request)
    }
}
