//! The one error type of the library, shared by the decoder, the tally and
//! the client. In JS it becomes a real `Error` named `B24VoteError`.

use crate::prelude::*;
use alloc::boxed::Box;
use core::fmt;

/// What went wrong, as a stable code. Portal errors keep the portal's code
/// exactly as sent (`"ATTACH_NOT_FOUND"`, `"403"`, `""`, …).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The portal answered with an error envelope; the code as sent.
    Portal(String),
    /// fetch failed: DNS, connection refused or reset, CORS.
    Network,
    /// `timeoutMs` ran out before the call settled.
    Timeout,
    /// The caller's `AbortSignal` fired.
    Aborted,
    /// The body was not JSON, or JSON of the wrong shape.
    Decode,
    /// The body ended inside its JSON: the answer was cut off on its way.
    CutOff,
    /// Well-formed JSON, but not the result this method returns
    /// (e.g. `{"result": []}` where an attach is expected).
    UnexpectedResult,
    /// Bad input from the caller; nothing was sent.
    InvalidArgument,
    /// A token refresh failed or did not answer in time.
    AuthRefreshFailed,
    /// The portal answered with a redirect, which is never followed: the
    /// request carries secrets, and they go only to the portal itself.
    RedirectRefused,
    /// The response was larger than the client's `maxResponseBytes`.
    ResponseTooLarge,
}

/// Whether and how a failed call may be tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Trying again fails the same way.
    Never,
    /// The portal refused before running anything: any method may repeat.
    Refused,
    /// The method's operating time is used up: after `operating_reset_at`.
    AfterReset,
    /// The request may have run: only what is safe to repeat.
    MayHaveRun,
    /// The call's own time ran out: the caller may try again with more;
    /// the client does not, its deadline is spent.
    CallerMay,
}

/// Characters of a portal's error code kept in an error; the rest is cut.
pub const MAX_CODE_CHARS: usize = 200;
/// Characters of a description kept in an error; the rest is cut.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// What marks a text that was cut to its bound.
pub const CUT_MARK: &str = "…[cut]";

/// A failed call or decode.
///
/// `Debug` and `Display` print only the code, status, method and
/// description; the client never puts a token or webhook code into any of
/// them (see `redact`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Details>);

/// Boxed: every fallible function returns a `Result`, and a pointer-sized
/// error keeps the success path (and the wasm) small.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    kind: ErrorKind,
    status: u16,
    description: String,
    method: Option<&'static str>,
}

impl Error {
    /// An error of `kind` with a human-readable description.
    /// Texts that came from a response are bounded here, once for every
    /// kind of error: a hostile portal cannot make a message megabytes long.
    pub fn new(kind: ErrorKind, description: impl Into<String>) -> Self {
        let kind = match kind {
            ErrorKind::Portal(code) => ErrorKind::Portal(bounded(code, MAX_CODE_CHARS)),
            other => other,
        };
        Error(Box::new(Details {
            kind,
            status: 0,
            description: bounded(description.into(), MAX_DESCRIPTION_CHARS),
            method: None,
        }))
    }

    /// An error the portal reported in its `{"error", "error_description"}` envelope.
    pub fn portal(code: impl Into<String>, description: impl Into<String>, status: u16) -> Self {
        Error::new(ErrorKind::Portal(code.into()), description).with_status(status)
    }

    /// A `DECODE_ERROR`.
    pub fn decode(description: impl Into<String>) -> Self {
        Error::new(ErrorKind::Decode, description)
    }

    /// A `DECODE_ERROR` for a body that ended inside its JSON.
    pub fn cut_off(description: impl Into<String>) -> Self {
        Error::new(ErrorKind::CutOff, description)
    }

