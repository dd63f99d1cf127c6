//! When to retry and how long to wait. Pure
//! functions of their inputs (time and randomness are passed in), so the
//! rules are tested natively.

use crate::error::{Error, ErrorKind, Retry};

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
    // The same rule as the error's `retryable`: one function decides both.
    match error.retry() {
        Retry::Refused => backoff,
        Retry::AfterReset => attempt
            .operating_reset_at_ms
            .map_or(Decision::Fail, Decision::RetryAt),
        Retry::MayHaveRun => repeat_if_safe(attempt.class, backoff),
        Retry::Never | Retry::CallerMay => Decision::Fail,
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let cut = Error::cut_off("eof").with_status(200);
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
    fn retryable_and_the_retry_policy_agree() {
        let mut reset = attempt(MethodClass::Read, 0);
        reset.operating_reset_at_ms = Some(1.0);
        let errors = [
            Error::portal("QUERY_LIMIT_EXCEEDED", "x", 503),
            Error::portal("OPERATION_TIME_LIMIT", "x", 429),
            Error::portal("OVERLOAD_LIMIT", "x", 503),
            Error::portal("PORTAL_DELETED", "x", 500),
            Error::portal("INTERNAL_SERVER_ERROR", "x", 500),
            Error::portal("", "x", 502),
            Error::portal("ATTACH_NOT_FOUND", "x", 400),
            Error::portal("ACCESS_DENIED", "x", 403),
            network(),
            Error::decode("html").with_status(502),
            Error::cut_off("cut").with_status(200),
            Error::decode("whole but wrong").with_status(200),
            Error::decode("bad").with_status(400),
            Error::new(ErrorKind::Timeout, "t"),
            Error::new(ErrorKind::Aborted, "a"),
            Error::new(ErrorKind::RedirectRefused, "r").with_status(307),
            Error::new(ErrorKind::ResponseTooLarge, "big").with_status(200),
            Error::invalid_argument("x"),
        ];
        for error in errors {
            let retried = decide(&error, reset) != Decision::Fail;
            // A timeout is retryable for the caller; the client's own
            // deadline is spent, so it does not retry.
            let for_caller_only = error.code() == "TIMEOUT";
            assert_eq!(
                retried || for_caller_only,
                error.retryable(),
                "{}",
                error.code()
            );
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
}
