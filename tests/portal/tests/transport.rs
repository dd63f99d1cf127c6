//! The REST layer around the methods: request forms, authentication and OAuth refresh,
//! CORS, the leaky bucket, the operating limit, faults, stats and reset.

mod common;

use b24_portal::Rate;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn get_url(p: &Portal, user: u64, query: &str) -> String {
    format!("{}vote.AttachedVote.get?{query}", p.hook(user))
}

#[tokio::test]
async fn request_forms() {
    let p = Portal::start().await;
    // query string only (GET)
    let a = p.get(&get_url(&p, 1, "attachId=1")).await;
    assert_eq!(ok(&a)["attach"]["ID"], 1);
    // JSON body
    let a = p
        .call_json(1, "vote.AttachedVote.get", json!({"attachId": "1"}))
        .await;
    assert_eq!(ok(&a)["attach"]["ID"], 1);
    // multipart/form-data with bracket names
    let form = reqwest::multipart::Form::new()
        .text("attachId", "1")
        .text("ballot[1][]", "3");
    let resp = p
        .client
        .post(format!("{}vote.AttachedVote.vote", p.hook(2)))
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.expect("json");
    assert!(v["result"]["attach"]["userAnswerMap"]["1"]["3"].is_object());
    // query and body merge; the body wins
    let a = p
        .post_form(
            &get_url(&p, 1, "attachId=999&signedAttachId=x"),
            "attachId=1",
        )
        .await;
    assert_eq!(ok(&a)["attach"]["ID"], 1);
    // method names are case-insensitive, `.json` optional
    let a = p
        .get(&format!(
            "{}VOTE.ATTACHEDVOTE.GET.JSON?attachId=1",
            p.hook(1)
        ))
        .await;
    assert_eq!(ok(&a)["attach"]["ID"], 1);
    let stats = p.stats().await;
    assert_eq!(stats["byMethod"]["vote.AttachedVote.get"], 4);
    assert_eq!(stats["byMethod"]["vote.AttachedVote.vote"], 1);
    assert_eq!(stats["requests"], 5);
    // unknown methods
    for url in [format!("{}vote.AttachedVote.nope", p.hook(1)), p.hook(1)] {
        let a = p.get(&url).await;
        assert_error(
            &a,
            404,
            json!("ERROR_METHOD_NOT_FOUND"),
            "Method not found!",
        );
    }
    // a body that is no JSON object is ignored: the call then misses its parameters
    let resp = p
        .client
        .post(format!("{}vote.AttachedVote.get", p.hook(1)))
        .header("Content-Type", "application/json")
        .body("[1,2")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn webhook_and_oauth_auth() {
    let p = Portal::start().await;
    let (token, _) = p.token(2, 3600).await;
    // token in the body
    let a = p
        .call_oauth(&token, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    assert_eq!(ok(&a)["attach"]["isVoted"], false); // runs as user 2
                                                    // token in the query string, counted in authInQuery
    let a = p
        .get(&format!(
            "{}/rest/vote.AttachedVote.get.json?attachId=1&auth={token}",
            p.base
        ))
        .await;
    ok(&a);
    assert_eq!(p.stats().await["authInQuery"], 1);
    // missing, unknown, wrong webhook code
    let a = p
        .post_form(
            &format!("{}/rest/vote.AttachedVote.get", p.base),
            "attachId=1",
        )
        .await;
    assert_error(&a, 401, json!("NO_AUTH_FOUND"), "Wrong authorization data");
    let a = p
        .call_oauth("nope", "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    assert_error(
        &a,
        401,
        json!("INVALID_CREDENTIALS"),
        "Invalid request credentials",
    );
    for url in [
        format!("{}/rest/1/hook2/vote.AttachedVote.get", p.base),
        format!("{}/rest/0/hook0/vote.AttachedVote.get", p.base),
    ] {
        let a = p.post_form(&url, "attachId=1").await;
        assert_error(
            &a,
            401,
            json!("INVALID_CREDENTIALS"),
            "Invalid request credentials",
        );
    }
    let stats = p.stats().await;
    assert_eq!(stats["rejected"]["INVALID_CREDENTIALS"], 3);
    assert_eq!(stats["rejected"]["NO_AUTH_FOUND"], 1);
}

#[tokio::test]
async fn token_expiry_and_refresh_with_rotation() {
    let p = Portal::start().await;
    let (expired, refresh) = p.token(2, 0).await;
    let a = p
        .call_oauth(&expired, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    assert_error(
        &a,
        401,
        json!("expired_token"),
        "The access token provided has expired.",
    );
    // refresh with a form POST, as the JS SDK does
    let a = p
        .post_form(
            &format!("{}/oauth/token/", p.base),
            &form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "app.1"),
                ("client_secret", "s"),
                ("refresh_token", &refresh),
            ]),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let documented = json!({"access_token":"…","client_endpoint":"https://portal.bitrix24.com/rest/","domain":"oauth.bitrix.info","expires":1780319382,"expires_in":3600,"member_id":"…","refresh_token":"…","scope":"crm,entity,im,task","server_endpoint":"https://oauth.bitrix.info/rest/","status":"F","user_id":67});
    let every_leaf: Vec<&str> = documented
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_shape(&documented, &a.json, &every_leaf, &[]);
    assert_eq!(a.json["client_endpoint"], format!("{}/rest/", p.base));
    assert_eq!(a.json["user_id"], 2);
    let new_token = a.json["access_token"].as_str().expect("t").to_string();
    let rotated = a.json["refresh_token"].as_str().expect("r").to_string();
    assert_ne!(rotated, refresh);
    assert_ne!(new_token, expired);
    // the new token works, at the client_endpoint the answer named
    let a = p
        .post_form(
            &format!(
                "{}vote.AttachedVote.get",
                a.json["client_endpoint"].as_str().expect("e")
            ),
            &form(&[("attachId", "1"), ("auth", &new_token)]),
        )
        .await;
    ok(&a);
    // refresh tokens are single-use
    let a = p
        .get(&format!(
            "{}/oauth/token/?grant_type=refresh_token&refresh_token={refresh}",
            p.base
        ))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json["error"], "invalid_grant");
    // the rotated one works once, with GET as the docs show
    let url = format!(
        "{}/oauth/token/?grant_type=refresh_token&client_id=a&client_secret=b&refresh_token={rotated}",
        p.base
    );
    assert_eq!(p.get(&url).await.status, 200);
    assert_eq!(p.get(&url).await.status, 400);
    let a = p
        .get(&format!("{}/oauth/token/?grant_type=password", p.base))
        .await;
    assert_eq!(
        (a.status, a.json["error"].clone()),
        (400, json!("invalid_request"))
    );
    assert_eq!(p.stats().await["refreshes"], 2);
}

