//! `VoteClient`: every `vote.AttachedVote.*` method, with auth, a
//! client-side rate limit, retries, deadlines, cancellation and typed
//! errors: the call loop, over a [`Host`] that sends the requests and keeps
//! the time. Pure: the wasm glue gives it fetch and timers
//! (`wasm::host`), the native tests a fake host with virtual time.

use crate::prelude::*;
use alloc::boxed::Box;
use alloc::vec;
pub mod auth;

use alloc::rc::Rc;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;

use crate::decode::{decode_timed, Attaches, Done};
use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::form::Form;
use crate::host::{race, First, Host};
use crate::policy::{self, Attempt, Decision};
use crate::rate_limit::{LeakyBucket, Reservation};
pub use crate::request::{Method, Request};
use crate::{AttachWithVoted, AttachedVote, Ballot, EntityRefs, PollRef, VoterPage};
use auth::{Auth, TokenAuth, TokenSet, TokenSource};

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

/// Resolves when the caller cancels the call (an `AbortSignal` in JS).
pub type Cancel = Pin<Box<dyn Future<Output = ()>>>;

/// Options of one call.
#[derive(Default)]
pub struct CallOptions {
    /// Sent with writes so the portal's push events can be matched to this
    /// action; one is generated when absent.
    pub action_uuid: Option<String>,
    /// Aborts the call when it resolves; one already resolved aborts it
    /// before anything is sent.
    pub cancel: Option<Cancel>,
    /// Bounds this call instead of the client's default.
    pub timeout_ms: Option<f64>,
}

/// A client of one portal, with one identity. Cheap to clone: clones share
/// tokens, the rate limit and the operating-limit state.
pub struct VoteClient<H: Host> {
    inner: Rc<Inner<H>>,
}

impl<H: Host> Clone for VoteClient<H> {
    fn clone(&self) -> Self {
        VoteClient {
            inner: Rc::clone(&self.inner),
        }
    }
}

struct Inner<H> {
    host: H,
    auth: Auth,
    options: ClientOptions,
    bucket: Option<RefCell<LeakyBucket>>,
    /// `time.operating_reset_at` (unix ms) last seen per method.
    operating_reset_at: RefCell<Vec<(&'static str, f64)>>,
}

impl<H: Host> core::fmt::Debug for VoteClient<H> {
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

impl<H: Host> VoteClient<H> {
    /// A client for an incoming webhook URL (ASCII host),
    /// `https://<portal>/rest/<user>/<code>/`.
    pub fn webhook(host: H, url: &str, options: ClientOptions) -> Result<Self> {
        let endpoint = Endpoint::webhook(url, options.allow_insecure_http)?;
        Self::new(host, Auth::Webhook(endpoint), options)
    }

    /// A client with OAuth tokens for `domain` (ASCII host); `refresh`
    /// trades the refresh token for a new pair when the portal says the
    /// access token expired.
    pub fn oauth(
        host: H,
        domain: &str,
        tokens: TokenSet,
        refresh: Option<Rc<dyn TokenSource>>,
        options: ClientOptions,
    ) -> Result<Self> {
        let auth = TokenAuth::oauth(domain, tokens, refresh, options.allow_insecure_http)?;
        Self::new(host, Auth::Token(Rc::new(auth)), options)
    }

    /// A client inside a portal frame, whose SDK gives tokens and domain.
    pub fn frame(host: H, sdk: Rc<dyn TokenSource>, options: ClientOptions) -> Result<Self> {
        let auth = TokenAuth::frame(sdk, options.allow_insecure_http);
        Self::new(host, Auth::Token(Rc::new(auth)), options)
    }

    fn new(host: H, auth: Auth, options: ClientOptions) -> Result<Self> {
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
                host,
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
    pub async fn send(&self, request: Request, options: CallOptions) -> Result<Outcome> {
        let host = &self.inner.host;
        let Request { method, mut form } = request;
        let timeout_ms = options.timeout_ms.unwrap_or(self.inner.options.timeout_ms);
        if !(timeout_ms.is_finite() && timeout_ms > 0.0) {
            return Err(
                Error::invalid_argument("timeoutMs must be a positive number")
                    .with_method(method.name()),
            );
        }
        if method.takes_action_uuid() {
            let uuid = options
                .action_uuid
                .clone()
                .unwrap_or_else(|| host.new_uuid());
            form.text("actionUuid", &uuid);
        }
        let deadline_ms = host.now_ms() + timeout_ms;
        let attempts = Box::pin(self.attempts(method, form, deadline_ms));
        let cancel = options
            .cancel
            .unwrap_or_else(|| Box::pin(core::future::pending()));
        // The caller's cancel first: one that already fired stops the call
        // before anything is sent.
        let stop = Box::pin(race(cancel, Box::pin(host.sleep(timeout_ms))));
        let outcome = match race(stop, attempts).await {
            First::Right(outcome) => outcome,
            First::Left(First::Left(())) => Err(cancelled(method)),
            First::Left(First::Right(())) => Err(timed_out(method)),
        };
        outcome.map_err(|e| e.redact(&self.secrets()))
    }

    async fn attempts(&self, method: Method, form: Form, deadline_ms: f64) -> Result<Outcome> {
        let host = &self.inner.host;
        let mut refreshed = false;
        let mut number = 0u32;
        loop {
            if let Some(bucket) = &self.inner.bucket {
                let wait = bucket.borrow_mut().reserve(host.now_ms());
                if wait > 0.0 {
                    // Dropped with the call (timeout, abort) while it waits,
                    // the guard gives the place back to the bucket.
                    let place = Reservation::new(bucket);
                    host.sleep(wait).await;
                    place.keep();
                }
            }
            let (endpoint, token, generation) = match &self.inner.auth {
                Auth::Webhook(endpoint) => (endpoint.clone(), None, 0),
                Auth::Token(auth) => {
                    let session = auth
                        .session(host)
                        .await
                        .map_err(|e| e.with_method(method.name()))?;
                    (session.endpoint, Some(session.token), session.generation)
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
            let outcome = match host.post_form(&url, body.finish(), max_bytes).await {
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
                random: host.random(),
            };
            let wait_ms = match policy::decide(&error, attempt) {
                Decision::Fail => return Err(error),
                Decision::RefreshAndRetry => {
                    if let Some(auth) = token_auth {
                        auth.refresh(host, generation)
                            .await
                            .map_err(|e| e.with_method(method.name()))?;
                    }
                    refreshed = true;
                    0.0
                }
                Decision::RetryAfter(wait_ms) => wait_ms,
                Decision::RetryAt(at_ms) => at_ms - host.now_ms(),
            };
            if wait_ms > 0.0 {
                // Waiting past the deadline would only turn this error into
                // a timeout: report it as it is (it says it is retryable).
                if host.now_ms() + wait_ms >= deadline_ms {
                    return Err(error);
                }
                host.sleep(wait_ms).await;
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

fn timed_out(method: Method) -> Error {
    Error::new(ErrorKind::Timeout, "no answer within the call's timeoutMs")
        .with_method(method.name())
}

/// A method's decoded result, with the type erased so that one async
/// state machine serves all methods (each generic copy costs wasm bytes).
/// Boxed variants: the outcome moves through every state of the call.
pub enum Outcome {
    /// A poll: get, vote, recall.
    Attach(Box<AttachedVote>),
    /// Polls: getMany.
    Many(Vec<AttachedVote>),
    /// Nothing: stop, resume.
    Done,
    /// getWithVoted.
    WithVoted(Box<AttachWithVoted>),
    /// getAnswerVoted.
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
