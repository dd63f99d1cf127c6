//! The portal's side of placement apps: a portal page (`/portal/`) with a chat that
//! shows the polls, whose messages open registered apps in an iframe the way a
//! Bitrix24 portal does (form POST with the placement fields, `window.name`
//! `DOMAIN|PROTOCOL|APP_SID`, and the postMessage frame protocol, all in
//! `assets/portal.js`), plus the admin calls the page and tests use:
//! `GET|POST /_emulator/apps` and `GET /_emulator/chat`.

use crate::app::{lock, App};
use crate::rest::json_response;
use crate::util;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The longest token lifetime `--token-ttl` and the page's `?ttl=` accept (a year).
pub const MAX_TOKEN_TTL: i64 = 365 * 86_400;
/// How many apps may be registered at once.
pub const MAX_APPS: usize = 64;
const MAX_URL_LEN: usize = 2048;
const MAX_TITLE_LEN: usize = 200;
const DEFAULT_PLACEMENT: &str = "IM_CONTEXT_MENU";
const DEFAULT_TITLE: &str = "Open app";

const PAGE_HTML: &str = include_str!("../assets/portal.html");
const PAGE_JS: &str = include_str!("../assets/portal.js");
const PAGE_CSS: &str = include_str!("../assets/portal.css");

/// A placement app: where its handler is, which placement opens it, and the menu text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    pub handler: String,
    #[serde(default = "default_placement")]
    pub placement: String,
    #[serde(default = "default_title")]
    pub title: String,
}

fn default_placement() -> String {
    DEFAULT_PLACEMENT.to_string()
}

fn default_title() -> String {
    DEFAULT_TITLE.to_string()
}

impl AppSpec {
    /// Parses `--app`: a bare handler URL, or `handler=URL,placement=CODE,title=TEXT`
    /// (any order; a comma not followed by a known key belongs to the value before it).
    pub fn parse(text: &str) -> Result<AppSpec, String> {
        let keys = ["handler=", "placement=", "title="];
        if !keys.iter().any(|k| text.starts_with(k)) {
            return AppSpec {
                handler: text.to_string(),
                placement: default_placement(),
                title: default_title(),
            }
            .validated();
        }
        let mut fields: HashMap<&str, String> = HashMap::new();
        let mut current: Option<&str> = None;
        for part in text.split(',') {
            if let Some(key) = keys.iter().find(|k| part.starts_with(**k)) {
                let name = key.trim_end_matches('=');
                if fields.contains_key(name) {
                    return Err(format!("--app names {name} twice: {text:?}"));
                }
                fields.insert(name, part[key.len()..].to_string());
                current = Some(name);
            } else if let Some(value) = current.and_then(|name| fields.get_mut(name)) {
                value.push(',');
                value.push_str(part);
            }
        }
        AppSpec {
            handler: fields.remove("handler").unwrap_or_default(),
            placement: fields.remove("placement").unwrap_or_else(default_placement),
            title: fields.remove("title").unwrap_or_else(default_title),
        }
        .validated()
    }

    /// Checks the fields: an absolute http(s) handler URL, a placement code, a title.
    pub fn validated(self) -> Result<AppSpec, String> {
        let handler = self.handler.trim().to_string();
        let lower = handler.to_ascii_lowercase();
        let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
        let host_ok = handler
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
            .is_some_and(|host| !host.is_empty());
        if !scheme_ok
            || !host_ok
            || handler.len() > MAX_URL_LEN
            || handler.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "the app handler must be an absolute http(s) URL, got {handler:?}"
            ));
        }
        let placement = self.placement.trim().to_string();
        if placement.is_empty()
            || placement.len() > 64
            || !placement
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!(
                "the placement must be a code like IM_CONTEXT_MENU, got {placement:?}"
            ));
        }
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > MAX_TITLE_LEN {
            return Err(format!("the title must be 1 to {MAX_TITLE_LEN} characters"));
        }
        Ok(AppSpec {
            handler,
            placement,
            title,
        })
    }
}

/// The registered apps, in registration order. Ids are stable until a reset.
#[derive(Debug)]
pub struct Apps {
    apps: Vec<(u64, AppSpec)>,
    next_id: u64,
}

impl Apps {
    /// The apps given at start-up.
    pub fn new(specs: Vec<AppSpec>) -> Apps {
        let mut apps = Apps {
            apps: Vec::new(),
            next_id: 1,
        };
        for spec in specs {
            let _ = apps.add(spec);
        }
        apps
    }

    /// Registers an app, or replaces the one with the same handler and placement.
    pub fn add(&mut self, spec: AppSpec) -> Result<u64, String> {
        if let Some((id, existing)) = self
            .apps
            .iter_mut()
            .find(|(_, a)| a.handler == spec.handler && a.placement == spec.placement)
        {
            *existing = spec;
            return Ok(*id);
        }
        if self.apps.len() >= MAX_APPS {
            return Err(format!("at most {MAX_APPS} apps may be registered"));
        }
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        self.apps.push((id, spec));
        Ok(id)
    }