    /// An `INVALID_ARGUMENT`: bad input from the caller, nothing was sent.
    pub fn invalid_argument(description: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, description)
    }

    /// The same error, tagged with the HTTP status it came with.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = status;
        self
    }

    /// The same error, tagged with the REST method that produced it.
    pub fn with_method(mut self, method: &'static str) -> Self {
        self.0.method = Some(method);
        self
    }

    /// The kind, for matching in Rust.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The stable code: the portal's own, or one of ours in SCREAMING_CASE.
    pub fn code(&self) -> &str {
        match &self.0.kind {
            ErrorKind::Portal(code) => code,
            ErrorKind::Network => "NETWORK_ERROR",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Aborted => "ABORTED",
            ErrorKind::Decode | ErrorKind::CutOff => "DECODE_ERROR",
            ErrorKind::UnexpectedResult => "UNEXPECTED_RESULT",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::AuthRefreshFailed => "AUTH_REFRESH_FAILED",
            ErrorKind::RedirectRefused => "REDIRECT_REFUSED",
            ErrorKind::ResponseTooLarge => "RESPONSE_TOO_LARGE",
        }
    }

    /// HTTP status of the response, 0 when there was none.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// What happened, in words.
    pub fn description(&self) -> &str {
        &self.0.description
    }

    /// The REST method, when the error came from a call.
    pub fn method(&self) -> Option<&'static str> {
        self.0.method
    }

    /// Whether the same call may succeed if tried again later: rate and
    /// operating limits, server-side failures, the network, a lost answer
    /// and timeouts. Hard errors (not found, access denied, bad input) are
    /// not. The client's own retries follow the same rule ([`Error::retry`]).
    pub fn retryable(&self) -> bool {
        self.retry() != Retry::Never
    }

    /// How this error may be retried: the one rule behind both
    /// [`Error::retryable`] and the client's retry policy.
    pub fn retry(&self) -> Retry {
        let status = self.0.status;
        match &self.0.kind {
            ErrorKind::Portal(code) => match code.as_str() {
                "QUERY_LIMIT_EXCEEDED" => Retry::Refused,
                "OPERATION_TIME_LIMIT" => Retry::AfterReset,
                // 5xx, but retrying cannot help: the portal is gone or
                // shedding load for a long while.
                "OVERLOAD_LIMIT" | "PORTAL_DELETED" => Retry::Never,
                "INTERNAL_SERVER_ERROR" => Retry::MayHaveRun,
                _ if status >= 500 => Retry::MayHaveRun,
                _ => Retry::Never,
            },
            ErrorKind::Network => Retry::MayHaveRun,
            // An HTML error page, or a 2xx body cut off: the answer was lost.
            // A whole 2xx answer of the wrong shape would come back the same.
            ErrorKind::Decode | ErrorKind::CutOff if status >= 500 => Retry::MayHaveRun,
            ErrorKind::CutOff if (200..300).contains(&status) => Retry::MayHaveRun,
            ErrorKind::Timeout => Retry::CallerMay,
            ErrorKind::Decode
            | ErrorKind::CutOff
            | ErrorKind::Aborted
            | ErrorKind::UnexpectedResult
            | ErrorKind::InvalidArgument
            | ErrorKind::AuthRefreshFailed
            | ErrorKind::RedirectRefused
            | ErrorKind::ResponseTooLarge => Retry::Never,
        }
    }

    /// The message of the JS `Error`: `CODE: description`, plus the method.
    pub fn message(&self) -> String {
        let code = if self.code().is_empty() {
            "ERROR"
        } else {
            self.code()
        };
        match self.0.method {
            Some(method) => format!("{code}: {} ({method})", self.0.description),
            None => format!("{code}: {}", self.0.description),
        }
    }

    /// Replaces every occurrence of each secret in the description and in
    /// a portal's code. The client calls this on anything that came from
    /// outside: a fetch error's text may quote the URL, which holds a webhook
    /// code, and a portal may echo the request into both fields.
    pub fn redact(mut self, secrets: &[String]) -> Self {
        self.0.description = redact(&self.0.description, secrets);
        if let ErrorKind::Portal(code) = &mut self.0.kind {
            *code = redact(code, secrets);
        }
        self
    }
}

/// `text` cut to `max_chars` characters, marked with [`CUT_MARK`] when cut.
pub fn bounded(mut text: String, max_chars: usize) -> String {
    if let Some((end, _)) = text.char_indices().nth(max_chars) {
        text.truncate(end);
        text.push_str(CUT_MARK);
    }
    text
}

