//! Request and connection limits: parameter count and depth (400), body size (413),
//! body and header timeouts, the connection cap, and admin inputs that used to overflow.

mod common;

use common::{form, Portal};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a raw socket may wait for the server before the test fails.
const BOUND: Duration = Duration::from_secs(5);

fn assert_invalid_request(status: u16, json: &Value, expected_status: u16, description: &str) {
    assert_eq!(status, expected_status, "{json}");
    assert_eq!(json["error"], "INVALID_REQUEST", "{json}");
    let text = json["error_description"].as_str().unwrap_or_default();
    assert!(text.contains(description), "{text:?} lacks {description:?}");
}

async fn connect(p: &Portal) -> TcpStream {
    TcpStream::connect(p.server.addr).await.expect("connect")
}

/// Reads until the server closes the socket; returns what it sent and how long it took.
async fn read_to_close(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(BOUND, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "the server did not close the socket within {BOUND:?}; got {:?}",
                String::from_utf8_lossy(&out)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(buf.get(..n).unwrap_or_default()),
        }
    }
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

/// Reads one HTTP answer (head and `Content-Length` body); returns it and how long it took.
async fn read_answer(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&out).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|n| body.len() >= n) {
                return (text, started.elapsed());
            }
        }
        match tokio::time::timeout(BOUND, stream.read(&mut buf)).await {
            Err(_) => panic!("no complete answer within {BOUND:?}; got {text:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return (text, started.elapsed()),
            Ok(Ok(n)) => out.extend_from_slice(buf.get(..n).unwrap_or_default()),
        }
    }
}

