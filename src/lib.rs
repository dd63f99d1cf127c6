//! b24-vote: a client for the Bitrix24 REST `vote` methods, in Rust compiled
//! to WebAssembly for browsers, Bitrix24 placement apps and Node.
//!
//! The pure core (model, decoding, tally, request encoding, retry and
//! rate-limit policy) builds and is tested natively; `wasm` holds the fetch
//! transport and the JS exports.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod decode;
pub mod error;
mod lenient;
pub mod model;
pub mod tally;

/// The JS boundary (wasm32 only): exports and conversions.
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use decode::{parse_vote_response, AttachWithVoted, Voter, VoterPage};
pub use error::{Error, ErrorKind, Result};
pub use model::{Answer, AttachedVote, Question};
pub use tally::{percentages, TallyOptions};
