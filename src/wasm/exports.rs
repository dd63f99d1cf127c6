//! Functions exported to JS as they are: the decoder and the tally.

use super::convert::{array_argument, field, js_string_to_rust, to_js, whole_number, Thrown};
use crate::error::Error;
use crate::prelude::*;
use crate::tally::{self, TallyOptions};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("../types.d.ts");

// The started `WebAssembly.Instance`, for init() and initSync() of the
// package's Node entry point (pkg-template/b24_vote.cjs): wasm-bindgen's
// nodejs build starts the module on load but does not export its instance.
// Internal, so not in index.d.ts; a `//` comment, as wasm-bindgen copies doc
// comments into the JS glue that browsers download.
#[allow(missing_docs)]
#[wasm_bindgen(js_name = "__wasmInstance", skip_typescript)]
pub fn wasm_instance() -> JsValue {
    wasm_bindgen::instance()
}

/// Decodes the body text of a REST response that carries one poll.
#[wasm_bindgen(js_name = parseVoteResponse, unchecked_return_type = "AttachedVote")]
pub fn parse_vote_response(
    #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
) -> Result<JsValue, Thrown> {
    let Some(body) = body.dyn_ref::<js_sys::JsString>() else {
        return Err(Error::decode("the body must be a string").into());
    };
    let body = js_string_to_rust(body);
    let attach = crate::decode::parse_vote_response(&body)?;
    Ok(to_js(&attach)?)
}

/// Display percentages for vote counts, exactly as the portal's widget.
#[wasm_bindgen(unchecked_return_type = "number[]")]
pub fn percentages(
    #[wasm_bindgen(unchecked_param_type = "number[]")] votes: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "PercentagesOptions")] options: JsValue,
) -> Result<JsValue, Thrown> {
    let votes = vote_counts(&votes)?;
    let options = tally_options(&options)?;
    let shown = tally::percentages(&votes, options)?;
    // Two boundary calls for the whole list, not one per number.
    let typed = js_sys::Float64Array::from(&shown[..]);
    Ok(js_sys::Array::from(&typed).into())
}

fn vote_counts(votes: &JsValue) -> Result<Vec<u64>, Error> {
    let Some(votes) = array_argument(votes, "votes")? else {
        return Err(Error::invalid_argument("votes must be an array of counts"));
    };
    // The copy as JSON text: one (catching) call for the whole array, in
    // which whole numbers are plain digits and anything else is not.
    let text = js_sys::JSON::stringify(&votes)
        .ok()
        .and_then(|t| t.as_string());
    if let Some(counts) = text.as_deref().and_then(digit_list) {
        return Ok(counts);
    }
    // Not all whole numbers: find the first that is not, to name it.
    let mut counts = Vec::new();
    for (i, v) in votes.iter().enumerate() {
        let count = whole_number(&v).ok_or_else(|| {
            Error::invalid_argument(format!(
                "votes[{i}] must be a whole number ≥ 0, got {}",
                describe(&v)
            ))
        })?;
        counts.push(count);
    }
    Ok(counts)
}

/// `[3,0,12]` as counts; `None` when an entry is not plain digits up to
/// 2^53-1 (a fraction, an exponent, a string, `null` for NaN, an object).
fn digit_list(text: &str) -> Option<Vec<u64>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    inner.split(',').map(crate::lenient::parse_id).collect()
}

fn tally_options(options: &JsValue) -> Result<TallyOptions, Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(TallyOptions::default());
    }
    if !options.is_object() {
        return Err(Error::invalid_argument("options must be an object"));
    }
    let multiple = field(options, "multiple")?;
    let voters = field(options, "voters")?;
    let decimals = field(options, "decimals")?;
    let count = |value: &JsValue, name: &str| -> Result<Option<u64>, Error> {
        if value.is_undefined() {
            return Ok(None);
        }
        whole_number(value).map(Some).ok_or_else(|| {
            Error::invalid_argument(format!(
                "{name} must be a whole number ≥ 0, got {}",
                describe(value)
            ))
        })
    };
    let decimals = count(&decimals, "decimals")?.unwrap_or(0);
    Ok(TallyOptions {
        multiple: if multiple.is_undefined() {
            false
        } else {
            multiple
                .as_bool()
                .ok_or_else(|| Error::invalid_argument("multiple must be a boolean"))?
        },
        voters: count(&voters, "voters")?,
        decimals: u8::try_from(decimals)
            .ok()
            .filter(|d| *d <= 2)
            .ok_or_else(|| Error::invalid_argument("decimals must be 0, 1 or 2"))?,
    })
}

/// A short, safe rendering of a bad input value for error messages.
fn describe(value: &JsValue) -> &'static str {
    if value.is_undefined() {
        "undefined"
    } else if value.as_f64().is_some() {
        "a number that is not a whole count"
    } else if value.is_string() {
        "a string"
    } else {
        "a non-number"
    }
}