#[tokio::test]
async fn cors() {
    let p = Portal::start().await;
    let resp = p
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/rest/vote.AttachedVote.get", p.base),
        )
        .header("Origin", "http://app.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, x-requested-with",
        )
        .send()
        .await
        .expect("preflight");
    assert_eq!(resp.status(), 204);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(h["access-control-allow-methods"], "GET, POST, OPTIONS");
    assert_eq!(
        h["access-control-allow-headers"],
        "content-type, x-requested-with"
    );
    assert!(h.contains_key("access-control-max-age"));
    let resp = p
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}vote.AttachedVote.vote", p.hook(1)),
        )
        .send()
        .await
        .expect("preflight");
    assert_eq!(resp.status(), 204);
    assert_eq!(
        resp.headers()["access-control-allow-headers"],
        "Content-Type, Authorization"
    );
    // preflights elsewhere are answered but not counted
    let resp = p
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/_emulator/stats", p.base),
        )
        .send()
        .await
        .expect("preflight");
    assert_eq!(resp.status(), 204);
    // every kind of answer carries Allow-Origin
    p.fault(json!({"kind": "http500_html"})).await;
    for url in [
        get_url(&p, 1, "attachId=1"),  // fault
        get_url(&p, 1, "attachId=1"),  // success
        get_url(&p, 1, "attachId=99"), // error
        format!("{}/rest/nope", p.base),
        format!("{}/_emulator/stats", p.base),
        format!("{}/nothing-here", p.base),
    ] {
        let resp = p.client.get(&url).send().await.expect("get");
        assert_eq!(resp.headers()["access-control-allow-origin"], "*", "{url}");
    }
    let stats = p.stats().await;
    assert_eq!(stats["preflights"], 2);
    assert_eq!(stats["requests"], 4);
}

