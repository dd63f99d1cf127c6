//! The TypeScript the package ships (`src/types.d.ts` and the result types the
//! JS methods declare in `src/wasm/`, together the package's one
//! `index.d.ts`) describes every shape handed to JS exactly: the docs'
//! fixtures are decoded by the Rust side and serialized as JS receives them,
//! and every value is checked against its declared type, key by key, both
//! ways (no undeclared key, no missing required one).
//!
//! Natively: `AttachedVote`, `Question`, `Answer`, `Voter`, getMany's list,
//! getWithVoted's `{ attach, voted }` and getAnswerVoted's `{ items, total,
//! next }`. In wasm (`wasm-pack test`): the same objects through the real
//! `parseVoteResponse` export, and the fields of a real `B24VoteError`.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const TYPES: &str = include_str!("../src/types.d.ts");

/// A TypeScript type, as far as the package's result types use them.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Number,
    String,
    Boolean,
    Null,
    Void,
    /// A string literal type such as `"B24VoteError"`.
    Literal(String),
    Array(Box<Ty>),
    /// `Record<number, T>`: an object keyed by numbers.
    NumberRecord(Box<Ty>),
    /// An interface of `src/types.d.ts`.
    Named(String),
    Object(Vec<Field>),
    Union(Vec<Ty>),
    Promise(Box<Ty>),
}

#[derive(Clone, Debug, PartialEq)]
struct Field {
    name: String,
    optional: bool,
    ty: Ty,
}

