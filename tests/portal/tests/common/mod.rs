//! Shared helpers for the integration tests: start a server on port 0, call it, and
//! compare JSON shapes against the docs' fixtures.
#![allow(dead_code)]

use b24_portal::{serve, Config, Server};
use serde_json::{json, Value};
use std::path::PathBuf;

/// A running emulator and a client for it.
pub struct Portal {
    pub server: Server,
    pub base: String,
    pub client: reqwest::Client,
}

/// An HTTP answer: status and parsed JSON (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub json: Value,
}

/// Percent-encodes a form component.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `a=1&b%5B%5D=2` from pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub const ENTITY_TYPE: &str = "Bitrix\\Vote\\Attachment\\ImMessageConnector";

impl Portal {
    /// A server with the rate limit off (tests that need it turn it on).
    pub async fn start() -> Portal {
        Portal::start_with(|c| c.rate = None).await
    }

    /// A server with an adjusted configuration (listen is always 127.0.0.1:0).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Portal {
        let mut config = Config::default();
        adjust(&mut config);
        config.listen = "127.0.0.1:0".parse().expect("addr");
        let server = serve(config).await.expect("server starts");
        let base = server.base_url();
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        Portal {
            server,
            base,
            client,
        }
    }

    /// `http://ADDR/rest/<user>/hook<user>/`
    pub fn hook(&self, user: u64) -> String {
        format!("{}/rest/{user}/hook{user}/", self.base)
    }

    async fn answer(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        Answer {
            status,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// POSTs a urlencoded body to a URL.
    pub async fn post_form(&self, url: &str, body: &str) -> Answer {
        let resp = self
            .client
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        Self::answer(resp).await
    }

    /// POSTs a JSON body to a URL.
    pub async fn post_json(&self, url: &str, body: &Value) -> Answer {
        let resp = self
            .client
            .post(url)
            .json(body)
            .send()
            .await
            .expect("request");
        Self::answer(resp).await
    }

    /// GETs a URL.
    pub async fn get(&self, url: &str) -> Answer {
        let resp = self.client.get(url).send().await.expect("request");
        Self::answer(resp).await
    }

    /// Calls a method through user's webhook with a form body.
    pub async fn call(&self, user: u64, method: &str, pairs: &[(&str, &str)]) -> Answer {
        self.post_form(&format!("{}{method}.json", self.hook(user)), &form(pairs))
            .await
    }

    /// Calls a method through user's webhook with a JSON body.
    pub async fn call_json(&self, user: u64, method: &str, body: Value) -> Answer {
        self.post_json(&format!("{}{method}", self.hook(user)), &body)
            .await
    }

    /// Calls a method with an OAuth token in the body.
    pub async fn call_oauth(&self, token: &str, method: &str, pairs: &[(&str, &str)]) -> Answer {
        let mut all = pairs.to_vec();
        all.push(("auth", token));
        self.post_form(&format!("{}/rest/{method}", self.base), &form(&all))
            .await
    }

    /// POSTs to the admin API and expects 200.
    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let a = self
            .post_json(&format!("{}/_emulator/{path}", self.base), &body)
            .await;
        assert_eq!(a.status, 200, "admin {path}: {}", a.json);
        a.json
    }

    /// `GET /_emulator/stats`
    pub async fn stats(&self) -> Value {
        self.get(&format!("{}/_emulator/stats", self.base))
            .await
            .json
    }

    /// `GET /_emulator/polls/<id>`
    pub async fn poll_state(&self, attach_id: u64) -> Value {
        let a = self
            .get(&format!("{}/_emulator/polls/{attach_id}", self.base))
            .await;
        assert_eq!(a.status, 200, "{}", a.json);
        a.json
    }

    /// Creates a poll through the admin API.
    pub async fn create_poll(&self, body: Value) -> Value {
        self.admin("polls", body).await
    }

    /// An OAuth token pair for a user.
    pub async fn token(&self, user: u64, ttl: i64) -> (String, String) {
        let t = self
            .admin("tokens", json!({"user": user, "ttlSeconds": ttl}))
            .await;
        (
            t["accessToken"].as_str().expect("token").to_string(),
            t["refreshToken"].as_str().expect("refresh").to_string(),
        )
    }

    /// Adds a fault.
    pub async fn fault(&self, body: Value) {
        self.admin("faults", body).await;
    }
}

/// Asserts a successful answer and returns its `result`.
pub fn ok(a: &Answer) -> &Value {
    assert_eq!(a.status, 200, "expected success, got {}", a.json);
    assert!(a.json.get("time").is_some(), "no time object: {}", a.json);
    &a.json["result"]
}

