//! When to retry, how long to wait, and the client-side leaky bucket. Pure
//! functions of their inputs (time and randomness are passed in), so the
//! rules are tested natively.

use crate::error::{Error, ErrorKind};

/// What a method does to the portal, which decides what may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodClass {
    /// get, getMany, getWithVoted, getAnswerVoted.
    Read,
    /// recall, resume, stop: repeating them leaves the same state.
    Repeatable,
    /// vote: repeating it may count a ballot the portal already took, and
    /// `actionUuid` is not an idempotency key (fact sheet §1.2).
    Vote,
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// Give up with the error.
    Fail,
    /// Wait this long, then try again.
    RetryAfter(f64),
    /// Refresh the access token, then try again at once (once per call).
    RefreshAndRetry,
    /// The portal's operating limit: retry at this unix time in ms, if the
    /// call's deadline allows; fail at once otherwise.
    RetryAt(f64),
}

/// The inputs of [`decide`] besides the error.
#[derive(Clone, Copy, Debug)]
pub struct Attempt {
    /// The method's class.
    pub class: MethodClass,
    /// 0 for the first attempt.
    pub number: u32,
    /// Retries allowed after the first attempt.
    pub retries: u32,
    /// Whether this call already refreshed its token.
    pub refreshed: bool,
    /// Whether the client can refresh tokens at all.
    pub can_refresh: bool,
    /// When the operating limit resets, unix ms, if a response said so.
    pub operating_reset_at_ms: Option<f64>,
    /// A random number in [0, 1) for the jitter.
    pub random: f64,
}

/// Base and cap of the exponential backoff, in ms.
const BACKOFF_BASE_MS: f64 = 400.0;
const BACKOFF_CAP_MS: f64 = 10_000.0;

/// Decides what follows a failed attempt.
pub fn decide(error: &Error, attempt: Attempt) -> Decision {
    if is_expired_token(error) {
        return if attempt.can_refresh && !attempt.refreshed {
            Decision::RefreshAndRetry
        } else {
            Decision::Fail
        };
    }
    if attempt.number >= attempt.retries {
        return Decision::Fail;
    }
    let backoff = Decision::RetryAfter(backoff_ms(attempt.number, attempt.random));
    match error.kind() {
        // The portal refused before running anything: safe for every method.
        ErrorKind::Portal(code) if code == "QUERY_LIMIT_EXCEEDED" => backoff,
        ErrorKind::Portal(code) if code == "OPERATION_TIME_LIMIT" => attempt
            .operating_reset_at_ms
            .map_or(Decision::Fail, Decision::RetryAt),
        // The request may have run: only what is safe to repeat.
        ErrorKind::Portal(_) | ErrorKind::Decode if error.status() >= 500 => {
            repeat_if_safe(attempt.class, backoff)
        }
        // A cut-off 2xx body: the request ran, the answer was lost.
        ErrorKind::Decode if (200..300).contains(&error.status()) => {
            repeat_if_safe(attempt.class, backoff)
        }
        ErrorKind::Network => repeat_if_safe(attempt.class, backoff),
        _ => Decision::Fail,
    }
}

fn repeat_if_safe(class: MethodClass, retry: Decision) -> Decision {
    match class {
        MethodClass::Read | MethodClass::Repeatable => retry,
        MethodClass::Vote => Decision::Fail,
    }
}

/// 401 `expired_token` or `invalid_token`: refresh and retry.
pub fn is_expired_token(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Portal(code) if code == "expired_token" || code == "invalid_token")
}

/// Exponential backoff with jitter: between half and all of
/// `base × 2^attempt`, capped.
pub fn backoff_ms(attempt: u32, random: f64) -> f64 {
    let full = (BACKOFF_BASE_MS * (1u32 << attempt.min(16)) as f64).min(BACKOFF_CAP_MS);
    full / 2.0 + full / 2.0 * random.clamp(0.0, 1.0)
}

/// A leaky bucket like the portal's (fact sheet §3.5): each request adds 1,
/// the level drains at `per_second`, and a request that would overflow
/// `burst` waits. Reservations are taken in call order, so concurrent calls
/// queue fairly instead of racing.
#[derive(Clone, Debug)]
pub struct LeakyBucket {
    burst: f64,
    per_second: f64,
    level: f64,
    at_ms: f64,
}

impl LeakyBucket {
    /// A bucket for `burst` requests at once and `per_second` after that.
    pub fn new(burst: u32, per_second: f64) -> Option<Self> {
        (burst >= 1 && per_second.is_finite() && per_second > 0.0).then_some(LeakyBucket {
            burst: f64::from(burst),
            per_second,
            level: 0.0,
            at_ms: f64::NEG_INFINITY,
        })
    }

    /// Takes a place for one request at `now_ms`; returns how long to wait
    /// before sending it.
    pub fn reserve(&mut self, now_ms: f64) -> f64 {
        let drained = (now_ms - self.at_ms).max(0.0) / 1000.0 * self.per_second;
        self.level = (self.level - drained).max(0.0);
        self.at_ms = now_ms.max(self.at_ms);
        // The portal refuses at `level >= burst`: wait until one has drained.
        let wait_ms = if self.level + 1.0 > self.burst {
            (self.level + 1.0 - self.burst) / self.per_second * 1000.0
        } else {
            0.0
        };
        self.level += 1.0;
        wait_ms
    }

