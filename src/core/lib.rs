//! The pure core of b24-vote: the typed poll model, the decoder for the
//! portal's PHP-flavoured JSON, the portal-exact tally and the error type.
//! No I/O and no JS: it builds and is tested natively. It is a crate of its
//! own so that the release profile can build it for speed (it is the hot
//! path of `parseVoteResponse`) while the client stays size-optimised.

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
#![no_std]

extern crate alloc;
#[cfg(not(target_arch = "wasm32"))]
extern crate std;

pub use b24_vote_json as json;

pub mod decode;
pub mod error;
pub mod lenient;
pub mod model;
pub mod tally;

/// What every module uses from `alloc`, as std's prelude would give it.
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    #[cfg(test)]
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}
