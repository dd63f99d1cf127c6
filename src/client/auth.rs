//! How a client authenticates: a webhook (code in the URL path), or a token
//! sent in the body, which comes from a [`TokenSource`]: the app's OAuth
//! refresh callback, or the portal frame's SDK (BX24.js or
//! @bitrix24/b24jssdk, refreshed by the parent window). Concurrent calls
//! that find the token expired share one refresh.

use crate::prelude::*;
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::Pin;
use core::task::{Poll, Waker};

use crate::endpoint::Endpoint;
use crate::error::{redact, Error, ErrorKind, Result};
use crate::host::{race, First, Host};

/// How long a refresh may take before the call gives up on it; the JS
/// SDK's own frame refresh uses the same bound.
pub const REFRESH_TIMEOUT_MS: f64 = 10_000.0;

/// A new token pair, as a refresh callback returns it.
#[derive(Clone)]
pub struct TokenSet {
    /// The new access token.
    pub access_token: String,
    /// The new refresh token (the portal rotates them), if sent.
    pub refresh_token: Option<String>,
    /// Expiry, unix seconds, if known.
    pub expires_at: Option<f64>,
}

impl core::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What a token source hands over: tokens, and for a frame the portal's
/// domain (already in ASCII).
#[derive(Clone, Default)]
pub struct Credentials {
    /// The access token; empty when the source holds no valid one.
    pub access_token: String,
    /// The refresh token, if any.
    pub refresh_token: Option<String>,
    /// Expiry, unix seconds, if known.
    pub expires_at: Option<f64>,
    /// The portal, for a frame (`portal.bitrix24.com`), if given.
    pub domain: Option<String>,
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_token", &"***")
            .field("domain", &self.domain)
            .finish()
    }
}

/// A boxed future of new credentials.
pub type CredentialsFuture = Pin<Box<dyn Future<Output = Result<Credentials>>>>;

/// Where tokens come from, besides the ones the client was created with.
pub trait TokenSource {
    /// The credentials the source holds right now, read before every
    /// attempt (a frame SDK's `getAuth()`), or `None` when the source only
    /// answers refreshes (an OAuth callback).
    fn current(&self) -> Result<Option<Credentials>>;

    /// Trades `refresh_token` for new credentials.
    fn refresh(&self, refresh_token: Option<String>) -> CredentialsFuture;
}

/// The client's credentials.
pub enum Auth {
    /// An incoming webhook: nothing to send but the URL.
    Webhook(Endpoint),
    /// A token sent as `auth` in the body.
    Token(Rc<TokenAuth>),
}

/// What one attempt sends with.
pub struct Session {
    /// Where the request goes.
    pub endpoint: Endpoint,
    /// `auth=` for the body.
    pub token: String,
    /// Which token this is, so a 401 refreshes only a stale one.
    pub generation: u64,
}

/// Token state shared by all calls of one client.
pub struct TokenAuth {
    source: Option<Rc<dyn TokenSource>>,
    allow_insecure_http: bool,
    state: RefCell<TokenState>,
    refresh: SharedRefresh,
}

#[derive(Default)]
struct TokenState {
    endpoint: Option<Endpoint>,
    access: String,
    refresh: Option<String>,
    expires_at_ms: Option<f64>,
    generation: u64,
}

impl TokenAuth {
    /// OAuth tokens for `domain` (ASCII); `source` refreshes them, if given.
    pub fn oauth(
        domain: &str,
        tokens: TokenSet,
        source: Option<Rc<dyn TokenSource>>,
        allow_insecure_http: bool,
    ) -> Result<Self> {
        if tokens.access_token.is_empty() {
            return Err(Error::invalid_argument("accessToken must not be empty"));
        }
        let state = TokenState {
            endpoint: Some(Endpoint::domain(domain, allow_insecure_http)?),
            access: tokens.access_token,
            refresh: tokens.refresh_token,
            expires_at_ms: tokens.expires_at.map(|s| s * 1000.0),
            generation: 0,
        };
        Ok(Self::new(source, state, allow_insecure_http))
    }

