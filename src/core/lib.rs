//! The pure core of b24-vote: the typed poll model, the decoder for the
//! portal's PHP-flavoured JSON, the portal-exact tally and the error type.
//! No I/O, no JS: it builds and is tested natively, and the wasm build
//! compiles it with opt-level 3 (it is the hot path of `parseVoteResponse`).

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

pub mod decode;
pub mod error;
pub mod json;
pub mod lenient;
pub mod model;
pub mod tally;
