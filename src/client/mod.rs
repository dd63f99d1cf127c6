//! `VoteClient`: every `vote.AttachedVote.*` method over fetch, with auth,
//! a client-side rate limit, retries, cancellation and typed errors. The
//! Rust API for Rust/wasm apps; `wasm::js_client` wraps it for JS.

use crate::prelude::*;
use alloc::boxed::Box;
use alloc::vec;
pub mod auth;

use alloc::rc::Rc;
use core::cell::RefCell;

use web_sys::AbortSignal;

use crate::decode::{decode_timed, Attaches, Done};
use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::form::Form;
use crate::policy::{self, Attempt, Decision, LeakyBucket, MethodClass};
use crate::wasm::runtime::{aborted, is_aborted, new_uuid, now_ms, race, random, sleep, First};
use crate::wasm::transport::post_form;
use crate::{AttachWithVoted, AttachedVote, Ballot, EntityRefs, PollRef, VoterPage};
use auth::{Auth, RefreshFn, TokenAuth, TokenSet};

/// Called before every HTTP request with the method and the attempt number.
pub type RequestHook = Rc<dyn Fn(&'static str, u32)>;

/// Options of a client.
#[derive(Clone)]
pub struct ClientOptions {
    /// Default bound of a whole call, retries and waits included (30 s).
    pub timeout_ms: f64,
    /// Retries after a retryable failure (3).
    pub retries: u32,
    /// The client-side leaky bucket, `(burst, per second)`; the portal's
    /// default plan is 50 and 2/s. `None` disables it.
    pub rate_limit: Option<(u32, f64)>,
    /// Accept http:// portals that are not loopback.
    pub allow_insecure_http: bool,
    /// Called before every HTTP request.
    pub on_request: Option<RequestHook>,
    /// The largest response body read; a larger one fails the call with
    /// `RESPONSE_TOO_LARGE` (8 MiB: a real poll is kilobytes).
    pub max_response_bytes: u64,
}

/// [`ClientOptions::max_response_bytes`]' default.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout_ms: 30_000.0,
            retries: 3,
            rate_limit: Some((50, 2.0)),
            allow_insecure_http: false,
            on_request: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Options of one call.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    /// Sent with writes so the portal's push events can be matched to this
    /// action; one is generated when absent.
    pub action_uuid: Option<String>,
    /// Aborts the call.
    pub signal: Option<AbortSignal>,
    /// Bounds this call instead of the client's default.
    pub timeout_ms: Option<f64>,
}

/// The REST methods of the `vote` scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    GetMany,
    Vote,
    Recall,
    Stop,
    Resume,
    GetWithVoted,
    GetAnswerVoted,
}

impl Method {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Get => "vote.AttachedVote.get",
            Method::GetMany => "vote.AttachedVote.getMany",
            Method::Vote => "vote.AttachedVote.vote",
            Method::Recall => "vote.AttachedVote.recall",
            Method::Stop => "vote.AttachedVote.stop",
            Method::Resume => "vote.AttachedVote.resume",
            Method::GetWithVoted => "vote.AttachedVote.getWithVoted",
            Method::GetAnswerVoted => "vote.AttachedVote.getAnswerVoted",
        }
    }

    fn class(self) -> MethodClass {
        match self {
            Method::Vote => MethodClass::Vote,
            Method::Recall | Method::Stop | Method::Resume => MethodClass::Repeatable,
            _ => MethodClass::Read,
        }
    }

    /// The writes take `actionUuid` (fact sheet §1.2).
    fn takes_action_uuid(self) -> bool {
        self.class() != MethodClass::Read
    }
}

/// A client of one portal, with one identity. Cheap to clone: clones share
/// tokens, the rate limit and the operating-limit state.
#[derive(Clone)]
pub struct VoteClient {
    inner: Rc<Inner>,
}

struct Inner {
    auth: Auth,
    options: ClientOptions,
    bucket: Option<RefCell<LeakyBucket>>,
    /// `time.operating_reset_at` (unix ms) last seen per method.
    operating_reset_at: RefCell<Vec<(&'static str, f64)>>,
}

impl core::fmt::Debug for VoteClient {
    // Names the kind of auth only: endpoints and tokens may hold secrets.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut debug = f.debug_struct("VoteClient");
        match &self.inner.auth {
            Auth::Webhook(endpoint) => debug.field("webhook", endpoint),
            Auth::Token(_) => debug.field("auth", &"token"),
        };
        debug
            .field("timeout_ms", &self.inner.options.timeout_ms)
            .field("retries", &self.inner.options.retries)
            .field("rate_limit", &self.inner.options.rate_limit)
            .finish()
    }
}