    /// `[{id, handler, placement, title}]`
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.apps
                .iter()
                .map(|(id, a)| {
                    json!({"id": id, "handler": a.handler, "placement": a.placement, "title": a.title})
                })
                .collect(),
        )
    }
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut resp = Response::new(Body::from(body));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `GET /portal/`: the portal page.
pub async fn page() -> Response {
    let mut resp = asset(PAGE_HTML, "text/html; charset=utf-8");
    // The page runs only its own script; frames may come from any http(s) origin,
    // because placement apps live on their own hosts.
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self' data:; frame-src http: https:; form-action http: https:; \
             base-uri 'none'; object-src 'none'",
        ),
    );
    resp
}

/// `GET /portal/portal.js`
pub async fn script() -> Response {
    asset(PAGE_JS, "text/javascript")
}

/// `GET /portal/portal.css`
pub async fn style() -> Response {
    asset(PAGE_CSS, "text/css")
}

fn bad_request(description: impl Into<String>) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": "BAD_REQUEST", "error_description": description.into()}),
    )
}

/// `GET /_emulator/apps`
pub async fn list_apps(State(app): State<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &lock(&app.apps).to_json())
}

/// `POST /_emulator/apps {handler, placement?, title?}`: registers a placement app.
pub async fn register_app(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let spec: AppSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(e) => return bad_request(format!("bad JSON body: {e}")),
    };
    let spec = match spec.validated() {
        Ok(spec) => spec,
        Err(e) => return bad_request(e),
    };
    let mut apps = lock(&app.apps);
    match apps.add(spec) {
        Ok(id) => json_response(StatusCode::OK, &json!({"id": id, "apps": apps.to_json()})),
        Err(e) => bad_request(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChatQuery {
    user: Option<String>,
}

/// `GET /_emulator/chat?user=N`: what the portal page shows user N: the user, the
/// token lifetime, the apps, and per chat the poll messages N may read.
pub async fn chat(State(app): State<Arc<App>>, Query(query): Query<ChatQuery>) -> Response {
    let user = match query.user.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(text) => match text.parse::<u64>() {
            Ok(id) if id > 0 => id,
            _ => return bad_request(format!("user must be a positive integer, got {text:?}")),
        },
    };
    let apps = lock(&app.apps).to_json();
    let now = util::now_secs();
    let portal = lock(&app.portal);
    let viewer = portal.user(user);
    let mut chats: Vec<(u64, Vec<Value>)> = Vec::new();
    for poll in portal.polls.values() {
        if !portal.can_read(poll, user) {
            continue;
        }
        let author = portal.user(poll.author);
        let message = json!({
            "messageId": poll.entity_id.to_string(),
            "chatId": poll.chat_id,
            "attachId": poll.attach_id,
            "author": {"id": author.id, "name": author.name},
            "date": util::iso8601(poll.created),
            "isFinished": poll.is_finished(now),
            "questions": poll.questions.iter().map(|q| json!({
                "text": q.text,
                "answers": q.answers.iter().map(|a| a.message.clone()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        match chats.iter_mut().find(|(id, _)| *id == poll.chat_id) {
            Some((_, messages)) => messages.push(message),
            None => chats.push((poll.chat_id, vec![message])),
        }
    }
    json_response(
        StatusCode::OK,
        &json!({
            "user": {"id": viewer.id, "name": viewer.name, "admin": viewer.admin},
            "tokenTtl": app.config.token_ttl,
            "memberId": crate::auth::MEMBER_ID,
            "apps": apps,
            "chats": chats.into_iter().map(|(id, messages)| json!({
                "id": id,
                "title": format!("Chat {id}"),
                "dialogId": format!("chat{id}"),
                "messages": messages,
            })).collect::<Vec<_>>(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_specs() {
        let bare = AppSpec::parse("http://127.0.0.1:5173/").unwrap();
        assert_eq!(bare.placement, "IM_CONTEXT_MENU");
        assert_eq!(bare.title, "Open app");
        let full = AppSpec::parse(
            "title=Poll results, live,handler=http://h/app?a=1,b=2,placement=IM_SIDEBAR",
        )
        .unwrap();
        assert_eq!(full.title, "Poll results, live");
        assert_eq!(full.handler, "http://h/app?a=1,b=2");
        assert_eq!(full.placement, "IM_SIDEBAR");
        assert!(AppSpec::parse("ftp://h/").is_err());
        assert!(AppSpec::parse("http://").is_err());
        assert!(AppSpec::parse("handler=http://h/,placement=lower").is_err());
        assert!(AppSpec::parse("handler=http://h/,handler=http://i/").is_err());
        assert!(AppSpec::parse("http://h/a b").is_err());
    }

    #[test]
    fn registry_replaces_and_bounds() {
        let spec = |h: &str| AppSpec {
            handler: h.into(),
            placement: "IM_CONTEXT_MENU".into(),
            title: "t".into(),
        };
        let mut apps = Apps::new(vec![spec("http://a/")]);
        assert_eq!(apps.add(spec("http://a/")), Ok(1));
        assert_eq!(apps.add(spec("http://b/")), Ok(2));
        for i in 0..MAX_APPS {
            let _ = apps.add(spec(&format!("http://c{i}/")));
        }
        assert!(apps.add(spec("http://d/")).is_err());
        assert_eq!(apps.to_json().as_array().map(Vec::len), Some(MAX_APPS));
    }
}