#[tokio::test]
async fn parameter_count_depth_and_body_size() {
    let p = Portal::start_with(|c| {
        c.rate = None;
        c.max_params = 5;
        c.max_body_bytes = 1000;
    })
    .await;
    let url = format!("{}vote.AttachedVote.get", p.hook(1));
    let five = "attachId=1&a=1&b=2&c=3&d=4";
    let a = p.post_form(&url, five).await;
    assert_eq!(a.status, 200, "{}", a.json);

    let a = p.post_form(&url, &format!("{five}&e=5")).await;
    assert_invalid_request(a.status, &a.json, 400, "at most 5 are accepted");
    let a = p.get(&format!("{url}?{five}&e=5")).await;
    assert_invalid_request(a.status, &a.json, 400, "at most 5 are accepted");
    // The cap is per source, as PHP's max_input_vars: 5 in the query plus 5 in the body.
    let a = p
        .post_form(&format!("{url}?a=1&b=2&c=3&d=4&e=5"), five)
        .await;
    assert_eq!(a.status, 200, "{}", a.json);

    let deep = format!("attachId=1&a{}=1", "[x]".repeat(65));
    let a = p.post_form(&url, &deep).await;
    assert_invalid_request(a.status, &a.json, 400, "nested too deeply");
    let nested = json!({"attachId": 1, "a": (0..65).fold(json!(1), |v, _| json!([v]))});
    let a = p.post_json(&url, &nested).await;
    assert_invalid_request(a.status, &a.json, 400, "nested too deeply");

    let a = p
        .post_form(&url, &format!("attachId=1&pad={}", "x".repeat(1000)))
        .await;
    assert_invalid_request(a.status, &a.json, 413, "at most 1000 bytes");

    let mut multipart = reqwest::multipart::Form::new().text("attachId", "1");
    for name in ["a", "b", "c", "d", "e"] {
        multipart = multipart.text(name, "1");
    }
    let resp = p
        .client
        .post(&url)
        .multipart(multipart)
        .send()
        .await
        .expect("multipart");
    let status = resp.status().as_u16();
    let json: Value = resp.json().await.expect("json");
    assert_invalid_request(status, &json, 400, "at most 5 are accepted");

    // OAuth refreshes go through the same parser.
    let a = p
        .post_form(
            &format!("{}/oauth/token/", p.base),
            &form(&[
                ("a", "1"),
                ("b", "1"),
                ("c", "1"),
                ("d", "1"),
                ("e", "1"),
                ("f", "1"),
            ]),
        )
        .await;
    assert_invalid_request(a.status, &a.json, 400, "at most 5 are accepted");

    // The REST refusals are counted like other REST errors (not the 413, which the
    // connection layer sends from Content-Length alone), and the server still works.
    assert_eq!(p.stats().await["rejected"]["INVALID_REQUEST"], 5);
    let a = p.post_form(&url, "attachId=1").await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn declared_oversized_body_is_refused_unread() {
    let p = Portal::start_with(|c| c.max_body_bytes = 1000).await;
    let mut s = connect(&p).await;
    // Declares 1 GB and sends none of it: the answer must not wait for the body.
    s.write_all(
        b"POST /rest/1/hook1/vote.AttachedVote.get HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000000\r\n\r\n",
    )
    .await
    .expect("write");
    let (answer, took) = read_answer(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"error\":\"INVALID_REQUEST\""), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("access-control-allow-origin: *"),
        "{answer}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn slow_body_gets_408() {
    let p = Portal::start_with(|c| c.body_timeout = Duration::from_millis(300)).await;
    let mut s = connect(&p).await;
    s.write_all(
        b"POST /rest/1/hook1/vote.AttachedVote.get HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nattachId=1",
    )
    .await
    .expect("write");
    let (answer, took) = read_answer(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("not received in time"), "{answer}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    // Then the server closes (after its lingering close).
    read_to_close(&mut s).await;
}

#[tokio::test]
async fn header_timeout_closes_partial_and_idle_connections() {
    let p = Portal::start_with(|c| c.header_timeout = Duration::from_millis(300)).await;
    let mut partial = connect(&p).await;
    partial
        .write_all(b"GET /_emulator/stats HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let (answer, took) = read_to_close(&mut partial).await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    // hyper answers a header timeout with a bare close or a 408 without a body.
    assert!(!answer.contains("200 OK"), "{answer}");

    let mut idle = connect(&p).await;
    idle.write_all(b"GET /_emulator/stats HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let (answer, took) = read_to_close(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The answer tells the client the idle timeout (whole seconds, here 0).
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("keep-alive: timeout=0"),
        "{answer}"
    );
    assert!(
        (Duration::from_millis(250)..Duration::from_secs(2)).contains(&took),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_new_connection_closes_the_longest_idle_one() {
    let p = Portal::start_with(|c| c.max_connections = 3).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(connect(&p).await);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    // The fourth connection (the client's) takes the place of the first idle one.
    let a = p.get(&format!("{}/_emulator/stats", p.base)).await;
    assert_eq!(a.status, 200);
    let (_, took) = read_to_close(&mut idle[0]).await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The others are still open (the default header timeout is 10 s).
    let mut buf = [0u8; 1];
    let still_open = tokio::time::timeout(Duration::from_millis(200), idle[2].read(&mut buf)).await;
    assert!(still_open.is_err(), "{still_open:?}");
}

#[tokio::test]
async fn when_every_connection_is_busy_new_ones_are_refused() {
    let p = Portal::start_with(|c| {
        c.rate = None;
        c.max_connections = 2;
    })
    .await;
    p.fault(json!({"kind": "delay", "delayMs": 1500, "count": 2}))
        .await;
    let url = format!("{}vote.AttachedVote.get", p.hook(1));
    let slow = |client: reqwest::Client, url: String| async move {
        client
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("attachId=1")
            .send()
            .await
            .map(|r| r.status().as_u16())
    };
    let first = tokio::spawn(slow(p.client.clone(), url.clone()));
    let second = tokio::spawn(slow(p.client.clone(), url.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut refused = connect(&p).await;
    refused
        .write_all(b"GET /_emulator/stats HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok();
    let (answer, took) = read_to_close(&mut refused).await;
    assert_eq!(answer, "", "a refused connection gets no answer");
    assert!(took < Duration::from_millis(900), "{took:?}");
    assert_eq!(first.await.expect("join").expect("first"), 200);
    assert_eq!(second.await.expect("join").expect("second"), 200);
    let a = p.post_form(&url, "attachId=1").await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn admin_inputs_out_of_range_get_400() {
    let p = Portal::start().await;
    let raw = |path: &str, body: &'static str| {
        p.client
            .post(format!("{}/_emulator/{path}", p.base))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    for (path, body) in [
        ("tokens", r#"{"user":1,"ttlSeconds":9223372036854775807}"#),
        (
            "tokens",
            r#"{"user":1,"refreshTtlSeconds":9223372036854775807}"#,
        ),
        ("tokens", r#"{"user":1,"ttlSeconds":-1}"#),
        ("tokens", r#"{"user":0}"#),
        (
            "faults",
            r#"{"kind":"delay","delayMs":18446744073709551615}"#,
        ),
        ("faults", r#"{"kind":"drop","count":0}"#),
        (
            "polls",
            r#"{"author":0,"questions":[{"text":"q","answers":["a"]}]}"#,
        ),
        (
            "polls",
            r#"{"members":[0],"questions":[{"text":"q","answers":["a"]}]}"#,
        ),
    ] {
        let resp = raw(path, body).await.expect("request");
        let status = resp.status().as_u16();
        let json: Value = resp.json().await.expect("json");
        assert_eq!(
            (status, &json["error"]),
            (400, &json!("BAD_REQUEST")),
            "{path} {body}: {json}"
        );
    }
    // Pending counts saturate instead of overflowing.
    for _ in 0..2 {
        let r = raw(
            "faults",
            r#"{"kind":"empty_result","count":18446744073709551615,"method":"vote.nope"}"#,
        )
        .await
        .expect("request");
        let json: Value = r.json().await.expect("json");
        assert_eq!(json["pending"], json!(u64::MAX));
    }
    // The longest lifetime is accepted and works.
    let t = p
        .admin("tokens", json!({"user": 1, "ttlSeconds": 315_360_000}))
        .await;
    assert_eq!(t["expiresIn"], 315_360_000);
    let token = t["accessToken"].as_str().expect("token");
    let a = p
        .call_oauth(token, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
}
