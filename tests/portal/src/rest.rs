//! The `/rest/` endpoint: path and parameter parsing, faults, the leaky bucket,
//! authentication, the operating limit, then the method, wrapped in the portal's
//! success envelope (`result` + `time`) or error envelope (fact sheet §3).

use crate::app::{lock, App};
use crate::auth::{AuthError, Identity};
use crate::config::Config;
use crate::faults::{normalize_method, FaultKind};
use crate::methods;
use crate::params::{self, FormParams, ParamError, Params, MAX_NESTING};
use crate::server::{BodyTimeout, ConnKill};
use crate::util;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bodies larger than this are parsed on a blocking thread, so that a big form does
/// not hold up other requests on the runtime's worker threads.
const INLINE_PARSE_BYTES: usize = 16 * 1024;

/// An error answer: `{"error": code, "error_description": text}` with a status.
#[derive(Debug, Clone, PartialEq)]
pub struct RestError {
    pub status: StatusCode,
    /// Always a string: `"ATTACH_NOT_FOUND"`, `"403"`, `"100"`, or `""` for errors
    /// that carry no code in the source.
    pub code: String,
    pub description: String,
}

impl RestError {
    /// Any error.
    pub fn new(status: StatusCode, code: &str, description: impl Into<String>) -> Self {
        RestError {
            status,
            code: code.to_string(),
            description: description.into(),
        }
    }

    /// A controller error: HTTP 400, the first error only (`RestException` default).
    pub fn controller(code: &str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }

    /// 503 `QUERY_LIMIT_EXCEEDED`.
    pub fn query_limit() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "QUERY_LIMIT_EXCEEDED",
            "Too many requests",
        )
    }

    /// 429 `OPERATION_TIME_LIMIT`.
    pub fn operation_limit() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "OPERATION_TIME_LIMIT",
            "Method is blocked due to operation time limit.",
        )
    }

    /// 401 `expired_token`.
    pub fn expired_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "expired_token",
            "The access token provided has expired.",
        )
    }

    /// 401 `NO_AUTH_FOUND`.
    pub fn no_auth() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "NO_AUTH_FOUND",
            "Wrong authorization data",
        )
    }

    /// 401 `INVALID_CREDENTIALS`.
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Invalid request credentials",
        )
    }

    /// 413 `INVALID_REQUEST`: a body over `--max-body-bytes`. The code is the portal's
    /// code for a broken request (fact sheet §3.4), which clients do not retry.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "INVALID_REQUEST",
            format!("Request body too large: at most {limit} bytes are accepted"),
        )
    }

    /// 408 `INVALID_REQUEST`: the body did not arrive within `--body-timeout`.
    pub fn body_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "INVALID_REQUEST",
            "Request body not received in time",
        )
    }

    /// 400 `INVALID_REQUEST`: parameters over `--max-params` or nested too deeply.
    pub fn bad_params(err: ParamError) -> Self {
        let description = match err {
            ParamError::TooMany(limit) => {
                format!("Too many request parameters: at most {limit} are accepted")
            }
            ParamError::TooDeep => {
                format!("Request parameters nested too deeply: at most {MAX_NESTING} levels")
            }
        };
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", description)
    }

    /// 404 `ERROR_METHOD_NOT_FOUND`.
    pub fn method_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ERROR_METHOD_NOT_FOUND",
            "Method not found!",
        )
    }
}

/// A JSON response with `application/json`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    raw_json(status, bytes)
}

fn raw_json(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// The error envelope.
pub fn json_error(status: StatusCode, code: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({"error": code, "error_description": description}),
    )
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        json_error(self.status, &self.code, &self.description)
    }
}

/// A method's success: `result` plus top-level extras such as `total` and `next`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub result: Value,
    pub extra: Vec<(&'static str, Value)>,
}

impl Outcome {
    /// Just a result.
    pub fn result(result: Value) -> Self {
        Outcome {
            result,
            extra: Vec::new(),
        }
    }
}

