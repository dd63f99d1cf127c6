//! Token sources in JS: the app's OAuth `refresh` callback, and the portal
//! frame's SDK, BX24.js (`getAuth()` / `refreshAuth(callback)`) or a
//! @bitrix24/b24jssdk B24Frame (`auth.getAuthData()` / `auth.refreshAuth()`).
//! Every call into them and every read of what they return goes through a
//! catching binding: what throws is `AUTH_REFRESH_FAILED`.

use crate::prelude::*;
use alloc::boxed::Box;
use alloc::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::convert::{ascii_host, get_or_undefined, try_get};
use super::runtime::settle;
use crate::client::auth::{Credentials, CredentialsFuture, TokenSource};
use crate::error::{Error, ErrorKind, Result};

/// The app's `refresh(refreshToken)` callback; `read` turns what its
/// Promise resolves to into tokens.
pub struct OAuthCallback {
    /// The callback.
    pub refresh: Function,
    /// Reads `{ accessToken, refreshToken?, expiresAt? }`.
    pub read: fn(&JsValue) -> Result<Credentials>,
}

impl TokenSource for OAuthCallback {
    fn current(&self) -> Result<Option<Credentials>> {
        Ok(None)
    }

    fn refresh(&self, refresh_token: Option<String>) -> CredentialsFuture {
        let refresh = self.refresh.clone();
        let read = self.read;
        Box::pin(async move {
            let failed = |what: &str, detail: &str| {
                Error::new(
                    ErrorKind::AuthRefreshFailed,
                    format!("refresh {what}: {detail}"),
                )
            };
            let returned = refresh
                .call1(&JsValue::NULL, &refresh_token.unwrap_or_default().into())
                .map_err(|e| failed("threw", &js_text(&e)))?;
            let tokens = settle(returned)
                .await
                .map_err(|e| failed("rejected", &js_text(&e)))?;
            let credentials =
                read(&tokens).map_err(|e| failed("resolved to bad tokens", e.description()))?;
            if credentials.access_token.is_empty() {
                return Err(failed("resolved to bad tokens", "no accessToken"));
            }
            Ok(credentials)
        })
    }
}

/// Which frame SDK.
enum Sdk {
    Bx24(JsValue),
    B24Frame(JsValue),
}

/// A portal frame's SDK; which one is told by its shape.
pub struct FrameSdk(Sdk);

impl FrameSdk {
    /// BX24 (getAuth/refreshAuth) or a B24Frame (auth.getAuthData/refreshAuth).
    pub fn new(sdk: JsValue) -> Result<Rc<Self>> {
        // What the SDK's getters throw is a bad argument, not a crash.
        let read = |value: &JsValue, key: &str| {
            try_get(value, key).map_err(|_| {
                Error::invalid_argument(format!("reading the SDK's {key} threw an exception"))
            })
        };
        let sdk = if read(&sdk, "getAuth")?.is_function()
            && read(&sdk, "refreshAuth")?.is_function()
        {
            Sdk::Bx24(sdk)
        } else {
            let auth = read(&sdk, "auth")?;
            if read(&auth, "getAuthData")?.is_function()
                && read(&auth, "refreshAuth")?.is_function()
            {
                Sdk::B24Frame(sdk)
            } else {
                return Err(Error::invalid_argument(
                    "frame() takes BX24 (getAuth/refreshAuth) or a B24Frame (auth.getAuthData/auth.refreshAuth)",
                ));
            }
        };
        Ok(Rc::new(FrameSdk(sdk)))
    }
}

impl TokenSource for FrameSdk {
    fn current(&self) -> Result<Option<Credentials>> {
        let data = match &self.0 {
            Sdk::Bx24(sdk) => call_method(sdk, "getAuth", None)?,
            Sdk::B24Frame(sdk) => call_method(&sdk_field(sdk, "auth")?, "getAuthData", None)?,
        };
        frame_credentials(&data).map(Some)
    }

    fn refresh(&self, _refresh_token: Option<String>) -> CredentialsFuture {
        match &self.0 {
            Sdk::Bx24(sdk) => {
                // refreshAuth(callback): the callback style as a Promise.
                let mut thrown = None;
                let promise = Promise::new(&mut |resolve, _reject| {
                    thrown = call_method(sdk, "refreshAuth", Some(&resolve)).err();
                });
                Box::pin(async move {
                    if let Some(error) = thrown {
                        return Err(error);
                    }
                    let data = JsFuture::from(promise).await.map_err(refresh_rejected)?;
                    frame_credentials(&data)
                })
            }
            Sdk::B24Frame(sdk) => {
                let returned =
                    sdk_field(sdk, "auth").and_then(|auth| call_method(&auth, "refreshAuth", None));
                Box::pin(async move {
                    let data = settle(returned?).await.map_err(refresh_rejected)?;
                    frame_credentials(&data)
                })
            }
        }
    }
}

/// `{ access_token, domain, refresh_token }` from a frame SDK; `false` (no
/// valid token right now) reads as an empty token. The domain is given in
/// ASCII, converted by the platform's URL parser.
fn frame_credentials(data: &JsValue) -> Result<Credentials> {
    if !data.is_object() {
        return Ok(Credentials {
            domain: Some(String::new()),
            ..Credentials::default()
        });
    }
    let text = |key: &str| sdk_field(data, key).map(|value| value.as_string());
    let access_token = text("access_token")?.unwrap_or_default();
    let domain = text("domain")?.unwrap_or_default();
    let refresh_token = text("refresh_token")?;
    Ok(Credentials {
        access_token,
        refresh_token,
        expires_at: None,
        domain: Some(ascii_host(&domain)?),
    })
}

/// `target[name](...args)`, with a thrown exception as an error.
fn call_method(target: &JsValue, name: &str, arg: Option<&JsValue>) -> Result<JsValue> {
    let function: Function = sdk_field(target, name)?
        .dyn_into()
        .map_err(|_| Error::invalid_argument(format!("the SDK has no {name}()")))?;
    let called = match arg {
        Some(arg) => function.call1(target, arg),
        None => function.call0(target),
    };
    called.map_err(|e| {
        Error::new(
            ErrorKind::AuthRefreshFailed,
            format!("{name}() threw: {}", js_text(&e)),
        )
    })
}

fn refresh_rejected(error: JsValue) -> Error {
    Error::new(
        ErrorKind::AuthRefreshFailed,
        format!("the refresh was rejected: {}", js_text(&error)),
    )
}

/// `target[key]` of a frame SDK's object or of what it returned; a throwing
/// getter fails the auth step instead of throwing through wasm.
fn sdk_field(target: &JsValue, key: &str) -> Result<JsValue> {
    try_get(target, key).map_err(|e| {
        Error::new(
            ErrorKind::AuthRefreshFailed,
            format!("reading the frame SDK's {key} threw: {}", js_text(&e)),
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
