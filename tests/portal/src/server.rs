//! The accept loop. It serves each connection with hyper directly (not `axum::serve`)
//! so the `drop` fault can close a connection without writing a response (every request
//! carries a [`ConnKill`] handle, and firing it drops the connection), and so that the
//! connection limits live in one place:
//! - a request head must arrive within `header_timeout` of the connection becoming ready
//!   for it. hyper starts this timer whenever it waits for a head, right after accepting
//!   and after each response, so it is also the keep-alive idle timeout;
//! - a request body must arrive within `body_timeout` (else 408), and one declared larger
//!   than `max_body_bytes` gets 413 before any of it is read;
//! - after an answer sent before the whole body was read (413, 408), the rest of the
//!   body is read and discarded for a moment before closing (a "lingering close"), so
//!   the client gets the answer and not a reset;
//! - at most `max_connections` are open. A new connection closes the one idle the longest,
//!   or is refused when every connection is busy. A failing accept (usually no file
//!   descriptors left) also closes the longest-idle connection.

use crate::app::lock;
use crate::config::Config;
use crate::rest::RestError;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{BoxError, Router};
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tower_service::Service;

/// How long, and how many bytes, a lingering close reads and discards.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1024 * 1024;

/// File descriptors kept free for the listener, the runtime and static files when the
/// connection cap is fitted under the open-files limit.
const FD_RESERVE: usize = 32;

/// Closes the connection the request came on, without a response.
#[derive(Debug, Clone)]
pub struct ConnKill(Arc<Notify>);

impl ConnKill {
    /// Drops the connection as soon as the connection task runs again.
    pub fn fire(&self) {
        self.0.notify_one();
    }
}

/// The error a request body gives once `body_timeout` has passed.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout;

impl fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimeout {}

/// The limits the accept loop enforces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_body_bytes: usize,
    /// `--max-connections`, lowered to fit the open-files limit.
    pub max_connections: usize,
}

impl ConnLimits {
    pub fn from_config(config: &Config) -> ConnLimits {
        let fitting = fd_budget().map_or(config.max_connections, |budget| {
            config.max_connections.min(budget)
        });
        ConnLimits {
            header_timeout: config.header_timeout,
            body_timeout: config.body_timeout,
            max_body_bytes: config.max_body_bytes,
            max_connections: fitting.max(1),
        }
    }
}

/// The connections the soft open-files limit leaves room for (Linux; `None` elsewhere
/// or when unlimited).
fn fd_budget() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    // "Max open files  <soft>  <hard>  files"
    let soft: usize = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(soft.saturating_sub(FD_RESERVE).max(1))
}

/// One open connection as the accept loop sees it.
#[derive(Debug)]
struct Conn {
    kill: Arc<Notify>,
    /// Requests being handled (at most 1 on HTTP/1.1).
    in_flight: AtomicUsize,
    /// Milliseconds since the server started at which it last became idle.
    idle_since_ms: AtomicU64,
}

/// The open connections.
#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    conns: HashMap<u64, Arc<Conn>>,
}

impl Registry {
    fn register(&mut self, now_ms: u64) -> (u64, Arc<Conn>) {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let conn = Arc::new(Conn {
            kill: Arc::new(Notify::new()),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(now_ms),
        });
        self.conns.insert(id, conn.clone());
        (id, conn)
    }

