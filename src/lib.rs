//! b24-vote: a client for the Bitrix24 REST `vote` methods, in Rust compiled
//! to WebAssembly for browsers, Bitrix24 placement apps and Node.
//!
//! The pure core (model, decoding, tally, request encoding, retry and
//! rate-limit policy) builds and is tested natively; `wasm` holds the fetch
//! transport and the JS exports.

#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

extern crate alloc;

/// What every module uses from `alloc`, as std's prelude would give it.
mod prelude {
    pub use alloc::borrow::ToOwned;
    #[cfg(test)]
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    #[cfg(test)]
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

pub mod client;
pub use b24_vote_core::{decode, error, json, lenient, model, tally};
pub mod endpoint;
pub mod form;
pub mod host;
pub mod policy;
pub mod poll_ref;
pub mod rate_limit;
pub mod request;

/// The JS boundary (wasm32 only): exports and conversions.
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use decode::{parse_vote_response, AttachWithVoted, Voter, VoterPage};
pub use error::{Error, ErrorKind, Result};
pub use model::{Answer, AttachedVote, Question};
pub use poll_ref::{Ballot, EntityRefs, PollRef, PollRefParts};
pub use tally::{percentages, TallyOptions};
