//! The client's call loop, natively, over a fake host with virtual time:
//! each rule of the README's "Errors, retries, limits, cancellation", with
//! the exact requests sent and the exact times they left. No portal, no
//! wall clock: every run is the same.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use b24_vote::client::auth::{Credentials, CredentialsFuture, TokenSet, TokenSource};
use b24_vote::client::{CallOptions, ClientOptions, VoteClient};
use b24_vote::error::{Error, ErrorKind, Result};
use b24_vote::host::{Host, Reply};
use b24_vote::PollRef;

/// Unix ms when every test starts.
const START: f64 = 1_700_000_000_000.0;
const RECALL: &str = include_str!("fixtures/recall.json");
const STOP: &str = include_str!("fixtures/stop.json");

/// A request as the fake portal received it.
#[derive(Clone, Debug)]
struct Sent {
    at: f64,
    url: String,
    body: String,
}

/// What the fake portal answers, and after how many ms.
type Answer = (f64, Result<Reply>);

/// How the fake portal answers the n-th request.
type Responder = Box<dyn FnMut(&Sent, usize) -> Answer>;

struct World {
    now: Cell<f64>,
    timers: RefCell<Vec<(f64, Rc<Cell<bool>>)>>,
    sent: RefCell<Vec<Sent>>,
    responder: RefCell<Responder>,
    uuids: Cell<u32>,
}

#[derive(Clone)]
struct FakeHost(Rc<World>);

impl FakeHost {
    fn new(responder: impl FnMut(&Sent, usize) -> (f64, Result<Reply>) + 'static) -> Self {
        FakeHost(Rc::new(World {
            now: Cell::new(START),
            timers: RefCell::new(Vec::new()),
            sent: RefCell::new(Vec::new()),
            responder: RefCell::new(Box::new(responder)),
            uuids: Cell::new(0),
        }))
    }

    fn sent(&self) -> Vec<Sent> {
        self.0.sent.borrow().clone()
    }

    /// When each request left, in ms since the start.
    fn send_times(&self) -> Vec<f64> {
        self.sent().iter().map(|s| s.at - START).collect()
    }

    fn elapsed(&self) -> f64 {
        self.0.now.get() - START
    }
}

/// A virtual timer: fires when the test's clock reaches it.
struct Sleep {
    world: Rc<World>,
    at: f64,
    fired: Option<Rc<Cell<bool>>>,
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.at <= self.world.now.get() {
            return Poll::Ready(());
        }
        let fired = match &self.fired {
            Some(fired) => fired.clone(),
            None => {
                let fired = Rc::new(Cell::new(false));
                self.world
                    .timers
                    .borrow_mut()
                    .push((self.at, fired.clone()));
                self.fired = Some(fired.clone());
                fired
            }
        };
        if fired.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(fired) = &self.fired {
            self.world
                .timers
                .borrow_mut()
                .retain(|(_, f)| !Rc::ptr_eq(f, fired));
        }
    }
}

impl Host for FakeHost {
    fn post_form(
        &self,
        url: &str,
        body: String,
        _max_bytes: u64,
    ) -> impl Future<Output = Result<Reply>> {
        let sent = Sent {
            at: self.0.now.get(),
            url: url.to_owned(),
            body,
        };
        let index = self.0.sent.borrow().len();
        self.0.sent.borrow_mut().push(sent.clone());
        let (delay, reply) = (self.0.responder.borrow_mut())(&sent, index);
        let wait = self.sleep(delay);
        async move {
            wait.await;
            reply
        }
    }

    fn sleep(&self, ms: f64) -> impl Future<Output = ()> + 'static {
        Sleep {
            world: self.0.clone(),
            at: self.0.now.get() + ms.max(0.0),
            fired: None,
        }
    }

    fn now_ms(&self) -> f64 {
        self.0.now.get()
    }

    fn random(&self) -> f64 {
        0.5
    }

    fn new_uuid(&self) -> String {
        self.0.uuids.set(self.0.uuids.get() + 1);
        format!("uuid-{}", self.0.uuids.get())
    }
}

