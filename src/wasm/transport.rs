//! One HTTP request: a form POST through the global `fetch`, aborted if the
//! future is dropped (timeout, caller abort, or a lost race).
//!
//! Bound straight to `fetch` rather than through gloo-net: the wrapper's
//! request builder and the `http` crate it brings cost about 4 KB of the
//! gzipped package for one POST.

use crate::prelude::*;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestInit, Response};

use super::convert::js_string_to_rust;
use crate::error::{Error, ErrorKind, Result};

/// A form body is a CORS-safelisted content type: no preflight.
const FORM: &str = "application/x-www-form-urlencoded";

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` of pages, iframes, workers and Node 18+.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(url: &str, init: &RequestInit) -> core::result::Result<Promise, JsValue>;
}

/// Status and body of a response.
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The whole body, as text.
    pub body: String,
}

struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}

/// POSTs `body` as a form to `url`; any status is a `Reply`, only a failed
/// fetch (or a body cut off mid-stream) is an error.
pub async fn post_form(url: &str, body: String) -> Result<Reply> {
    let guard = AbortOnDrop(AbortController::new().ok());
    let init = RequestInit::new();
    init.set_method("POST");
    let headers = Object::new();
    // Setting a property on a fresh object cannot fail.
    let _ = Reflect::set(&headers, &"Content-Type".into(), &FORM.into());
    init.set_headers(&headers);
    init.set_body(&body.into());
    if let Some(controller) = &guard.0 {
        init.set_signal(Some(&controller.signal()));
    }
    let sent = global_fetch(url, &init).map_err(network)?;
    let response: Response = JsFuture::from(sent)
        .await
        .map_err(network)?
        .unchecked_into();
    let status = response.status();
    let text = response.text().map_err(network)?;
    let text = JsFuture::from(text)
        .await
        .map_err(|e| network(e).with_status(status))?;
    let body = text
        .dyn_ref::<js_sys::JsString>()
        .map(js_string_to_rust)
        .unwrap_or_default();
    Ok(Reply { status, body })
}

/// A fetch failure as `NETWORK_ERROR`, with the host's `name: message`.
fn network(error: JsValue) -> Error {
    let mut text = String::from("the request failed");
    for key in ["name", "message"] {
        if let Some(part) = super::convert::get(&error, key).as_string() {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    Error::new(ErrorKind::Network, text)
}
