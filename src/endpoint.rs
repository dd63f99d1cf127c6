//! Where requests go: the portal's `/rest/` base from a webhook URL or a
//! domain, with the transport rule (https, or http only to loopback or when
//! explicitly allowed). Secrets in a webhook URL never reach an error text.

use crate::error::{Error, Result};
use crate::prelude::*;

/// The base URL that method names are appended to, e.g.
/// `https://portal.bitrix24.com/rest/1/<code>/` or `https://portal/rest/`.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: String,
    /// The webhook code, to keep out of every error text.
    secret: Option<String>,
}

impl core::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let shown = match &self.secret {
            Some(secret) => crate::error::redact(&self.base, core::slice::from_ref(secret)),
            None => self.base.clone(),
        };
        f.debug_tuple("Endpoint").field(&shown).finish()
    }
}

impl Endpoint {
    /// From an incoming webhook URL, `https://portal/rest/<user>/<code>/`.
    pub fn webhook(url: &str, allow_insecure_http: bool) -> Result<Self> {
        const SHAPE: &str = "a webhook URL looks like https://<portal>/rest/<user id>/<code>/";
        let (origin, path) =
            split_origin(url.trim_ascii()).ok_or_else(|| Error::invalid_argument(SHAPE))?;
        check_transport(&origin, allow_insecure_http)?;
        // `/rest/<user>/<code>`, with or without the slashes around it.
        let path = path.strip_prefix('/').unwrap_or(path);
        let path = path.strip_suffix('/').unwrap_or(path);
        let ("rest", Some(rest)) = split_at_byte(path, b'/') else {
            return Err(Error::invalid_argument(SHAPE));
        };
        let (user, Some(code)) = split_at_byte(rest, b'/') else {
            return Err(Error::invalid_argument(SHAPE));
        };
        if code.bytes().any(|b| b == b'/') {
            return Err(Error::invalid_argument(SHAPE));
        }
        // Digits and letters only: anything else (`?`, `#`, `..`, `%2e`,
        // `\\`, spaces) would change where the request goes.
        let user_ok = !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit());
        let code_ok = !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric());
        if !user_ok || !code_ok {
            return Err(Error::invalid_argument(SHAPE));
        }
        Ok(Endpoint {
            base: format!("{origin}/rest/{user}/{code}/"),
            secret: Some(code.to_owned()),
        })
    }

    /// From a portal domain, with or without a scheme (`portal.bitrix24.com`,
    /// `https://portal.bitrix24.com`); without one, https.
    pub fn domain(domain: &str, allow_insecure_http: bool) -> Result<Self> {
        let domain = domain.trim_ascii();
        let domain = domain.strip_suffix('/').unwrap_or(domain);
        let with_scheme = if crate::error::find(domain, "://").is_some() {
            domain.to_owned()
        } else {
            format!("https://{domain}")
        };
        let (origin, path) = split_origin(&with_scheme).ok_or_else(|| {
            Error::invalid_argument("domain must be a portal host such as portal.bitrix24.com")
        })?;
        if !path.is_empty() && path != "/" && path != "/rest" && path != "/rest/" {
            return Err(Error::invalid_argument(
                "domain must be a portal host such as portal.bitrix24.com, without a path",
            ));
        }
        check_transport(&origin, allow_insecure_http)?;
        Ok(Endpoint {
            base: format!("{origin}/rest/"),
            secret: None,
        })
    }

    /// The URL of a REST method.
    pub fn method_url(&self, method: &str) -> String {
        format!("{}{method}", self.base)
    }

    /// The webhook code, if any: a secret to redact.
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_deref()
    }
}

/// Splits `scheme://host[:port]/path` into the lowercase origin and the path.
fn split_origin(url: &str) -> Option<(String, &str)> {
    let at = crate::error::find(url, "://")?;
    let (scheme, rest) = (url.get(..at)?, url.get(at + 3..)?);
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let end = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#'));
    let (authority, path) = match end {
        Some(at) => (rest.get(..at)?, rest.get(at..)?),
        None => (rest, ""),
    };
    if matches!(path.as_bytes().first(), Some(b'?' | b'#')) {
        return None;
    }
    let host_ok = !authority.is_empty()
        && !authority.contains('@')
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        && port_ok(authority);
    host_ok.then(|| {
        (
            format!("{scheme}://{}", authority.to_ascii_lowercase()),
            path,
        )
    })
}

/// No port, or a port from 1 to 65535 (`host:port`, `[v6]:port`).
fn port_ok(authority: &str) -> bool {
    let after_host = match authority.strip_prefix('[') {
        Some(v6) => match split_at_byte(v6, b']').1 {
            Some(rest) => rest,
            None => return false,
        },
        None => authority,
    };
    match split_at_byte(after_host, b':').1 {
        None => true,
        Some(port) => {
            port.len() <= 5
                && crate::lenient::parse_id(port).is_some_and(|p| (1..=65_535).contains(&p))
        }
    }
}

/// https everywhere; http only to loopback or when the caller allows it.
fn check_transport(origin: &str, allow_insecure_http: bool) -> Result<()> {
    let Some(authority) = origin.strip_prefix("http://") else {
        return Ok(());
    };
    if allow_insecure_http || is_loopback(authority) {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            "only https:// portals are accepted (http:// only for loopback, or with allowInsecureHttp)",
        ))
    }
}

fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => split_at_byte(v6, b']').0,
        None => split_at_byte(authority, b':').0,
    };
    host == "localhost" || host == "::1" || is_ipv4_loopback(host)
}