fn noop_waker() -> Waker {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(|_| RAW, |_| {}, |_| {}, |_| {});
    const RAW: RawWaker = RawWaker::new(std::ptr::null(), &VTABLE);
    // SAFETY: every function of the vtable ignores the (null) data pointer.
    unsafe { Waker::from_raw(RAW) }
}

/// One call in flight, borrowing its client.
type Call<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Runs the calls to completion on virtual time: polls every pending one,
/// and when none can move, jumps the clock to the next timer.
fn run<'a, T>(host: &FakeHost, calls: Vec<Call<'a, T>>) -> Vec<T> {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut calls: Vec<_> = calls.into_iter().map(Some).collect();
    let mut results: Vec<Option<T>> = calls.iter().map(|_| None).collect();
    for _ in 0..100_000 {
        let mut moved = true;
        while moved {
            moved = false;
            for (call, result) in calls.iter_mut().zip(results.iter_mut()) {
                if let Some(future) = call {
                    if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                        *result = Some(value);
                        *call = None;
                        moved = true;
                    }
                }
            }
        }
        if calls.iter().all(Option::is_none) {
            return results.into_iter().map(Option::unwrap).collect();
        }
        let next = host
            .0
            .timers
            .borrow()
            .iter()
            .filter(|(_, fired)| !fired.get())
            .map(|(at, _)| *at)
            .fold(f64::INFINITY, f64::min);
        assert!(next.is_finite(), "no call can move and no timer is set");
        host.0.now.set(next.max(host.0.now.get()));
        for (at, fired) in host.0.timers.borrow().iter() {
            if *at <= host.0.now.get() {
                fired.set(true);
            }
        }
    }
    panic!("the calls did not finish");
}

/// `count` concurrent `stop` calls on one client.
fn stops(client: &VoteClient<FakeHost>, count: usize) -> Vec<Call<'_, Result<()>>> {
    (0..count)
        .map(|_| Box::pin(client.stop(&POLL, CallOptions::default())) as Call<'_, Result<()>>)
        .collect()
}

fn run_one<T>(host: &FakeHost, call: impl Future<Output = T>) -> T {
    run(host, vec![Box::pin(call)]).pop().unwrap()
}

fn ok(body: &str) -> (f64, Result<Reply>) {
    (50.0, Ok(reply(200, body)))
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        body: body.to_owned(),
    }
}