/// Secrets shorter than this are replaced only where they stand as a whole
/// token: replacing a one-letter token inside words would garble the text
/// ("the ***equest failed") and hide nothing.
const SHORT_SECRET: usize = 8;

/// `text` with each non-empty secret replaced by `***`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        // Bytes, not characters: a non-ASCII secret only errs towards more redaction.
        let whole_token_only = secret.len() < SHORT_SECRET;
        let mut rest = out.as_str();
        let mut replaced = String::new();
        while let Some(at) = find(rest, secret) {
            let before = rest.get(..at).unwrap_or_default();
            let after = rest.get(at + secret.len()..).unwrap_or_default();
            let standalone = !before.chars().next_back().is_some_and(is_token_char)
                && !after.chars().next().is_some_and(is_token_char);
            replaced.push_str(before);
            if whole_token_only && !standalone {
                replaced.push_str(secret);
            } else {
                replaced.push_str("***");
            }
            rest = after;
        }
        replaced.push_str(rest);
        out = replaced;
    }
    out
}

/// Characters that tokens and webhook codes are made of.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
}

/// Byte offset of the first `needle` in `haystack`; a plain byte search
/// (core's `str::find` with a `&str` pattern costs ~2 KB of wasm).
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_retryability() {
        let limit = Error::portal("QUERY_LIMIT_EXCEEDED", "Too many requests", 503);
        assert_eq!(limit.code(), "QUERY_LIMIT_EXCEEDED");
        assert!(limit.retryable());
        let missing = Error::portal("ATTACH_NOT_FOUND", "Attach not found", 400);
        assert!(!missing.retryable());
        assert!(Error::portal("", "boom", 502).retryable());
        assert!(!Error::portal("PORTAL_DELETED", "gone", 500).retryable());
        assert!(!Error::decode("x").retryable());
        assert!(Error::decode("html page").with_status(500).retryable());
        assert_eq!(Error::new(ErrorKind::Timeout, "t").code(), "TIMEOUT");
    }

    #[test]
    fn message_names_code_and_method() {
        let e = Error::portal("ATTACH_NOT_FOUND", "Attach not found", 400)
            .with_method("vote.AttachedVote.recall");
        assert_eq!(
            e.to_string(),
            "ATTACH_NOT_FOUND: Attach not found (vote.AttachedVote.recall)"
        );
        assert_eq!(
            Error::portal("", "To many entity ids", 400).to_string(),
            "ERROR: To many entity ids"
        );
    }

    #[test]
    fn redaction_covers_description_and_debug() {
        let e = Error::new(
            ErrorKind::Network,
            "Failed to parse URL from https://p/rest/1/s3cr3t/x",
        )
        .redact(&["s3cr3t".into(), String::new()]);
        assert!(!e.description().contains("s3cr3t"));
        assert!(!format!("{e:?}").contains("s3cr3t"));
        assert!(e.description().contains("/rest/1/***/x"));
    }

    #[test]
    fn short_secrets_are_redacted_only_as_whole_tokens() {
        let secrets = ["r".to_owned(), "t".to_owned()];
        assert_eq!(redact("the request failed", &secrets), "the request failed");
        assert_eq!(redact("auth=t&refresh=r", &secrets), "auth=***&refresh=***");
        let long = ["abcdef0123456789".to_owned()];
        assert_eq!(redact("xabcdef0123456789y", &long), "x***y");
    }

    #[test]
    fn portal_codes_are_redacted_and_texts_bounded() {
        let secret = "s3cr3t-token-value".to_owned();
        let echoed = format!("auth={secret}&x=1");
        let e = Error::portal(echoed.clone(), echoed, 400).redact(core::slice::from_ref(&secret));
        assert!(!e.code().contains(&secret));
        assert!(!e.message().contains(&secret));

        let huge = "k".repeat(10_000_000);
        let e = Error::portal(huge.clone(), huge, 400);
        assert!(e.message().len() < 4096, "{}", e.message().len());
        assert!(e.code().ends_with(CUT_MARK));
        assert!(e.description().ends_with(CUT_MARK));
    }
}