#[tokio::test]
async fn leaky_bucket() {
    let p = Portal::start_with(|c| {
        c.rate = Some(Rate {
            burst: 5.0,
            per_second: 2.0,
        })
    })
    .await;
    let url = get_url(&p, 1, "attachId=1");
    // The bucket drains continuously, so the burst may let one more through if the
    // requests are slow (5 requests in over half a second).
    let statuses = burst(&p, &url, 8).await;
    assert_eq!(statuses[..5], [200; 5], "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 6,
        "{statuses:?}"
    );
    assert_eq!(statuses[7], 503, "{statuses:?}");
    let a = p.get(&url).await;
    assert_error(&a, 503, json!("QUERY_LIMIT_EXCEEDED"), "Too many requests");
    // refused requests add nothing; preflights, admin and OAuth are not limited
    let pre = p
        .client
        .request(reqwest::Method::OPTIONS, &url)
        .send()
        .await
        .expect("preflight");
    assert_eq!(pre.status(), 204);
    let refused = statuses.iter().filter(|s| **s == 503).count() + 1;
    assert_eq!(p.stats().await["rejected"]["QUERY_LIMIT_EXCEEDED"], refused);
    let a = p
        .get(&format!(
            "{}/oauth/token/?grant_type=refresh_token&refresh_token=x",
            p.base
        ))
        .await;
    assert_eq!(a.status, 400);
    // it drains at 2 per second: after 1.1 s, two more pass
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut passed = 0;
    for _ in 0..5 {
        if p.get(&url).await.status == 200 {
            passed += 1;
        }
    }
    assert!((2..=4).contains(&passed), "{passed} passed after draining");
    // the rate can be changed at run time, or switched off
    p.admin("config", json!({"rate": "off"})).await;
    for _ in 0..20 {
        ok(&p.get(&url).await);
    }
    p.admin("config", json!({"rate": "2/1"})).await;
    let statuses = burst(&p, &url, 4).await;
    assert_eq!(statuses[..2], [200; 2], "{statuses:?}");
    assert_eq!(statuses[3], 503, "{statuses:?}");
}

async fn burst(p: &Portal, url: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(p.get(url).await.status);
    }
    statuses
}

#[tokio::test]
async fn operating_limit() {
    let p = Portal::start_with(|c| {
        c.rate = None;
        c.operating_limit = Some(0.2);
    })
    .await;
    let url = get_url(&p, 1, "attachId=1");
    // a slow call (the delay counts as processing time) uses up the budget
    p.fault(json!({"kind": "delay", "delayMs": 300, "method": "vote.AttachedVote.get"}))
        .await;
    let a = p.get(&url).await;
    ok(&a);
    let time = &a.json["time"];
    assert!(time["processing"].as_f64().unwrap_or(0.0) >= 0.3, "{time}");
    assert!(time["operating"].as_f64().unwrap_or(0.0) >= 0.3, "{time}");
    let reset = time["operating_reset_at"].as_i64().expect("reset");
    let start = time["start"].as_f64().expect("start") as i64;
    assert!((start + 590..=start + 601).contains(&reset), "{time}");
    // blocked for this method and caller only
    let a = p.get(&url).await;
    assert_error(
        &a,
        429,
        json!("OPERATION_TIME_LIMIT"),
        "Method is blocked due to operation time limit.",
    );
    ok(&p.get(&get_url(&p, 2, "attachId=1")).await);
    ok(&p
        .call(
            1,
            "vote.AttachedVote.getMany",
            &[
                ("moduleId", "im"),
                ("entityType", ENTITY_TYPE),
                ("entityIds[]", "13"),
            ],
        )
        .await);
    // lifting the limit at run time
    p.admin("config", json!({"operatingLimit": "off"})).await;
    ok(&p.get(&url).await);
}

