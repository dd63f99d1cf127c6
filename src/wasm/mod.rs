//! The JS boundary: exports, conversion of results and errors.

/// Rust values to JS values and back.
pub mod convert;
/// Functions exported to JS as they are.
pub mod exports;
