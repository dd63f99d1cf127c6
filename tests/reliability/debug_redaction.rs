//! Secrets stay out of `Debug` and `Display` on the Rust side: the webhook
//! code of an endpoint, and every error a malformed or refused webhook URL
//! produces. Native; the lead wires it with
//! `[[test]] name = "debug_redaction" path = "tests/reliability/debug_redaction.rs"`.

use b24_vote::endpoint::Endpoint;

const CODE: &str = "zq7SECRETwebhookCODE91x";

#[test]
fn endpoint_debug_never_shows_the_webhook_code() {
    for url in [
        format!("https://portal.example/rest/1/{CODE}/"),
        format!("http://127.0.0.1:8390/rest/42/{CODE}/"),
        format!("https://portal.example/rest/1/{CODE}"),
    ] {
        let endpoint = Endpoint::webhook(&url, false).expect("a valid webhook");
        let shown = format!("{endpoint:?} {endpoint:#?}");
        assert!(!shown.contains(CODE), "{shown}");
        // The request URL must carry it, or nothing would work.
        assert!(endpoint.method_url("vote.AttachedVote.get").contains(CODE));
        assert_eq!(endpoint.secret(), Some(CODE));
    }
}

#[test]
fn refused_and_malformed_webhooks_never_echo_the_code() {
    for url in [
        format!("http://portal.example/rest/1/{CODE}/"),
        format!("ftp://portal.example/rest/1/{CODE}/"),
        format!("https://portal.example/rest/x/{CODE}/"),
        format!("https://portal.example/rest/1/{CODE}/extra/"),
        format!("https://portal.example/{CODE}/"),
        format!("portal.example/rest/1/{CODE}/"),
        format!("https://user:{CODE}@portal.example/rest/1/abc/"),
    ] {
        let Err(error) = Endpoint::webhook(&url, false) else {
            panic!("accepted {url}");
        };
        for text in [
            format!("{error}"),
            format!("{error:?}"),
            format!("{error:#?}"),
            error.description().to_owned(),
        ] {
            assert!(!text.contains(CODE), "{url}: {text}");
        }
    }
}