#[tokio::test]
async fn every_fault_kind() {
    let p = Portal::start().await;
    let url = get_url(&p, 1, "attachId=1");

    p.fault(json!({"kind": "drop"})).await;
    let err = p.client.get(&url).send().await;
    assert!(err.is_err(), "drop must be a network error: {err:?}");

    p.fault(json!({"kind": "http500_html"})).await;
    let resp = p.client.get(&url).send().await.expect("500");
    assert_eq!(resp.status(), 500);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));
    assert!(resp.text().await.unwrap_or_default().contains("<html>"));

    let full = p
        .client
        .get(&url)
        .send()
        .await
        .expect("ok")
        .text()
        .await
        .expect("t");
    p.fault(json!({"kind": "truncate"})).await;
    let resp = p.client.get(&url).send().await.expect("200");
    assert_eq!(resp.status(), 200);
    let cut = resp.text().await.expect("body");
    assert!(serde_json::from_str::<Value>(&cut).is_err());
    assert!(cut.len() >= full.len() / 2 - 40 && cut.len() <= full.len() / 2 + 40);
    // `time` leads a truncated answer, so even the half that arrives carries it.
    assert!(cut.starts_with("{\"time\":{"), "{cut}");

    p.fault(json!({"kind": "delay", "delayMs": 250})).await;
    let t0 = Instant::now();
    ok(&p.get(&url).await);
    assert!(t0.elapsed() >= Duration::from_millis(250));

    p.fault(json!({"kind": "rate_limit"})).await;
    assert_error(
        &p.get(&url).await,
        503,
        json!("QUERY_LIMIT_EXCEEDED"),
        "Too many requests",
    );
    p.fault(json!({"kind": "operating_limit"})).await;
    assert_error(
        &p.get(&url).await,
        429,
        json!("OPERATION_TIME_LIMIT"),
        "Method is blocked due to operation time limit.",
    );
    p.fault(json!({"kind": "expired_token"})).await;
    assert_error(
        &p.get(&url).await,
        401,
        json!("expired_token"),
        "The access token provided has expired.",
    );

    // empty_result: a 200 {"result":[]} and nothing happens
    p.fault(json!({"kind": "empty_result", "method": "Vote.AttachedVote.Vote.json"}))
        .await;
    ok(&p.get(&url).await); // other methods are not hit
    let a = p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1][]", "3")],
        )
        .await;
    assert_eq!((a.status, a.json["result"].clone()), (200, json!([])));
    assert!(a.json["time"]["operating"].is_number(), "{}", a.json);
    assert_eq!(p.poll_state(1).await["counter"], 1);

    // count: the next N matching requests
    p.fault(json!({"kind": "rate_limit", "count": 2})).await;
    assert_eq!(p.get(&url).await.status, 503);
    assert_eq!(p.get(&url).await.status, 503);
    assert_eq!(p.get(&url).await.status, 200);

    let stats = p.stats().await;
    assert_eq!(stats["rejected"]["QUERY_LIMIT_EXCEEDED"], 3);
    assert_eq!(stats["rejected"]["OPERATION_TIME_LIMIT"], 1);
    assert_eq!(stats["rejected"]["expired_token"], 1);
    assert_eq!(stats["rejected"]["INTERNAL_SERVER_ERROR"], 1);
    assert_eq!(stats["faults"]["drop"], 1);
    assert_eq!(stats["faults"]["truncate"], 1);
    assert_eq!(stats["faults"]["empty_result"], 1);

    // bad fault requests
    let a = p
        .post_json(
            &format!("{}/_emulator/faults", p.base),
            &json!({"kind": "meteor"}),
        )
        .await;
    assert_eq!(a.status, 400);
}