impl VoteClient {
    /// A client for an incoming webhook URL, `https://<portal>/rest/<user>/<code>/`.
    pub fn webhook(url: &str, options: ClientOptions) -> Result<Self> {
        let url = crate::wasm::convert::ascii_host(url)?;
        let endpoint = Endpoint::webhook(&url, options.allow_insecure_http)?;
        Self::new(Auth::Webhook(endpoint), options)
    }

    /// A client with OAuth tokens; `refresh` trades the refresh token for a
    /// new pair when the portal says the access token expired.
    pub fn oauth(
        domain: &str,
        tokens: TokenSet,
        refresh: Option<RefreshFn>,
        options: ClientOptions,
    ) -> Result<Self> {
        let auth = TokenAuth::oauth(domain, tokens, refresh, options.allow_insecure_http)?;
        Self::new(Auth::Token(Rc::new(auth)), options)
    }

    /// A client inside a portal frame, using its SDK object (BX24 or a B24Frame).
    pub fn frame(sdk: wasm_bindgen::JsValue, options: ClientOptions) -> Result<Self> {
        let auth = TokenAuth::frame(sdk, options.allow_insecure_http)?;
        Self::new(Auth::Token(Rc::new(auth)), options)
    }

    fn new(auth: Auth, options: ClientOptions) -> Result<Self> {
        if !(options.timeout_ms.is_finite() && options.timeout_ms > 0.0) {
            return Err(Error::invalid_argument(
                "timeoutMs must be a positive number",
            ));
        }
        let bucket = match options.rate_limit {
            None => None,
            Some((burst, per_second)) => Some(RefCell::new(
                LeakyBucket::new(burst, per_second).ok_or_else(|| {
                    Error::invalid_argument("rateLimit needs burst ≥ 1 and perSecond > 0")
                })?,
            )),
        };
        Ok(VoteClient {
            inner: Rc::new(Inner {
                auth,
                options,
                bucket,
                operating_reset_at: RefCell::new(Vec::new()),
            }),
        })
    }

    /// Withdraws the caller's vote (`vote.AttachedVote.recall`).
    pub async fn recall(&self, poll: &PollRef, options: CallOptions) -> Result<AttachedVote> {
        self.send(Request::poll(Method::Recall, poll), options)
            .await?
            .attach()
    }

    /// Reopens a stopped poll (`vote.AttachedVote.resume`); editors only.
    pub async fn resume(&self, poll: &PollRef, options: CallOptions) -> Result<()> {
        self.send(Request::poll(Method::Resume, poll), options)
            .await
            .map(|_| ())
    }

    /// Stops a poll (`vote.AttachedVote.stop`); editors only.
    pub async fn stop(&self, poll: &PollRef, options: CallOptions) -> Result<()> {
        self.send(Request::poll(Method::Stop, poll), options)
            .await
            .map(|_| ())
    }

    /// Reads a poll (`vote.AttachedVote.get`).
    pub async fn get(&self, poll: &PollRef, options: CallOptions) -> Result<AttachedVote> {
        self.send(Request::poll(Method::Get, poll), options)
            .await?
            .attach()
    }

    /// Reads up to 50 polls of one kind of entity, in the order asked.
    pub async fn get_many(
        &self,
        refs: &EntityRefs,
        options: CallOptions,
    ) -> Result<Vec<AttachedVote>> {
        match self.send(Request::get_many(refs), options).await? {
            Outcome::Many(many) => Ok(many),
            _ => Err(mismatch()),
        }
    }

    /// Casts (or, where revoting is allowed, replaces) the caller's ballot.
    pub async fn vote(
        &self,
        poll: &PollRef,
        ballot: &Ballot,
        options: CallOptions,
    ) -> Result<AttachedVote> {
        self.send(Request::vote(poll, ballot), options)
            .await?
            .attach()
    }

    /// A poll with up to `page_size` (1..50, default 10) voters per answer.
    pub async fn get_with_voted(
        &self,
        poll: &PollRef,
        page_size: Option<u32>,
        options: CallOptions,
    ) -> Result<AttachWithVoted> {
        match self
            .send(Request::get_with_voted(poll, page_size), options)
            .await?
        {
            Outcome::WithVoted(result) => Ok(*result),
            _ => Err(mismatch()),
        }
    }

    /// One page (50) of an answer's voters, from offset `start`.
    pub async fn get_answer_voted(
        &self,
        poll: &PollRef,
        answer_id: u64,
        start: Option<u64>,
        options: CallOptions,
    ) -> Result<VoterPage> {
        let request = Request::get_answer_voted(poll, answer_id, start)?;
        match self.send(request, options).await? {
            Outcome::Voters(page) => Ok(*page),
            _ => Err(mismatch()),
        }
    }

