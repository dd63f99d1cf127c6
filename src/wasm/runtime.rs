//! What the client needs from the JS host, bound to globals that exist in
//! pages, iframes, workers and Node 18+ alike (never `window`).

use crate::prelude::*;
use alloc::boxed::Box;
use alloc::rc::Rc;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID, catch)]
    fn crypto_random_uuid() -> Result<String, JsValue>;
}

/// A number in [0, 1), for a UUID without `crypto`.
fn random() -> f64 {
    js_sys::Math::random()
}

/// A fresh v4 UUID: `crypto.randomUUID()` where the host has it (secure
/// contexts, Node), otherwise built from `Math.random`.
pub fn new_uuid() -> String {
    crypto_random_uuid().unwrap_or_else(|_| {
        let digit = |below: f64, plus: u32| {
            char::from_digit((random() * below) as u32 + plus, 16).unwrap_or('0')
        };
        "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
            .chars()
            .map(|c| match c {
                'x' => digit(16.0, 0),
                // The variant: 8, 9, a or b.
                'y' => digit(4.0, 8),
                other => other,
            })
            .collect()
    })
}

/// Shared between a timer or listener callback and the future that waits.
#[derive(Default)]
struct Signal {
    fired: bool,
    waker: Option<Waker>,
}

/// A JS callback that marks `signal` fired and wakes its future. Owned by
/// the future and freed with it: a `JsFuture` on a promise that never
/// settles (a cleared timer) would keep its callbacks alive for good.
fn waking_callback(signal: &Rc<RefCell<Signal>>) -> Closure<dyn FnMut()> {
    let signal = Rc::clone(signal);
    Closure::new(move || {
        let mut signal = signal.borrow_mut();
        signal.fired = true;
        if let Some(waker) = signal.waker.take() {
            waker.wake();
        }
    })
}

fn poll_signal(signal: &Rc<RefCell<Signal>>, cx: &mut Context<'_>) -> Poll<()> {
    let mut signal = signal.borrow_mut();
    if signal.fired {
        Poll::Ready(())
    } else {
        signal.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Resolves after `ms`; dropping it clears the timer, so a finished call
/// leaves nothing pending that would keep Node alive.
pub struct Sleep {
    signal: Rc<RefCell<Signal>>,
    handle: JsValue,
    _callback: Closure<dyn FnMut()>,
}

/// Sleeps for `ms` milliseconds (clamped to what `setTimeout` takes).
pub fn sleep(ms: f64) -> Sleep {
    let ms = if ms.is_finite() {
        ms.clamp(0.0, 2_147_483_647.0)
    } else {
        2_147_483_647.0
    };
    let signal = Rc::new(RefCell::new(Signal::default()));
    let callback = waking_callback(&signal);
    let handle = set_timeout(callback.as_ref().unchecked_ref(), ms);
    Sleep {
        signal,
        handle,
        _callback: callback,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        poll_signal(&self.signal, cx)
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
    signal: Rc<RefCell<Signal>>,
    watched: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

/// Watches a caller's `AbortSignal`; without one, never fires. A signal
/// whose `aborted` getter throws counts as not aborted (the call options
/// were checked when the call started).
pub fn aborted(target: Option<&AbortSignal>) -> Aborted {
    let signal = Rc::new(RefCell::new(Signal {
        fired: target.is_some_and(is_aborted),
        waker: None,
    }));
    let watched = target.map(|target| {
        let listener = waking_callback(&signal);
        let _ = target.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        (target.clone(), listener)
    });
    Aborted { signal, watched }
}

impl Future for Aborted {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        poll_signal(&self.signal, cx)
    }
}

impl Drop for Aborted {
    fn drop(&mut self) {
        if let Some((target, listener)) = &self.watched {
            let _ = target
                .remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
    }
}

/// Runs `work` as a JS Promise. Boxed: one copy of the executor glue of
/// wasm-bindgen-futures serves every caller.
pub fn promise_of(work: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    wasm_bindgen_futures::future_to_promise(work)
}

/// Whether `signal` has fired; `false` if its getter throws.
pub fn is_aborted(signal: &AbortSignal) -> bool {
    super::convert::signal_aborted(signal).unwrap_or(false)
}

/// Awaits a JS value that may be a Promise (or any thenable) or a plain value.
///
/// Resolved through a fresh Promise's `resolve`, never `Promise.resolve`:
/// the latter reads `value.constructor`, and a value whose `constructor`
/// or `then` getter throws would throw through wasm. `resolve` turns both
/// into a rejection.
pub async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, _reject| {
        // `resolve` catches what reading `then` throws; the call itself
        // cannot throw, and is bound with catch regardless.
        let _ = resolve.call1(&JsValue::UNDEFINED, &value);
    });
    JsFuture::from(promise).await
}
