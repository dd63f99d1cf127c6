//! The portal's side of placement apps and what the official SDK needs: the portal
//! page and its admin calls, the app origin (`--app-listen`), `batch`, `profile`,
//! merged slashes, and `time` on fault answers.

mod common;

use b24_portal::frame::AppSpec;
use common::{ok, Portal};
use serde_json::{json, Value};

#[tokio::test]
async fn apps_are_registered_validated_and_reset() {
    let p = Portal::start_with(|c| {
        c.rate = None;
        c.apps =
            vec![AppSpec::parse("handler=http://127.0.0.1:9/app,title=From CLI").expect("spec")];
    })
    .await;
    let apps = p.get(&format!("{}/_emulator/apps", p.base)).await;
    assert_eq!(apps.json[0]["title"], "From CLI");
    assert_eq!(apps.json[0]["placement"], "IM_CONTEXT_MENU");

    let added = p
        .post_json(
            &format!("{}/_emulator/apps", p.base),
            &json!({"handler": "http://127.0.0.1:9/other", "title": "Poll results"}),
        )
        .await;
    assert_eq!(added.status, 200);
    assert_eq!(added.json["apps"].as_array().map(Vec::len), Some(2));
    for bad in [
        json!({"handler": "javascript:alert(1)"}),
        json!({"handler": "http://h/", "placement": "im context"}),
        json!({"handler": "http://h/", "title": ""}),
        json!({"handler": "http://h/", "extra": 1}),
    ] {
        let a = p
            .post_json(&format!("{}/_emulator/apps", p.base), &bad)
            .await;
        assert_eq!(a.status, 400, "{bad}");
    }
    // A reset keeps the start-up apps only.
    p.admin("reset", json!({})).await;
    let apps = p.get(&format!("{}/_emulator/apps", p.base)).await;
    assert_eq!(apps.json.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_chat_shows_each_user_the_polls_they_may_read() {
    let p = Portal::start().await;
    let created = p
        .create_poll(json!({"author": 2, "members": [2], "questions": [{"text": "Private?", "answers": ["a", "b"]}]}))
        .await;
    let chat = |user: u64| {
        let url = format!("{}/_emulator/chat?user={user}", p.base);
        let p = &p;
        async move { p.get(&url).await.json }
    };
    let messages = |v: &Value| -> Vec<Value> {
        v["chats"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["messages"].as_array().cloned().unwrap_or_default())
            .map(|m| m["attachId"].clone())
            .collect()
    };
    let maria = chat(2).await;
    assert_eq!(maria["user"]["name"], "Maria");
    assert!(messages(&maria).contains(&created["attachId"]));
    let alex = chat(1).await;
    assert!(!messages(&alex).contains(&created["attachId"]));
    assert_eq!(alex["chats"][0]["messages"][0]["messageId"], "13");
    assert_eq!(alex["tokenTtl"], 3600);
    let bad = p.get(&format!("{}/_emulator/chat?user=x", p.base)).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn the_portal_page_and_the_app_origin() {
    let dir = std::env::temp_dir().join(format!("b24-portal-frame-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("index.html"), b"<p>app</p>").expect("write");
    let p = Portal::start_with(|c| {
        c.rate = None;
        c.app_listen = Some("127.0.0.1:0".parse().expect("addr"));
        c.statics =
            vec![b24_portal::StaticMount::parse(&dir.display().to_string()).expect("mount")];
    })
    .await;
    let page = p
        .client
        .get(format!("{}/portal/", p.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(page
        .text()
        .await
        .expect("html")
        .contains("/portal/portal.js"));

    let origin = p.server.app_origin_url().expect("app origin");
    assert_ne!(origin, p.base);
    // A portal opens the handler with a POST; the app origin serves files only.
    let opened = p
        .client
        .post(format!("{origin}/index.html?DOMAIN=x&APP_SID=y"))
        .body("AUTH_ID=t")
        .send()
        .await
        .expect("post");
    assert_eq!(opened.status(), 200);
    assert_eq!(opened.text().await.expect("body"), "<p>app</p>");
    let rest = p
        .client
        .get(format!("{origin}/rest/1/hook1/profile"))
        .send()
        .await
        .expect("rest");
    assert_eq!(rest.status(), 404);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn batch_profile_and_merged_slashes() {
    let p = Portal::start().await;
    let url = format!("{}/rest//1//hook1//batch", p.base);
    let a = p
        .post_json(
            &url,
            &json!({"halt": 1, "cmd": ["profile", "vote.AttachedVote.get?attachId=999", "profile"]}),
        )
        .await;
    let r = ok(&a);
    assert_eq!(
        r["result"],
        json!([{"ID": "1", "ADMIN": true, "NAME": "Alex", "LAST_NAME": "", "PERSONAL_GENDER": "", "PERSONAL_PHOTO": format!("{}/upload/main/avatar/1.jpg", p.base), "TIME_ZONE": "", "TIME_ZONE_OFFSET": 0}])
    );
    assert_eq!(
        r["result_error"],
        json!({"1": {"error": "ATTACH_NOT_FOUND", "error_description": "Attach not found"}})
    );
    // The halt stopped before command 2: times for 0 and 1, a list.
    assert_eq!(r["result_time"].as_array().map(Vec::len), Some(2));
    assert!(r["result_time"][1]["operating"].is_number());
    assert!(a.json["time"]["operating"].is_number());

    // Named commands, no halt, a paged method's total.
    let a = p
        .post_form(
            &format!("{}batch", p.hook(1)),
            "cmd[voters]=vote.AttachedVote.getAnswerVoted%3FattachId%3D1%26answerId%3D1&cmd[nested]=batch%3Fcmd%5B%5D%3Dprofile&cmd[me]=profile",
        )
        .await;
    let r = ok(&a);
    assert_eq!(r["result"]["me"]["NAME"], "Alex");
    assert_eq!(r["result_total"]["voters"], 1);
    assert_eq!(
        r["result_error"]["nested"]["error"],
        "ERROR_BATCH_METHOD_NOT_ALLOWED"
    );

    let too_many: Vec<String> = (0..51).map(|_| "profile".to_string()).collect();
    let a = p.post_json(&url, &json!({"cmd": too_many})).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json["error"], "ERROR_BATCH_LENGTH_EXCEEDED");
}

#[tokio::test]
async fn fault_answers_that_look_like_success_carry_time() {
    let p = Portal::start().await;
    p.fault(json!({"kind": "empty_result"})).await;
    let a = p
        .call(1, "vote.AttachedVote.get", &[("attachId", "1")])
        .await;
    assert_eq!(a.json["result"], json!([]));
    assert!(a.json["time"]["operating"].is_number(), "{}", a.json);

    p.fault(json!({"kind": "truncate"})).await;
    let raw = p
        .client
        .get(format!("{}vote.AttachedVote.get?attachId=1", p.hook(1)))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(raw.starts_with("{\"time\":{"), "{raw}");
    assert!(serde_json::from_str::<Value>(&raw).is_err());
}