/// `/rest/<user>/<code>/<method>` or `/rest/<method>`.
#[derive(Debug, Clone, PartialEq)]
pub struct RestPath {
    pub webhook: Option<(String, String)>,
    /// The method as written, `.json` stripped.
    pub method: String,
}

/// Splits a REST path. Runs of `/` count as one, as a portal's web server merges
/// them (the official SDK's `client_endpoint` + `/method` gives `/rest//method`).
pub fn parse_path(path: &str) -> RestPath {
    let merged = merge_slashes(path);
    let rest = merged.strip_prefix("/rest/").unwrap_or("");
    let segments: Vec<&str> = rest.splitn(3, '/').collect();
    let (webhook, method) = match segments.as_slice() {
        [user, code, method] if !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit()) => (
            Some((user.to_string(), code.to_string())),
            method.to_string(),
        ),
        _ => (None, rest.to_string()),
    };
    let method = if method.to_ascii_lowercase().ends_with(".json") {
        method[..method.len() - 5].to_string()
    } else {
        method
    };
    RestPath { webhook, method }
}

/// `a//b///c` → `a/b/c`.
fn merge_slashes(path: &str) -> String {
    let mut merged = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && merged.ends_with('/')) {
            merged.push(c);
        }
    }
    merged
}

/// The query string's parameters, refusing more than `--max-params` pairs.
pub(crate) fn query_params(req: &Request, config: &Config) -> Result<Params, RestError> {
    let mut form = FormParams::new(config.max_params);
    if let Some(q) = req.uri().query() {
        form.parse_urlencoded(q.as_bytes())
            .map_err(RestError::bad_params)?;
    }
    Ok(form.into_params())
}

/// Why reading a body failed: too large (413), too slow (408), or broken (400).
fn body_error(err: &(dyn std::error::Error + 'static), limit: usize) -> RestError {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if e.is::<http_body_util::LengthLimitError>() {
            return RestError::body_too_large(limit);
        }
        if e.is::<BodyTimeout>() {
            return RestError::body_timeout();
        }
        cause = e.source();
    }
    RestError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        "Request body could not be read",
    )
}

/// Reads the body parameters by content type into `params` (top-level keys replace
/// those already there). The body size and the parameter count are capped as read.
pub(crate) async fn body_params(
    req: Request,
    params: &mut Params,
    config: &Config,
) -> Result<(), RestError> {
    let limit = config.max_body_bytes;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut form = FormParams::new(config.max_params);
        // No boundary: nothing to read, as before.
        if let Ok(mut multipart) = Multipart::from_request(req, &()).await {
            loop {
                let field = match multipart.next_field().await {
                    Ok(Some(field)) => field,
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(RestError::body_too_large(limit))
                    }
                    Err(e) => return Err(body_error(&e, limit)),
                };
                let name = field.name().unwrap_or("").to_string();
                let bytes = match field.bytes().await {
                    Ok(bytes) => bytes,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(RestError::body_too_large(limit))
                    }
                    Err(e) => return Err(body_error(&e, limit)),
                };
                let text = String::from_utf8_lossy(&bytes).into_owned();
                form.insert(&name, Value::String(text))
                    .map_err(RestError::bad_params)?;
            }
        }
        params.extend(form.into_params());
        return Ok(());
    }
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|e| body_error(&e, limit))?;
    if bytes.is_empty() {
        return Ok(());
    }
    let big = bytes.len() > INLINE_PARSE_BYTES;
    let max_params = config.max_params;
    let parse = move || parse_body(&bytes, &content_type, max_params);
    let parsed = if big {
        tokio::task::spawn_blocking(parse).await.map_err(|_| {
            RestError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "Internal server error",
            )
        })?
    } else {
        parse()
    };
    params.extend(parsed.map_err(RestError::bad_params)?);
    Ok(())
}

