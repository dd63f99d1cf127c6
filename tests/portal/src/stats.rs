//! Request statistics for `GET /_emulator/stats`.

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Counters since start or the last reset.
#[derive(Debug, Default)]
pub struct Stats {
    /// REST requests (`/rest/...`), not preflights, admin, OAuth or static.
    pub requests: u64,
    /// `OPTIONS` preflights under `/rest/`.
    pub preflights: u64,
    /// REST requests per method (canonical case).
    pub by_method: BTreeMap<String, u64>,
    /// Error responses per `error` code, faults included.
    pub rejected: BTreeMap<String, u64>,
    /// Successful `/oauth/token/` refreshes.
    pub refreshes: u64,
    /// REST requests that carried `auth` in the URL query string.
    pub auth_in_query: u64,
    /// Faults fired, per kind.
    pub faults: BTreeMap<String, u64>,
}

impl Stats {
    /// Counts one rejection.
    pub fn reject(&mut self, code: &str) {
        *self.rejected.entry(code.to_string()).or_default() += 1;
    }

    /// The admin API's JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "preflights": self.preflights,
            "byMethod": self.by_method,
            "rejected": self.rejected,
            "refreshes": self.refreshes,
            "authInQuery": self.auth_in_query,
            "faults": self.faults,
        })
    }
}
