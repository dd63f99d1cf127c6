//! Readers for the PHP-flavoured JSON the portal sends (fact sheet §2.7):
//! the same counter as `0` or `"0"`, flags as `"Y"`/`"N"`, empty maps as
//! `[]`, maps keyed by id strings, percents as int or float, error codes as
//! string or number.

use crate::json::{Kind, Read, Reader};
use crate::prelude::*;

/// A non-negative integer sent as a number or a numeric string.
pub fn count(r: &mut Reader) -> Read<u64> {
    let at = r.position();
    let parsed = match r.peek() {
        Kind::Number => whole(r.number()?),
        Kind::String => parse_id(&r.string()?),
        _ => r.skip().map(|()| None)?,
    };
    parsed.ok_or_else(|| {
        r.shape(
            at,
            "expected a non-negative integer up to 2^53-1 (exact in JS), as a number or a string of digits",
        )
    })
}

/// Like [`count`], with `null` read as absent.
pub fn opt_count(r: &mut Reader) -> Read<Option<u64>> {
    if r.peek() == Kind::Null {
        r.literal()?;
        return Ok(None);
    }
    count(r).map(Some)
}

/// A number sent as an int, a float or a numeric string (`PERCENT`);
/// `null` reads as absent.
pub fn opt_number(r: &mut Reader) -> Read<Option<f64>> {
    let at = r.position();
    let parsed = match r.peek() {
        Kind::Null => {
            r.literal()?;
            return Ok(None);
        }
        Kind::Number => number(r.number()?),
        Kind::String => number(r.string()?.trim_ascii()),
        _ => r.skip().map(|()| None)?,
    };
    match parsed {
        Some(n) => Ok(Some(n)),
        None => Err(r.shape(at, "expected a number or a numeric string")),
    }
}

/// A flag sent as `"Y"`/`"N"`, a JSON bool, or `1`/`0` in either form.
pub fn flag(r: &mut Reader) -> Read<bool> {
    let at = r.position();
    let parsed = match r.peek() {
        Kind::Bool | Kind::Null => r.literal()?.or(Some(false)),
        Kind::Number => match r.number()? {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        },
        Kind::String => match r.string()?.as_ref() {
            "Y" | "y" | "1" | "true" => Some(true),
            "N" | "n" | "0" | "" | "false" => Some(false),
            _ => None,
        },
        _ => r.skip().map(|()| None)?,
    };
    parsed.ok_or_else(|| r.shape(at, "expected \"Y\", \"N\" or a boolean"))
}

/// A string that may be `null` (read as empty) or a number.
pub fn text(r: &mut Reader) -> Read<String> {
    let at = r.position();
    match r.peek() {
        Kind::String => Ok(r.string()?.into_owned()),
        Kind::Number => Ok(r.number()?.to_owned()),
        Kind::Null => r.literal().map(|_| String::new()),
        _ => {
            r.skip()?;
            Err(r.shape(at, "expected a string"))
        }
    }
}

/// A string or `null` (`None`).
pub fn opt_text(r: &mut Reader) -> Read<Option<String>> {
    if r.peek() == Kind::Null {
        r.literal()?;
        return Ok(None);
    }
    text(r).map(Some)
}

/// The portal's `error` field: a code string (`"ATTACH_NOT_FOUND"`, `"403"`,
/// `""`), or a JSON number on some paths.
pub fn code(r: &mut Reader) -> Read<Option<String>> {
    opt_text(r)
}

/// The values of a map keyed by id strings, in the order sent. An empty
/// PHP array arrives as `[]`, and a list is accepted as well.
pub fn values<T>(r: &mut Reader, mut item: impl FnMut(&mut Reader) -> Read<T>) -> Read<Vec<T>> {
    let mut items = Vec::new();
    each_value(r, &mut |r| item(r).map(|v| items.push(v)))?;
    Ok(items)
}

