//! Rust values to JS values and back.

use crate::error::Error;
use crate::prelude::*;
use alloc::vec;
use core::cell::RefCell;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A Rust result as a plain JS object (maps as objects, never `Map`).
pub fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, Error> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| Error::decode(format!("the result could not be handed to JS: {e}")))
}

/// An [`Error`] on its way to JS. `?` turns an `Error` into it in the
/// exports, and wasm-bindgen throws (or rejects with) it as a
/// `B24VoteError`; a newtype because neither `Error` nor `JsValue` is ours.
#[derive(Debug)]
pub struct Thrown(Error);

impl From<Error> for Thrown {
    fn from(error: Error) -> Self {
        Thrown(error)
    }
}

impl From<Thrown> for JsValue {
    fn from(thrown: Thrown) -> Self {
        error_to_js(&thrown.0)
    }
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

/// `value[key]` through `Reflect.get`, whose binding catches: what a getter
/// or a Proxy trap throws comes back as `Err`, never as a JS exception
/// unwinding through wasm. `undefined` when `value` is not an object.
pub fn try_get(value: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if value.is_object() || value.is_function() {
        Reflect::get(value, &key.into())
    } else {
        Ok(JsValue::UNDEFINED)
    }
}

/// `value[key]` of a caller's argument: a getter that throws is an
/// `INVALID_ARGUMENT` naming the field, not "absent".
pub fn field(value: &JsValue, key: &str) -> Result<JsValue, Error> {
    try_get(value, key)
        .map_err(|_| Error::invalid_argument(format!("reading {key} threw an exception")))
}

/// `value[key]` where a failure only loses detail (the text of an error
/// being reported): a throwing getter reads as `undefined`.
pub fn get_or_undefined(value: &JsValue, key: &str) -> JsValue {
    try_get(value, key).unwrap_or(JsValue::UNDEFINED)
}

#[wasm_bindgen]
extern "C" {
    // Catching bindings of the built-ins used on caller values: each may
    // run a caller's Proxy trap or getter (js-sys binds them without catch).
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = from)]
    fn array_from(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn object_entries(value: &JsValue) -> Result<js_sys::Array, JsValue>;

    /// What may be an `AbortSignal`, read through a catching getter.
    type MaybeSignal;
    #[wasm_bindgen(catch, method, getter, structural)]
    fn aborted(this: &MaybeSignal) -> Result<JsValue, JsValue>;
}

/// The caller's value as a real array (a copy), or `None` when it is not
/// an array; `name` is the argument, for the error when reading it throws.
pub fn array_argument(value: &JsValue, name: &str) -> Result<Option<js_sys::Array>, Error> {
    let threw = || Error::invalid_argument(format!("reading {name} threw an exception"));
    if !array_is_array(value).map_err(|_| threw())? {
        return Ok(None);
    }
    array_from(value).map(Some).map_err(|_| threw())
}

/// `Object.entries` of the caller's object, as `[key, value]` arrays.
pub fn entries_argument(value: &JsValue, name: &str) -> Result<js_sys::Array, Error> {
    object_entries(value)
        .map_err(|_| Error::invalid_argument(format!("reading {name} threw an exception")))
}

/// `signal.aborted`, or `Err` when the getter throws (an object that only
/// pretends to be an `AbortSignal`).
pub fn signal_aborted(signal: &web_sys::AbortSignal) -> Result<bool, JsValue> {
    let signal: &MaybeSignal = signal.unchecked_ref();
    signal
        .aborted()
        .map(|aborted| aborted.as_bool() == Some(true))
}

/// A whole, non-negative, finite JS number as `u64`.
pub fn whole_number(value: &JsValue) -> Option<u64> {
    crate::lenient::whole_f64(value.as_f64()?).filter(|n| *n < 1 << 53)
}