    /// Gives back a place that was reserved but not used (the call was
    /// cancelled while it waited).
    pub fn release(&mut self) {
        self.level = (self.level - 1.0).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn attempt(class: MethodClass, number: u32) -> Attempt {
        Attempt {
            class,
            number,
            retries: 3,
            refreshed: false,
            can_refresh: true,
            operating_reset_at_ms: None,
            random: 0.5,
        }
    }

    fn network() -> Error {
        Error::new(ErrorKind::Network, "fetch failed")
    }

    #[test]
    fn rate_limit_is_retried_for_every_method() {
        let limit = Error::portal("QUERY_LIMIT_EXCEEDED", "Too many requests", 503);
        for class in [
            MethodClass::Read,
            MethodClass::Repeatable,
            MethodClass::Vote,
        ] {
            assert!(matches!(
                decide(&limit, attempt(class, 0)),
                Decision::RetryAfter(_)
            ));
            assert_eq!(decide(&limit, attempt(class, 3)), Decision::Fail);
        }
    }

    #[test]
    fn vote_is_not_repeated_when_the_portal_may_have_run_it() {
        let server = Error::portal("INTERNAL_SERVER_ERROR", "x", 500);
        let cut = Error::decode("eof").with_status(200);
        for error in [network(), server, cut] {
            assert_eq!(
                decide(&error, attempt(MethodClass::Vote, 0)),
                Decision::Fail
            );
            assert!(matches!(
                decide(&error, attempt(MethodClass::Repeatable, 0)),
                Decision::RetryAfter(_)
            ));
            assert!(matches!(
                decide(&error, attempt(MethodClass::Read, 2)),
                Decision::RetryAfter(_)
            ));
        }
    }

    #[test]
    fn hard_errors_are_never_retried() {
        for error in [
            Error::portal("ATTACH_NOT_FOUND", "Attach not found", 400),
            Error::portal("ACCESS_DENIED", "x", 403),
            Error::portal("insufficient_scope", "x", 401),
            Error::new(ErrorKind::UnexpectedResult, "[]").with_status(200),
            Error::new(ErrorKind::Aborted, "aborted"),
        ] {
            assert_eq!(
                decide(&error, attempt(MethodClass::Read, 0)),
                Decision::Fail,
                "{error}"
            );
        }
    }

    #[test]
    fn expired_token_refreshes_once() {
        let expired = Error::portal(
            "expired_token",
            "The access token provided has expired.",
            401,
        );
        assert_eq!(
            decide(&expired, attempt(MethodClass::Vote, 0)),
            Decision::RefreshAndRetry
        );
        let after_refresh = Attempt {
            refreshed: true,
            ..attempt(MethodClass::Read, 1)
        };
        assert_eq!(decide(&expired, after_refresh), Decision::Fail);
        let cannot = Attempt {
            can_refresh: false,
            ..attempt(MethodClass::Read, 0)
        };
        assert_eq!(decide(&expired, cannot), Decision::Fail);
    }

    #[test]
    fn operating_limit_waits_for_the_reset_when_known() {
        let limit = Error::portal("OPERATION_TIME_LIMIT", "blocked", 429);
        assert_eq!(
            decide(&limit, attempt(MethodClass::Read, 0)),
            Decision::Fail
        );
        let known = Attempt {
            operating_reset_at_ms: Some(5e12),
            ..attempt(MethodClass::Vote, 0)
        };
        assert_eq!(decide(&limit, known), Decision::RetryAt(5e12));
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        assert_eq!(backoff_ms(0, 0.0), 200.0);
        assert_eq!(backoff_ms(0, 1.0), 400.0);
        assert_eq!(backoff_ms(2, 1.0), 1600.0);
        assert_eq!(backoff_ms(20, 1.0), 10_000.0);
    }

    #[test]
    fn bucket_lets_a_burst_through_then_spaces_requests() {
        let mut bucket = LeakyBucket::new(3, 2.0).unwrap();
        let waits: Vec<f64> = (0..6).map(|_| bucket.reserve(1000.0)).collect();
        assert_eq!(waits, vec![0.0, 0.0, 0.0, 500.0, 1000.0, 1500.0]);
        // After 10 s everything has drained.
        assert_eq!(bucket.reserve(11_000.0), 0.0);
        assert!(LeakyBucket::new(0, 1.0).is_none());
        assert!(LeakyBucket::new(1, 0.0).is_none());
    }

    #[test]
    fn bucket_throughput_matches_the_portal_limit() {
        // 200 calls at once under 10 burst / 20 per second: the last one
        // leaves at (200 - 10) / 20 s, the theoretical minimum.
        let mut bucket = LeakyBucket::new(10, 20.0).unwrap();
        let last = (0..200).map(|_| bucket.reserve(0.0)).fold(0.0, f64::max);
        assert_eq!(last, 9_500.0);
    }
}