/// `127.a.b.c` in dotted decimal: four numbers 0 to 255, the first 127.
fn is_ipv4_loopback(host: &str) -> bool {
    let mut octets = 0;
    let mut rest = Some(host);
    while let Some(text) = rest {
        let (part, after) = split_at_byte(text, b'.');
        let octet = (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        let value = part.parse::<u8>().ok().filter(|_| octet);
        if value.is_none() || (octets == 0 && value != Some(127)) {
            return false;
        }
        octets += 1;
        rest = after;
    }
    octets == 4
}

/// `text` up to the first `separator`, and what follows it (if it occurs).
fn split_at_byte(text: &str, separator: u8) -> (&str, Option<&str>) {
    match text.bytes().position(|b| b == separator) {
        Some(at) => (text.get(..at).unwrap_or(text), text.get(at + 1..)),
        None => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls() {
        let hook = Endpoint::webhook("https://Portal.bitrix24.com/rest/1/abc123/", false).unwrap();
        assert_eq!(
            hook.method_url("vote.AttachedVote.recall"),
            "https://portal.bitrix24.com/rest/1/abc123/vote.AttachedVote.recall"
        );
        assert_eq!(hook.secret(), Some("abc123"));
        let no_slash = Endpoint::webhook("https://p.example/rest/7/x", false).unwrap();
        assert_eq!(no_slash.method_url("m"), "https://p.example/rest/7/x/m");
        assert!(Endpoint::webhook("http://127.0.0.1:8390/rest/1/hook1/", false).is_ok());
        assert!(Endpoint::webhook("http://localhost/rest/1/hook1/", false).is_ok());
        assert!(Endpoint::webhook("http://[::1]:80/rest/1/hook1/", false).is_ok());
    }

    #[test]
    fn plain_http_is_refused_unless_loopback_or_allowed() {
        let err = Endpoint::webhook("http://portal.example/rest/1/s3cret/", false).unwrap_err();
        assert_eq!(err.code(), "INVALID_ARGUMENT");
        assert!(!err.to_string().contains("s3cret"));
        assert!(Endpoint::webhook("http://portal.example/rest/1/s3cret/", true).is_ok());
        assert!(Endpoint::webhook("http://127.evil.com/rest/1/x/", false).is_err());
        assert!(Endpoint::webhook("http://127.0.0.256/rest/1/x/", false).is_err());
        assert!(Endpoint::webhook("http://127.1/rest/1/x/", false).is_err());
        assert!(Endpoint::webhook("http://127.0.0.1.evil/rest/1/x/", false).is_err());
        assert!(Endpoint::webhook("http://127.0.0.9:81/rest/1/x/", false).is_ok());
        assert!(Endpoint::domain("http://portal.example", false).is_err());
    }

    #[test]
    fn malformed_webhooks_never_echo_the_url() {
        for url in [
            "portal/rest/1/s3cret/",
            "https://p/rest/one/s3cret/",
            "https://p/rest/1/s3cret/extra/",
            "https://p/rest//s3cret/",
            "https://p/rest/1/s3cret//",
            "https://p/api/1/s3cret/",
            "https://user@p/rest/1/s3cret/",
            "ftp://p/rest/1/s3cret/",
            "https://p/rest/1/s3cret/?x=1",
        ] {
            let err = Endpoint::webhook(url, false).unwrap_err();
            assert_eq!(err.code(), "INVALID_ARGUMENT", "{url}");
            assert!(!err.to_string().contains("s3cret"), "{url}");
        }
    }

    #[test]
    fn webhook_paths_that_would_move_the_request_are_refused() {
        for url in [
            "https://p/rest/1/abc?x=1",
            "https://p/rest/1/abc#x",
            "https://p/rest/1/../",
            "https://p/rest/1/%2e%2e/",
            "https://p/rest/1/a%2Fb/",
            "https://p/rest/1/ab\\c/",
            "https://p\\rest/1/abc/",
            "https://p/rest/1/a b/",
            "https://p/rest/1/a\0b/",
            "https://p/rest/1a/abc/",
            "https://p/rest/1/abc/x/",
            "https://p:0/rest/1/abc/",
            "https://p:70000/rest/1/abc/",
            "https://p:/rest/1/abc/",
            "https://[::1]:99999/rest/1/abc/",
        ] {
            let err = Endpoint::webhook(url, true).unwrap_err();
            assert_eq!(err.code(), "INVALID_ARGUMENT", "{url}");
        }
        assert!(Endpoint::webhook("https://p:65535/rest/1/abc/", false).is_ok());
        assert!(Endpoint::webhook("https://p:1/rest/1/abc/", false).is_ok());
        assert!(Endpoint::domain("p:70000", false).is_err());
    }

    #[test]
    fn domains_with_or_without_scheme() {
        let plain = Endpoint::domain("b24.yurta.bx", false).unwrap();
        assert_eq!(plain.method_url("m"), "https://b24.yurta.bx/rest/m");
        let full = Endpoint::domain("https://portal.bitrix24.com/", false).unwrap();
        assert_eq!(full.method_url("m"), "https://portal.bitrix24.com/rest/m");
        let local = Endpoint::domain("http://127.0.0.1:8390", false).unwrap();
        assert_eq!(local.method_url("m"), "http://127.0.0.1:8390/rest/m");
        assert!(Endpoint::domain("https://p/other/path", false).is_err());
        assert!(Endpoint::domain("", false).is_err());
    }

    #[test]
    fn debug_hides_the_webhook_code() {
        let hook = Endpoint::webhook("https://p.example/rest/1/s3cret/", false).unwrap();
        assert!(!format!("{hook:?}").contains("s3cret"));
    }
}
