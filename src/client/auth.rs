//! How a client authenticates: a webhook (code in the URL path), an OAuth
//! token (in the body, refreshed through the app's callback), or the
//! portal frame's SDK (BX24.js or @bitrix24/b24jssdk, refreshed by the
//! parent window). Concurrent calls that find the token expired share one
//! refresh.

use crate::prelude::*;
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::wasm::convert::{get_or_undefined, try_get};
use crate::wasm::runtime::{now_ms, promise_of, race, settle, sleep, First};

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

/// The app's way to trade a refresh token for a new pair.
pub type RefreshFn = Rc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<TokenSet>>>>>;

/// Where tokens come from.
pub enum TokenSource {
    /// Tokens the app holds; refreshed through its callback, if any.
    OAuth(Option<RefreshFn>),
    /// BX24.js: `getAuth()` / `refreshAuth(callback)`.
    Bx24(JsValue),
    /// @bitrix24/b24jssdk B24Frame: `auth.getAuthData()` / `auth.refreshAuth()`.
    B24Frame(JsValue),
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
    /// `auth=` for the body, if any.
    pub token: Option<String>,
    /// Which token this is, so a 401 refreshes only a stale one.
    pub generation: u64,
}

/// Token state shared by all calls of one client.
pub struct TokenAuth {
    source: TokenSource,
    allow_insecure_http: bool,
    state: RefCell<TokenState>,
    pending: RefCell<Option<Promise>>,
    last_error: RefCell<Option<Error>>,
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
    /// OAuth tokens for `domain`.
    pub fn oauth(
        domain: &str,
        tokens: TokenSet,
        refresh: Option<RefreshFn>,
        allow_insecure_http: bool,
    ) -> Result<Self> {
        if tokens.access_token.is_empty() {
            return Err(Error::invalid_argument("accessToken must not be empty"));
        }
        let state = TokenState {
            endpoint: Some(Endpoint::domain(
                &crate::wasm::convert::ascii_host(domain)?,
                allow_insecure_http,
            )?),
            access: tokens.access_token,
            refresh: tokens.refresh_token,
            expires_at_ms: tokens.expires_at.map(|s| s * 1000.0),
            generation: 0,
        };
        Ok(Self::new(
            TokenSource::OAuth(refresh),
            state,
            allow_insecure_http,
        ))
    }

    /// The SDK of a portal frame; which one is told by its shape.
    pub fn frame(sdk: JsValue, allow_insecure_http: bool) -> Result<Self> {
        // What the SDK's getters throw is a bad argument, not a crash.
        let read = |value: &JsValue, key: &str| {
            try_get(value, key).map_err(|_| {
                Error::invalid_argument(crate::concat(&[
                    "reading the SDK's ",
                    key,
                    " threw an exception",
                ]))
            })
        };
        let source = if read(&sdk, "getAuth")?.is_function()
            && read(&sdk, "refreshAuth")?.is_function()
        {
            TokenSource::Bx24(sdk)
        } else {
            let auth = read(&sdk, "auth")?;
            if read(&auth, "getAuthData")?.is_function()
                && read(&auth, "refreshAuth")?.is_function()
            {
                TokenSource::B24Frame(sdk)
            } else {
                return Err(Error::invalid_argument(
                    "frame() takes BX24 (getAuth/refreshAuth) or a B24Frame (auth.getAuthData/auth.refreshAuth)",
                ));
            }
        };
        Ok(Self::new(
            source,
            TokenState::default(),
            allow_insecure_http,
        ))
    }

    fn new(source: TokenSource, state: TokenState, allow_insecure_http: bool) -> Self {
        TokenAuth {
            source,
            allow_insecure_http,
            state: RefCell::new(state),
            pending: RefCell::new(None),
            last_error: RefCell::new(None),
        }
    }

    /// Whether a 401 `expired_token` can be answered with a refresh.
    pub fn can_refresh(&self) -> bool {
        !matches!(self.source, TokenSource::OAuth(None))
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
    pub async fn session(self: &Rc<Self>) -> Result<Session> {
        match &self.source {
            TokenSource::OAuth(_) => {
                let (expired, generation) = {
                    let state = self.state.borrow();
                    let expired = state.expires_at_ms.is_some_and(|at| at <= now_ms());
                    (expired, state.generation)
                };
                if expired && self.can_refresh() {
                    self.refresh(generation).await?;
                }
            }
            TokenSource::Bx24(sdk) => {
                let data = call_method(sdk, "getAuth", None)?;
                self.adopt_frame_auth(&data, true)?;
            }
            TokenSource::B24Frame(sdk) => {
                let data = call_method(&sdk_field(sdk, "auth")?, "getAuthData", None)?;
                self.adopt_frame_auth(&data, true)?;
            }
        }
        if self.state.borrow().access.is_empty() {
            let generation = self.state.borrow().generation;
            self.refresh(generation).await?;
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
            token: Some(state.access.clone()),
            generation: state.generation,
        })
    }

    /// Refreshes the token unless another call already replaced
    /// `stale_generation`; concurrent callers share one refresh.
    pub async fn refresh(self: &Rc<Self>, stale_generation: u64) -> Result<()> {
        if self.state.borrow().generation != stale_generation {
            return Ok(());
        }
        let existing = self.pending.borrow().clone();
        let promise = existing.unwrap_or_else(|| {
            let auth = Rc::clone(self);
            let promise = promise_of(Box::pin(async move {
                let outcome = auth.run_refresh().await;
                auth.pending.borrow_mut().take();
                match outcome {
                    Ok(()) => Ok(JsValue::UNDEFINED),
                    Err(error) => {
                        auth.last_error.borrow_mut().replace(error);
                        Err(JsValue::NULL)
                    }
                }
            }));
            self.pending.borrow_mut().replace(promise.clone());
            promise
        });
        match JsFuture::from(promise).await {
            Ok(_) => Ok(()),
            Err(_) => Err(self.last_error.borrow().clone().unwrap_or_else(|| {
                Error::new(ErrorKind::AuthRefreshFailed, "the token refresh failed")
            })),
        }
    }

