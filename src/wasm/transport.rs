//! One HTTP request: a form POST through gloo-net (the global `fetch` of
//! pages, iframes, workers and Node 18+), aborted if the future is dropped
//! (timeout, caller abort, or a lost race).

use crate::prelude::*;
use gloo_net::http::{Request, Response};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestRedirect, ResponseType};

use super::convert::get_or_undefined;
use crate::error::{Error, ErrorKind, Result};
use crate::host::Reply;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, bound with catch.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(request: &web_sys::Request) -> core::result::Result<js_sys::Promise, JsValue>;
}

/// A form body is a CORS-safelisted content type: no preflight.
const FORM: &str = "application/x-www-form-urlencoded";

/// Aborts the fetch when dropped. The library's own controller, never the
/// caller's signal: an abort reason of the caller's choosing would reach
/// gloo-net as a rejection that is not an `Error`.
struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}

/// POSTs `body` as a form to `url`; any status but a redirect is a `Reply`.
/// Redirects are never followed: the body carries the token, and it goes
/// only to the portal's own origin. Bodies over `max_bytes` are refused
/// (by `Content-Length` up front, by counting while streaming otherwise).
pub async fn post_form(url: &str, body: String, max_bytes: u64) -> Result<Reply> {
    let guard = AbortOnDrop(AbortController::new().ok());
    let signal = guard.0.as_ref().map(AbortController::signal);
    let request = Request::post(url)
        .header("Content-Type", FORM)
        .redirect(RequestRedirect::Manual)
        .abort_signal(signal.as_ref())
        .body(body)
        .map_err(gloo_network)?;
    // Sent through a catching binding of `fetch` rather than gloo-net's
    // `send`, which keeps only `name: message` of a failure: Node says why
    // a fetch failed only in the error's `cause`.
    let sent = global_fetch(&web_sys::Request::from(request)).map_err(network)?;
    let response: Response = JsFuture::from(sent)
        .await
        .map_err(network)?
        .dyn_into::<web_sys::Response>()
        .map_err(network)?
        .into();
    let status = response.status();
    if response.type_() == ResponseType::Opaqueredirect || (300..400).contains(&status) {
        let location = response.headers().get("location");
        return Err(redirect_refused(status, location.as_deref()));
    }
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|length| crate::lenient::parse_id(length.trim_ascii()));
    if declared.is_some_and(|length| length > max_bytes) {
        return Err(too_large(max_bytes).with_status(status));
    }
    let bytes = read_body(&response, max_bytes)
        .await
        .map_err(|e| e.with_status(status))?;
    // The body is read: the guard's abort would change nothing now.
    drop(guard);
    let body = String::from_utf8(bytes)
        .map_err(|_| Error::decode("the response is not UTF-8 text").with_status(status))?;
    Ok(Reply { status, body })
}

/// The body's bytes, counted chunk by chunk: over `max_bytes`, reading
/// stops and the caller's drop of the fetch guard closes the connection.
async fn read_body(response: &Response, max_bytes: u64) -> Result<Vec<u8>> {
    let Some(stream) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(network)?;
        if get_or_undefined(&chunk, "done").as_bool() == Some(true) {
            return Ok(bytes);
        }
        let Some(chunk) = get_or_undefined(&chunk, "value")
            .dyn_into::<Uint8Array>()
            .ok()
        else {
            return Err(network(JsValue::UNDEFINED));
        };
        let length = chunk.length() as usize;
        if (bytes.len() + length) as u64 > max_bytes {
            // Stop the stream; what it returns is of no interest.
            let _ = reader.cancel();
            return Err(too_large(max_bytes));
        }
        let start = bytes.len();
        bytes.resize(start + length, 0);
        if let Some(tail) = bytes.get_mut(start..) {
            chunk.copy_to(tail);
        }
    }
}

fn too_large(max_bytes: u64) -> Error {
    Error::new(
        ErrorKind::ResponseTooLarge,
        format!("the response is larger than maxResponseBytes ({max_bytes} bytes)"),
    )
}

/// A redirect, refused. Where the platform shows the target, the error
/// names its origin (never its path or query, which may carry secrets),
/// so that the user can fix the portal address.
fn redirect_refused(status: u16, location: Option<&str>) -> Error {
    let target = match location.and_then(origin_of) {
        Some(origin) => format!(" (it points to {origin}; check the portal address)"),
        None => String::new(),
    };
    let text = format!("the portal answered with a redirect, which is not followed{target}");
    Error::new(ErrorKind::RedirectRefused, text).with_status(status)
}

/// `scheme://host[:port]` of an absolute URL, without user info.
fn origin_of(url: &str) -> Option<String> {
    let at = crate::error::find(url, "://")?;
    let (scheme, rest) = (url.get(..at)?, url.get(at + 3..)?);
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    let host = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => authority.get(at + 1..)?,
        None => authority,
    };
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b);
    (scheme.bytes().all(|b| b.is_ascii_alphabetic()) && !host.is_empty() && host.bytes().all(safe))
        .then(|| format!("{scheme}://{host}"))
}

/// gloo-net's error building the request (a URL `fetch` cannot take).
fn gloo_network(error: gloo_net::Error) -> Error {
    Error::new(
        ErrorKind::Network,
        format!("the request could not be built: {error}"),
    )
}

/// A fetch failure as `NETWORK_ERROR`, with the host's `name: message`.
fn network(error: JsValue) -> Error {
    let mut text = String::from("the request failed");
    for key in ["name", "message"] {
        if let Some(part) = get_or_undefined(&error, key).as_string() {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    // Node's "fetch failed" says why only in its cause ("getaddrinfo
    // ENOTFOUND host", "connect ECONNREFUSED 127.0.0.1:1").
    let cause = get_or_undefined(&error, "cause");
    if let Some(reason) = get_or_undefined(&cause, "message").as_string() {
        text.push_str(" (");
        text.push_str(&reason);
        text.push(')');
    }
    Error::new(ErrorKind::Network, text)
}
