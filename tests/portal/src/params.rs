//! Request parameters: query string, JSON, `application/x-www-form-urlencoded` and
//! `multipart/form-data` bodies, all turned into one JSON-like map the way PHP builds
//! `$_REQUEST` (bracket syntax `a[b][]=1` becomes nested maps, `[]` appends).
//!
//! Form arrays become JSON objects keyed `"0"`, `"1"`…, as PHP arrays are ordered maps;
//! [`as_list`] reads arrays and such objects alike.

use serde_json::{Map, Value};

/// PHP's default `max_input_nesting_level`.
pub const MAX_NESTING: usize = 64;

/// The merged parameters of one request.
pub type Params = Map<String, Value>;

/// Parses `a=1&b[]=2&c[x][]=3` into `params` (PHP bracket syntax).
pub fn parse_urlencoded(input: &[u8], params: &mut Params) {
    for (name, value) in form_urlencoded::parse(input) {
        insert_php(params, &name, Value::String(value.into_owned()));
    }
}

/// Parses a JSON body. Only an object contributes parameters; anything else is ignored,
/// so the call then fails on its missing parameters like a portal would.
pub fn parse_json(input: &[u8], params: &mut Params) {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(input) {
        for (k, v) in map {
            params.insert(k, v);
        }
    }
}

/// Inserts one `name=value` pair the way PHP's `php_register_variable_ex` does.
pub fn insert_php(params: &mut Params, name: &str, value: Value) {
    let (base, segments) = split_name(name);
    // PHP drops variables nested deeper than `max_input_nesting_level` (64).
    if base.is_empty() || segments.len() > MAX_NESTING {
        return;
    }
    if segments.is_empty() {
        params.insert(base, value);
        return;
    }
    let slot = params
        .entry(base)
        .or_insert_with(|| Value::Object(Map::new()));
    insert_at(slot, &segments, value);
}

fn insert_at(slot: &mut Value, segments: &[Option<String>], value: Value) {
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    let Value::Object(map) = slot else {
        return;
    };
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    let key = match first {
        Some(k) => k.clone(),
        None => next_index(map).to_string(),
    };
    if rest.is_empty() {
        map.insert(key, value);
    } else {
        let next = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
        insert_at(next, rest, value);
    }
}

/// PHP's next free integer key: one more than the largest integer key, or 0.
fn next_index(map: &Map<String, Value>) -> i64 {
    map.keys()
        .filter_map(|k| k.parse::<i64>().ok())
        .max()
        .map_or(0, |m| m + 1)
}

/// Splits `a[b][]` into `("a", [Some("b"), None])`. A name whose first `[` is never closed
/// is taken literally with that `[` turned into `_` (PHP does the same); text after the last
/// `]` is ignored.
fn split_name(name: &str) -> (String, Vec<Option<String>>) {
    let Some(open) = name.find('[') else {
        return (name.to_string(), Vec::new());
    };
    let base = &name[..open];
    let mut segments = Vec::new();
    let mut rest = &name[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(close) => {
                let key = &stripped[..close];
                segments.push(if key.is_empty() {
                    None
                } else {
                    Some(key.to_string())
                });
                rest = &stripped[close + 1..];
            }
            None => {
                if segments.is_empty() {
                    let literal = format!("{base}_{stripped}");
                    return (literal, Vec::new());
                }
                break;
            }
        }
    }
    (base.to_string(), segments)
}

/// The items of an array, of a PHP-style map, or a scalar taken as a one-item list.
pub fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => map.values().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// What an `int` controller parameter binds to.
#[derive(Debug, Clone, PartialEq)]
pub enum IntParam {
    /// Not sent at all.
    Missing,
    /// Sent but not an integer; carries the value as text for the error message.
    Invalid(String),
    /// An integer, from a JSON number or a numeric string (`"13"`), as PHP coerces it.
    Value(i64),
}

/// Reads an integer parameter with PHP-like coercion of numeric strings.
pub fn int_param(params: &Params, key: &str) -> IntParam {
    match params.get(key) {
        None | Some(Value::Null) => IntParam::Missing,
        Some(v) => match to_int(v) {
            Some(n) => IntParam::Value(n),
            None => IntParam::Invalid(display(v)),
        },
    }
}

/// An integer from a JSON number (integral) or a numeric string.
pub fn to_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.parse::<i64>().ok()
        }
        _ => None,
    }
}

/// A scalar as a string (strings as is, numbers and booleans printed); `None` for
/// arrays, objects and null.
pub fn to_str(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { String::new() }),
        _ => None,
    }
}

/// A value as PHP would print it in an error message.
pub fn display(value: &Value) -> String {
    match value {
        Value::Array(_) | Value::Object(_) => "Array".to_string(),
        other => to_str(other).unwrap_or_default(),
    }
}

/// PHP truthiness of a flag parameter (`"Y"`, `"1"`, `true`…).
pub fn to_bool(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !matches!(s.as_str(), "" | "0" | "N" | "n" | "false"),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Null => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(s: &str) -> Value {
        let mut p = Params::new();
        parse_urlencoded(s.as_bytes(), &mut p);
        Value::Object(p)
    }

    #[test]
    fn brackets() {
        assert_eq!(
            parse("ballot[1][]=3&ballot[1][]=5&attachId=1"),
            json!({"ballot": {"1": {"0": "3", "1": "5"}}, "attachId": "1"})
        );
        assert_eq!(
            parse("entityIds[]=13&entityIds[]=14"),
            json!({"entityIds": {"0": "13", "1": "14"}})
        );
        assert_eq!(parse("a[b]=1&a[c]=2"), json!({"a": {"b": "1", "c": "2"}}));
        assert_eq!(
            parse("entityType=Bitrix%5CVote%5CAttachment%5CImMessageConnector"),
            json!({"entityType": "Bitrix\\Vote\\Attachment\\ImMessageConnector"})
        );
        assert_eq!(parse("a[5]=x&a[]=y"), json!({"a": {"5": "x", "6": "y"}}));
        assert_eq!(parse("a[b=1"), json!({"a_b": "1"}));
        assert_eq!(parse("[x]=1&=2"), json!({}));
        assert_eq!(parse("a=1&a[]=2"), json!({"a": {"0": "2"}}));
        let deep = format!("a{}=1&b=2", "[]".repeat(10_000));
        assert_eq!(parse(&deep), json!({"b": "2"}));
    }

    #[test]
    fn ints() {
        let mut p = Params::new();
        p.insert("a".into(), json!("13"));
        p.insert("b".into(), json!(13));
        p.insert("c".into(), json!("x1"));
        p.insert("d".into(), json!(2.0));
        p.insert("e".into(), json!(""));
        assert_eq!(int_param(&p, "a"), IntParam::Value(13));
        assert_eq!(int_param(&p, "b"), IntParam::Value(13));
        assert_eq!(int_param(&p, "c"), IntParam::Invalid("x1".into()));
        assert_eq!(int_param(&p, "d"), IntParam::Value(2));
        assert_eq!(int_param(&p, "e"), IntParam::Invalid(String::new()));
        assert_eq!(int_param(&p, "z"), IntParam::Missing);
    }

    #[test]
    fn lists() {
        let v = json!({"0": "1", "1": 2});
        assert_eq!(as_list(&v).len(), 2);
        assert_eq!(as_list(&json!(5)).len(), 1);
        assert_eq!(as_list(&json!([1, 2, 3])).len(), 3);
    }
}
