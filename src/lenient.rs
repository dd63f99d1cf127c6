//! Readers for the PHP-flavoured JSON the portal sends (fact sheet §2.7):
//! the same counter as `0` or `"0"`, flags as `"Y"`/`"N"`, empty maps as
//! `[]`, maps keyed by id strings, percents as int or float, error codes as
//! string or number. Each is a hand-written visitor, so nothing is buffered
//! on the hot path.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// A non-negative integer sent as a number or a numeric string.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(CountVisitor)
}

/// Like [`count`], with `null` read as absent.
pub fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(OptionVisitor(CountVisitor))
}

/// A number sent as an int, a float or a numeric string (`PERCENT`).
pub fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(OptionVisitor(NumberVisitor))
}

/// A flag sent as `"Y"`/`"N"`, a JSON bool, or `1`/`0` in either form.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(FlagVisitor)
}

/// A string that may be `null` (read as empty) or a number.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(TextVisitor)
}

/// The portal's `error` field: a code string (`"ATTACH_NOT_FOUND"`, `"403"`,
/// `""`), or a JSON number on some paths.
pub fn code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(OptionVisitor(TextVisitor))
}

/// The values of a map keyed by id strings, in the order sent. An empty
/// PHP array arrives as `[]`, and a list is accepted as well.
pub fn values<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(ValuesVisitor(PhantomData))
}

/// `userAnswerMap`: `{"<questionId>": {"<answerId>": {…}}}` → pairs of
/// question id and the answer ids chosen, or `[]` when the user has not voted.
pub fn answer_map<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u64, Vec<u64>)>, D::Error> {
    d.deserialize_any(AnswerMapVisitor)
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative integer or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        // PHP floats such as `1.0` from arithmetic are still whole counts.
        if v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_992.0 {
            Ok(v as u64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        parse_id(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// Parses a decimal id or count as PHP writes it; `None` for anything else.
pub fn parse_id(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a numeric string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        decimal(v.trim()).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("\"Y\", \"N\" or a boolean")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v {
            "Y" | "y" | "1" | "true" => Ok(true),
            "N" | "n" | "0" | "" | "false" => Ok(false),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
}

/// Wraps a visitor so that `null` reads as `None`.
struct OptionVisitor<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for OptionVisitor<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)?;
        f.write_str(" or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.0.visit_bool(v).map(Some)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.0.visit_u64(v).map(Some)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.0.visit_i64(v).map(Some)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.0.visit_f64(v).map(Some)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.0.visit_str(v).map(Some)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.0.visit_string(v).map(Some)
    }
}

struct ValuesVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ValuesVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object keyed by id, or an array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(IgnoredAny) = map.next_key()? {
            items.push(map.next_value()?);
        }
        Ok(items)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(items)
    }
}

struct AnswerMapVisitor;

impl<'de> Visitor<'de> for AnswerMapVisitor {
    type Value = Vec<(u64, Vec<u64>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of question id to chosen answers, or []")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut chosen = Vec::new();
        while let Some(question) = map.next_key::<IdKey>()? {
            let answers = map.next_value::<AnswerIds>()?;
            chosen.push((question.0, answers.0));
        }
        Ok(chosen)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Only the empty PHP array is meaningful here.
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(Vec::new()),
            Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// A map key that must be a decimal id.
struct IdKey(u64);

impl<'de> Deserialize<'de> for IdKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CountVisitor).map(IdKey)
    }
}

/// The keys of `{"<answerId>": {…}}`, ascending.
struct AnswerIds(Vec<u64>);

impl<'de> Deserialize<'de> for AnswerIds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AnswerIdsVisitor;
        impl<'de> Visitor<'de> for AnswerIdsVisitor {
            type Value = AnswerIds;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map keyed by answer id")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnswerIds, A::Error> {
                let mut ids = Vec::with_capacity(2);
                while let Some(IdKey(id)) = map.next_key()? {
                    map.next_value::<IgnoredAny>()?;
                    ids.push(id);
                }
                crate::tally::small_sort_by(&mut ids, |a, b| a < b);
                Ok(AnswerIds(ids))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnswerIds, A::Error> {
                match seq.next_element::<IgnoredAny>()? {
                    None => Ok(AnswerIds(Vec::new())),
                    Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
                }
            }
        }
        d.deserialize_any(AnswerIdsVisitor)
    }
}

