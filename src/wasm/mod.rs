//! The JS boundary: exports, conversion of results and errors.

mod convert;
mod exports;