    /// One call: bounded by its timeout and signal, retried by the policy.
    /// Not generic, so one state machine serves every method.
    pub(crate) async fn send(&self, request: Request, options: CallOptions) -> Result<Outcome> {
        let Request { method, mut form } = request;
        let timeout_ms = options.timeout_ms.unwrap_or(self.inner.options.timeout_ms);
        if !(timeout_ms.is_finite() && timeout_ms > 0.0) {
            return Err(
                Error::invalid_argument("timeoutMs must be a positive number")
                    .with_method(method.name()),
            );
        }
        if method.takes_action_uuid() {
            let uuid = options.action_uuid.clone().unwrap_or_else(new_uuid);
            form.text("actionUuid", &uuid);
        }
        let deadline_ms = now_ms() + timeout_ms;
        let attempts = Box::pin(self.attempts(method, form, deadline_ms));
        let signal = options.signal.as_ref();
        if signal.is_some_and(is_aborted) {
            return Err(cancelled(method));
        }
        let stop = Box::pin(race(sleep(timeout_ms), aborted(signal)));
        let outcome = match race(attempts, stop).await {
            First::Left(outcome) => outcome,
            First::Right(First::Left(())) => Err(timed_out(method)),
            First::Right(First::Right(())) => Err(cancelled(method)),
        };
        outcome.map_err(|e| e.redact(&self.secrets()))
    }

    async fn attempts(&self, method: Method, form: Form, deadline_ms: f64) -> Result<Outcome> {
        let mut refreshed = false;
        let mut number = 0u32;
        loop {
            if let Some(bucket) = &self.inner.bucket {
                let wait = bucket.borrow_mut().reserve(now_ms());
                if wait > 0.0 {
                    // Dropped with the call (timeout, abort) while it waits,
                    // the guard gives the place back to the bucket.
                    let place = Reservation { bucket };
                    sleep(wait).await;
                    core::mem::forget(place);
                }
            }
            let (endpoint, token, generation) = match &self.inner.auth {
                Auth::Webhook(endpoint) => (endpoint.clone(), None, 0),
                Auth::Token(auth) => {
                    let session = auth
                        .session()
                        .await
                        .map_err(|e| e.with_method(method.name()))?;
                    (session.endpoint, session.token, session.generation)
                }
            };
            let mut body = form.clone();
            if let Some(token) = &token {
                body.text("auth", token);
            }
            if let Some(hook) = &self.inner.options.on_request {
                hook(method.name(), number);
            }
            let url = endpoint.method_url(method.name());
            let max_bytes = self.inner.options.max_response_bytes;
            let outcome = match post_form(&url, body.finish(), max_bytes).await {
                Ok(reply) => decode(method, reply.status, &reply.body).map(|(value, reset_at)| {
                    if let Some(seconds) = reset_at {
                        self.note_operating_reset(method, seconds * 1000.0);
                    }
                    value
                }),
                Err(error) => Err(error),
            };
            let error = match outcome {
                Ok(value) => return Ok(value),
                Err(error) => error.with_method(method.name()),
            };
            let (can_refresh, token_auth) = match &self.inner.auth {
                Auth::Token(auth) => (auth.can_refresh(), Some(auth)),
                Auth::Webhook(_) => (false, None),
            };
            let attempt = Attempt {
                class: method.class(),
                number,
                retries: self.inner.options.retries,
                refreshed,
                can_refresh,
                operating_reset_at_ms: self.operating_reset_at(method),
                random: random(),
            };
            let wait_ms = match policy::decide(&error, attempt) {
                Decision::Fail => return Err(error),
                Decision::RefreshAndRetry => {
                    if let Some(auth) = token_auth {
                        auth.refresh(generation)
                            .await
                            .map_err(|e| e.with_method(method.name()))?;
                    }
                    refreshed = true;
                    0.0
                }
                Decision::RetryAfter(wait_ms) => wait_ms,
                Decision::RetryAt(at_ms) => at_ms - now_ms(),
            };
            if wait_ms > 0.0 {
                // Waiting past the deadline would only turn this error into
                // a timeout: report it as it is (it says it is retryable).
                if now_ms() + wait_ms >= deadline_ms {
                    return Err(error);
                }
                sleep(wait_ms).await;
            }
            number += 1;
        }
    }

    fn note_operating_reset(&self, method: Method, at_ms: f64) {
        let mut seen = self.inner.operating_reset_at.borrow_mut();
        match seen.iter_mut().find(|(name, _)| *name == method.name()) {
            Some(entry) => entry.1 = at_ms,
            None => seen.push((method.name(), at_ms)),
        }
    }