/// A plain decimal ("33.33", "-1", "100") as the nearest f64, exactly as
/// `str::parse` gives it, for up to 15 significant digits and no exponent;
/// `None` otherwise. core's `f64::from_str` costs ~12 KB of wasm.
fn decimal(s: &str) -> Option<f64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let significant = whole.trim_start_matches('0').len() + fraction.len();
    if significant > 15
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mantissa = whole
        .bytes()
        .chain(fraction.bytes())
        .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    // Both operands are exact in f64 (< 2^53 and 10^k, k <= 15), and IEEE
    // division rounds once: the result is the correctly rounded value.
    let value = mantissa as f64 / 10f64.powi(fraction.len() as i32);
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "count", default)]
        n: u64,
        #[serde(deserialize_with = "flag", default)]
        f: bool,
        #[serde(deserialize_with = "opt_number", default)]
        p: Option<f64>,
        #[serde(deserialize_with = "code", default)]
        e: Option<String>,
        #[serde(deserialize_with = "answer_map", default)]
        m: Vec<(u64, Vec<u64>)>,
    }

    fn probe(json: &str) -> Result<Probe, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn counts_as_numbers_or_strings() {
        assert_eq!(probe(r#"{"n": 3}"#).unwrap().n, 3);
        assert_eq!(probe(r#"{"n": "3"}"#).unwrap().n, 3);
        assert_eq!(probe(r#"{"n": 3.0}"#).unwrap().n, 3);
        assert!(probe(r#"{"n": -1}"#).is_err());
        assert!(probe(r#"{"n": "3a"}"#).is_err());
        assert!(probe(r#"{"n": 2.5}"#).is_err());
        assert!(probe(r#"{"n": ""}"#).is_err());
    }

    #[test]
    fn flags_and_percents_and_codes() {
        assert!(probe(r#"{"f": "Y"}"#).unwrap().f);
        assert!(!probe(r#"{"f": "N"}"#).unwrap().f);
        assert!(probe(r#"{"f": true}"#).unwrap().f);
        assert!(probe(r#"{"f": "maybe"}"#).is_err());
        assert_eq!(probe(r#"{"p": 33.33}"#).unwrap().p, Some(33.33));
        assert_eq!(probe(r#"{"p": 100}"#).unwrap().p, Some(100.0));
        assert_eq!(probe(r#"{"p": null}"#).unwrap().p, None);
        assert_eq!(probe(r#"{"e": 403}"#).unwrap().e.as_deref(), Some("403"));
        assert_eq!(probe(r#"{"e": ""}"#).unwrap().e.as_deref(), Some(""));
    }

    #[test]
    fn answer_map_reads_objects_and_empty_arrays() {
        let m = probe(r#"{"m": {"1": {"5": {}, "3": {}}, "2": {"7": {}}}}"#)
            .unwrap()
            .m;
        assert_eq!(m, vec![(1, vec![3, 5]), (2, vec![7])]);
        assert!(probe(r#"{"m": []}"#).unwrap().m.is_empty());
        assert!(probe(r#"{"m": [1]}"#).is_err());
        assert!(probe(r#"{"m": {"x": {}}}"#).is_err());
    }
}

#[cfg(test)]
mod decimal_tests {
    #[test]
    fn matches_core_parse() {
        for s in [
            "0",
            "33.33",
            "66.67",
            "100",
            "0.1",
            "-2.5",
            "12345678901.2345",
            ".5",
            "5.",
            "007.25",
        ] {
            assert_eq!(super::decimal(s), s.parse::<f64>().ok(), "{s}");
        }
        for s in ["", ".", "-", "1e3", "1.2.3", "abc", "1234567890123456"] {
            assert_eq!(super::decimal(s), None, "{s}");
        }
    }
}
