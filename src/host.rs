//! What the client needs from the platform it runs on: send a request,
//! sleep, tell the time, draw random numbers and UUIDs. The wasm glue
//! implements it with fetch, timers and crypto (`wasm::host`); native tests
//! implement it with scripted replies and virtual time, so every policy of
//! the call loop is tested deterministically, without a portal.

use crate::error::Result;
use crate::prelude::*;
use core::future::Future;
use core::pin::Pin;
use core::task::Poll;

/// Status and body of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The whole body, as text.
    pub body: String,
}

/// The platform under a client.
pub trait Host {
    /// POSTs `body` as `application/x-www-form-urlencoded` to `url`. Any
    /// status is a `Reply`, except that a redirect is never followed (it is
    /// `REDIRECT_REFUSED`) and a body over `max_bytes` is
    /// `RESPONSE_TOO_LARGE`; a failed request is `NETWORK_ERROR`. Dropping
    /// the future aborts the request.
    fn post_form(
        &self,
        url: &str,
        body: String,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Reply>>;

    /// Resolves after `ms` milliseconds; dropping it cancels the timer.
    /// It borrows nothing, so it can bound a refresh or cancel a call.
    fn sleep(&self, ms: f64) -> impl Future<Output = ()> + 'static;

    /// Milliseconds since the epoch.
    fn now_ms(&self) -> f64;

    /// A number in [0, 1), for the retry jitter.
    fn random(&self) -> f64;

    /// A fresh v4 UUID, for `actionUuid`.
    fn new_uuid(&self) -> String;
}

/// Which of two futures finished first.
pub enum First<A, B> {
    /// The first one.
    Left(A),
    /// The second one.
    Right(B),
}

/// Polls both futures, `a` first, and returns the first result; the other
/// is dropped (and with it any request or timer it owned).
pub async fn race<A, B>(mut a: A, mut b: B) -> First<A::Output, B::Output>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    core::future::poll_fn(|cx| {
        if let Poll::Ready(value) = Pin::new(&mut a).poll(cx) {
            return Poll::Ready(First::Left(value));
        }
        Pin::new(&mut b).poll(cx).map(First::Right)
    })
    .await
}
