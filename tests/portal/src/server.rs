//! The accept loop. It serves each connection with hyper directly (not `axum::serve`)
//! so the `drop` fault can close a connection without writing a response: every
//! request carries a [`ConnKill`] handle, and firing it drops the connection.

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_service::Service;

/// Closes the connection the request came on, without a response.
#[derive(Debug, Clone)]
pub struct ConnKill(Arc<Notify>);

impl ConnKill {
    /// Drops the connection as soon as the connection task runs again.
    pub fn fire(&self) {
        self.0.notify_one();
    }
}

/// Accepts connections until the task is aborted.
pub async fn accept_loop(listener: TcpListener, router: Router) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(_) => {
                // e.g. too many open files: back off briefly and keep serving.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let handle = ConnKill(kill.clone());
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(handle.clone());
                let mut router = router.clone();
                async move { router.call(req.map(axum::body::Body::new)).await }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
            }
        });
    }
}