/// Asserts an error answer.
pub fn assert_error(a: &Answer, status: u16, code: Value, description: &str) {
    assert_eq!(
        (a.status, &a.json),
        (
            status,
            &json!({"error": code, "error_description": description})
        ),
        "unexpected answer"
    );
}

/// A docs example from `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {name}: {e}"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether a path (segments) ends with a pattern like `time.*` or `TIMESTAMP_X`
/// (`*` matches one segment).
fn matches(path: &[String], pattern: &str) -> bool {
    let pat: Vec<&str> = pattern.split('.').collect();
    if pat.len() > path.len() {
        return false;
    }
    path[path.len() - pat.len()..]
        .iter()
        .zip(pat)
        .all(|(seg, p)| p == "*" || seg == p)
}

fn id_keyed(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty() && map.keys().all(|k| k.bytes().all(|b| b.is_ascii_digit()))
}

/// Compares two JSON trees: same keys (maps keyed by ids are compared in order, since
/// ids may differ), the same JSON type at every node, and the same value at every leaf
/// except where an `allow_values` pattern matches. `allow_extra` patterns name objects
/// where the actual answer may carry extra keys (e.g. `time` in the older stop example).
pub fn shape_diff(
    expected: &Value,
    actual: &Value,
    allow_values: &[&str],
    allow_extra: &[&str],
) -> Vec<String> {
    let mut out = Vec::new();
    walk(
        expected,
        actual,
        &mut Vec::new(),
        allow_values,
        allow_extra,
        &mut out,
    );
    out
}

fn walk(
    e: &Value,
    a: &Value,
    path: &mut Vec<String>,
    allow_values: &[&str],
    allow_extra: &[&str],
    out: &mut Vec<String>,
) {
    let here = path.join(".");
    if type_name(e) != type_name(a) {
        out.push(format!(
            "{here}: type {} expected, got {} ({a})",
            type_name(e),
            type_name(a)
        ));
        return;
    }
    match (e, a) {
        (Value::Object(em), Value::Object(am)) => {
            if id_keyed(em) && id_keyed(am) {
                if em.len() != am.len() {
                    out.push(format!(
                        "{here}: {} entries expected, got {}",
                        em.len(),
                        am.len()
                    ));
                }
                for ((ek, ev), (_, av)) in em.iter().zip(am.iter()) {
                    path.push(ek.clone());
                    walk(ev, av, path, allow_values, allow_extra, out);
                    path.pop();
                }
                return;
            }
            for (k, ev) in em {
                path.push(k.clone());
                match am.get(k) {
                    Some(av) => walk(ev, av, path, allow_values, allow_extra, out),
                    None => out.push(format!("{}: missing", path.join("."))),
                }
                path.pop();
            }
            if !allow_extra.iter().any(|p| matches(path, p)) {
                for k in am.keys().filter(|k| !em.contains_key(*k)) {
                    out.push(format!("{here}.{k}: unexpected key"));
                }
            }
        }
        (Value::Array(ea), Value::Array(aa)) => {
            if ea.len() != aa.len() {
                out.push(format!(
                    "{here}: {} items expected, got {}",
                    ea.len(),
                    aa.len()
                ));
            }
            for (i, (ev, av)) in ea.iter().zip(aa.iter()).enumerate() {
                path.push(i.to_string());
                walk(ev, av, path, allow_values, allow_extra, out);
                path.pop();
            }
        }
        _ => {
            if e != a && !allow_values.iter().any(|p| matches(path, p)) {
                out.push(format!("{here}: {e} expected, got {a}"));
            }
        }
    }
}

/// Panics with the differences, if any.
pub fn assert_shape(expected: &Value, actual: &Value, allow_values: &[&str], allow_extra: &[&str]) {
    let diff = shape_diff(expected, actual, allow_values, allow_extra);
    assert!(
        diff.is_empty(),
        "shape differs from the docs' example:\n  {}\nactual: {actual}",
        diff.join("\n  ")
    );
}

/// Leaves whose values legitimately differ from the docs: ids, times, signatures.
pub const VOLATILE: &[&str] = &["time.*", "TIMESTAMP_X", "signedAttachId", "downloadUrl"];

/// The `time` object carries the same fields as the docs' newer examples.
pub fn assert_time(v: &Value) {
    let t = &v["time"];
    for k in ["start", "finish", "duration", "processing", "operating"] {
        assert!(t[k].is_number(), "time.{k} is not a number: {t}");
    }
    for k in ["date_start", "date_finish"] {
        assert!(t[k].is_string(), "time.{k} is not a string: {t}");
    }
    assert!(t["operating_reset_at"].is_i64(), "operating_reset_at: {t}");
}
