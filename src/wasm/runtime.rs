//! What the client needs from the JS host, bound to globals that exist in
//! pages, iframes, workers and Node 18+ alike (never `window`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, AddEventListenerOptions};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID, catch)]
    fn crypto_random_uuid() -> Result<String, JsValue>;
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A number in [0, 1) for jitter.
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// A fresh v4 UUID: `crypto.randomUUID()` where the host has it (secure
/// contexts, Node), otherwise built from `Math.random`.
pub fn new_uuid() -> String {
    crypto_random_uuid().unwrap_or_else(|_| {
        let hex = |n: usize| -> String {
            (0..n)
                .map(|_| char::from_digit((random() * 16.0) as u32 % 16, 16).unwrap_or('0'))
                .collect()
        };
        let variant = char::from_digit(8 + (random() * 4.0) as u32 % 4, 16).unwrap_or('8');
        format!(
            "{}-{}-4{}-{variant}{}-{}",
            hex(8),
            hex(4),
            hex(3),
            hex(3),
            hex(12)
        )
    })
}

/// Resolves after `ms`; dropping it clears the timer, so a finished call
/// leaves nothing pending that would keep Node alive.
pub struct Sleep {
    promise: JsFuture,
    handle: JsValue,
}

/// Sleeps for `ms` milliseconds (clamped to what `setTimeout` takes).
pub fn sleep(ms: f64) -> Sleep {
    let ms = if ms.is_finite() {
        ms.clamp(0.0, 2_147_483_647.0)
    } else {
        2_147_483_647.0
    };
    let mut handle = JsValue::UNDEFINED;
    let promise = Promise::new(&mut |resolve, _reject| {
        handle = set_timeout(&resolve, ms);
    });
    Sleep {
        promise: JsFuture::from(promise),
        handle,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.promise).poll(cx).map(|_| ())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

/// Resolves when `signal` fires (at once if it already has); dropping it
/// removes the listener.
pub struct Aborted {
    promise: JsFuture,
    signal: AbortSignal,
    listener: Option<Function>,
}

/// Watches a caller's `AbortSignal`.
pub fn aborted(signal: &AbortSignal) -> Aborted {
    let mut listener = None;
    let promise = Promise::new(&mut |resolve, _reject| {
        if signal.aborted() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
            return;
        }
        let options = AddEventListenerOptions::new();
        options.set_once(true);
        let _ = signal.add_event_listener_with_callback_and_add_event_listener_options(
            "abort", &resolve, &options,
        );
        listener = Some(resolve);
    });
    Aborted {
        promise: JsFuture::from(promise),
        signal: signal.clone(),
        listener,
    }
}

impl Future for Aborted {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.promise).poll(cx).map(|_| ())
    }
}

impl Drop for Aborted {
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            let _ = self
                .signal
                .remove_event_listener_with_callback("abort", listener);
        }
    }
}

/// Which of two futures finished first.
pub enum First<A, B> {
    /// The first one.
    Left(A),
    /// The second one.
    Right(B),
}

/// Polls both futures and returns the first result; the other is dropped
/// (and with it any fetch or timer it owned).
pub async fn race<A, B>(mut a: A, mut b: B) -> First<A::Output, B::Output>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    std::future::poll_fn(|cx| {
        if let Poll::Ready(value) = Pin::new(&mut a).poll(cx) {
            return Poll::Ready(First::Left(value));
        }
        Pin::new(&mut b).poll(cx).map(First::Right)
    })
    .await
}

/// Awaits a JS value that may be a Promise (or any thenable) or a plain value.
pub async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value)).await
}