    async fn run_refresh(&self) -> Result<()> {
        let work = Box::pin(self.fetch_new_tokens());
        let outcome = match race(work, sleep(REFRESH_TIMEOUT_MS)).await {
            First::Left(outcome) => outcome,
            First::Right(()) => Err(Error::new(
                ErrorKind::AuthRefreshFailed,
                "the token refresh did not answer within 10 s",
            )),
        };
        outcome.map_err(|e| {
            let description = crate::error::redact(e.description(), &self.secrets());
            Error::new(ErrorKind::AuthRefreshFailed, description)
        })
    }

    async fn fetch_new_tokens(&self) -> Result<()> {
        match &self.source {
            TokenSource::OAuth(None) => Err(Error::new(
                ErrorKind::AuthRefreshFailed,
                "the token expired and no refresh callback was given",
            )),
            TokenSource::OAuth(Some(refresh)) => {
                let refresh_token = self.state.borrow().refresh.clone().unwrap_or_default();
                let tokens = refresh(refresh_token).await?;
                if tokens.access_token.is_empty() {
                    return Err(Error::new(
                        ErrorKind::AuthRefreshFailed,
                        "refresh gave no accessToken",
                    ));
                }
                let mut state = self.state.borrow_mut();
                state.access = tokens.access_token;
                if tokens.refresh_token.is_some() {
                    state.refresh = tokens.refresh_token;
                }
                state.expires_at_ms = tokens.expires_at.map(|s| s * 1000.0);
                state.generation += 1;
                Ok(())
            }
            TokenSource::Bx24(sdk) => {
                // refreshAuth(callback): wrap the callback style in a Promise.
                let mut thrown = None;
                let promise = Promise::new(&mut |resolve, _reject| {
                    thrown = call_method(sdk, "refreshAuth", Some(&resolve)).err();
                });
                if let Some(error) = thrown {
                    return Err(error);
                }
                let data = JsFuture::from(promise).await.map_err(refresh_rejected)?;
                self.adopt_frame_auth(&data, false)
            }
            TokenSource::B24Frame(sdk) => {
                let returned = call_method(&sdk_field(sdk, "auth")?, "refreshAuth", None)?;
                let data = settle(returned).await.map_err(refresh_rejected)?;
                self.adopt_frame_auth(&data, false)
            }
        }
    }

    /// Takes `{access_token, domain, refresh_token}` from a frame SDK. With
    /// `lenient`, `false` (no valid token right now) is not an error.
    fn adopt_frame_auth(&self, data: &JsValue, lenient: bool) -> Result<()> {
        // Every read of the SDK's object happens before the state is
        // borrowed: a getter may run arbitrary JS, even call this client.
        let access = sdk_field(data, "access_token")?
            .as_string()
            .unwrap_or_default();
        if access.is_empty() {
            return if lenient {
                self.state.borrow_mut().access.clear();
                Ok(())
            } else {
                Err(Error::new(
                    ErrorKind::AuthRefreshFailed,
                    "the frame gave no access_token",
                ))
            };
        }
        let domain = sdk_field(data, "domain")?.as_string().unwrap_or_default();
        let refresh = sdk_field(data, "refresh_token")?.as_string();
        let endpoint = if domain.is_empty() {
            None
        } else {
            Some(Endpoint::domain(
                &crate::wasm::convert::ascii_host(&domain)?,
                self.allow_insecure_http,
            )?)
        };
        let mut state = self.state.borrow_mut();
        if state.access != access {
            state.generation += 1;
        }
        if endpoint.is_some() {
            state.endpoint = endpoint;
        }
        state.access = access;
        state.refresh = refresh;
        Ok(())
    }
}

/// `target[name](...args)`, with a thrown exception as an error.
fn call_method(target: &JsValue, name: &str, arg: Option<&JsValue>) -> Result<JsValue> {
    let function: Function = sdk_field(target, name)?
        .dyn_into()
        .map_err(|_| ())
        .ok()
        .ok_or_else(|| Error::invalid_argument(crate::concat(&["the SDK has no ", name, "()"])))?;
    let called = match arg {
        Some(arg) => function.call1(target, arg),
        None => function.call0(target),
    };
    called.map_err(|e| {
        Error::new(
            ErrorKind::AuthRefreshFailed,
            crate::concat(&[name, "() threw: ", &js_text(&e)]),
        )
    })
}

fn refresh_rejected(error: JsValue) -> Error {
    Error::new(
        ErrorKind::AuthRefreshFailed,
        crate::concat(&["the refresh was rejected: ", &js_text(&error)]),
    )
}

/// `target[key]` of a frame SDK's object or of what it returned; a throwing
/// getter fails the auth step instead of throwing through wasm.
fn sdk_field(target: &JsValue, key: &str) -> Result<JsValue> {
    try_get(target, key).map_err(|e| {
        Error::new(
            ErrorKind::AuthRefreshFailed,
            crate::concat(&["reading the frame SDK's ", key, " threw: ", &js_text(&e)]),
        )
    })
}

/// The message of a thrown JS value.
pub fn js_text(value: &JsValue) -> String {
    get_or_undefined(value, "message")
        .as_string()
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
