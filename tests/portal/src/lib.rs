//! b24-portal: an emulator of a Bitrix24 portal's `/rest/` endpoint for the `vote`
//! scope, with an admin API under `/_emulator/` for tests.
//!
//! Start it in-process with [`serve`]:
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let mut config = b24_portal::Config::default();
//! config.listen = "127.0.0.1:0".parse().unwrap();
//! let server = b24_portal::serve(config).await?;
//! println!("{}", server.base_url());
//! # Ok(()) }
//! ```

pub mod admin;
pub mod app;
pub mod auth;
pub mod batch;
pub mod config;
pub mod cors;
pub mod faults;
pub mod format;
pub mod frame;
pub mod limits;
pub mod methods;
pub mod oauth;
pub mod params;
pub mod rest;
pub mod server;
pub mod state;
pub mod static_files;
pub mod stats;
pub mod util;

pub use config::{Command, Config, StaticMount};
pub use limits::Rate;

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running server.
#[derive(Debug)]
pub struct Server {
    /// The bound address (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// The accept loop; abort it to stop the server.
    pub handle: JoinHandle<()>,
    /// The app origin's address and accept loop (`--app-listen`), if any.
    pub app_origin: Option<(SocketAddr, JoinHandle<()>)>,
    /// The shared state, for in-process inspection.
    pub app: Arc<app::App>,
}

impl Server {
    /// `http://ADDR`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ADDR/portal/`: the portal page.
    pub fn portal_page(&self) -> String {
        format!("{}/portal/", self.base_url())
    }

    /// `http://ADDR` of the app origin, if `--app-listen` was given.
    pub fn app_origin_url(&self) -> Option<String> {
        self.app_origin
            .as_ref()
            .map(|(addr, _)| format!("http://{addr}"))
    }

    /// The webhook base URLs of the default users, e.g. `http://ADDR/rest/1/hook1/`.
    pub fn webhooks(&self) -> Vec<(u64, String)> {
        let portal = app::lock(&self.app.portal);
        portal
            .users
            .keys()
            .map(|id| (*id, format!("{}/rest/{id}/hook{id}/", self.base_url())))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.handle.abort();
        if let Some((_, handle)) = &self.app_origin {
            handle.abort();
        }
    }
}

/// Binds and starts the server in the background of the current tokio runtime.
pub async fn serve(config: Config) -> std::io::Result<Server> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let app_listener = match config.app_listen {
        Some(app_addr) => Some(TcpListener::bind(app_addr).await?),
        None => None,
    };
    let limits = server::ConnLimits::from_config(&config);
    let app = Arc::new(app::App::new(config, format!("http://{addr}")));
    let router = app::router(app.clone());
    let handle = tokio::spawn(server::accept_loop(listener, router, limits));
    let app_origin = match app_listener {
        Some(listener) => {
            let app_addr = listener.local_addr()?;
            let router = app::static_router(app.clone());
            Some((
                app_addr,
                tokio::spawn(server::accept_loop(listener, router, limits)),
            ))
        }
        None => None,
    };
    Ok(Server {
        addr,
        handle,
        app_origin,
        app,
    })
}
