//! The client's host in JS: fetch, timers, `crypto` and the engine's
//! clock, bound to globals that exist in pages, iframes, workers and Node
//! 18+ alike (never `window`).

use crate::error::Result;
use crate::host::{Host, Reply};
use crate::prelude::*;
use core::future::Future;

use super::runtime;
use super::transport;

/// The JS platform.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsHost;

impl Host for JsHost {
    fn post_form(
        &self,
        url: &str,
        body: String,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Reply>> {
        transport::post_form(url, body, max_bytes)
    }

    fn sleep(&self, ms: f64) -> impl Future<Output = ()> + 'static {
        runtime::sleep(ms)
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn new_uuid(&self) -> String {
        runtime::new_uuid()
    }
}
