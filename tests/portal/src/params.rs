//! Request parameters: query string, JSON, `application/x-www-form-urlencoded` and
//! `multipart/form-data` bodies, all turned into one JSON-like map the way PHP builds
//! `$_REQUEST` (bracket syntax `a[b][]=1` becomes nested maps, `[]` appends).
//!
//! Form arrays become JSON objects keyed `"0"`, `"1"`…, as PHP arrays are ordered maps;
//! [`as_list`] reads arrays and such objects alike.

use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// PHP's default `max_input_nesting_level`.
pub const MAX_NESTING: usize = 64;

/// The default cap on parameters per source (query string, body): the `max_input_vars`
/// that Bitrix's site check asks a portal's PHP for.
pub const DEFAULT_MAX_PARAMS: usize = 10_000;

/// The merged parameters of one request.
pub type Params = Map<String, Value>;

/// Why a request's parameters were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamError {
    /// More than this many `name=value` pairs (or multipart fields) in one source.
    TooMany(usize),
    /// A name or a JSON value nested deeper than [`MAX_NESTING`].
    TooDeep,
}

/// A PHP array under construction. `next_index` is PHP's `nNextFreeElement`, kept up
/// to date on every insert so that an `[]` append costs O(1) and not a scan of the keys.
#[derive(Debug, Default)]
struct PhpArray {
    entries: IndexMap<String, Node>,
    /// `None` until an integer key is used.
    next_index: Option<i64>,
    /// The largest integer key was used: PHP refuses further appends.
    full: bool,
}

#[derive(Debug)]
enum Node {
    Leaf(Value),
    Array(PhpArray),
}

impl PhpArray {
    /// Notes an integer key so that the next append goes after it.
    fn note_int_key(&mut self, key: i64) {
        match key.checked_add(1) {
            Some(next) => {
                if self.next_index.is_none_or(|n| next > n) {
                    self.next_index = Some(next);
                }
            }
            None => self.full = true,
        }
    }

    /// The key an `[]` append uses, or `None` when PHP would refuse the append.
    fn append_key(&mut self) -> Option<String> {
        if self.full {
            return None;
        }
        let key = self.next_index.unwrap_or(0);
        self.note_int_key(key);
        Some(key.to_string())
    }

    /// The slot for `key` (an `[]` append when `None`); `None` when the append is refused.
    /// A new slot holds null until it is assigned or descended into.
    fn slot(&mut self, key: Option<&str>) -> Option<&mut Node> {
        let key = match key {
            Some(k) => {
                if let Some(int) = php_int_key(k) {
                    self.note_int_key(int);
                }
                // Look up before allocating: most names repeat a key (`x[]`, `ballot[1][]`).
                if let Some(index) = self.entries.get_index_of(k) {
                    return self.entries.get_index_mut(index).map(|(_, node)| node);
                }
                k.to_string()
            }
            None => self.append_key()?,
        };
        Some(self.entries.entry(key).or_insert(Node::Leaf(Value::Null)))
    }

    fn into_value(self) -> Value {
        Value::Object(
            self.entries
                .into_iter()
                .map(|(k, node)| (k, node.into_value()))
                .collect(),
        )
    }
}

impl Node {
    /// This node as an array, replacing a scalar (PHP: `a=1&a[]=2` gives `a = [2]`).
    fn as_array(&mut self) -> &mut PhpArray {
        if let Node::Leaf(_) = self {
            *self = Node::Array(PhpArray::default());
        }
        match self {
            Node::Array(array) => array,
            Node::Leaf(_) => unreachable!("replaced by an array just above"),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Node::Leaf(v) => v,
            Node::Array(a) => a.into_value(),
        }
    }
}

