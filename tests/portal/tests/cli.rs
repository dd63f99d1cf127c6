//! The `b24-portal` binary: command line, start-up lines, static files, SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_b24-portal");

#[tokio::test]
async fn starts_prints_serves_and_stops() {
    let dir = std::env::temp_dir().join(format!("b24-portal-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("m.wasm"), b"\0asm").expect("write");
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--rate",
            "off",
            "--operating-limit",
            "off",
            "--static",
        ])
        .arg(format!("/pkg={}", dir.display()))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("line").expect("utf8");
    let base = first
        .strip_prefix("b24-portal listening on ")
        .expect("first line")
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");
    assert_ne!(base, "http://127.0.0.1:0");
    let hooks: Vec<String> = (0..2)
        .map(|_| lines.next().expect("l").expect("u"))
        .collect();
    assert_eq!(
        hooks,
        [
            format!("webhook user 1: {base}/rest/1/hook1/"),
            format!("webhook user 2: {base}/rest/2/hook2/"),
        ]
    );

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let resp = client
        .get(format!(
            "{base}/rest/1/hook1/vote.AttachedVote.get?attachId=1"
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 200);
    let resp = client
        .get(format!("{base}/pkg/m.wasm"))
        .send()
        .await
        .expect("wasm");
    assert_eq!(resp.headers()["content-type"], "application/wasm");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let t0 = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "no exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_exit_2() {
    for args in [&["--rate", "fast"][..], &["--bogus"], &["--listen"]] {
        let out = Command::new(BIN).args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
    }
    let out = Command::new(BIN).arg("--help").output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--operating-limit"));
}
