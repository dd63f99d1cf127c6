//! CORS as a browser needs it (fact sheet §3.6): every response carries
//! `Access-Control-Allow-Origin: *`, and `OPTIONS` on any path is a preflight answered
//! with 204.

use crate::app::{lock, App};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// The methods a preflight allows.
pub const ALLOW_METHODS: &str = "GET, POST, OPTIONS";
/// The headers allowed when the preflight names none.
pub const DEFAULT_ALLOW_HEADERS: &str = "Content-Type, Authorization";

/// The middleware.
pub async fn layer(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        if req.uri().path().starts_with("/rest/") {
            lock(&app.stats).preflights += 1;
        }
        let allow_headers = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOW_HEADERS));
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        let h = resp.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        return resp;
    }
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}