fn portal_error(status: u16, code: &str) -> (f64, Result<Reply>) {
    let body = format!(r#"{{"error":"{code}","error_description":"{code} happened"}}"#);
    (50.0, Ok(reply(status, &body)))
}

fn network_error() -> (f64, Result<Reply>) {
    (
        50.0,
        Err(Error::new(ErrorKind::Network, "the request failed")),
    )
}

fn webhook(host: &FakeHost, options: ClientOptions) -> VoteClient<FakeHost> {
    VoteClient::webhook(
        host.clone(),
        "https://portal.example/rest/1/abc123/",
        options,
    )
    .unwrap()
}

fn no_limit() -> ClientOptions {
    ClientOptions {
        rate_limit: None,
        ..ClientOptions::default()
    }
}

const POLL: PollRef = PollRef::AttachId(1);

fn field<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    body.split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

#[test]
fn a_refused_call_is_retried_with_backoff_for_every_method_vote_included() {
    let host = FakeHost::new(|_, n| {
        if n < 2 {
            portal_error(503, "QUERY_LIMIT_EXCEEDED")
        } else {
            ok(RECALL)
        }
    });
    let client = webhook(&host, no_limit());
    let ballot = b24_vote::Ballot::new(vec![(1, vec![1])]).unwrap();
    let attach = run_one(&host, client.vote(&POLL, &ballot, CallOptions::default()));
    assert!(attach.is_ok(), "{attach:?}");
    // 0; +50 answer +300 backoff (400 × 2^0, jitter 0.5 → 300); +50 +600.
    assert_eq!(host.send_times(), vec![0.0, 350.0, 1000.0]);
    // One actionUuid for the call, sent with every attempt.
    let uuids: Vec<_> = host
        .sent()
        .iter()
        .map(|s| field(&s.body, "actionUuid").unwrap().to_owned())
        .collect();
    assert_eq!(uuids, vec!["uuid-1"; 3]);
}

#[test]
fn retries_stop_after_the_configured_number() {
    let host = FakeHost::new(|_, _| network_error());
    let client = webhook(
        &host,
        ClientOptions {
            retries: 2,
            ..no_limit()
        },
    );
    let error = run_one(&host, client.get(&POLL, CallOptions::default())).unwrap_err();
    assert_eq!(error.code(), "NETWORK_ERROR");
    assert!(error.retryable());
    assert_eq!(host.sent().len(), 3);
}

#[test]
fn a_vote_that_may_have_run_is_never_repeated_but_reads_and_recall_are() {
    for (kind, answer) in [
        ("network", network_error()),
        (
            "5xx html",
            (50.0, Ok(reply(502, "<html>Bad Gateway</html>"))),
        ),
        (
            "cut 2xx",
            (50.0, Ok(reply(200, &RECALL[..RECALL.len() / 2]))),
        ),
        ("500", portal_error(500, "INTERNAL_SERVER_ERROR")),
    ] {
        let first = RefCell::new(Some(answer));
        let host = FakeHost::new(move |_, _| first.borrow_mut().take().unwrap_or(ok(RECALL)));
        let client = webhook(&host, no_limit());
        let ballot = b24_vote::Ballot::new(vec![(1, vec![1])]).unwrap();
        let voted = run_one(&host, client.vote(&POLL, &ballot, CallOptions::default()));
        assert!(voted.is_err(), "{kind}: vote must fail");
        assert_eq!(host.sent().len(), 1, "{kind}: vote sent once");

        let first = RefCell::new(None::<(f64, Result<Reply>)>);
        let host = FakeHost::new(move |_, n| {
            if n == 0 {
                first.borrow_mut().take();
                match kind {
                    "network" => network_error(),
                    "5xx html" => (50.0, Ok(reply(502, "<html>Bad Gateway</html>"))),
                    "cut 2xx" => (50.0, Ok(reply(200, &RECALL[..RECALL.len() / 2]))),
                    _ => portal_error(500, "INTERNAL_SERVER_ERROR"),
                }
            } else {
                ok(RECALL)
            }
        });
        let client = webhook(&host, no_limit());
        let recalled = run_one(&host, client.recall(&POLL, CallOptions::default()));
        assert!(recalled.is_ok(), "{kind}: recall retried");
        assert_eq!(host.sent().len(), 2, "{kind}");
    }
}

#[test]
fn hard_errors_redirects_and_oversized_answers_are_not_retried() {
    let answer = |code: &str| -> Answer {
        match code {
            "ATTACH_NOT_FOUND" => portal_error(400, code),
            "ACCESS_DENIED" => portal_error(403, code),
            "PORTAL_DELETED" => portal_error(500, code),
            "REDIRECT_REFUSED" => (
                10.0,
                Err(Error::new(ErrorKind::RedirectRefused, "redirect").with_status(307)),
            ),
            _ => (
                10.0,
                Err(Error::new(ErrorKind::ResponseTooLarge, "big").with_status(200)),
            ),
        }
    };
    let codes = [
        "ATTACH_NOT_FOUND",
        "ACCESS_DENIED",
        "PORTAL_DELETED",
        "REDIRECT_REFUSED",
        "RESPONSE_TOO_LARGE",
    ];
    for code in codes {
        let host = FakeHost::new(move |_, _| answer(code));
        let client = webhook(&host, no_limit());
        let error = run_one(&host, client.get(&POLL, CallOptions::default())).unwrap_err();
        assert_eq!(error.code(), code);
        assert!(!error.retryable(), "{code}");
        assert_eq!(host.sent().len(), 1, "{code}");
    }
}

#[test]
fn the_operating_limit_waits_for_its_reset_when_the_deadline_allows() {
    let reset_at_s = (START + 5_000.0) / 1000.0;
    // The docs' recall answer, its operating_reset_at moved to 5 s from now.
    let with_reset = RECALL.replace("1754462347", &format!("{reset_at_s}"));
    let host = FakeHost::new(move |_, n| match n {
        1 => portal_error(429, "OPERATION_TIME_LIMIT"),
        _ => ok(&with_reset),
    });
    let client = webhook(&host, no_limit());
    let calls: Vec<Call<'_, Result<_>>> = vec![Box::pin(async {
        client.get(&POLL, CallOptions::default()).await?;
        client.get(&POLL, CallOptions::default()).await
    })];
    let result = run(&host, calls).pop().unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(host.send_times(), vec![0.0, 50.0, 5_000.0]);

    // A deadline before the reset: fail at once, saying it is retryable.
    let host2_reset = RECALL.replace("1754462347", &format!("{reset_at_s}"));
    let host = FakeHost::new(move |_, n| match n {
        1 => portal_error(429, "OPERATION_TIME_LIMIT"),
        _ => ok(&host2_reset),
    });
    let client = webhook(&host, no_limit());
    let short = || CallOptions {
        timeout_ms: Some(2_000.0),
        ..CallOptions::default()
    };
    let result = run_one(&host, async {
        client.get(&POLL, short()).await?;
        client.get(&POLL, short()).await
    });
    let error = result.unwrap_err();
    assert_eq!(error.code(), "OPERATION_TIME_LIMIT");
    assert!(error.retryable());
    assert_eq!(host.elapsed(), 100.0, "failed as soon as it knew");
}

