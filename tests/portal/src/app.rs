//! The shared application state and the router.

use crate::auth::Tokens;
use crate::config::Config;
use crate::faults::Faults;
use crate::limits::{LeakyBucket, Operating};
use crate::state::Portal;
use crate::stats::Stats;
use crate::{admin, cors, frame, oauth, rest, static_files, util};
use axum::routing::{any, get, post};
use axum::Router;
use std::sync::{Arc, Mutex, MutexGuard};

/// The key `signedAttachId` is signed with. Fixed, so signed ids are stable across runs.
const SECRET: &[u8] = b"b24-portal vote.result signing key";

/// Everything the handlers share. Each part has its own lock; the poll data is one
/// mutex, so every vote/recall read-modify-write is atomic.
#[derive(Debug)]
pub struct App {
    pub portal: Mutex<Portal>,
    pub tokens: Mutex<Tokens>,
    pub bucket: Mutex<LeakyBucket>,
    pub operating: Mutex<Operating>,
    pub faults: Mutex<Faults>,
    pub stats: Mutex<Stats>,
    /// Placement apps the portal page can open.
    pub apps: Mutex<frame::Apps>,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    pub secret: Vec<u8>,
    /// The start-up configuration (`/_emulator/reset` returns to it).
    pub config: Config,
}

/// Locks a mutex, recovering the data if another thread panicked while holding it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    /// A fresh application in the default state.
    pub fn new(config: Config, base_url: String) -> App {
        App {
            portal: Mutex::new(Portal::new(&base_url, util::now_secs())),
            tokens: Mutex::new(Tokens::default()),
            bucket: Mutex::new(LeakyBucket::new(config.rate)),
            operating: Mutex::new(Operating::new(config.operating_limit)),
            faults: Mutex::new(Faults::default()),
            stats: Mutex::new(Stats::default()),
            apps: Mutex::new(frame::Apps::new(config.apps.clone())),
            base_url,
            secret: SECRET.to_vec(),
            config,
        }
    }

    /// Back to the default state: data, tokens, limits, faults and stats.
    pub fn reset(&self) {
        *lock(&self.portal) = Portal::new(&self.base_url, util::now_secs());
        lock(&self.tokens).clear();
        lock(&self.bucket).set_rate(self.config.rate);
        {
            let mut op = lock(&self.operating);
            op.clear();
            op.limit = self.config.operating_limit;
        }
        lock(&self.faults).clear();
        *lock(&self.stats) = Default::default();
        *lock(&self.apps) = frame::Apps::new(self.config.apps.clone());
    }
}

/// The router of the app origin (`--app-listen`): the static mounts only, behind CORS.
pub fn static_router(app: Arc<App>) -> Router {
    Router::new()
        .fallback(static_files::serve)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            cors::layer,
        ))
        .with_state(app)
}

/// The router: REST, OAuth, admin API and static files, all behind the CORS layer.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/rest/", any(rest::handle))
        .route("/rest/{*path}", any(rest::handle))
        .route("/oauth/token", any(oauth::token))
        .route("/oauth/token/", any(oauth::token))
        .route("/_emulator/reset", post(admin::reset))
        .route("/_emulator/polls", post(admin::create_poll))
        .route("/_emulator/polls/{id}", get(admin::poll_state))
        .route("/_emulator/tokens", post(admin::tokens))
        .route("/_emulator/faults", post(admin::faults))
        .route("/_emulator/stats", get(admin::stats))
        .route("/_emulator/config", post(admin::config))
        .route(
            "/_emulator/apps",
            get(frame::list_apps).post(frame::register_app),
        )
        .route("/_emulator/chat", get(frame::chat))
        .route("/portal", get(frame::page))
        .route("/portal/", get(frame::page))
        .route("/portal/portal.js", get(frame::script))
        .route("/portal/portal.css", get(frame::style))
        .fallback(static_files::serve)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            cors::layer,
        ))
        .with_state(app)
}