    /// A frame SDK: tokens and domain come from `source` before each attempt.
    pub fn frame(source: Rc<dyn TokenSource>, allow_insecure_http: bool) -> Self {
        Self::new(Some(source), TokenState::default(), allow_insecure_http)
    }

    fn new(
        source: Option<Rc<dyn TokenSource>>,
        state: TokenState,
        allow_insecure_http: bool,
    ) -> Self {
        TokenAuth {
            source,
            allow_insecure_http,
            state: RefCell::new(state),
            refresh: SharedRefresh::default(),
        }
    }

    /// Whether a 401 `expired_token` can be answered with a refresh.
    pub fn can_refresh(&self) -> bool {
        self.source.is_some()
    }

    /// The tokens in use, to keep out of every error text.
    pub fn secrets(&self) -> Vec<String> {
        let state = self.state.borrow();
        let mut secrets = vec![state.access.clone()];
        secrets.extend(state.refresh.clone());
        secrets
    }

    /// The credentials for the next attempt; refreshes first when the token
    /// is known to have expired (or the frame has none yet).
    pub async fn session<H: Host>(self: &Rc<Self>, host: &H) -> Result<Session> {
        let current = match &self.source {
            Some(source) => source.current()?,
            None => None,
        };
        match current {
            Some(credentials) => self.adopt(credentials, true)?,
            None => {
                let (expired, generation) = {
                    let state = self.state.borrow();
                    let expired = state.expires_at_ms.is_some_and(|at| at <= host.now_ms());
                    (expired, state.generation)
                };
                if expired && self.can_refresh() {
                    self.refresh(host, generation).await?;
                }
            }
        }
        if self.state.borrow().access.is_empty() {
            let generation = self.state.borrow().generation;
            self.refresh(host, generation).await?;
        }
        let state = self.state.borrow();
        let endpoint = state.endpoint.clone().ok_or_else(|| {
            Error::new(
                ErrorKind::AuthRefreshFailed,
                "the frame gave no portal domain",
            )
        })?;
        Ok(Session {
            endpoint,
            token: state.access.clone(),
            generation: state.generation,
        })
    }

    /// Refreshes the token unless another call already replaced
    /// `stale_generation`; concurrent callers share one refresh.
    pub async fn refresh<H: Host>(self: &Rc<Self>, host: &H, stale_generation: u64) -> Result<()> {
        loop {
            if self.state.borrow().generation != stale_generation {
                return Ok(());
            }
            match self.refresh.join() {
                Turn::Wait(finished_before) => {
                    self.refresh.wait().await;
                    if self.state.borrow().generation != stale_generation {
                        return Ok(());
                    }
                    // The refresh this call waited for failed: its error.
                    // (If it was cancelled instead, take a turn.)
                    if let Some(error) = self.refresh.failure_since(finished_before) {
                        return Err(error);
                    }
                }
                Turn::Run(turn) => {
                    let outcome = self.run_refresh(host).await;
                    turn.finish(outcome.as_ref().err().cloned());
                    return outcome;
                }
            }
        }
    }

    async fn run_refresh<H: Host>(&self, host: &H) -> Result<()> {
        let Some(source) = &self.source else {
            return Err(Error::new(
                ErrorKind::AuthRefreshFailed,
                "the token expired and no refresh callback was given",
            ));
        };
        let refresh_token = self.state.borrow().refresh.clone();
        let work = source.refresh(refresh_token);
        let timeout = Box::pin(host.sleep(REFRESH_TIMEOUT_MS));
        let outcome = match race(work, timeout).await {
            First::Left(outcome) => outcome,
            First::Right(()) => Err(Error::new(
                ErrorKind::AuthRefreshFailed,
                "the token refresh did not answer within 10 s",
            )),
        };
        let credentials = outcome.map_err(|e| {
            Error::new(
                ErrorKind::AuthRefreshFailed,
                redact(e.description(), &self.secrets()),
            )
        })?;
        self.adopt(credentials, false)
    }

