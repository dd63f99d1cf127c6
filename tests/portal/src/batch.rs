//! Two REST methods every portal has and the official SDK uses: `batch` (up to 50
//! calls in one request, as `method?query` strings) and `profile` (who the caller is).
//!
//! `batch` answers `result: {result, result_error, result_total, result_next,
//! result_time}`, each keyed like `cmd` (a list gives lists, as PHP's `json_encode`
//! writes arrays with keys 0..n-1). With `halt=1` it stops at the first failed call.
//! `$result[...]` references between calls are not substituted.

use crate::app::{lock, App};
use crate::faults::normalize_method;
use crate::methods;
use crate::params::{self, Params};
use crate::rest::{time_json, Outcome, RestError};
use crate::util;
use serde_json::{json, Map, Value};
use std::time::Instant;

/// `MAX_BATCH_LENGTH` of the REST module.
pub const MAX_BATCH_LENGTH: usize = 50;

/// `batch`: runs each command of `cmd` as `user`.
pub fn batch(app: &App, user: u64, params: &Params, now: i64) -> Result<Outcome, RestError> {
    let halt = params.get("halt").is_some_and(params::to_bool);
    let commands: Vec<(String, String)> = match params.get("cmd") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), params::display(v)))
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), params::display(v)))
            .collect(),
        _ => Vec::new(),
    };
    if commands.is_empty() {
        return Err(RestError::controller(
            "ERROR_BATCH_EMPTY",
            "Batch command list is empty",
        ));
    }
    if commands.len() > MAX_BATCH_LENGTH {
        return Err(RestError::controller(
            "ERROR_BATCH_LENGTH_EXCEEDED",
            format!("Max batch length exceeded ({MAX_BATCH_LENGTH})"),
        ));
    }
    let mut results = Vec::new();
    let mut errors = Vec::new();
    let mut totals = Vec::new();
    let mut nexts = Vec::new();
    let mut times = Vec::new();
    for (key, command) in commands {
        let start = util::now_f64();
        let t0 = Instant::now();
        let outcome = run_one(app, user, &command, now);
        let processing = t0.elapsed().as_secs_f64();
        let time = time_json(
            start,
            util::now_f64(),
            processing,
            0.0,
            now.saturating_add(crate::limits::WINDOW_SECS),
        );
        match outcome {
            Ok(outcome) => {
                results.push((key.clone(), outcome.result));
                for (name, value) in outcome.extra {
                    match name {
                        "total" => totals.push((key.clone(), value)),
                        "next" => nexts.push((key.clone(), value)),
                        _ => {}
                    }
                }
                times.push((key, time));
            }
            Err(e) => {
                errors.push((
                    key.clone(),
                    json!({"error": e.code, "error_description": e.description}),
                ));
                times.push((key, time));
                if halt {
                    break;
                }
            }
        }
    }
    Ok(Outcome::result(json!({
        "result": php_array(results),
        "result_error": php_array(errors),
        "result_total": php_array(totals),
        "result_next": php_array(nexts),
        "result_time": php_array(times),
    })))
}

/// One `method?query` command.
fn run_one(app: &App, user: u64, command: &str, now: i64) -> Result<Outcome, RestError> {
    let (method, query) = command.split_once('?').unwrap_or((command, ""));
    let normalized = normalize_method(method);
    if normalized == "batch" {
        return Err(RestError::controller(
            "ERROR_BATCH_METHOD_NOT_ALLOWED",
            "Method is not allowed for batch usage",
        ));
    }
    let Some(canonical) = methods::canonical(&normalized) else {
        return Err(RestError::method_not_found());
    };
    let mut params = Params::new();
    params::parse_urlencoded(query.as_bytes(), &mut params);
    methods::call(canonical, app, user, &params, now)
}

/// PHP's `json_encode` of an array: a list when the keys are 0..n-1 in order,
/// else an object; empty is `[]`.
fn php_array(entries: Vec<(String, Value)>) -> Value {
    let sequential = entries
        .iter()
        .enumerate()
        .all(|(i, (k, _))| *k == i.to_string());
    if sequential {
        Value::Array(entries.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(entries.into_iter().collect::<Map<String, Value>>())
    }
}

/// `profile`: the calling user.
pub fn profile(app: &App, user: u64) -> Result<Outcome, RestError> {
    let portal = lock(&app.portal);
    let u = portal.user(user);
    Ok(Outcome::result(json!({
        "ID": u.id.to_string(),
        "ADMIN": u.admin,
        "NAME": u.name,
        "LAST_NAME": "",
        "PERSONAL_GENDER": "",
        "PERSONAL_PHOTO": u.image.clone().unwrap_or_default(),
        "TIME_ZONE": "",
        "TIME_ZONE_OFFSET": 0,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_arrays() {
        let v = |n: i64| Value::from(n);
        assert_eq!(
            php_array(vec![("0".into(), v(1)), ("1".into(), v(2))]),
            json!([1, 2])
        );
        assert_eq!(php_array(vec![("1".into(), v(2))]), json!({"1": 2}));
        assert_eq!(php_array(vec![("a".into(), v(2))]), json!({"a": 2}));
        assert_eq!(php_array(Vec::new()), json!([]));
    }
}
