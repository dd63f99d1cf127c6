//! From a REST response body to typed results or a typed error, in one
//! pass over the body: the envelope's `result` is read straight into the
//! method's result type, and unknown fields are skipped without being built.

use crate::error::{Error, ErrorKind, Result};
use crate::json::{Fault, Kind, Read, Reader};
use crate::lenient;
use crate::model::AttachedVote;
use crate::prelude::*;
use serde::{Serialize, Serializer};

/// Decodes the body of a response that carries one attach: the envelope
/// `{"result":{"attach":…},"time":…}`, the bare `{"attach":…}` of the docs'
/// `get` example, or a bare attach object.
pub fn parse_vote_response(body: &str) -> Result<AttachedVote> {
    let mut attach = None;
    let envelope = read_envelope(0, body, AttachedVote::EXPECTED, &mut |r| {
        Ok(match found(r, read_attach_result)? {
            Found::Value(read) => {
                attach = Some(read);
                None
            }
            Found::Other(got) => Some(got),
        })
    })?;
    if envelope.is_none() {
        // No envelope: `{"attach": …}` as in the docs' get example, or else
        // the attach itself.
        read_document(body, &mut |r| {
            r.object(|r, key| match key {
                "attach" => AttachedVote::read(r).map(|a| attach = Some(a)),
                _ => r.skip(),
            })
        })?;
        if attach.is_none() {
            read_document(body, &mut |r| {
                AttachedVote::read(r).map(|a| attach = Some(a))
            })?;
        }
    }
    attach.ok_or_else(|| no_result(0))
}

/// One voter, as `getWithVoted` and `getAnswerVoted` list them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Voter {
    /// The user id.
    pub id: u64,
    /// Formatted full name.
    pub name: String,
    /// Absolute avatar URL, or `None`.
    pub image: Option<String>,
    /// Job title, or `None`.
    pub work_position: Option<String>,
}

/// The result of `getWithVoted`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttachWithVoted {
    /// The poll.
    pub attach: AttachedVote,
    /// Voters by answer id, in answer id order; only answers with visible
    /// votes appear. In JS: an object keyed by answer id.
    #[serde(serialize_with = "by_answer_id")]
    pub voted: Vec<(u64, Vec<Voter>)>,
}

impl AttachWithVoted {
    /// The voters listed for one answer.
    pub fn voters_of(&self, answer_id: u64) -> Option<&[Voter]> {
        let at = self
            .voted
            .binary_search_by_key(&answer_id, |(id, _)| *id)
            .ok()?;
        self.voted.get(at).map(|(_, voters)| voters.as_slice())
    }
}

/// One page of `getAnswerVoted`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VoterPage {
    /// The voters of this page.
    pub items: Vec<Voter>,
    /// Voters in all pages.
    pub total: u64,
    /// The `start` of the next page, `None` on the last one.
    pub next: Option<u64>,
}

/// The polls of getMany, in the order asked.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Attaches(pub Vec<AttachedVote>);

/// The result of stop and resume: PHP's empty array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done;

/// `total` and `next`, beside `result` in paged responses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Paging {
    /// Items in all pages.
    pub total: Option<u64>,
    /// Offset of the next page.
    pub next: Option<u64>,
}