#[wasm_bindgen]
extern "C" {
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(
        this: &Utf8Encoder,
        source: &js_sys::JsString,
        dest: &js_sys::Uint8Array,
    ) -> Encoded;

    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

/// JS objects kept for the life of the module, so that decoding a body
/// does not build them again on every call (3% of `parseVoteResponse` on
/// the docs' recall body). A plain `static`: the npm build has no std, so
/// no `thread_local!`. The borrows are held only across calls into engine
/// built-ins (`TextEncoder`, typed arrays), which cannot re-enter.
struct Cache {
    encoder: RefCell<Option<Utf8Encoder>>,
    /// A view of all of wasm memory; rebuilt when growing detaches it.
    memory: RefCell<Option<js_sys::Uint8Array>>,
}

// SAFETY: wasm32 without the `atomics` target feature runs one thread, so
// the cache is never shared between threads (the build refuses `atomics`).
unsafe impl Sync for Cache {}

#[cfg(target_feature = "atomics")]
compile_error!("b24-vote assumes single-threaded wasm (no `atomics`)");

static CACHE: Cache = Cache {
    encoder: RefCell::new(None),
    memory: RefCell::new(None),
};

/// A JS string as a Rust `String`, encoded by the engine's own
/// `TextEncoder.encodeInto` straight into wasm memory. The glue's default
/// copy loops over the string one character at a time, which cost more
/// than the whole JSON.parse of a response.
pub fn js_string_to_rust(text: &js_sys::JsString) -> String {
    let units = text.length();
    // Enough for ASCII; grown (and the rest encoded) when it is not.
    let mut bytes = vec![0u8; units as usize];
    let mut written = 0usize;
    let mut rest: Option<js_sys::JsString> = None;
    let mut encoder = CACHE.encoder.borrow_mut();
    let encoder = encoder.get_or_insert_with(Utf8Encoder::new);
    loop {
        let source = rest.as_ref().unwrap_or(text);
        let view = memory_view(&mut bytes, written);
        let result = encoder.encode_into(source, &view);
        written += result.written() as usize;
        let (read, length) = (result.read(), source.length());
        if read >= length {
            break;
        }
        let left = source.slice(read, length);
        // At most 3 bytes per UTF-16 unit left.
        bytes.resize(written + left.length() as usize * 3, 0);
        rest = Some(left);
    }
    bytes.truncate(written);
    // encodeInto writes valid UTF-8 (lone surrogates become U+FFFD).
    String::from_utf8(bytes).unwrap_or_default()
}

/// A `Uint8Array` over `bytes[from..]` in wasm memory; valid until `bytes`
/// is reallocated or memory grows, so it is used at once.
fn memory_view(bytes: &mut [u8], from: usize) -> js_sys::Uint8Array {
    let start = (bytes.as_mut_ptr() as usize + from) as u32;
    let end = (bytes.as_mut_ptr() as usize + bytes.len()) as u32;
    let mut memory = CACHE.memory.borrow_mut();
    let whole = match memory.as_ref() {
        Some(view) if view.byte_length() > 0 => view,
        _ => {
            let buffer = get_or_undefined(&wasm_bindgen::memory(), "buffer");
            memory.insert(js_sys::Uint8Array::new(&buffer))
        }
    };
    whole.subarray(start, end)
}

/// `url` (a webhook URL, or a portal domain with or without a scheme) with
/// a Unicode host converted to ASCII (punycode) by the platform's own URL
/// parser, as browsers convert it; a crate with the Unicode tables would
/// cost far more of the package. ASCII input is returned as it is, and
/// `Endpoint` checks the result either way.
pub fn ascii_host(url: &str) -> Result<String, Error> {
    if url.is_ascii() {
        return Ok(url.to_owned());
    }
    let (scheme, rest) = match crate::error::find(url, "://") {
        Some(at) => (url.get(..at + 3), url.get(at + 3..)),
        None => (Some(""), Some(url)),
    };
    let (Some(scheme), Some(rest)) = (scheme, rest) else {
        return Ok(url.to_owned());
    };
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .unwrap_or(rest.len());
    let (Some(authority), Some(tail)) = (rest.get(..end), rest.get(end..)) else {
        return Ok(url.to_owned());
    };
    // User info would be dropped by the parser: leave it for the checks
    // that refuse it.
    if authority.is_ascii() || authority.contains('@') {
        return Ok(url.to_owned());
    }
    let parsed = web_sys::Url::new(&format!("http://{authority}/"))
        .map_err(|_| Error::invalid_argument("the portal host is not a valid host name"))?;
    Ok(format!("{scheme}{}{tail}", parsed.host()))
}