    /// Takes new credentials. With `lenient`, an empty token (none valid
    /// right now) is not an error: the next step refreshes.
    fn adopt(&self, credentials: Credentials, lenient: bool) -> Result<()> {
        if credentials.access_token.is_empty() {
            return if lenient {
                self.state.borrow_mut().access.clear();
                Ok(())
            } else {
                Err(Error::new(
                    ErrorKind::AuthRefreshFailed,
                    "the refresh gave no access token",
                ))
            };
        }
        let endpoint = match credentials.domain.as_deref() {
            Some(domain) if !domain.is_empty() => {
                Some(Endpoint::domain(domain, self.allow_insecure_http)?)
            }
            _ => None,
        };
        // Only a frame says which portal it is on; it also says exactly
        // which refresh token it holds now, while a refresh callback may
        // keep the old one by leaving it out.
        let from_frame = credentials.domain.is_some();
        let mut state = self.state.borrow_mut();
        if state.access != credentials.access_token {
            state.generation += 1;
        }
        if endpoint.is_some() {
            state.endpoint = endpoint;
        }
        state.access = credentials.access_token;
        if from_frame {
            state.refresh = credentials.refresh_token;
        } else {
            if credentials.refresh_token.is_some() {
                state.refresh = credentials.refresh_token;
            }
            state.expires_at_ms = credentials.expires_at.map(|s| s * 1000.0);
        }
        Ok(())
    }
}

/// One refresh at a time, shared: the first caller runs it, the others wait
/// for it to finish and then see the new token (or its error). If the
/// caller running it is cancelled, a waiting one takes over.
#[derive(Default)]
struct SharedRefresh {
    running: Cell<bool>,
    /// Refreshes finished so far, and the error of the last one.
    finished: Cell<u64>,
    last_error: RefCell<Option<Error>>,
    waiters: RefCell<Vec<Waker>>,
}

enum Turn<'a> {
    /// Another call is refreshing; `finished` refreshes had ended before.
    Wait(u64),
    /// This call refreshes; the guard ends its turn, even if dropped.
    Run(RefreshTurn<'a>),
}

impl SharedRefresh {
    fn join(&self) -> Turn<'_> {
        if self.running.get() {
            Turn::Wait(self.finished.get())
        } else {
            self.running.set(true);
            Turn::Run(RefreshTurn {
                shared: self,
                done: false,
            })
        }
    }

    /// Resolves when no refresh is running.
    fn wait(&self) -> impl Future<Output = ()> + '_ {
        core::future::poll_fn(move |cx| {
            if self.running.get() {
                let mut waiters = self.waiters.borrow_mut();
                // Polled again before the refresh ended: one waker is enough.
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
    }

    /// The error of a refresh that finished after `before`, if it failed.
    fn failure_since(&self, before: u64) -> Option<Error> {
        if self.finished.get() > before {
            self.last_error.borrow().clone()
        } else {
            None
        }
    }

    fn end(&self) {
        self.running.set(false);
        for waker in self.waiters.borrow_mut().drain(..) {
            waker.wake();
        }
    }
}

/// A call's turn to refresh.
struct RefreshTurn<'a> {
    shared: &'a SharedRefresh,
    done: bool,
}

impl RefreshTurn<'_> {
    fn finish(mut self, error: Option<Error>) {
        self.shared.finished.set(self.shared.finished.get() + 1);
        self.shared.last_error.replace(error);
        self.done = true;
        self.shared.end();
    }
}

impl Drop for RefreshTurn<'_> {
    fn drop(&mut self) {
        // Cancelled mid-refresh: no result, let a waiting call run it.
        if !self.done {
            self.shared.end();
        }
    }
}