/// A `result` as found: the expected value, or what came instead.
pub enum Found<T> {
    /// The method's result.
    Value(T),
    /// Valid JSON of another kind: `[]`, an array, a scalar.
    Other(&'static str),
}

/// What a REST method's `result` decodes into.
pub trait MethodResult: Sized {
    /// What the result looks like, for messages.
    const EXPECTED: &'static str;
    /// Reads `result`.
    fn read(r: &mut Reader) -> Read<Found<Self>>;
    /// Takes `total`/`next` from the envelope, for paged results.
    fn with_paging(self, _paging: Paging) -> Self {
        self
    }
}

/// Decodes a whole response: the error envelope becomes a portal error
/// carrying `status`; a body that is not JSON is `DECODE_ERROR` with it.
pub fn decode_response<T: MethodResult>(status: u16, body: &str) -> Result<T> {
    decode_timed(status, body).map(|(value, _)| value)
}

/// Like [`decode_response`], also returning `time.operating_reset_at`
/// (unix seconds) when the envelope carries it.
pub fn decode_timed<T: MethodResult>(status: u16, body: &str) -> Result<(T, Option<f64>)> {
    let mut value = None;
    let envelope = read_envelope(status, body, T::EXPECTED, &mut |r| {
        Ok(match T::read(r)? {
            Found::Value(read) => {
                value = Some(read);
                None
            }
            Found::Other(got) => Some(got),
        })
    })?;
    match (value, envelope) {
        (Some(value), Some(envelope)) => {
            Ok((value.with_paging(envelope.paging), envelope.reset_at))
        }
        _ => Err(no_result(status)),
    }
}

/// What the envelope holds beside `result`.
struct Envelope {
    paging: Paging,
    reset_at: Option<f64>,
}

/// The envelope around `result`, the same for every method, so it is
/// compiled once: `read_result` reads `result` and says what came instead
/// of the expected value, if anything did. `None` when there is no
/// `result` (and no error).
fn read_envelope(
    status: u16,
    body: &str,
    expected: &str,
    read_result: &mut dyn FnMut(&mut Reader) -> Read<Option<&'static str>>,
) -> Result<Option<Envelope>> {
    let mut result = None;
    let mut error = None;
    let mut description = None;
    let mut envelope = Envelope {
        paging: Paging::default(),
        reset_at: None,
    };
    read_document(body, &mut |r| {
        r.object(|r, key| {
            match key {
                "result" => result = Some(read_result(r)?),
                "error" => error = lenient::code(r)?,
                "error_description" => description = lenient::code(r)?,
                "total" => envelope.paging.total = lenient::opt_count(r)?,
                "next" => envelope.paging.next = lenient::opt_count(r)?,
                "time" if r.peek() == Kind::Object => r.object(|r, key| match key {
                    "operating_reset_at" => lenient::opt_number(r).map(|t| envelope.reset_at = t),
                    _ => r.skip(),
                })?,
                _ => r.skip()?,
            }
            Ok(())
        })
    })
    .map_err(|e| e.with_status(status))?;
    if let Some(code) = error {
        return Err(Error::portal(code, description.unwrap_or_default(), status));
    }
    match result {
        Some(None) => Ok(Some(envelope)),
        Some(Some(got)) => Err(unexpected(expected, got).with_status(status)),
        None => Ok(None),
    }
}

fn no_result(status: u16) -> Error {
    Error::new(ErrorKind::UnexpectedResult, "the response has no result").with_status(status)
}

impl MethodResult for AttachedVote {
    const EXPECTED: &'static str = "an object with an attach";

    fn read(r: &mut Reader) -> Read<Found<Self>> {
        found(r, read_attach_result)
    }
}

impl MethodResult for Done {
    const EXPECTED: &'static str = "[]";

    fn read(r: &mut Reader) -> Read<Found<Self>> {
        if r.peek() == Kind::Bool {
            return Ok(match r.literal()? {
                Some(true) => Found::Value(Done),
                _ => Found::Other("false"),
            });
        }
        Ok(match found(r, |r| r.skip())? {
            Found::Other("[]") => Found::Value(Done),
            Found::Other(got) => Found::Other(got),
            Found::Value(()) => Found::Other("an object"),
        })
    }
}

impl MethodResult for Attaches {
    const EXPECTED: &'static str = "an object with items";

    fn read(r: &mut Reader) -> Read<Found<Self>> {
        found(r, |r| read_items(r, AttachedVote::read).map(Attaches))
    }
}

impl MethodResult for AttachWithVoted {
    const EXPECTED: &'static str = "an object with attach and voted";

    fn read(r: &mut Reader) -> Read<Found<Self>> {
        found(r, |r| {
            let at = r.position();
            let mut attach = None;
            let mut voted: Vec<(u64, Vec<Voter>)> = Vec::new();
            r.object(|r, key| match key {
                "attach" => AttachedVote::read(r).map(|a| attach = Some(a)),
                "voted" if r.peek() == Kind::Array => lenient::empty_array(r),
                "voted" => r.object(|r, answer| {
                    let id = lenient::parse_id(answer)
                        .ok_or_else(|| r.shape(r.here(), "expected an answer id as the key"))?;
                    let voters = lenient::values(r, Voter::read)?;
                    voted.push((id, voters));
                    Ok(())
                }),
                _ => r.skip(),
            })?;
            let attach =
                attach.ok_or_else(|| r.shape(at, "expected an object with attach and voted"))?;
            // A repeated key replaces, as in PHP's arrays: after a stable
            // sort the last of equal ids wins.
            crate::tally::sort_by_key(&mut voted, |(id, _)| u128::from(*id));
            voted.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    core::mem::swap(&mut later.1, &mut kept.1);
                }
                same
            });
            Ok(AttachWithVoted { attach, voted })
        })
    }
}

impl MethodResult for VoterPage {
    const EXPECTED: &'static str = "an object with items";