/// [`values`]' walk, compiled once for every item type.
fn each_value(r: &mut Reader, item: &mut dyn FnMut(&mut Reader) -> Read<()>) -> Read<()> {
    match r.peek() {
        Kind::Object => r.object(|r, _| item(r)),
        Kind::Array => r.array(|r, _| item(r)),
        _ => {
            let at = r.position();
            r.skip()?;
            Err(r.shape(at, "expected an object keyed by id, or an array"))
        }
    }
}

/// `userAnswerMap`: `{"<questionId>": {"<answerId>": {…}}}` → pairs of
/// question id and the answer ids chosen (ascending), or `[]` when the user
/// has not voted.
pub fn answer_map(r: &mut Reader) -> Read<Vec<(u64, Vec<u64>)>> {
    let mut chosen = Vec::new();
    match r.peek() {
        Kind::Object => r.object(|r, question| {
            let question = key_id(r, question)?;
            let mut answers = Vec::new();
            if r.peek() == Kind::Array {
                empty_array(r)?;
            } else {
                r.object(|r, answer| {
                    answers.push(key_id(r, answer)?);
                    r.skip()
                })?;
            }
            crate::tally::sort_by_key(&mut answers, |id| u128::from(*id));
            chosen.push((question, answers));
            Ok(())
        })?,
        Kind::Array => empty_array(r)?,
        Kind::Null => {
            r.literal()?;
        }
        _ => {
            let at = r.position();
            r.skip()?;
            return Err(r.shape(at, "expected a map of question id to chosen answers, or []"));
        }
    }
    Ok(chosen)
}

/// `[]`, PHP's empty array; anything in it is an error.
pub fn empty_array(r: &mut Reader) -> Read<()> {
    let at = r.position();
    let mut items = 0;
    r.array(|r, _| {
        items += 1;
        r.skip()
    })?;
    if items == 0 {
        Ok(())
    } else {
        Err(r.shape(at, "expected an empty array"))
    }
}