    fn operating_reset_at(&self, method: Method) -> Option<f64> {
        let seen = self.inner.operating_reset_at.borrow();
        seen.iter()
            .find(|(name, _)| *name == method.name())
            .map(|(_, at)| *at)
    }

    fn secrets(&self) -> Vec<String> {
        match &self.inner.auth {
            Auth::Webhook(endpoint) => match endpoint.secret() {
                Some(code) => vec![code.to_owned()],
                None => Vec::new(),
            },
            Auth::Token(auth) => auth.secrets(),
        }
    }
}

/// A place taken in the leaky bucket by a call that is still waiting to
/// send; released if the call is dropped before it sends.
struct Reservation<'a> {
    bucket: &'a RefCell<LeakyBucket>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Ok(mut bucket) = self.bucket.try_borrow_mut() {
            bucket.release();
        }
    }
}

fn timed_out(method: Method) -> Error {
    Error::new(ErrorKind::Timeout, "no answer within the call's timeoutMs")
        .with_method(method.name())
}

/// A method's decoded result, with the type erased so that one async
/// state machine serves all methods (each generic copy costs wasm bytes).
/// Boxed variants: the outcome moves through every state of the call.
pub(crate) enum Outcome {
    Attach(Box<AttachedVote>),
    Many(Vec<AttachedVote>),
    Done,
    WithVoted(Box<AttachWithVoted>),
    Voters(Box<VoterPage>),
}

impl Outcome {
    fn attach(self) -> Result<AttachedVote> {
        match self {
            Outcome::Attach(attach) => Ok(*attach),
            _ => Err(mismatch()),
        }
    }
}

/// Cannot happen: each method decodes into its own variant.
fn mismatch() -> Error {
    Error::new(
        ErrorKind::UnexpectedResult,
        "the result does not match the method",
    )
}

/// A call ready to send: the method and its form, arguments checked.
pub(crate) struct Request {
    method: Method,
    form: Form,
}

impl Request {
    /// A method that takes only the poll: get, recall, stop, resume.
    pub(crate) fn poll(method: Method, poll: &PollRef) -> Self {
        let mut form = Form::default();
        poll.write(&mut form);
        Request { method, form }
    }

    pub(crate) fn get_many(refs: &EntityRefs) -> Self {
        let mut form = Form::default();
        refs.write(&mut form);
        Request {
            method: Method::GetMany,
            form,
        }
    }

    pub(crate) fn vote(poll: &PollRef, ballot: &Ballot) -> Self {
        let mut request = Request::poll(Method::Vote, poll);
        ballot.write(&mut request.form);
        request
    }

    pub(crate) fn get_with_voted(poll: &PollRef, page_size: Option<u32>) -> Self {
        let mut request = Request::poll(Method::GetWithVoted, poll);
        if let Some(size) = page_size {
            request.form.number("pageSize", u64::from(size));
        }
        request
    }

    pub(crate) fn get_answer_voted(
        poll: &PollRef,
        answer_id: u64,
        start: Option<u64>,
    ) -> Result<Self> {
        if answer_id == 0 {
            return Err(
                Error::invalid_argument("answerId must be a positive integer")
                    .with_method(Method::GetAnswerVoted.name()),
            );
        }
        let mut request = Request::poll(Method::GetAnswerVoted, poll);
        request.form.number("answerId", answer_id);
        if let Some(start) = start {
            request.form.number("start", start);
        }
        Ok(request)
    }
}

/// Decodes a response the way `method` expects, with `operating_reset_at`.
fn decode(method: Method, status: u16, body: &str) -> Result<(Outcome, Option<f64>)> {
    match method {
        Method::Get | Method::Vote | Method::Recall => decode_timed::<AttachedVote>(status, body)
            .map(|(v, t)| (Outcome::Attach(Box::new(v)), t)),
        Method::Stop | Method::Resume => {
            decode_timed::<Done>(status, body).map(|(_, t)| (Outcome::Done, t))
        }
        Method::GetMany => {
            decode_timed::<Attaches>(status, body).map(|(v, t)| (Outcome::Many(v.0), t))
        }
        Method::GetWithVoted => decode_timed::<AttachWithVoted>(status, body)
            .map(|(v, t)| (Outcome::WithVoted(Box::new(v)), t)),
        Method::GetAnswerVoted => {
            decode_timed::<VoterPage>(status, body).map(|(v, t)| (Outcome::Voters(Box::new(v)), t))
        }
    }
}

fn cancelled(method: Method) -> Error {
    Error::new(ErrorKind::Aborted, "the call was aborted").with_method(method.name())
}
