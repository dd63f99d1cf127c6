//! `/oauth/token/`: `grant_type=refresh_token` gives a new pair and rotates the
//! (single-use) refresh token (fact sheet §5). `client_id` and `client_secret` are
//! accepted and not checked. Not rate-limited.

use crate::app::{lock, App};
use crate::auth;
use crate::params;
use crate::rest::{body_params, json_response, query_params};
use crate::util;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

fn oauth_error(error: &str, description: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": error, "error_description": description}),
    )
}

/// The handler for GET and POST `/oauth/token/`.
pub async fn token(State(app): State<Arc<App>>, req: Request) -> Response {
    let mut p = match query_params(&req, &app.config) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = body_params(req, &mut p, &app.config).await {
        return e.into_response();
    }
    let grant = p
        .get("grant_type")
        .and_then(params::to_str)
        .unwrap_or_default();
    if grant != "refresh_token" {
        return oauth_error(
            "invalid_request",
            "grant_type must be refresh_token on this emulator",
        );
    }
    let Some(refresh) = p
        .get("refresh_token")
        .and_then(params::to_str)
        .filter(|t| !t.is_empty())
    else {
        return oauth_error("invalid_request", "refresh_token is required");
    };
    let issued = lock(&app.tokens).refresh(&refresh, util::now_secs());
    match issued {
        Some(issued) => {
            lock(&app.stats).refreshes += 1;
            json_response(
                StatusCode::OK,
                &auth::token_response(&issued, &app.base_url),
            )
        }
        None => oauth_error(
            "invalid_grant",
            "The refresh token is invalid, expired or already used",
        ),
    }
}
