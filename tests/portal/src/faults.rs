//! Injected faults (`POST /_emulator/faults`): the next N matching REST requests fail
//! in one chosen way.

use std::fmt;

/// How a request fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Close the connection without answering.
    Drop,
    /// A 500 with an HTML page.
    Http500Html,
    /// A 200 whose JSON is cut in half.
    Truncate,
    /// Answer after `delayMs`, otherwise normally.
    Delay,
    /// 503 `QUERY_LIMIT_EXCEEDED`.
    RateLimit,
    /// 429 `OPERATION_TIME_LIMIT`.
    OperatingLimit,
    /// 401 `expired_token`.
    ExpiredToken,
    /// 200 `{"result":[]}`.
    EmptyResult,
}

impl FaultKind {
    /// Parses the admin API's `kind`.
    pub fn parse(text: &str) -> Option<FaultKind> {
        Some(match text {
            "drop" => FaultKind::Drop,
            "http500_html" => FaultKind::Http500Html,
            "truncate" => FaultKind::Truncate,
            "delay" => FaultKind::Delay,
            "rate_limit" => FaultKind::RateLimit,
            "operating_limit" => FaultKind::OperatingLimit,
            "expired_token" => FaultKind::ExpiredToken,
            "empty_result" => FaultKind::EmptyResult,
            _ => return None,
        })
    }

    /// The admin API's name.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Drop => "drop",
            FaultKind::Http500Html => "http500_html",
            FaultKind::Truncate => "truncate",
            FaultKind::Delay => "delay",
            FaultKind::RateLimit => "rate_limit",
            FaultKind::OperatingLimit => "operating_limit",
            FaultKind::ExpiredToken => "expired_token",
            FaultKind::EmptyResult => "empty_result",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A pending fault.
#[derive(Debug, Clone)]
pub struct Fault {
    pub kind: FaultKind,
    pub remaining: u64,
    pub delay_ms: u64,
    /// Lowercased method name without `.json`; `None` matches any method.
    pub method: Option<String>,
}

/// The fault that fired for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    pub kind: FaultKind,
    pub delay_ms: u64,
}

/// Pending faults, tried in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    pending: Vec<Fault>,
}

/// Normalizes a method name for matching: lowercase, `.json` stripped.
pub fn normalize_method(method: &str) -> String {
    let lower = method.trim().to_ascii_lowercase();
    lower
        .strip_suffix(".json")
        .map(str::to_string)
        .unwrap_or(lower)
}

impl Faults {
    /// Adds a fault.
    pub fn add(&mut self, fault: Fault) {
        if fault.remaining > 0 {
            self.pending.push(fault);
        }
    }

    /// Consumes one count of the first fault matching this method (already normalized).
    pub fn take(&mut self, method: &str) -> Option<Fired> {
        let pos = self
            .pending
            .iter()
            .position(|f| f.method.as_deref().is_none_or(|m| m == method))?;
        let fault = self.pending.get_mut(pos)?;
        fault.remaining = fault.remaining.saturating_sub(1);
        let fired = Fired {
            kind: fault.kind,
            delay_ms: fault.delay_ms,
        };
        if fault.remaining == 0 {
            self.pending.remove(pos);
        }
        Some(fired)
    }

    /// How many fault counts are still pending.
    pub fn pending(&self) -> u64 {
        self.pending
            .iter()
            .fold(0u64, |sum, f| sum.saturating_add(f.remaining))
    }

    /// Clears all faults.
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_and_counts() {
        let mut f = Faults::default();
        f.add(Fault {
            kind: FaultKind::RateLimit,
            remaining: 2,
            delay_ms: 0,
            method: Some(normalize_method("vote.AttachedVote.get.json")),
        });
        assert_eq!(f.take("vote.attachedvote.vote"), None);
        assert!(f.take("vote.attachedvote.get").is_some());
        assert!(f.take("vote.attachedvote.get").is_some());
        assert_eq!(f.take("vote.attachedvote.get"), None);
        assert_eq!(f.pending(), 0);
        for k in [
            "drop",
            "http500_html",
            "truncate",
            "delay",
            "rate_limit",
            "operating_limit",
            "expired_token",
            "empty_result",
        ] {
            assert_eq!(FaultKind::parse(k).map(FaultKind::name), Some(k));
        }
    }
}