/// A recursive-descent reader of type expressions.
struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn parse(text: &'a str) -> Ty {
        let mut p = Parser { text, at: 0 };
        let ty = p.union();
        p.skip_space();
        assert_eq!(p.at, text.len(), "unread type text: {:?}", &text[p.at..]);
        ty
    }

    fn skip_space(&mut self) {
        while self.text[self.at..].starts_with(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.text[self.at..].starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) {
        assert!(
            self.eat(token),
            "expected {token:?} at {:?}",
            &self.text[self.at..]
        );
    }

    fn ident(&mut self) -> String {
        self.skip_space();
        let rest = &self.text[self.at..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        assert!(len > 0, "expected a name at {rest:?}");
        self.at += len;
        rest[..len].to_owned()
    }

    fn union(&mut self) -> Ty {
        self.eat("|");
        let mut alternatives = vec![self.postfix()];
        while self.eat("|") {
            alternatives.push(self.postfix());
        }
        if alternatives.len() == 1 {
            alternatives.pop().unwrap()
        } else {
            Ty::Union(alternatives)
        }
    }

    fn postfix(&mut self) -> Ty {
        let mut ty = self.primary();
        while self.eat("[]") {
            ty = Ty::Array(Box::new(ty));
        }
        ty
    }

    fn primary(&mut self) -> Ty {
        if self.eat("(") {
            let ty = self.union();
            self.expect(")");
            return ty;
        }
        if self.eat("{") {
            return Ty::Object(self.members("}"));
        }
        if self.eat("\"") {
            let rest = &self.text[self.at..];
            let end = rest.find('"').expect("an unterminated string literal type");
            self.at += end + 1;
            return Ty::Literal(rest[..end].to_owned());
        }
        match self.ident().as_str() {
            "number" => Ty::Number,
            "string" => Ty::String,
            "boolean" => Ty::Boolean,
            "null" => Ty::Null,
            "void" | "undefined" => Ty::Void,
            "Promise" => {
                self.expect("<");
                let ty = self.union();
                self.expect(">");
                Ty::Promise(Box::new(ty))
            }
            "Record" => {
                self.expect("<");
                let key = self.union();
                assert_eq!(key, Ty::Number, "only Record<number, T> is handed to JS");
                self.expect(",");
                let value = self.union();
                self.expect(">");
                Ty::NumberRecord(Box::new(value))
            }
            name => Ty::Named(name.to_owned()),
        }
    }

    /// `name: T; other?: U; …` up to `close`.
    fn members(&mut self, close: &str) -> Vec<Field> {
        let mut fields = Vec::new();
        while !self.eat(close) {
            let name = self.ident();
            let optional = self.eat("?");
            self.expect(":");
            let ty = self.union();
            fields.push(Field { name, optional, ty });
            if !self.eat(";") && !self.eat(",") {
                self.expect(close);
                break;
            }
        }
        fields
    }
}

/// `text` without `/* … */` and `// …` comments.
fn without_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*").into_iter().chain(rest.find("//")).min() {
        out.push_str(&rest[..start]);
        let end = if rest[start..].starts_with("/*") {
            rest[start..]
                .find("*/")
                .map_or(rest.len(), |e| start + e + 2)
        } else {
            rest[start..].find('\n').map_or(rest.len(), |e| start + e)
        };
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `export interface NAME [extends BASE] { … }` of src/types.d.ts: its
/// fields, and its base.
fn interface(name: &str) -> (Vec<Field>, Option<String>) {
    let types = without_comments(TYPES);
    let head = format!("export interface {name} ");
    let start = types
        .find(&head)
        .unwrap_or_else(|| panic!("src/types.d.ts declares no interface {name}"));
    let after = &types[start + head.len()..];
    let open = after.find('{').unwrap();
    let base = after[..open]
        .trim()
        .strip_prefix("extends ")
        .map(|b| b.trim().to_owned());
    let mut p = Parser {
        text: &after[open + 1..],
        at: 0,
    };
    (p.members("}"), base)
}

/// The members JS's own `Error` gives every error (lib.es5.d.ts, lib.es2022.error.d.ts).
fn error_members() -> Vec<Field> {
    let field = |name: &str, optional, ty| Field {
        name: name.to_owned(),
        optional,
        ty,
    };
    vec![
        field("name", false, Ty::String),
        field("message", false, Ty::String),
        field("stack", true, Ty::String),
    ]
}

/// All members of an interface, its base's included (a member redeclared
/// in the interface narrows the base's).
fn all_members(name: &str) -> Vec<Field> {
    let (own, base) = interface(name);
    let mut members = match base.as_deref() {
        None => Vec::new(),
        Some("Error") => error_members(),
        Some(other) => all_members(other),
    };
    for field in own {
        members.retain(|m| m.name != field.name);
        members.push(field);
    }
    members
}

/// What the checks saw: the interfaces reached, the entries of records, and
/// for each declared union (by `Interface.field`) the alternatives some value
/// matched. A declaration is only as tested as the values that reach it: a
/// `T | null` that no value ever fills with null is not known to be right.
#[derive(Default)]
struct Seen {
    interfaces: BTreeSet<String>,
    records: usize,
    unions: BTreeMap<String, (usize, BTreeSet<usize>)>,
    /// Optional members (`name?:`) by label: whether some value left one out.
    optional: BTreeMap<String, bool>,
}

/// Checks `value` against `ty`; `path` names the value in messages, `label`
/// the declaration (`Interface.field`) for [`Seen::unions`].
fn check(value: &Value, ty: &Ty, path: &str, label: &str, seen: &mut Seen) -> Result<(), String> {
    let mismatch = || Err(format!("{path}: {value} is not {ty:?}"));
    match ty {
        Ty::Number if value.is_number() => Ok(()),
        Ty::String if value.is_string() => Ok(()),
        Ty::Boolean if value.is_boolean() => Ok(()),
        Ty::Null if value.is_null() => Ok(()),
        Ty::Literal(text) if value.as_str() == Some(text) => Ok(()),
        Ty::Array(item) => {
            let Some(items) = value.as_array() else {
                return mismatch();
            };
            for (i, v) in items.iter().enumerate() {
                check(v, item, &format!("{path}[{i}]"), label, seen)?;
            }
            Ok(())
        }
        Ty::NumberRecord(item) => {
            let Some(map) = value.as_object() else {
                return mismatch();
            };
            for (key, v) in map {
                if key.parse::<f64>().is_err() {
                    return Err(format!("{path}: the key {key:?} is not a number"));
                }
                check(v, item, &format!("{path}[{key}]"), label, seen)?;
                seen.records += 1;
            }
            Ok(())
        }
        Ty::Named(name) => {
            seen.interfaces.insert(name.clone());
            check_object(
                value,
                &all_members(name),
                &format!("{path} ({name})"),
                name,
                seen,
            )
        }
        Ty::Object(fields) => check_object(value, fields, path, label, seen),
        Ty::Union(alternatives) => {
            let mut errors = Vec::new();
            let mut matched = BTreeSet::new();
            for (i, alt) in alternatives.iter().enumerate() {
                match check(value, alt, path, label, seen) {
                    Ok(()) => {
                        matched.insert(i);
                    }
                    Err(e) => errors.push(e),
                }
            }
            let entry = seen
                .unions
                .entry(label.to_owned())
                .or_insert((alternatives.len(), BTreeSet::new()));
            entry.1.extend(matched.iter().copied());
            if matched.is_empty() {
                Err(errors.join("; "))
            } else {
                Ok(())
            }
        }
        _ => mismatch(),
    }
}

/// An object with exactly `fields`: no undeclared key, every required one.
/// `owner` names the declaration: an interface, or the method of an inline type.
fn check_object(
    value: &Value,
    fields: &[Field],
    path: &str,
    owner: &str,
    seen: &mut Seen,
) -> Result<(), String> {
    let Some(map) = value.as_object() else {
        return Err(format!("{path}: {value} is not an object"));
    };
    let declared: BTreeSet<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let undeclared: Vec<&String> = map
        .keys()
        .filter(|k| !declared.contains(k.as_str()))
        .collect();
    if !undeclared.is_empty() {
        return Err(format!("{path}: keys {undeclared:?} are not declared"));
    }
    for field in fields {
        let label = format!("{owner}.{}", field.name);
        if field.optional {
            *seen.optional.entry(label.clone()).or_default() |= !map.contains_key(&field.name);
        }
        match map.get(&field.name) {
            Some(v) => check(
                v,
                &field.ty,
                &format!("{path}.{}", field.name),
                &label,
                seen,
            )?,
            None if field.optional => {}
            None => {
                return Err(format!(
                    "{path}: the declared key {:?} is missing",
                    field.name
                ))
            }
        }
    }
    Ok(())
}

/// The fixture `name` of tests/fixtures/; `sparse:NAME` is its twin with what
/// the portal may leave out or send as null (fact sheet §2.7): no PERCENT, a
/// voter without avatar or job title, and a paged result with a next page.
fn fixture(name: &str) -> String {
    let (sparse, name) = match name.strip_prefix("sparse:") {
        Some(name) => (true, name),
        None => (false, name),
    };
    let text = match name {
        "recall" => include_str!("fixtures/recall.json"),
        "get" => include_str!("fixtures/get.json"),
        "vote" => include_str!("fixtures/vote.json"),
        "getMany" => include_str!("fixtures/getMany.json"),
        "getWithVoted" => include_str!("fixtures/getWithVoted.json"),
        "getAnswerVoted" => include_str!("fixtures/getAnswerVoted.json"),
        "stop" => include_str!("fixtures/stop.json"),
        "resume" => include_str!("fixtures/resume.json"),
        "error-access-denied" => include_str!("fixtures/error-access-denied.json"),
        "error-attach-not-found" => include_str!("fixtures/error-attach-not-found.json"),
        other => panic!("no fixture {other}"),
    };
    if !sparse {
        return text.to_owned();
    }
    let mut body: Value = serde_json::from_str(text).unwrap();
    thin(&mut body);
    if let Some(envelope) = body.as_object_mut().filter(|e| e.contains_key("total")) {
        envelope.insert("total".into(), 51.into());
        envelope.insert("next".into(), 50.into());
    }
    body.to_string()
}

fn thin(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("PERCENT");
            map.remove("~PERCENT");
            for key in ["IMAGE", "WORK_POSITION"] {
                if let Some(v) = map.get_mut(key) {
                    *v = Value::Null;
                }
            }
            map.values_mut().for_each(thin);
        }
        Value::Array(items) => items.iter_mut().for_each(thin),
        _ => {}
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use b24_vote::decode::{decode_response, Attaches, Done, MethodResult};
    use b24_vote::{AttachWithVoted, AttachedVote, VoterPage};

    /// What JS receives for the result decoded from `fixture`: the value
    /// its `Serialize` gives (the wasm side hands it over through
    /// serde-wasm-bindgen's JSON-compatible serializer), or nothing for
    /// `Promise<void>`.
    fn handed_to_js<T: MethodResult + serde::Serialize>(name: &str) -> Option<Value> {
        let result = decode_response::<T>(200, &fixture(name))
            .unwrap_or_else(|e| panic!("{name}.json: {}", e.message()));
        Some(json_of(&result))
    }

    fn json_of(result: &impl serde::Serialize) -> Value {
        serde_json::to_value(result).unwrap()
    }

    /// parseVoteResponse, and the docs' get example: a bare `{"attach": …}`.
    fn parsed(name: &str) -> Option<Value> {
        let attach = b24_vote::parse_vote_response(&fixture(name))
            .unwrap_or_else(|e| panic!("{name}.json: {}", e.message()));
        Some(json_of(&attach))
    }

    fn nothing<T: MethodResult>(name: &str) -> Option<Value> {
        decode_response::<T>(200, &fixture(name))
            .unwrap_or_else(|e| panic!("{name}.json: {}", e.message()));
        None
    }

    /// Each JS method that resolves with a decoded result, and what it
    /// resolves with for the docs' fixture of its REST method and for the
    /// fixture's sparse twin.
    fn results() -> Vec<(&'static str, Option<Value>)> {
        vec![
            ("recall", handed_to_js::<AttachedVote>("recall")),
            ("recall", handed_to_js::<AttachedVote>("sparse:recall")),
            ("get", parsed("get")),
            ("vote", handed_to_js::<AttachedVote>("vote")),
            ("getMany", handed_to_js::<Attaches>("getMany")),
            (
                "getWithVoted",
                handed_to_js::<AttachWithVoted>("getWithVoted"),
            ),
            (
                "getWithVoted",
                handed_to_js::<AttachWithVoted>("sparse:getWithVoted"),
            ),
            (
                "getAnswerVoted",
                handed_to_js::<VoterPage>("getAnswerVoted"),
            ),
            (
                "getAnswerVoted",
                handed_to_js::<VoterPage>("sparse:getAnswerVoted"),
            ),
            ("stop", nothing::<Done>("stop")),
            ("resume", nothing::<Done>("resume")),
            ("parseVoteResponse", parsed("recall")),
        ]
    }

    /// The JS name and declared result type of every export in src/wasm/
    /// that declares one (`unchecked_return_type`), read from the source
    /// wasm-bindgen reads.
    fn declared_results() -> BTreeMap<String, Ty> {
        let dir = format!("{}/src/wasm", env!("CARGO_MANIFEST_DIR"));
        let mut found = BTreeMap::new();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let source = std::fs::read_to_string(&path).unwrap();
            let marker = "unchecked_return_type = \"";
            let mut from = 0;
            while let Some(found_at) = source[from..].find(marker) {
                let at = from + found_at;
                let ty_start = at + marker.len();
                let ty_end = ty_start + source[ty_start..].find('"').unwrap();
                // The whole attribute, and the fn it belongs to.
                let attr_start = source[..at].rfind("#[wasm_bindgen(").unwrap();
                let attr_end = ty_end + source[ty_end..].find(")]").unwrap();
                let attribute = &source[attr_start..attr_end];
                let fn_at =
                    attr_end + source[attr_end..].find("pub fn ").unwrap() + "pub fn ".len();
                let rust_name = &source[fn_at..fn_at + source[fn_at..].find('(').unwrap()];
                let name = match attribute.split_once("js_name = ") {
                    Some((_, name)) => name.split([',', ')']).next().unwrap().trim(),
                    None => rust_name,
                };
                found.insert(name.to_owned(), Parser::parse(&source[ty_start..ty_end]));
                from = ty_end;
            }
        }
        found
    }

    #[test]
    fn every_result_handed_to_js_matches_its_declared_type() {
        let declared = declared_results();
        let results = results();
        let mut seen = Seen::default();
        let mut checked = BTreeSet::new();
        for (name, ty) in &declared {
            let ty = match ty {
                Ty::Promise(inner) => inner.as_ref(),
                other => other,
            };
            if matches!(ty, Ty::Number | Ty::String | Ty::Boolean)
                || *ty == Ty::Array(Box::new(Ty::Number))
            {
                continue; // scalars and percentages' number[]: no shape to drift
            }
            let mine: Vec<&Option<Value>> = results
                .iter()
                .filter(|(m, _)| m == name)
                .map(|(_, r)| r)
                .collect();
            assert!(
                !mine.is_empty(),
                "{name} declares {ty:?}: add its fixture to results()"
            );
            for result in mine {
                match (ty, result) {
                    (Ty::Void, None) => {}
                    (Ty::Void, Some(v)) => panic!("{name} is declared void but resolves with {v}"),
                    (_, None) => panic!("{name} is declared {ty:?} but resolves with nothing"),
                    (_, Some(value)) => {
                        check(value, ty, name, name, &mut seen).unwrap_or_else(|e| panic!("{e}"))
                    }
                }
            }
            checked.insert(name.as_str());
        }
        // Every method of the table is declared, and the values reached every
        // interface, a record's entries and every alternative of every union.
        for (name, _) in &results {
            assert!(
                checked.contains(name),
                "src/wasm declares no result type for {name}"
            );
        }
        for name in ["AttachedVote", "Question", "Answer", "Voter"] {
            assert!(
                seen.interfaces.contains(name),
                "no fixture reached {name}: {checked:?}"
            );
        }
        assert!(seen.records > 0, "getWithVoted's voted held no entry");
        for (label, (alternatives, matched)) in &seen.unions {
            assert_eq!(
                matched.len(),
                *alternatives,
                "{label}: no value matched some alternatives of its union (matched {matched:?}); \
                 a declared alternative that the Rust side never produces is a guess"
            );
        }
        for (label, left_out) in &seen.optional {
            assert!(
                left_out,
                "{label} is declared optional, but every value has it"
            );
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::*;
    use b24_vote::wasm::exports;

    // The export as JS sees it: an error is the thrown `B24VoteError`.
    fn parse_vote_response(body: JsValue) -> Result<JsValue, JsValue> {
        exports::parse_vote_response(body).map_err(JsValue::from)
    }
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A JS value as JSON, through the engine's JSON.stringify.
    fn json(value: &JsValue) -> Value {
        let text = js_sys::JSON::stringify(value).unwrap().as_string().unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[wasm_bindgen_test]
    fn parse_vote_response_hands_js_the_declared_attached_vote() {
        let mut seen = Seen::default();
        for name in ["recall", "sparse:recall", "get", "getWithVoted"] {
            let attach = parse_vote_response(JsValue::from_str(&fixture(name)))
                .unwrap_or_else(|e| panic!("{name}: {}", json(&e)));
            let ty = Parser::parse("AttachedVote");
            check(&json(&attach), &ty, name, name, &mut seen).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(seen.interfaces.contains("Answer"));
    }

    /// Every own property of the error, enumerable or not (`message` and
    /// `stack` are not), as JSON. Properties the engine itself gives every
    /// `Error` (Firefox: `fileName`, `lineNumber`, `columnNumber`) are left
    /// out: they are the platform's, not ours to declare.
    fn own_properties(error: &JsValue) -> Value {
        let engine_own = js_sys::Object::get_own_property_names(&js_sys::Error::new("x"));
        let mut map = serde_json::Map::new();
        for key in
            js_sys::Object::get_own_property_names(error.unchecked_ref::<js_sys::Object>()).iter()
        {
            let declared_by_us = key.as_string().is_some_and(|k| k == "message");
            if engine_own.includes(&key, 0) && !declared_by_us {
                continue;
            }
            let value = js_sys::Reflect::get(error, &key).unwrap();
            map.insert(key.as_string().unwrap(), json(&value));
        }
        Value::Object(map)
    }

    #[wasm_bindgen_test]
    fn errors_carry_exactly_the_declared_b24_vote_error_fields() {
        let mut seen = Seen::default();
        // The portal's own errors, and a body that is not JSON (DECODE_ERROR).
        let bodies = [
            fixture("error-access-denied"),
            fixture("error-attach-not-found"),
            "{\"result\":".to_owned(),
        ];
        for body in bodies {
            let error = parse_vote_response(JsValue::from_str(&body)).expect_err(&body);
            assert!(
                error.is_instance_of::<js_sys::Error>(),
                "not a real Error: {}",
                json(&error)
            );
            let ty = Parser::parse("B24VoteError");
            let fields = own_properties(&error);
            check(&fields, &ty, "error", "error", &mut seen).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