#[test]
fn the_rate_limiter_spaces_a_burst() {
    let host = FakeHost::new(|_, _| ok(STOP));
    let client = webhook(
        &host,
        ClientOptions {
            rate_limit: Some((2, 1.0)),
            ..ClientOptions::default()
        },
    );
    let calls = stops(&client, 5);
    assert!(run(&host, calls).iter().all(Result::is_ok));
    assert_eq!(host.send_times(), vec![0.0, 0.0, 1_000.0, 2_000.0, 3_000.0]);
}

#[test]
fn a_call_cancelled_while_it_waits_gives_its_place_back() {
    let host = FakeHost::new(|_, _| ok(STOP));
    let client = webhook(
        &host,
        ClientOptions {
            rate_limit: Some((1, 0.1)),
            ..ClientOptions::default()
        },
    );
    let cancel_at = |ms: f64| CallOptions {
        cancel: Some(Box::pin(host.sleep(ms))),
        ..CallOptions::default()
    };
    let mut calls: Vec<Call<'_, Result<()>>> = Vec::new();
    calls.push(Box::pin(client.stop(&POLL, CallOptions::default())));
    for _ in 0..300 {
        calls.push(Box::pin(client.stop(&POLL, cancel_at(100.0))));
    }
    let late = Box::pin(async {
        host.sleep(200.0).await;
        client.stop(&POLL, CallOptions::default()).await
    });
    calls.push(late);
    let results = run(&host, calls);
    let aborted = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.code() == "ABORTED"));
    assert_eq!(aborted.count(), 300);
    assert!(results.last().unwrap().is_ok());
    // The late call takes the first free place (10 s after the first
    // call at 0.1/s), not the 301st.
    assert_eq!(host.send_times(), vec![0.0, 10_000.0]);
}