    /// Closes the connection that has been idle the longest; `false` when all are busy.
    fn close_idlest(&mut self) -> bool {
        let idlest = self
            .conns
            .iter()
            .filter(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, c)| c.idle_since_ms.load(Ordering::Acquire))
            .map(|(id, _)| *id);
        match idlest.and_then(|id| self.conns.remove(&id)) {
            Some(conn) => {
                conn.kill.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Removes a connection from the registry when its task ends.
struct Registered {
    id: u64,
    registry: Arc<Mutex<Registry>>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.registry).conns.remove(&self.id);
    }
}

/// Marks a connection busy while one request is handled; idle again when dropped.
struct Busy {
    conn: Arc<Conn>,
    epoch: Instant,
}

impl Busy {
    fn start(conn: Arc<Conn>, epoch: Instant) -> Busy {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy { conn, epoch }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn
            .idle_since_ms
            .store(millis_since(self.epoch), Ordering::Release);
        self.conn.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A request body that fails with [`BodyTimeout`] once its deadline has passed.
struct DeadlineBody {
    inner: Incoming,
    /// `None` for a request without a body.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, timeout: Duration) -> DeadlineBody {
        let deadline = (!inner.is_end_stream()).then(|| Box::pin(tokio::time::sleep(timeout)));
        DeadlineBody { inner, deadline }
    }
}

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(BoxError::from)));
        }
        let expired = this
            .deadline
            .as_mut()
            .is_some_and(|deadline| deadline.as_mut().poll(cx).is_ready());
        if expired {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The 413 for a body declared too large. It bypasses the router, so it adds the CORS
/// header itself: a browser must be able to read it.
fn too_large(limit: usize) -> Response {
    let mut resp = RestError::body_too_large(limit).into_response();
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// Accepts connections until the task is aborted.
pub async fn accept_loop(listener: TcpListener, router: Router, limits: ConnLimits) {
    // Extractors that buffer (`Bytes`, `Multipart`) use the same body limit.
    let router = router.layer(DefaultBodyLimit::max(limits.max_body_bytes));
    let registry = Arc::new(Mutex::new(Registry::default()));
    let epoch = Instant::now();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Usually too many open files: free the idlest and retry shortly.
                lock(&registry).close_idlest();
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let registered = {
            let mut reg = lock(&registry);
            if reg.conns.len() >= limits.max_connections && !reg.close_idlest() {
                // Every connection is busy: refuse this one (dropping it closes it).
                continue;
            }
            reg.register(millis_since(epoch))
        };
        let (id, conn) = registered;
        let registered = Registered {
            id,
            registry: registry.clone(),
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            router.clone(),
            conn,
            registered,
            limits,
            epoch,
        ));
    }
}

async fn serve_connection(
    stream: TcpStream,
    router: Router,
    conn: Arc<Conn>,
    _registered: Registered,
    limits: ConnLimits,
    epoch: Instant,
) {
    let kill = conn.kill.clone();
    // Tells clients when an idle connection will be closed, so that they stop reusing it
    // first (undici honours it) instead of racing the server's close.
    let keep_alive =
        HeaderValue::from_str(&format!("timeout={}", limits.header_timeout.as_secs())).ok();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let busy = Busy::start(conn.clone(), epoch);
        let handle = ConnKill(conn.kill.clone());
        let mut router = router.clone();
        let keep_alive = keep_alive.clone();
        async move {
            let _busy = busy;
            let declared = req.body().size_hint().lower();
            let mut resp = if declared > u64::try_from(limits.max_body_bytes).unwrap_or(u64::MAX) {
                too_large(limits.max_body_bytes)
            } else {
                let mut req = req.map(|body| {
                    axum::body::Body::new(DeadlineBody::new(body, limits.body_timeout))
                });
                req.extensions_mut().insert(handle);
                match router.call(req).await {
                    Ok(resp) => resp,
                    Err(never) => match never {},
                }
            };
            if let Some(value) = keep_alive {
                resp.headers_mut()
                    .insert(HeaderName::from_static("keep-alive"), value);
            }
            Ok::<_, Infallible>(resp)
        }
    });
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .without_shutdown();
    let ended = tokio::select! {
        ended = http => ended,
        _ = kill.notified() => return,
    };
    // A connection that ended in an error (such as the header timeout) just closes.
    if let Ok(parts) = ended {
        tokio::select! {
            _ = linger(parts.io.into_inner()) => {}
            _ = kill.notified() => {}
        }
    }
}

/// Closes a connection the way nginx's lingering close does: send FIN, then read and
/// discard what the client is still sending, for a bounded time and amount. Closing a
/// socket with unread data makes the kernel send a reset, which can destroy an answer
/// such as a 413 before the client has read it.
async fn linger(mut stream: TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut buf = [0u8; 8192];
    let mut drained = 0usize;
    let deadline = tokio::time::sleep(LINGER_TIME);
    tokio::pin!(deadline);
    while drained < LINGER_BYTES {
        tokio::select! {
            _ = &mut deadline => return,
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => drained = drained.saturating_add(n),
            },
        }
    }
}