#[tokio::test]
async fn reset_restores_everything() {
    let p = Portal::start().await;
    ok(&p
        .call(
            2,
            "vote.AttachedVote.vote",
            &[("attachId", "1"), ("ballot[1][]", "3")],
        )
        .await);
    ok(&p
        .call(1, "vote.AttachedVote.stop", &[("attachId", "1")])
        .await);
    let created = p
        .create_poll(json!({"questions": [{"text": "x", "answers": ["a"]}]}))
        .await;
    let (token, _) = p.token(1, 3600).await;
    p.fault(json!({"kind": "rate_limit", "count": 5})).await;
    p.admin("reset", json!({})).await;
    let stats = p.stats().await;
    assert_eq!(stats["requests"], 0);
    assert_eq!(stats["byMethod"], json!({}));
    let a = p
        .call(2, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    let at = &ok(&a)["attach"];
    assert_eq!(at["COUNTER"], 1);
    assert_eq!(at["isFinished"], false);
    assert_eq!(at["isVoted"], false);
    let a = p
        .call(
            2,
            "vote.AttachedVote.get",
            &[("attachId", &created["attachId"].to_string())],
        )
        .await;
    assert_eq!(a.json["error"], "ATTACH_NOT_FOUND");
    let a = p
        .call_oauth(&token, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    assert_eq!(a.json["error"], "INVALID_CREDENTIALS");
    assert_eq!(
        p.get(&format!("{}/_emulator/polls/99", p.base))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn static_files() {
    let root = std::env::temp_dir().join(format!("b24-portal-static-{}", std::process::id()));
    let first = root.join("first");
    let second = root.join("second");
    let pkg = root.join("pkg");
    for d in [&first, &second, &pkg] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(first.join("index.html"), "<h1>first</h1>").expect("w");
    std::fs::write(second.join("index.html"), "<h1>second</h1>").expect("w");
    std::fs::write(second.join("only.txt"), "only in second").expect("w");
    std::fs::write(pkg.join("b24_vote_bg.wasm"), b"\0asm\x01\0\0\0").expect("w");
    std::fs::write(pkg.join("b24_vote.js"), "export {}").expect("w");
    let mounts = [
        format!("/pkg={}", pkg.display()),
        first.display().to_string(),
        second.display().to_string(),
    ];
    let p = Portal::start_with(|c| {
        c.statics = mounts
            .iter()
            .map(|m| b24_portal::StaticMount::parse(m).expect("mount"))
            .collect();
    })
    .await;
    let get = |path: &str| p.client.get(format!("{}{path}", p.base)).send();
    let resp = get("/pkg/b24_vote_bg.wasm").await.expect("wasm");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/wasm");
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert_eq!(resp.bytes().await.expect("b").as_ref(), b"\0asm\x01\0\0\0");
    let resp = get("/pkg/b24_vote.js").await.expect("js");
    assert_eq!(resp.headers()["content-type"], "text/javascript");
    // same prefix: tried in order
    let resp = get("/").await.expect("index");
    assert_eq!(resp.text().await.expect("t"), "<h1>first</h1>");
    let resp = get("/only.txt").await.expect("only");
    assert_eq!(resp.text().await.expect("t"), "only in second");
    assert_eq!(get("/missing.js").await.expect("404").status(), 404);
    assert_eq!(
        get("/pkg/../first/index.html").await.expect("x").status(),
        404
    );
    assert_eq!(
        get("/pkg/%2e%2e/first/index.html")
            .await
            .expect("x")
            .status(),
        404
    );
    // static files are not REST requests
    assert_eq!(p.stats().await["requests"], 0);
    let _ = std::fs::remove_dir_all(&root);
}