#[test]
fn the_deadline_bounds_the_whole_call_retries_and_waits_included() {
    let host = FakeHost::new(|_, _| (50.0, Err(Error::new(ErrorKind::Network, "down"))));
    let client = webhook(
        &host,
        ClientOptions {
            retries: 10,
            ..no_limit()
        },
    );
    let options = CallOptions {
        timeout_ms: Some(1_000.0),
        ..CallOptions::default()
    };
    let error = run_one(&host, client.get(&POLL, options)).unwrap_err();
    // 0, 350, 1000 (+600 backoff would pass the deadline: it reports the
    // network error as it is, before the deadline).
    assert_eq!(error.code(), "NETWORK_ERROR");
    assert!(host.elapsed() < 1_000.0);

    let host = FakeHost::new(|_, _| (60_000.0, Ok(reply(200, STOP))));
    let client = webhook(&host, no_limit());
    let options = CallOptions {
        timeout_ms: Some(1_000.0),
        ..CallOptions::default()
    };
    let error = run_one(&host, client.stop(&POLL, options)).unwrap_err();
    assert_eq!(error.code(), "TIMEOUT");
    assert_eq!(host.elapsed(), 1_000.0);
}

#[test]
fn an_abort_stops_the_call_and_one_already_fired_sends_nothing() {
    let host = FakeHost::new(|_, _| (10_000.0, Ok(reply(200, STOP))));
    let client = webhook(&host, no_limit());
    let options = CallOptions {
        cancel: Some(Box::pin(host.sleep(300.0))),
        ..CallOptions::default()
    };
    let error = run_one(&host, client.stop(&POLL, options)).unwrap_err();
    assert_eq!(error.code(), "ABORTED");
    assert_eq!(host.elapsed(), 300.0);
    assert_eq!(host.sent().len(), 1);

    let host = FakeHost::new(|_, _| ok(STOP));
    let client = webhook(&host, no_limit());
    let options = CallOptions {
        cancel: Some(Box::pin(std::future::ready(()))),
        ..CallOptions::default()
    };
    let error = run_one(&host, client.stop(&POLL, options)).unwrap_err();
    assert_eq!(error.code(), "ABORTED");
    assert!(host.sent().is_empty());
}

#[test]
fn reads_send_no_action_uuid_and_writes_keep_the_callers() {
    let host = FakeHost::new(|_, _| ok(RECALL));
    let client = webhook(&host, no_limit());
    run_one(&host, client.get(&POLL, CallOptions::default())).unwrap();
    let options = CallOptions {
        action_uuid: Some("mine".into()),
        ..CallOptions::default()
    };
    run_one(&host, client.recall(&POLL, options)).unwrap();
    let sent = host.sent();
    assert_eq!(field(&sent[0].body, "actionUuid"), None);
    assert_eq!(field(&sent[1].body, "actionUuid"), Some("mine"));
    assert!(sent[1]
        .url
        .ends_with("/rest/1/abc123/vote.AttachedVote.recall"));
}

/// A refresh callback that answers after `delay_ms`, counting its calls.
struct Refresher {
    host: FakeHost,
    calls: Cell<u32>,
    delay_ms: f64,
    fail_first: Cell<u32>,
}

impl Refresher {
    fn new(host: &FakeHost, delay_ms: f64, fail_first: u32) -> Rc<Self> {
        Rc::new(Refresher {
            host: host.clone(),
            calls: Cell::new(0),
            delay_ms,
            fail_first: Cell::new(fail_first),
        })
    }
}

impl TokenSource for Refresher {
    fn current(&self) -> Result<Option<Credentials>> {
        Ok(None)
    }

    fn refresh(&self, refresh_token: Option<String>) -> CredentialsFuture {
        self.calls.set(self.calls.get() + 1);
        let call = self.calls.get();
        let failing = self.fail_first.get() >= call;
        let wait = self.host.sleep(self.delay_ms);
        Box::pin(async move {
            wait.await;
            if failing {
                return Err(Error::new(ErrorKind::AuthRefreshFailed, "refresh threw"));
            }
            assert_eq!(refresh_token.as_deref(), Some("refresh-0"));
            Ok(Credentials {
                access_token: format!("fresh-{call}"),
                ..Credentials::default()
            })
        })
    }
}

