//! From a REST response body to typed results or a typed error.
//!
//! One pass of serde_json over the body: the envelope's `result` is read
//! straight into the method's result type, unknown fields are skipped
//! without being built.

use crate::error::{Error, ErrorKind, Result};
use crate::lenient;
use crate::model::{AttachedVote, WireAttach};
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// Decodes the body of a response that carries one attach: the envelope
/// `{"result":{"attach":…},"time":…}`, the bare `{"attach":…}` of the docs'
/// `get` example, or a bare attach object.
pub fn parse_vote_response(body: &str) -> Result<AttachedVote> {
    let top: AttachTop = from_json(body)?;
    if let Some(code) = top.error {
        return Err(Error::portal(
            code,
            top.error_description.unwrap_or_default(),
            0,
        ));
    }
    match (top.result, top.attach) {
        (Some(Payload::Value(AttachResult { attach })), _) | (None, Some(attach)) => {
            Ok(attach.into())
        }
        (Some(other), _) => Err(unexpected(&other, "an object with an attach")),
        // Neither envelope nor `{attach}`: the body is the attach itself.
        (None, None) => from_json::<WireAttach>(body).map(AttachedVote::from),
    }
}

/// One voter, as `getWithVoted` and `getAnswerVoted` list them.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Voter {
    #[serde(alias = "ID", deserialize_with = "lenient::count")]
    /// Id (attach id for a poll; answer or question id otherwise).
    pub id: u64,
    #[serde(alias = "NAME", deserialize_with = "lenient::text", default)]
    /// Formatted full name.
    pub name: String,
    #[serde(alias = "IMAGE", default)]
    /// Absolute avatar URL, or `None`.
    pub image: Option<String>,
    #[serde(alias = "WORK_POSITION", default)]
    /// Job title, or `None`.
    pub work_position: Option<String>,
}

/// The result of `getWithVoted`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttachWithVoted {
    /// The poll.
    pub attach: AttachedVote,
    /// Voters by answer id; only answers with visible votes appear.
    pub voted: BTreeMap<u64, Vec<Voter>>,
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

/// What a REST method's `result` decodes into.
pub trait MethodResult: Sized {
    /// The payload type read from `result`.
    type Wire: DeserializeOwned;
    /// Builds the result from the payload and the envelope's paging fields.
    fn from_wire(wire: Payload<Self::Wire>, paging: Paging) -> Result<Self>;
}

/// `total` and `next`, beside `result` in paged responses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Paging {
    /// Voters in all pages, when sent.
    pub total: Option<u64>,
    /// Offset of the next page, when sent.
    pub next: Option<u64>,
}

/// Decodes a whole response: the error envelope becomes a portal error
/// carrying `status`; a body that is not JSON is `DECODE_ERROR` with it.
pub fn decode_response<T: MethodResult>(status: u16, body: &str) -> Result<T> {
    decode_timed(status, body).map(|(value, _)| value)
}

/// Like [`decode_response`], also returning `time.operating_reset_at`
/// (unix seconds) when the envelope carries it.
pub fn decode_timed<T: MethodResult>(status: u16, body: &str) -> Result<(T, Option<f64>)> {
    let envelope: Envelope<T::Wire> = from_json(body).map_err(|e| e.with_status(status))?;
    if let Some(code) = envelope.error {
        let description = envelope.error_description.unwrap_or_default();
        return Err(Error::portal(code, description, status));
    }
    let Some(result) = envelope.result else {
        return Err(
            Error::new(ErrorKind::UnexpectedResult, "the response has no result")
                .with_status(status),
        );
    };
    let paging = Paging {
        total: envelope.total,
        next: envelope.next,
    };
    let reset_at = envelope.time.and_then(|t| t.operating_reset_at);
    T::from_wire(result, paging)
        .map(|value| (value, reset_at))
        .map_err(|e| e.with_status(status))
}

/// `{"attach": …}`, the result of get, vote and recall.
#[derive(Debug, Deserialize)]
pub struct AttachResult {
    attach: WireAttach,
}

impl MethodResult for AttachedVote {
    type Wire = AttachResult;

    fn from_wire(wire: Payload<AttachResult>, _: Paging) -> Result<Self> {
        match wire {
            Payload::Value(result) => Ok(result.attach.into()),
            other => Err(unexpected(&other, "an object with an attach")),
        }
    }
}

/// The result of stop and resume: PHP's empty array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done;

impl MethodResult for Done {
    type Wire = IgnoredAny;

    fn from_wire(wire: Payload<IgnoredAny>, _: Paging) -> Result<Self> {
        match wire {
            Payload::EmptyArray | Payload::Scalar(true) => Ok(Done),
            other => Err(unexpected(&other, "[]")),
        }
    }
}

/// `{"items": [attach, …]}`, the result of getMany.
#[derive(Debug, Deserialize)]
pub struct ManyResult {
    #[serde(deserialize_with = "lenient::values")]
    items: Vec<WireAttach>,
}

/// The polls of getMany, in the order asked.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Attaches(pub Vec<AttachedVote>);

impl MethodResult for Attaches {
    type Wire = ManyResult;

    fn from_wire(wire: Payload<ManyResult>, _: Paging) -> Result<Self> {
        match wire {
            Payload::Value(many) => Ok(Attaches(many.items.into_iter().map(Into::into).collect())),
            other => Err(unexpected(&other, "an object with items")),
        }
    }
}