/// A JSON or urlencoded body's parameters.
fn parse_body(bytes: &[u8], content_type: &str, max_params: usize) -> Result<Params, ParamError> {
    let looks_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    let mut params = Params::new();
    if content_type.contains("json") || (looks_json && !content_type.contains("urlencoded")) {
        params::parse_json(bytes, &mut params)?;
    } else {
        let mut form = FormParams::new(max_params);
        form.parse_urlencoded(bytes)?;
        params = form.into_params();
    }
    Ok(params)
}

/// Which user a request runs as.
fn authenticate(
    app: &App,
    path: &RestPath,
    params: &Params,
    now: i64,
) -> Result<Identity, RestError> {
    if let Some((user, code)) = &path.webhook {
        let id: u64 = user.parse().map_err(|_| RestError::invalid_credentials())?;
        // Every user has the webhook `hook<id>`; using it is a first mention that
        // creates the user.
        if id > 0 && *code == format!("hook{id}") {
            lock(&app.portal).ensure_user(id);
            return Ok(Identity::Webhook(id));
        }
        return Err(RestError::invalid_credentials());
    }
    let token = params
        .get("auth")
        .and_then(params::to_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(RestError::no_auth)?;
    match lock(&app.tokens).check(&token, now) {
        Ok(user) => Ok(Identity::OAuth(user)),
        Err(AuthError::Expired) => Err(RestError::expired_token()),
        Err(AuthError::Missing) => Err(RestError::no_auth()),
        Err(AuthError::Invalid) => Err(RestError::invalid_credentials()),
    }
}

fn reject(app: &App, err: RestError) -> Response {
    lock(&app.stats).reject(&err.code);
    err.into_response()
}

/// The `time` object (fact sheet §3.2).
pub(crate) fn time_json(
    start: f64,
    finish: f64,
    processing: f64,
    operating: f64,
    reset_at: i64,
) -> Value {
    json!({
        "start": start,
        "finish": finish,
        "duration": finish - start,
        "processing": processing,
        "date_start": util::iso8601(start.floor() as i64),
        "date_finish": util::iso8601(finish.floor() as i64),
        "operating_reset_at": reset_at,
        "operating": crate::format::php_number(operating),
    })
}

/// The handler for every `/rest/...` request.
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let start = util::now_f64();
    let path = parse_path(req.uri().path());
    let method_norm = normalize_method(&path.method);
    let canonical = methods::canonical(&method_norm);
    {
        let mut stats = lock(&app.stats);
        stats.requests += 1;
        let key = canonical.map_or_else(|| path.method.clone(), str::to_string);
        *stats.by_method.entry(key).or_default() += 1;
    }

    let kill = req.extensions().get::<ConnKill>().cloned();
    // A broken or oversized request is refused before anything else, as the portal's
    // front end would; parsing is linear and capped, so this is cheap.
    let query = match query_params(&req, &app.config) {
        Ok(q) => q,
        Err(e) => return reject(&app, e),
    };
    let mut body = Params::new();
    if let Err(e) = body_params(req, &mut body, &app.config).await {
        return reject(&app, e);
    }
    if query.contains_key("auth") && !body.contains_key("auth") {
        lock(&app.stats).auth_in_query += 1;
    }
    let mut params = query;
    for (k, v) in body {
        params.insert(k, v);
    }

    // Faults first: they stand for the network and the portal's front end.
    let fired = lock(&app.faults).take(&method_norm);
    let mut extra_processing = Duration::ZERO;
    let mut truncate = false;
    if let Some(fired) = fired {
        *lock(&app.stats)
            .faults
            .entry(fired.kind.name().to_string())
            .or_default() += 1;
        match fired.kind {
            FaultKind::Drop => {
                if let Some(kill) = kill {
                    kill.fire();
                    std::future::pending::<()>().await;
                }
                return reject(
                    &app,
                    RestError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "INTERNAL_SERVER_ERROR",
                        "Internal server error",
                    ),
                );
            }
            FaultKind::Http500Html => {
                lock(&app.stats).reject("INTERNAL_SERVER_ERROR");
                let mut resp = Response::new(Body::from(
                    "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\
                     <body><h1>Internal Server Error</h1><p>The server encountered an internal \
                     error and was unable to complete your request.</p></body></html>\n",
                ));
                *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                return resp;
            }
            FaultKind::RateLimit => return reject(&app, RestError::query_limit()),
            FaultKind::OperatingLimit => return reject(&app, RestError::operation_limit()),
            FaultKind::ExpiredToken => return reject(&app, RestError::expired_token()),
            FaultKind::EmptyResult => {
                let (operating, reset_at) = match canonical {
                    Some(method) => lock(&app.operating).status(method, "", util::now_secs()),
                    None => (0.0, util::now_secs()),
                };
                let time = time_json(start, util::now_f64(), 0.0, operating, reset_at);
                return json_response(StatusCode::OK, &json!({"result": [], "time": time}));
            }
            FaultKind::Delay => {
                let d = Duration::from_millis(fired.delay_ms);
                tokio::time::sleep(d).await;
                extra_processing = d;
            }
            FaultKind::Truncate => truncate = true,
        }
    }

    if !lock(&app.bucket).admit() {
        return reject(&app, RestError::query_limit());
    }
    let now = util::now_secs();
    let identity = match authenticate(&app, &path, &params, now) {
        Ok(id) => id,
        Err(e) => return reject(&app, e),
    };
    let Some(method) = canonical else {
        return reject(&app, RestError::method_not_found());
    };
    let caller = identity.caller_key();
    if lock(&app.operating).blocked(method, &caller, now) {
        return reject(&app, RestError::operation_limit());
    }

    let t0 = Instant::now();
    let outcome = methods::call(method, &app, identity.user(), &params, now);
    let processing = (t0.elapsed() + extra_processing).as_secs_f64();
    let (operating, reset_at) = {
        let mut op = lock(&app.operating);
        op.record(method, &caller, now, processing);
        op.status(method, &caller, now)
    };

    let response = match outcome {
        Ok(outcome) => {
            let mut envelope = Map::new();
            envelope.insert("result".into(), outcome.result);
            for (k, v) in outcome.extra {
                envelope.insert(k.into(), v);
            }
            let finish = util::now_f64();
            let time = time_json(start, finish, processing, operating, reset_at);
            if truncate {
                // `time` first, so the half that is sent still carries it.
                let mut first = Map::new();
                first.insert("time".into(), time);
                first.extend(envelope);
                (StatusCode::OK, Value::Object(first))
            } else {
                envelope.insert("time".into(), time);
                (StatusCode::OK, Value::Object(envelope))
            }
        }
        Err(e) => {
            lock(&app.stats).reject(&e.code);
            (
                e.status,
                json!({"error": e.code, "error_description": e.description}),
            )
        }
    };
    let bytes = serde_json::to_vec(&response.1).unwrap_or_default();
    if truncate {
        let half = bytes.len() / 2;
        return raw_json(StatusCode::OK, bytes[..half].to_vec());
    }
    raw_json(response.0, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("/rest/1/hook1/vote.AttachedVote.get.json"),
            RestPath {
                webhook: Some(("1".into(), "hook1".into())),
                method: "vote.AttachedVote.get".into()
            }
        );
        assert_eq!(
            parse_path("/rest/vote.AttachedVote.get"),
            RestPath {
                webhook: None,
                method: "vote.AttachedVote.get".into()
            }
        );
        assert_eq!(parse_path("/rest/1/hook1/").method, "");
        assert_eq!(parse_path("/rest/").method, "");
        assert_eq!(parse_path("/rest//profile").method, "profile");
        assert_eq!(
            parse_path("/rest//1//hook1//batch").webhook,
            Some(("1".into(), "hook1".into()))
        );
    }
}