/// A portal whose token `fresh-*` works and any other is expired.
fn token_portal() -> FakeHost {
    FakeHost::new(|sent, _| {
        if field(&sent.body, "auth").is_some_and(|t| t.starts_with("fresh-")) {
            ok(STOP)
        } else {
            portal_error(401, "expired_token")
        }
    })
}

fn oauth(host: &FakeHost, refresher: Rc<Refresher>) -> VoteClient<FakeHost> {
    let tokens = TokenSet {
        access_token: "stale".into(),
        refresh_token: Some("refresh-0".into()),
        expires_at: None,
    };
    VoteClient::oauth(
        host.clone(),
        "portal.example",
        tokens,
        Some(refresher),
        no_limit(),
    )
    .unwrap()
}

#[test]
fn concurrent_expired_calls_share_one_refresh_then_each_retries_once() {
    let host = token_portal();
    let refresher = Refresher::new(&host, 500.0, 0);
    let client = oauth(&host, refresher.clone());
    let calls = stops(&client, 5);
    let results = run(&host, calls);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(refresher.calls.get(), 1);
    // 5 expired attempts, then 5 retries with the new token.
    let tokens: Vec<_> = host
        .sent()
        .iter()
        .map(|s| field(&s.body, "auth").unwrap().to_owned())
        .collect();
    assert_eq!(tokens[..5], ["stale"; 5]);
    assert_eq!(tokens[5..], ["fresh-1"; 5]);
}

#[test]
fn a_failed_refresh_fails_its_waiters_and_the_next_call_refreshes_again() {
    let host = token_portal();
    let refresher = Refresher::new(&host, 100.0, 1);
    let client = oauth(&host, refresher.clone());
    let calls = stops(&client, 3);
    for result in run(&host, calls) {
        assert_eq!(result.unwrap_err().code(), "AUTH_REFRESH_FAILED");
    }
    assert_eq!(refresher.calls.get(), 1);
    assert!(run_one(&host, client.stop(&POLL, CallOptions::default())).is_ok());
    assert_eq!(refresher.calls.get(), 2);
}

#[test]
fn a_refresh_that_never_answers_fails_after_ten_seconds() {
    let host = token_portal();
    let refresher = Refresher::new(&host, 3_600_000.0, 0);
    let client = oauth(&host, refresher);
    let options = CallOptions {
        timeout_ms: Some(60_000.0),
        ..CallOptions::default()
    };
    let error = run_one(&host, client.stop(&POLL, options)).unwrap_err();
    assert_eq!(error.code(), "AUTH_REFRESH_FAILED");
    assert_eq!(host.elapsed(), 50.0 + 10_000.0);
}

#[test]
fn without_a_refresh_callback_an_expired_token_is_the_portals_error() {
    let host = token_portal();
    let tokens = TokenSet {
        access_token: "stale".into(),
        refresh_token: None,
        expires_at: None,
    };
    let client =
        VoteClient::oauth(host.clone(), "portal.example", tokens, None, no_limit()).unwrap();
    let error = run_one(&host, client.stop(&POLL, CallOptions::default())).unwrap_err();
    assert_eq!((error.code(), error.status()), ("expired_token", 401));
    assert_eq!(host.sent().len(), 1);
}

#[test]
fn secrets_never_reach_an_error_text() {
    let host = FakeHost::new(|sent, _| {
        // A portal that echoes the request, body and URL.
        let echo = format!("{} {}", sent.url, sent.body);
        (
            10.0,
            Ok(reply(
                400,
                &format!(r#"{{"error":"{echo}","error_description":"{echo}"}}"#),
            )),
        )
    });
    let client = webhook(&host, no_limit());
    let error = run_one(&host, client.stop(&POLL, CallOptions::default())).unwrap_err();
    for text in [error.message(), format!("{error:?}")] {
        assert!(!text.contains("abc123"), "{text}");
    }
}
