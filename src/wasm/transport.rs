//! One HTTP request: a form POST through the global `fetch`, aborted if the
//! future is dropped (timeout, caller abort, or a lost race).

use crate::error::{Error, ErrorKind, Result};
use gloo_net::http::{Method, RequestBuilder};
use web_sys::AbortController;

/// Status and body text of a response.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body as text (JSON from the portal, HTML from a proxy, …).
    pub body: String,
}

/// Aborts the request when dropped (a no-op once it has finished).
struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}

/// POSTs `body` as `application/x-www-form-urlencoded` to `url`. Only
/// CORS-safelisted headers are set, so a browser sends no preflight.
pub async fn post_form(url: &str, body: String) -> Result<Reply> {
    let controller = AbortController::new().ok();
    let guard = AbortOnDrop(controller);
    let request = RequestBuilder::new(url)
        .method(Method::POST)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .abort_signal(guard.0.as_ref().map(|c| c.signal()).as_ref())
        .body(body)
        .map_err(network)?;
    let response = request.send().await.map_err(network)?;
    let status = response.status();
    // A body cut off mid-stream is a network failure too.
    let body = response
        .text()
        .await
        .map_err(|e| network(e).with_status(status))?;
    Ok(Reply { status, body })
}

fn network(error: gloo_net::Error) -> Error {
    let text = match error {
        gloo_net::Error::JsError(js) => format!("{}: {}", js.name, js.message),
        other => other.to_string(),
    };
    Error::new(ErrorKind::Network, format!("the request failed: {text}"))
}