/// A map key that must be a decimal id.
fn key_id(r: &Reader, key: &str) -> Read<u64> {
    parse_id(key).ok_or_else(|| {
        // The message's path ends with the key itself.
        r.shape(r.here(), "expected an id as the key")
    })
}

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`):
/// ids and counters above it would reach JS rounded, so they are refused.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Parses a decimal id or count as PHP writes it; `None` for anything else,
/// including values above [`MAX_SAFE_INTEGER`].
pub fn parse_id(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.bytes()
        .try_fold(0u64, |n, b| {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
        .filter(|n| *n <= MAX_SAFE_INTEGER)
}

/// A whole, non-negative count from a JSON number (`3`, `3.0`).
fn whole(number_text: &str) -> Option<u64> {
    parse_id(number_text).or_else(|| whole_f64(number(number_text)?))
}

/// `value` as a count when it is whole, non-negative and exact
/// (≤ [`MAX_SAFE_INTEGER`]).
pub fn whole_f64(value: f64) -> Option<u64> {
    // `as u64` saturates and drops any fraction: equal back means whole.
    ((0.0..=MAX_SAFE_INTEGER as f64).contains(&value) && value == (value as u64) as f64)
        .then_some(value as u64)
}

/// A number's value, from JSON number text or a numeric string: correctly
/// rounded for up to 15 significant digits (what the portal sends, e.g.
/// `33.33`); longer or exponent forms are read to within a few ulps.
fn number(text: &str) -> Option<f64> {
    let (negative, bytes) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        bytes => (false, bytes),
    };
    // Up to 18 significant digits; the rest only moves the exponent.
    let (mut value, mut scale, mut kept, mut digits) = (0u64, 0i32, 0, 0);
    let mut in_fraction = false;
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'0'..=b'9' if kept < 18 => {
                kept += usize::from(value > 0 || b != b'0');
                value = value * 10 + u64::from(b - b'0');
                scale -= i32::from(in_fraction);
            }
            b'0'..=b'9' => scale += i32::from(!in_fraction),
            b'.' if !in_fraction => in_fraction = true,
            _ => break,
        }
        digits += usize::from(b.is_ascii_digit());
        at += 1;
    }
    if let Some((b'e' | b'E', exponent)) = bytes.get(at..).and_then(<[u8]>::split_first) {
        let (sign, exponent) = match exponent {
            [b'-', rest @ ..] => (-1, rest),
            [b'+', rest @ ..] => (1, rest),
            rest => (1, rest),
        };
        let exponent = core::str::from_utf8(exponent).ok()?.parse::<i32>().ok()?;
        scale = scale.saturating_add(sign * exponent);
    } else if at != bytes.len() {
        return None;
    }
    if digits == 0 {
        return None;
    }
    // Both operands exact (< 2^53 and 10^k, k ≤ 22): one correctly rounded
    // division.
    let magnitude = if (-22..0).contains(&scale) && value < 1 << 53 {
        value as f64 / power_of_ten(-scale)
    } else {
        value as f64 * power_of_ten(scale)
    };
    magnitude
        .is_finite()
        .then_some(if negative { -magnitude } else { magnitude })
}

/// 10^exponent (core has no `powi` without std); exact up to 10^22.
fn power_of_ten(exponent: i32) -> f64 {
    let mut power = 1.0;
    // Past 10^308 it is infinite (or 0 below): no need to go on.
    for _ in 0..exponent.unsigned_abs().min(400) {
        power *= 10.0;
    }
    if exponent < 0 {
        1.0 / power
    } else {
        power
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T>(json: &str, f: impl FnOnce(&mut Reader) -> Read<T>) -> Option<T> {
        let mut r = Reader::new(json);
        f(&mut r).ok()
    }

    #[test]
    fn counts_as_numbers_or_strings() {
        assert_eq!(read("3", count), Some(3));
        assert_eq!(read(r#""3""#, count), Some(3));
        assert_eq!(read("3.0", count), Some(3));
        assert_eq!(read("-1", count), None);
        assert_eq!(read(r#""3a""#, count), None);
        assert_eq!(read("2.5", count), None);
        assert_eq!(read(r#""""#, count), None);
        assert_eq!(read("99999999999999999999", count), None);
        assert_eq!(read("null", opt_count), Some(None));
    }

    #[test]
    fn flags_and_percents_and_codes() {
        assert_eq!(read(r#""Y""#, flag), Some(true));
        assert_eq!(read(r#""N""#, flag), Some(false));
        assert_eq!(read("true", flag), Some(true));
        assert_eq!(read(r#""maybe""#, flag), None);
        assert_eq!(read("33.33", opt_number), Some(Some(33.33)));
        assert_eq!(read("100", opt_number), Some(Some(100.0)));
        assert_eq!(read(r#""12.5""#, opt_number), Some(Some(12.5)));
        assert_eq!(
            read("33.333333333333336", opt_number)
                .flatten()
                .map(|p| (p - 100.0 / 3.0).abs() < 1e-12),
            Some(true)
        );
        assert_eq!(read("1.5e2", opt_number), Some(Some(150.0)));
        assert_eq!(read("null", opt_number), Some(None));
        assert_eq!(read("403", code), Some(Some("403".into())));
        assert_eq!(read(r#""""#, code), Some(Some(String::new())));
    }

    #[test]
    fn answer_map_reads_objects_and_empty_arrays() {
        let m = read(r#"{"1": {"5": {}, "3": {}}, "2": {"7": {}}}"#, answer_map);
        assert_eq!(m, Some(vec![(1, vec![3, 5]), (2, vec![7])]));
        assert_eq!(read("[]", answer_map), Some(vec![]));
        assert_eq!(read("[1]", answer_map), None);
        assert_eq!(read(r#"{"x": {}}"#, answer_map), None);
    }

    #[test]
    fn decimals_are_exact_up_to_15_digits() {
        assert_eq!(number("12.5"), Some(12.5));
        assert_eq!(number("0.1"), Some(0.1));
        assert_eq!(number("33.33"), Some(33.33));
        assert_eq!(number("-3"), Some(-3.0));
        assert_eq!(number("1e2"), Some(100.0));
        assert_eq!(number("2.5E-1"), Some(0.25));
        assert_eq!(number("1.2.3"), None);
        assert_eq!(number("-"), None);
        assert_eq!(number("1e"), None);
    }
}