    fn read(r: &mut Reader) -> Read<Found<Self>> {
        found(r, |r| {
            let items = read_items(r, Voter::read)?;
            Ok(VoterPage {
                total: items.len() as u64,
                next: None,
                items,
            })
        })
    }

    fn with_paging(mut self, paging: Paging) -> Self {
        self.total = paging.total.unwrap_or(self.total);
        self.next = paging.next;
        self
    }
}

impl Voter {
    fn read(r: &mut Reader) -> Read<Voter> {
        let at = r.position();
        let mut id = None;
        let mut voter = Voter {
            id: 0,
            name: String::new(),
            image: None,
            work_position: None,
        };
        r.object(|r, key| {
            match key {
                "ID" | "id" => id = Some(lenient::count(r)?),
                "NAME" | "name" => voter.name = lenient::text(r)?,
                "IMAGE" | "image" => voter.image = lenient::opt_text(r)?,
                "WORK_POSITION" | "workPosition" => voter.work_position = lenient::opt_text(r)?,
                _ => r.skip()?,
            }
            Ok(())
        })?;
        voter.id = id.ok_or_else(|| r.shape(at, "a voter needs an ID"))?;
        Ok(voter)
    }
}

/// The voters by answer id as a JS object keyed by the id (JS object keys
/// are strings, and serde-wasm-bindgen's plain objects take only those).
fn by_answer_id<S: Serializer>(voted: &[(u64, Vec<Voter>)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(
        voted
            .iter()
            .map(|(answer, voters)| (crate::json::uint_text(*answer), voters)),
    )
}

/// `{"items": [...]}`, the result of getMany and getAnswerVoted.
fn read_items<T>(r: &mut Reader, item: fn(&mut Reader) -> Read<T>) -> Read<Vec<T>> {
    let at = r.position();
    let mut items = None;
    r.object(|r, key| match key {
        "items" => lenient::values(r, item).map(|v| items = Some(v)),
        _ => r.skip(),
    })?;
    items.ok_or_else(|| r.shape(at, "expected an object with items"))
}

/// `{"attach": …}`, the result of get, vote and recall.
fn read_attach_result(r: &mut Reader) -> Read<AttachedVote> {
    let at = r.position();
    let mut attach = None;
    r.object(|r, key| match key {
        "attach" => AttachedVote::read(r).map(|a| attach = Some(a)),
        _ => r.skip(),
    })?;
    attach.ok_or_else(|| r.shape(at, "expected an object with an attach"))
}

/// An object read by `read`, or what came instead of one.
fn found<T>(r: &mut Reader, read: impl FnOnce(&mut Reader) -> Read<T>) -> Read<Found<T>> {
    match r.peek() {
        Kind::Object => read(r).map(Found::Value),
        Kind::Array => {
            let mut items = 0;
            r.array(|r, _| {
                items += 1;
                r.skip()
            })?;
            Ok(Found::Other(if items == 0 { "[]" } else { "an array" }))
        }
        _ => r.skip().map(|()| Found::Other("a scalar")),
    }
}

fn unexpected(expected: &str, got: &str) -> Error {
    Error::new(
        ErrorKind::UnexpectedResult,
        format!("expected {expected} as the result, got {got}"),
    )
}

/// Reads one whole JSON document with `read`; faults become `DECODE_ERROR`
/// naming the JSON path, line and column.
fn read_document(body: &str, read: &mut dyn FnMut(&mut Reader) -> Read<()>) -> Result<()> {
    let mut reader = Reader::new(body);
    let outcome = read(&mut reader).and_then(|()| reader.finish());
    outcome.map_err(|fault: alloc::boxed::Box<Fault>| {
        let what = if fault.syntax {
            "the response is not valid JSON"
        } else {
            "the response has an unexpected shape"
        };
        let (line, column) = reader.line_column(fault.at);
        let description = format!(
            "{what}: {} at {} (line {line}, column {column})",
            fault.message,
            fault.path()
        );
        if fault.syntax && ends_early(body, fault.at) {
            Error::cut_off(description)
        } else {
            Error::decode(description)
        }
    })
}

/// Whether a syntax fault at `at` is the body ending early: nothing is left
/// but the start of a literal, or the first hex digits of a `\u` escape
/// (the reader faults at its last digit).
fn ends_early(body: &str, at: usize) -> bool {
    let rest = body.get(at..).unwrap_or_default().trim_end();
    rest.is_empty()
        || ["null", "true", "false"]
            .iter()
            .any(|literal| literal.starts_with(rest))
        || (rest.len() < 4 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}
