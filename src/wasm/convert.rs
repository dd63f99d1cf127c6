//! Rust values to JS values and back.

use crate::decode::ToJson;
use crate::error::Error;
use js_sys::{Reflect, JSON};
use wasm_bindgen::prelude::*;

/// A Rust result as a plain JS object: written as JSON in wasm and read
/// back with the engine's own `JSON.parse`, which builds plain objects with
/// arrays, numbers and `null` faster than one boundary call per field.
pub fn to_js<T: ToJson>(value: &T) -> Result<JsValue, JsValue> {
    JSON::parse(&value.to_json())
}

/// A `B24VoteError`: a real JS `Error` with `name`, `code`, `status`,
/// `description`, `retryable` and `method`.
pub fn error_to_js(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.message());
    js.set_name("B24VoteError");
    let fields: [(&str, JsValue); 5] = [
        ("code", error.code().into()),
        ("status", error.status().into()),
        ("description", error.description().into()),
        ("retryable", error.retryable().into()),
        (
            "method",
            error.method().map_or(JsValue::NULL, JsValue::from),
        ),
    ];
    for (key, value) in fields {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&js, &key.into(), &value);
    }
    js.into()
}

/// `value[key]`, or `undefined` when `value` is not an object.
pub fn get(value: &JsValue, key: &str) -> JsValue {
    if value.is_object() || value.is_function() {
        Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// A whole, non-negative, finite JS number as `u64`.
pub fn whole_number(value: &JsValue) -> Option<u64> {
    let n = value.as_f64()?;
    (n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0)
        .then_some(n as u64)
}