/// `{"attach": …, "voted": {"<answerId>": [voter, …]}}`.
#[derive(Debug, Deserialize)]
pub struct WithVotedResult {
    attach: WireAttach,
    #[serde(default)]
    voted: VotedMap,
}

#[derive(Debug, Default)]
struct VotedMap(BTreeMap<u64, Vec<Voter>>);

impl<'de> Deserialize<'de> for VotedMap {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct VotedVisitor;
        impl<'de> Visitor<'de> for VotedVisitor {
            type Value = VotedMap;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("voters keyed by answer id, or []")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<VotedMap, A::Error> {
                let mut voted = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let id = lenient::parse_id(&key).ok_or_else(|| {
                        de::Error::invalid_value(de::Unexpected::Str(&key), &"an answer id")
                    })?;
                    voted.insert(id, map.next_value::<Vec<Voter>>()?);
                }
                Ok(VotedMap(voted))
            }

            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<VotedMap, A::Error> {
                match seq.next_element::<IgnoredAny>()? {
                    None => Ok(VotedMap::default()),
                    Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
                }
            }
        }
        d.deserialize_any(VotedVisitor)
    }
}

impl MethodResult for AttachWithVoted {
    type Wire = WithVotedResult;

    fn from_wire(wire: Payload<WithVotedResult>, _: Paging) -> Result<Self> {
        match wire {
            Payload::Value(result) => Ok(AttachWithVoted {
                attach: result.attach.into(),
                voted: result.voted.0,
            }),
            other => Err(unexpected(&other, "an object with attach and voted")),
        }
    }
}

/// `{"items": [voter, …]}` with `total`/`next` beside `result`.
#[derive(Debug, Deserialize)]
pub struct VoterItems {
    items: Vec<Voter>,
}

impl MethodResult for VoterPage {
    type Wire = VoterItems;

    fn from_wire(wire: Payload<VoterItems>, paging: Paging) -> Result<Self> {
        match wire {
            Payload::Value(page) => Ok(VoterPage {
                total: paging.total.unwrap_or(page.items.len() as u64),
                next: paging.next,
                items: page.items,
            }),
            other => Err(unexpected(&other, "an object with items")),
        }
    }
}

/// A `result` as sent: an object read as `T`, PHP's empty array, or a scalar.
#[derive(Debug)]
pub enum Payload<T> {
    /// An object, read as the result type.
    Value(T),
    /// `[]`: PHP's empty array.
    EmptyArray,
    /// A non-empty array (never valid for a vote method).
    Array,
    /// `true`/`false`; other scalars read as `false`.
    Scalar(bool),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Payload<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(PayloadVisitor(PhantomData))
    }
}

struct PayloadVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for PayloadVisitor<T> {
    type Value = Payload<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a result")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Payload<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Payload::Value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Payload<T>, A::Error> {
        if seq.next_element::<IgnoredAny>()?.is_none() {
            return Ok(Payload::EmptyArray);
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Payload::Array)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Payload<T>, E> {
        Ok(Payload::Scalar(v))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Payload<T>, E> {
        Ok(Payload::Scalar(false))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Payload<T>, E> {
        Ok(Payload::Scalar(false))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Payload<T>, E> {
        Ok(Payload::Scalar(false))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Payload<T>, E> {
        Ok(Payload::Scalar(false))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Payload<T>, E> {
        Ok(Payload::Scalar(false))
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default = "none")]
    result: Option<Payload<T>>,
    #[serde(deserialize_with = "lenient::code", default)]
    error: Option<String>,
    #[serde(deserialize_with = "lenient::code", default)]
    error_description: Option<String>,
    #[serde(deserialize_with = "lenient::opt_count", default)]
    total: Option<u64>,
    #[serde(deserialize_with = "lenient::opt_count", default)]
    next: Option<u64>,
    #[serde(default)]
    time: Option<Timing>,
}

/// The part of the envelope's `time` the client acts on.
#[derive(Deserialize)]
struct Timing {
    #[serde(deserialize_with = "lenient::opt_number", default)]
    operating_reset_at: Option<f64>,
}

/// The top level of a body that should hold one attach, in any of its forms.
#[derive(Deserialize)]
struct AttachTop {
    #[serde(default = "none")]
    result: Option<Payload<AttachResult>>,
    #[serde(default)]
    attach: Option<WireAttach>,
    #[serde(deserialize_with = "lenient::code", default)]
    error: Option<String>,
    #[serde(deserialize_with = "lenient::code", default)]
    error_description: Option<String>,
}

fn none<T>() -> Option<T> {
    None
}

fn unexpected<T>(payload: &Payload<T>, expected: &str) -> Error {
    let got = match payload {
        Payload::Value(_) => "another object",
        Payload::EmptyArray => "[]",
        Payload::Array => "an array",
        Payload::Scalar(_) => "a scalar",
    };
    Error::new(
        ErrorKind::UnexpectedResult,
        format!("expected {expected} as the result, got {got}"),
    )
}

/// serde_json with its error turned into `DECODE_ERROR`. serde_json's
/// message already says what was wrong and at which line and column.
fn from_json<T: DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| {
        let what = if e.is_eof() || e.is_syntax() {
            "the response is not valid JSON"
        } else {
            "the response has an unexpected shape"
        };
        Error::decode(format!("{what}: {e}"))
    })
}
