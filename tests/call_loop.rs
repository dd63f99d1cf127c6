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
    max_bytes: u64,
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
    /// What `random()` returns: the jitter's draw.
    random: Cell<f64>,
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
            random: Cell::new(0.5),
        }))
    }

    /// Makes every jitter draw `value`.
    fn with_random(self, value: f64) -> Self {
        self.0.random.set(value);
        self
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
        max_bytes: u64,
    ) -> impl Future<Output = Result<Reply>> {
        let sent = Sent {
            at: self.0.now.get(),
            url: url.to_owned(),
            body,
            max_bytes,
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
        self.0.random.get()
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

/// Builds one answer afresh, for a case run against two clients.
type MakeAnswer = fn() -> Answer;

/// A portal whose first answer is `first` and every later one the recall
/// fixture.
fn first_then_recall(first: Answer) -> FakeHost {
    let first = RefCell::new(Some(first));
    FakeHost::new(move |_, _| first.borrow_mut().take().unwrap_or_else(|| ok(RECALL)))
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
    let answers: [(&str, MakeAnswer); 4] = [
        ("network", network_error),
        ("5xx html", || {
            (50.0, Ok(reply(502, "<html>Bad Gateway</html>")))
        }),
        ("cut 2xx", || {
            (50.0, Ok(reply(200, &RECALL[..RECALL.len() / 2])))
        }),
        ("500", || portal_error(500, "INTERNAL_SERVER_ERROR")),
    ];
    for (kind, answer) in answers {
        let host = first_then_recall(answer());
        let client = webhook(&host, no_limit());
        let ballot = b24_vote::Ballot::new(vec![(1, vec![1])]).unwrap();
        let voted = run_one(&host, client.vote(&POLL, &ballot, CallOptions::default()));
        assert!(voted.is_err(), "{kind}: vote must fail");
        assert_eq!(host.sent().len(), 1, "{kind}: vote sent once");

        let host = first_then_recall(answer());
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

/// A portal whose operating limit resets 5 s after the start: it answers
/// the docs' recall body with that `operating_reset_at`, except that the
/// second request is refused with 429 `OPERATION_TIME_LIMIT`.
fn operating_limit_portal() -> FakeHost {
    let reset_at_s = (START + 5_000.0) / 1000.0;
    let with_reset = RECALL.replace("1754462347", &format!("{reset_at_s}"));
    FakeHost::new(move |_, n| match n {
        1 => portal_error(429, "OPERATION_TIME_LIMIT"),
        _ => ok(&with_reset),
    })
}

#[test]
fn the_operating_limit_waits_for_its_reset_when_the_deadline_allows() {
    let host = operating_limit_portal();
    let client = webhook(&host, no_limit());
    let calls: Vec<Call<'_, Result<_>>> = vec![Box::pin(async {
        client.get(&POLL, CallOptions::default()).await?;
        client.get(&POLL, CallOptions::default()).await
    })];
    let result = run(&host, calls).pop().unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(host.send_times(), vec![0.0, 50.0, 5_000.0]);

    // A deadline before the reset: fail at once, saying it is retryable.
    let host = operating_limit_portal();
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

/// The body's `name=value` pairs, percent-decoded as a PHP portal reads them.
fn form_pairs(body: &str) -> Vec<(String, String)> {
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    body.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap();
            (decode(name), decode(value))
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

#[test]
fn the_portals_own_codes_are_kept_as_sent_and_not_retried() {
    // README's examples: a word, numbers (as text or as a JSON number), an
    // empty code, an OAuth scope error.
    let cases = [
        (400, r#""ATTACH_NOT_FOUND""#, "ATTACH_NOT_FOUND"),
        (403, "403", "403"),
        (400, r#""100""#, "100"),
        (400, r#""""#, ""),
        (401, r#""insufficient_scope""#, "insufficient_scope"),
    ];
    for (status, sent_code, code) in cases {
        let body = format!(r#"{{"error":{sent_code},"error_description":"refused"}}"#);
        let host = FakeHost::new(move |_, _| (50.0, Ok(reply(status, &body))));
        let client = webhook(&host, no_limit());
        let error = run_one(&host, client.recall(&POLL, CallOptions::default())).unwrap_err();
        assert_eq!((error.code(), error.status()), (code, status));
        assert!(!error.retryable(), "{code}");
        assert_eq!(host.sent().len(), 1, "{code}: sent once");
    }
}

#[test]
fn an_unexpected_result_is_not_retried() {
    let host = FakeHost::new(|_, _| ok(r#"{"result":[]}"#));
    let client = webhook(&host, no_limit());
    let error = run_one(&host, client.recall(&POLL, CallOptions::default())).unwrap_err();
    assert_eq!(error.code(), "UNEXPECTED_RESULT");
    assert!(!error.retryable());
    assert_eq!(host.sent().len(), 1);
}

#[test]
fn a_decode_error_is_retried_when_the_answer_was_lost() {
    // Lost: a 5xx error page, or a 2xx body cut off. Retried for recall.
    let lost = [
        (502, "<html><body>Bad Gateway</body></html>".to_owned()),
        (200, RECALL[..RECALL.len() / 2].to_owned()),
    ];
    for (status, body) in lost {
        let host = first_then_recall((50.0, Ok(reply(status, &body))));
        let client = webhook(&host, no_limit());
        let recalled = run_one(&host, client.recall(&POLL, CallOptions::default()));
        assert!(recalled.is_ok(), "{status}: {recalled:?}");
        assert_eq!(host.sent().len(), 2, "{status}: retried once");
    }
}

#[test]
fn a_decode_error_on_a_whole_2xx_answer_is_not_retried() {
    // Not lost: a whole 2xx answer that is not the expected JSON. Asking
    // again gets the same answer.
    let whole = [
        "<!DOCTYPE html><html><body>Maintenance</body></html>",
        r#"{"result":{"attach":"not an object"}}"#,
    ];
    for body in whole {
        let host = FakeHost::new(move |_, _| (50.0, Ok(reply(200, body))));
        let client = webhook(&host, no_limit());
        let error = run_one(&host, client.recall(&POLL, CallOptions::default())).unwrap_err();
        assert_eq!((error.code(), error.status()), ("DECODE_ERROR", 200));
        assert!(!error.retryable(), "{body}");
        assert_eq!(host.sent().len(), 1, "{body}: sent once");
    }
}

#[test]
fn an_expired_or_invalid_token_refreshes_once_then_the_portals_error_stands() {
    for code in ["expired_token", "invalid_token"] {
        // A portal that refuses every token, fresh ones too.
        let host = FakeHost::new(move |_, _| portal_error(401, code));
        let refresher = Refresher::new(&host, 100.0, 0);
        let client = oauth(&host, refresher.clone());
        let error = run_one(&host, client.stop(&POLL, CallOptions::default())).unwrap_err();
        assert_eq!((error.code(), error.status()), (code, 401));
        assert_eq!(refresher.calls.get(), 1, "{code}: one refresh");
        let tokens: Vec<_> = host
            .sent()
            .iter()
            .map(|s| field(&s.body, "auth").unwrap().to_owned())
            .collect();
        assert_eq!(tokens, ["stale", "fresh-1"], "{code}");
    }
}

#[test]
fn invalid_arguments_send_nothing() {
    let host = FakeHost::new(|_, _| ok(RECALL));
    let client = webhook(&host, no_limit());
    let zero_answer = run_one(
        &host,
        client.get_answer_voted(&POLL, 0, None, CallOptions::default()),
    );
    let bad_timeout = |ms: f64| CallOptions {
        timeout_ms: Some(ms),
        ..CallOptions::default()
    };
    let zero_timeout = run_one(&host, client.get(&POLL, bad_timeout(0.0)));
    let nan_timeout = run_one(&host, client.stop(&POLL, bad_timeout(f64::NAN)));
    for error in [
        zero_answer.unwrap_err(),
        zero_timeout.unwrap_err(),
        nan_timeout.unwrap_err(),
    ] {
        assert_eq!(error.code(), "INVALID_ARGUMENT");
        assert!(!error.retryable());
    }
    assert!(host.sent().is_empty());
}

#[test]
fn the_backoff_waits_200_to_400_ms_first_then_doubles_up_to_10_s() {
    let gaps = |random: f64| {
        let host = FakeHost::new(|_, _| network_error()).with_random(random);
        let client = webhook(
            &host,
            ClientOptions {
                retries: 7,
                timeout_ms: 120_000.0,
                ..no_limit()
            },
        );
        let error = run_one(&host, client.get(&POLL, CallOptions::default())).unwrap_err();
        assert_eq!(error.code(), "NETWORK_ERROR");
        let times = host.send_times();
        // Each attempt fails 50 ms after it left; the rest is the backoff.
        times
            .windows(2)
            .map(|w| w[1] - w[0] - 50.0)
            .collect::<Vec<_>>()
    };
    let shortest = gaps(0.0);
    assert_eq!(
        shortest,
        vec![200.0, 400.0, 800.0, 1_600.0, 3_200.0, 5_000.0, 5_000.0]
    );
    // random() is in [0, 1): its largest value gives just under the bound.
    let longest = gaps(1.0 - f64::EPSILON);
    let bounds = [400.0, 800.0, 1_600.0, 3_200.0, 6_400.0, 10_000.0, 10_000.0];
    assert_eq!(longest.len(), bounds.len());
    for (gap, bound) in longest.iter().zip(bounds) {
        assert!(*gap <= bound && *gap > bound - 0.001, "{gap} vs {bound}");
    }
}

#[test]
fn by_default_a_call_is_retried_three_times_and_bounded_by_30_s() {
    let host = FakeHost::new(|_, _| network_error());
    let client = webhook(&host, ClientOptions::default());
    let error = run_one(&host, client.get(&POLL, CallOptions::default())).unwrap_err();
    assert_eq!(error.code(), "NETWORK_ERROR");
    assert_eq!(host.sent().len(), 1 + 3);

    let host = FakeHost::new(|_, _| (3_600_000.0, Ok(reply(200, RECALL))));
    let client = webhook(&host, ClientOptions::default());
    let error = run_one(&host, client.get(&POLL, CallOptions::default())).unwrap_err();
    assert_eq!(error.code(), "TIMEOUT");
    assert_eq!(host.elapsed(), 30_000.0);
}

#[test]
fn by_default_the_rate_limiter_lets_50_through_then_2_per_second() {
    let host = FakeHost::new(|_, _| ok(STOP));
    let client = webhook(&host, ClientOptions::default());
    let calls = stops(&client, 53);
    assert!(run(&host, calls).iter().all(Result::is_ok));
    let mut expected = vec![0.0; 50];
    expected.extend([500.0, 1_000.0, 1_500.0]);
    assert_eq!(host.send_times(), expected);
}

#[test]
fn without_the_rate_limiter_a_burst_leaves_at_once() {
    // `rateLimit: false`: the caller spaces calls, or the portal refuses them.
    let host = FakeHost::new(|_, _| ok(STOP));
    let client = webhook(&host, no_limit());
    let calls = stops(&client, 60);
    assert!(run(&host, calls).iter().all(Result::is_ok));
    assert_eq!(host.send_times(), vec![0.0; 60]);
}

#[test]
fn a_vote_refused_by_the_operating_limit_is_retried_at_its_reset() {
    let host = operating_limit_portal();
    let client = webhook(&host, no_limit());
    let ballot = b24_vote::Ballot::new(vec![(1, vec![1])]).unwrap();
    let result = run_one(&host, async {
        client.vote(&POLL, &ballot, CallOptions::default()).await?;
        client.vote(&POLL, &ballot, CallOptions::default()).await
    });
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(host.send_times(), vec![0.0, 50.0, 5_000.0]);
}

#[test]
fn every_attempt_posts_one_form_in_php_bracket_syntax_for_each_way_to_address_a_poll() {
    let polls = [
        (PollRef::AttachId(7), vec![("attachId", "7")]),
        (
            PollRef::Entity {
                module_id: "im".into(),
                entity_type: r"Bitrix\Vote\Attachment\ImMessageConnector".into(),
                entity_id: 2431,
            },
            vec![
                ("moduleId", "im"),
                ("entityType", r"Bitrix\Vote\Attachment\ImMessageConnector"),
                ("entityId", "2431"),
            ],
        ),
        (
            PollRef::Signed("1.5228&x=y".into()),
            vec![("signedAttachId", "1.5228&x=y")],
        ),
    ];
    let ballot = b24_vote::Ballot::new(vec![(1, vec![3, 5]), (2, vec![7])]).unwrap();
    for (poll, addressed) in polls {
        // Refused once (503), so the vote is sent twice.
        let host = FakeHost::new(|_, n| match n {
            0 => portal_error(503, "QUERY_LIMIT_EXCEEDED"),
            _ => ok(RECALL),
        });
        let client = webhook(&host, no_limit());
        run_one(&host, client.vote(&poll, &ballot, CallOptions::default())).unwrap();
        let mut expected = addressed.clone();
        expected.extend([
            ("ballot[1][]", "3"),
            ("ballot[1][]", "5"),
            ("ballot[2][]", "7"),
            ("actionUuid", "uuid-1"),
        ]);
        let sent = host.sent();
        assert_eq!(sent.len(), 2);
        for attempt in &sent {
            assert_eq!(
                attempt.url,
                "https://portal.example/rest/1/abc123/vote.AttachedVote.vote"
            );
            assert_eq!(form_pairs(&attempt.body), pairs(&expected));
            // Brackets percent-encoded, as URLSearchParams writes them.
            assert!(attempt.body.contains("ballot%5B1%5D%5B%5D=3"));
        }

        // A read: the reference alone, no actionUuid.
        let host = FakeHost::new(|_, _| ok(RECALL));
        let client = webhook(&host, no_limit());
        run_one(&host, client.get(&poll, CallOptions::default())).unwrap();
        assert_eq!(form_pairs(&host.sent()[0].body), pairs(&addressed));
    }
}

#[test]
fn every_write_gets_an_action_uuid_kept_across_its_retries() {
    let host = FakeHost::new(|sent, n| match n % 2 {
        0 => portal_error(503, "QUERY_LIMIT_EXCEEDED"),
        _ if sent.url.ends_with(".stop") || sent.url.ends_with(".resume") => ok(STOP),
        _ => ok(RECALL),
    });
    let client = webhook(&host, no_limit());
    let ballot = b24_vote::Ballot::new(vec![(1, vec![1])]).unwrap();
    let calls: Vec<Call<'_, Result<()>>> = vec![Box::pin(async {
        client.recall(&POLL, CallOptions::default()).await?;
        client.resume(&POLL, CallOptions::default()).await?;
        client.stop(&POLL, CallOptions::default()).await?;
        client.vote(&POLL, &ballot, CallOptions::default()).await?;
        Ok(())
    })];
    run(&host, calls).pop().unwrap().unwrap();
    let uuids: Vec<_> = host
        .sent()
        .iter()
        .map(|s| field(&s.body, "actionUuid").unwrap().to_owned())
        .collect();
    let expected: Vec<_> = (1..=4)
        .flat_map(|n| [format!("uuid-{n}"), format!("uuid-{n}")])
        .collect();
    assert_eq!(uuids, expected);
}

#[test]
fn only_https_portals_unless_loopback_or_allowed() {
    let host = FakeHost::new(|_, _| ok(STOP));
    let insecure = VoteClient::webhook(
        host.clone(),
        "http://portal.example/rest/1/abc123/",
        no_limit(),
    );
    assert_eq!(insecure.unwrap_err().code(), "INVALID_ARGUMENT");
    let allowed = ClientOptions {
        allow_insecure_http: true,
        ..no_limit()
    };
    for (url, options) in [
        ("http://127.0.0.1:8080/rest/1/abc123/", no_limit()),
        ("http://portal.example/rest/1/abc123/", allowed),
    ] {
        let client = VoteClient::webhook(host.clone(), url, options).unwrap();
        run_one(&host, client.stop(&POLL, CallOptions::default())).unwrap();
    }
    let urls: Vec<_> = host.sent().into_iter().map(|s| s.url).collect();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:8080/rest/1/abc123/vote.AttachedVote.stop",
            "http://portal.example/rest/1/abc123/vote.AttachedVote.stop"
        ]
    );
}

#[test]
fn the_response_cap_reaches_the_host_8_mib_by_default() {
    let host = FakeHost::new(|_, _| ok(STOP));
    for options in [
        ClientOptions::default(),
        ClientOptions {
            max_response_bytes: 4_096,
            ..no_limit()
        },
    ] {
        let client = webhook(&host, options);
        run_one(&host, client.stop(&POLL, CallOptions::default())).unwrap();
    }
    let caps: Vec<_> = host.sent().iter().map(|s| s.max_bytes).collect();
    assert_eq!(caps, [8_388_608, 4_096]);
}
