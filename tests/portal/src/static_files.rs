//! Static files for the demo (`--static [PREFIX=]DIR`), with `.wasm` as
//! `application/wasm` and `.js` as `text/javascript`.

use crate::app::App;
use crate::config::StaticMount;
use crate::rest::json_error;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The content type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `mount` for a URL path, if the path is under its prefix and safe.
fn candidate(mount: &StaticMount, url_path: &str) -> Option<PathBuf> {
    let rest = if mount.prefix == "/" {
        url_path.strip_prefix('/')?
    } else {
        let r = url_path.strip_prefix(mount.prefix.as_str())?;
        if r.is_empty() {
            ""
        } else {
            r.strip_prefix('/')?
        }
    };
    let decoded: String =
        form_urlencoded::parse(format!("p={}", rest.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
    let rel = Path::new(&decoded);
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return None;
    }
    let mut full = mount.dir.join(rel);
    if decoded.is_empty() || decoded.ends_with('/') || full.is_dir() {
        full = full.join("index.html");
    }
    Some(full)
}

/// The fallback handler: a static file, or a JSON 404.
pub async fn serve(State(app): State<Arc<App>>, req: Request) -> Response {
    let head = req.method() == Method::HEAD;
    // POST too: a portal opens a placement handler with a form POST.
    if req.method() == Method::GET || req.method() == Method::POST || head {
        let path = req.uri().path().to_string();
        for mount in &app.config.statics {
            let Some(file) = candidate(mount, &path) else {
                continue;
            };
            if let Ok(bytes) = tokio::fs::read(&file).await {
                let mut resp = Response::new(if head {
                    Body::empty()
                } else {
                    Body::from(bytes)
                });
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&file)),
                );
                resp.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                return resp;
            }
        }
    }
    json_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates() {
        let root = StaticMount::parse("www").unwrap();
        let pkg = StaticMount::parse("/pkg=pkg/web").unwrap();
        assert_eq!(candidate(&root, "/"), Some(PathBuf::from("www/index.html")));
        assert_eq!(
            candidate(&pkg, "/pkg/b24_vote.js"),
            Some(PathBuf::from("pkg/web/b24_vote.js"))
        );
        assert_eq!(candidate(&pkg, "/pkgx/a.js"), None);
        assert_eq!(candidate(&root, "/../etc/passwd"), None);
        assert_eq!(candidate(&root, "/a/%2e%2e/%2e%2e/x"), None);
        assert_eq!(content_type(Path::new("a.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("a.js")), "text/javascript");
    }
}
