//! The JS boundary: exports, conversion of results and errors.

/// Token sources: the OAuth refresh callback and the frame SDKs.
pub mod auth;
/// Rust values to JS values and back.
pub mod convert;
/// Functions exported to JS as they are.
pub mod exports;
/// The client's host: fetch, timers, crypto.
pub mod host;
/// `VoteClient` as a JS class.
pub mod js_client;
/// The host's timers, abort signals and randomness.
pub mod runtime;
/// One HTTP request over fetch.
pub mod transport;

/// Talc instead of std's dlmalloc: about 3 KB less of the gzipped package,
/// and faster on the decoder's many small strings.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