/// A key PHP stores as an integer: a canonical decimal (`"5"`, `"-3"`, not `"05"`, `"+5"`).
fn php_int_key(key: &str) -> Option<i64> {
    let digits = key.strip_prefix('-').unwrap_or(key);
    let canonical = match digits.as_bytes() {
        [b'0'] => digits.len() == key.len(),
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if canonical {
        key.parse().ok()
    } else {
        None
    }
}

/// Form parameters (`a=1&b[]=2&c[x][]=3`) the way PHP's `php_register_variable_ex`
/// builds them, in time linear in the input, with at most `max_params` pairs.
#[derive(Debug)]
pub struct FormParams {
    root: PhpArray,
    count: usize,
    max_params: usize,
}

impl FormParams {
    pub fn new(max_params: usize) -> FormParams {
        FormParams {
            root: PhpArray::default(),
            count: 0,
            max_params,
        }
    }

    /// Adds every pair of an `application/x-www-form-urlencoded` text. Too many pairs
    /// are refused by a plain count before anything is decoded.
    pub fn parse_urlencoded(&mut self, input: &[u8]) -> Result<(), ParamError> {
        let pairs = input
            .split(|b| *b == b'&')
            .filter(|pair| !pair.is_empty())
            .count();
        if self.count.saturating_add(pairs) > self.max_params {
            return Err(ParamError::TooMany(self.max_params));
        }
        for (name, value) in form_urlencoded::parse(input) {
            self.insert(&name, Value::String(value.into_owned()))?;
        }
        Ok(())
    }

    /// Adds one `name=value` pair. The pair counts against the cap even when PHP would
    /// drop it (an empty name, a refused append).
    pub fn insert(&mut self, name: &str, value: Value) -> Result<(), ParamError> {
        self.count = self.count.saturating_add(1);
        if self.count > self.max_params {
            return Err(ParamError::TooMany(self.max_params));
        }
        let (base, segments) = split_name(name)?;
        if base.is_empty() {
            return Ok(());
        }
        let Some(mut node) = self.root.slot(Some(&base)) else {
            return Ok(());
        };
        for segment in segments {
            match node.as_array().slot(segment) {
                Some(next) => node = next,
                // PHP: "Cannot add element to the array as the next element is already occupied".
                None => return Ok(()),
            }
        }
        *node = Node::Leaf(value);
        Ok(())
    }

    /// The parameters as JSON-like values.
    pub fn into_params(self) -> Params {
        match self.root.into_value() {
            Value::Object(map) => map,
            _ => Params::new(),
        }
    }
}

/// Parses `a=1&b[]=2&c[x][]=3` into `params`, replacing keys already there. Pairs over
/// [`DEFAULT_MAX_PARAMS`] and names nested too deeply are dropped; the REST endpoint
/// uses [`FormParams`] to refuse them instead.
pub fn parse_urlencoded(input: &[u8], params: &mut Params) {
    let mut form = FormParams::new(DEFAULT_MAX_PARAMS);
    for (name, value) in form_urlencoded::parse(input) {
        if let Err(ParamError::TooMany(_)) = form.insert(&name, Value::String(value.into_owned())) {
            break;
        }
    }
    params.extend(form.into_params());
}

/// Parses a JSON body. Only an object contributes parameters; anything else is ignored,
/// so the call then fails on its missing parameters like a portal would. Values nested
/// deeper than [`MAX_NESTING`] are refused, as form names are.
pub fn parse_json(input: &[u8], params: &mut Params) -> Result<(), ParamError> {
    // serde_json itself stops at 128 levels, so the depth walk below is bounded.
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(input) {
        if map.values().any(|v| depth(v) > MAX_NESTING) {
            return Err(ParamError::TooDeep);
        }
        params.extend(map);
    }
    Ok(())
}

/// How many arrays or objects deep a value goes (a scalar is 0).
fn depth(value: &Value) -> usize {
    let children = match value {
        Value::Array(items) => items.iter().map(depth).max(),
        Value::Object(map) => map.values().map(depth).max(),
        _ => return 0,
    };
    children.unwrap_or(0).saturating_add(1)
}

/// Splits `a[b][]` into `("a", [Some("b"), None])`. A name whose first `[` is never closed
/// is taken literally with that `[` turned into `_` (PHP does the same); text after the last
/// `]` is ignored. More than [`MAX_NESTING`] brackets is an error (PHP drops such a name).
fn split_name(name: &str) -> Result<(Cow<'_, str>, Vec<Option<&str>>), ParamError> {
    let Some((base, after)) = name.split_once('[') else {
        return Ok((Cow::Borrowed(name), Vec::new()));
    };
    let mut segments = Vec::new();
    let mut rest = after;
    loop {
        let Some((key, tail)) = rest.split_once(']') else {
            if segments.is_empty() {
                return Ok((Cow::Owned(format!("{base}_{rest}")), Vec::new()));
            }
            break;
        };
        if segments.len() == MAX_NESTING {
            return Err(ParamError::TooDeep);
        }
        segments.push((!key.is_empty()).then_some(key));
        match tail.strip_prefix('[') {
            Some(next) => rest = next,
            None => break,
        }
    }
    Ok((Cow::Borrowed(base), segments))
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
        // Only canonical decimals are integer keys, as in PHP.
        assert_eq!(parse("a[05]=x&a[]=y"), json!({"a": {"05": "x", "0": "y"}}));
        assert_eq!(parse("a[-3]=x&a[]=y"), json!({"a": {"-3": "x", "-2": "y"}}));
        // After the largest integer key PHP refuses the append; no overflow.
        assert_eq!(
            parse("a[9223372036854775807]=x&a[]=y&b=1"),
            json!({"a": {"9223372036854775807": "x"}, "b": "1"})
        );
    }

    fn strict(input: &str, max_params: usize) -> Result<Value, ParamError> {
        let mut form = FormParams::new(max_params);
        form.parse_urlencoded(input.as_bytes())?;
        Ok(Value::Object(form.into_params()))
    }

    #[test]
    fn limits_are_errors_in_strict_parsing() {
        assert_eq!(strict("a=1&b=2&c=3", 2), Err(ParamError::TooMany(2)));
        assert_eq!(strict("a=1&b=2", 2), Ok(json!({"a": "1", "b": "2"})));
        let at_limit = format!("a{}=1", "[x]".repeat(MAX_NESTING));
        assert!(strict(&at_limit, 10).is_ok());
        let over = format!("a{}=1", "[x]".repeat(MAX_NESTING + 1));
        assert_eq!(strict(&over, 10), Err(ParamError::TooDeep));
    }

    #[test]
    fn appends_are_linear() {
        // 200,000 appends took minutes when each one scanned the keys.
        let input = "x[]=1&".repeat(200_000);
        let started = std::time::Instant::now();
        let parsed = strict(&input, 200_000).expect("within the cap");
        assert_eq!(parsed["x"].as_object().map(Map::len), Some(200_000));
        assert_eq!(parsed["x"]["199999"], json!("1"));
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    }

    #[test]
    fn json_depth() {
        let mut p = Params::new();
        let ok = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(MAX_NESTING),
            "]".repeat(MAX_NESTING)
        );
        assert_eq!(parse_json(ok.as_bytes(), &mut p), Ok(()));
        assert!(p.contains_key("a"));
        let deep = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert_eq!(
            parse_json(deep.as_bytes(), &mut Params::new()),
            Err(ParamError::TooDeep)
        );
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
