//! Authentication: webhooks `/rest/<user>/hook<user>/`, OAuth access tokens in the
//! `auth` parameter, and refresh tokens for `/oauth/token/` (fact sheet §3.1, §5).

use crate::util;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The default lifetime of access tokens issued by a refresh (fact sheet §5: 1 hour).
pub const DEFAULT_TTL: i64 = 3600;
/// The longest lifetime the admin API issues: ten years.
pub const MAX_TTL: i64 = 10 * 365 * 86_400;

/// The portal's `member_id` (its id towards apps).
pub const MEMBER_ID: &str = "b24portal0000000000000000000000e";

/// Who a request runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// `/rest/<user>/<code>/…`
    Webhook(u64),
    /// `/rest/…?auth=<token>`
    OAuth(u64),
}

impl Identity {
    /// The user the call runs as.
    pub fn user(&self) -> u64 {
        match self {
            Identity::Webhook(u) | Identity::OAuth(u) => *u,
        }
    }

    /// The key the operating limit is counted under ("per app or webhook").
    pub fn caller_key(&self) -> String {
        match self {
            Identity::Webhook(u) => format!("webhook:{u}"),
            Identity::OAuth(u) => format!("app:{u}"),
        }
    }
}

/// Why authentication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `auth` parameter: 401 `NO_AUTH_FOUND`.
    Missing,
    /// Unknown token or webhook code: 401 `INVALID_CREDENTIALS`.
    Invalid,
    /// Expired access token: 401 `expired_token`.
    Expired,
}

#[derive(Debug, Clone)]
struct AccessToken {
    user: u64,
    expires_at: i64,
}

#[derive(Debug, Clone)]
struct RefreshToken {
    user: u64,
    ttl: i64,
}

/// A freshly issued token pair.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: i64,
    pub expires_in: i64,
    pub user: u64,
}

/// Access and refresh tokens.
#[derive(Debug, Default)]
pub struct Tokens {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
}

impl Tokens {
    /// Issues a pair. `ttl` 0 gives an already-expired access token; access tokens
    /// later issued by refreshing this pair live `refresh_ttl` seconds. Lifetimes are
    /// clamped to `0..=MAX_TTL` (the admin API refuses others).
    pub fn issue(&mut self, user: u64, ttl: i64, refresh_ttl: i64, now: i64) -> Issued {
        let access_token = util::fresh_token("access");
        let refresh_token = util::fresh_token("refresh");
        let ttl = ttl.clamp(0, MAX_TTL);
        let expires_at = now.saturating_add(ttl);
        self.access
            .insert(access_token.clone(), AccessToken { user, expires_at });
        self.refresh.insert(
            refresh_token.clone(),
            RefreshToken {
                user,
                ttl: refresh_ttl,
            },
        );
        Issued {
            access_token,
            refresh_token,
            expires_at,
            expires_in: ttl,
            user,
        }
    }

    /// Checks an access token.
    pub fn check(&self, token: &str, now: i64) -> Result<u64, AuthError> {
        match self.access.get(token) {
            None => Err(AuthError::Invalid),
            Some(t) if t.expires_at <= now => Err(AuthError::Expired),
            Some(t) => Ok(t.user),
        }
    }

    /// Uses a refresh token (single use) for a new pair with a rotated refresh token.
    pub fn refresh(&mut self, refresh_token: &str, now: i64) -> Option<Issued> {
        let old = self.refresh.remove(refresh_token)?;
        Some(self.issue(old.user, old.ttl, old.ttl, now))
    }

    /// Forgets every token.
    pub fn clear(&mut self) {
        self.access.clear();
        self.refresh.clear();
    }
}

/// The `/oauth/token/` answer (fact sheet §5).
pub fn token_response(issued: &Issued, base_url: &str) -> Value {
    let host = base_url
        .strip_prefix("http://")
        .unwrap_or(base_url)
        .to_string();
    json!({
        "access_token": issued.access_token,
        "client_endpoint": format!("{base_url}/rest/"),
        "domain": host,
        "expires": issued.expires_at,
        "expires_in": issued.expires_in,
        "member_id": MEMBER_ID,
        "refresh_token": issued.refresh_token,
        "scope": "vote,im",
        "server_endpoint": format!("{base_url}/rest/"),
        "status": "L",
        "user_id": issued.user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_check_refresh() {
        let mut t = Tokens::default();
        let a = t.issue(2, 0, 3600, 100);
        assert_eq!(t.check(&a.access_token, 100), Err(AuthError::Expired));
        assert_eq!(t.check("nope", 100), Err(AuthError::Invalid));
        let b = t.refresh(&a.refresh_token, 100).unwrap();
        assert_eq!(t.check(&b.access_token, 100), Ok(2));
        assert_ne!(a.refresh_token, b.refresh_token);
        assert!(t.refresh(&a.refresh_token, 100).is_none());
        let huge = t.issue(1, i64::MAX, i64::MAX, i64::MAX - 1);
        assert_eq!((huge.expires_in, huge.expires_at), (MAX_TTL, i64::MAX));
        assert!(t.refresh(&huge.refresh_token, i64::MAX).is_some());
    }
}
