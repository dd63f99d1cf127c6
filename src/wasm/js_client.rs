//! `VoteClient` for JS: validates JS arguments into the Rust types, runs the
//! Rust client, and returns Promises of plain objects or `B24VoteError`s.

use crate::prelude::*;
use alloc::boxed::Box;
use alloc::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use super::auth::{FrameSdk, OAuthCallback};
use super::convert::ascii_host;
use super::convert::{
    array_argument, entries_argument, error_to_js, field, signal_aborted, to_js, whole_number,
    Thrown,
};
use super::host::JsHost;
use super::runtime::{aborted, promise_of};
use crate::client::auth::{Credentials, TokenSet};
use crate::client::{
    CallOptions, ClientOptions, Method, Outcome, Request, RequestHook, VoteClient,
};
use crate::decode::Attaches;
use crate::error::{Error, Result};
use crate::{Ballot, EntityRefs, PollRef, PollRefParts};

/// A client of one portal with one identity.
#[wasm_bindgen(js_name = VoteClient)]
pub struct JsVoteClient {
    client: VoteClient<JsHost>,
}

#[wasm_bindgen(js_class = VoteClient)]
impl JsVoteClient {
    /// From an incoming webhook URL: `https://<portal>/rest/<user>/<code>/`.
    pub fn webhook(
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> core::result::Result<JsVoteClient, Thrown> {
        let build = || -> Result<VoteClient<JsHost>> {
            let url = url
                .as_string()
                .ok_or_else(|| Error::invalid_argument("the webhook URL must be a string"))?;
            VoteClient::webhook(JsHost, &ascii_host(&url)?, client_options(&options)?)
        };
        Ok(JsVoteClient { client: build()? })
    }

    /// From OAuth tokens; `refresh` is called once when they expire.
    pub fn oauth(
        #[wasm_bindgen(unchecked_param_type = "OAuthCredentials")] auth: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> core::result::Result<JsVoteClient, Thrown> {
        let build = || -> Result<VoteClient<JsHost>> {
            let options = client_options(&options)?;
            let domain = string(&auth, "domain")?.unwrap_or_default();
            let tokens = token_set(&auth, "accessToken", "refreshToken", "expiresAt")?;
            let refresh = optional_function(&auth, "refresh")?.map(|refresh| {
                Rc::new(OAuthCallback {
                    refresh,
                    read: refreshed_tokens,
                }) as Rc<dyn crate::client::auth::TokenSource>
            });
            VoteClient::oauth(JsHost, &ascii_host(&domain)?, tokens, refresh, options)
        };
        Ok(JsVoteClient { client: build()? })
    }

    /// Inside a portal frame: BX24 (BX24.js) or a B24Frame (@bitrix24/b24jssdk).
    pub fn frame(
        #[wasm_bindgen(unchecked_param_type = "object")] sdk: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> core::result::Result<JsVoteClient, Thrown> {
        let options = client_options(&options)?;
        let client = VoteClient::frame(JsHost, FrameSdk::new(sdk)?, options)?;
        Ok(JsVoteClient { client })
    }

    /// Withdraws the caller's vote; resolves to the poll as it is now.
    #[wasm_bindgen(unchecked_return_type = "Promise<AttachedVote>")]
    pub fn recall(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PollRef")] poll: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.start(poll_request(Method::Recall, &poll), &options)
    }

    /// Reopens a stopped poll (editors only).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn resume(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PollRef")] poll: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.start(poll_request(Method::Resume, &poll), &options)
    }

    /// Stops a poll (editors only).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn stop(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PollRef")] poll: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.start(poll_request(Method::Stop, &poll), &options)
    }

    /// Reads a poll.
    #[wasm_bindgen(unchecked_return_type = "Promise<AttachedVote>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PollRef")] poll: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.start(poll_request(Method::Get, &poll), &options)
    }

    /// Reads up to 50 polls of one kind of entity, in the order asked.
    #[wasm_bindgen(js_name = getMany, unchecked_return_type = "Promise<AttachedVote[]>")]
    pub fn get_many(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ moduleId: string; entityType: string; entityIds: number[] }"
        )]
        refs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.start(
            entity_refs(&refs).map(|refs| Request::get_many(&refs)),
            &options,
        )
    }

    /// Casts (or replaces, where revoting is allowed) the caller's ballot:
    /// answer ids per question id.
    #[wasm_bindgen(unchecked_return_type = "Promise<AttachedVote>")]
    pub fn vote(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PollRef")] poll: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<number, number[]>")] ballot: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let request =
            poll_ref(&poll).and_then(|poll| Ok(Request::vote(&poll, &ballot_from(&ballot)?)));
        self.start(request, &options)
    }

    /// A poll with the voters of each answer (`pageSize` per answer, 1..50).
    #[wasm_bindgen(
        js_name = getWithVoted,
        unchecked_return_type = "Promise<{ attach: AttachedVote; voted: Record<number, Voter[]> }>"
    )]
    pub fn get_with_voted(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PollRef")] poll: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions & { pageSize?: number }")]
        options: JsValue,
    ) -> Promise {
        let request = poll_ref(&poll).and_then(|poll| {
            let page_size = count(&options, "pageSize")?
                .map(|n| u32::try_from(n).ok().filter(|n| (1..=50).contains(n)))
                .map(|n| n.ok_or_else(|| Error::invalid_argument("pageSize must be 1 to 50")))
                .transpose()?;
            Ok(Request::get_with_voted(&poll, page_size))
        });
        self.start(request, &options)
    }

    /// One page of an answer's voters, from offset `start` (pages of 50).
    #[wasm_bindgen(
        js_name = getAnswerVoted,
        unchecked_return_type = "Promise<{ items: Voter[]; total: number; next: number | null }>"
    )]
    pub fn get_answer_voted(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PollRef")] poll: JsValue,
        #[wasm_bindgen(js_name = answerId, unchecked_param_type = "number")] answer_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions & { start?: number }")] options: JsValue,
    ) -> Promise {
        let request = poll_ref(&poll).and_then(|poll| {
            let answer_id = id(&answer_id)
                .ok_or_else(|| Error::invalid_argument("answerId must be a positive integer"))?;
            Request::get_answer_voted(&poll, answer_id, count(&options, "start")?)
        });
        self.start(request, &options)
    }
}

impl JsVoteClient {
    /// Sends a checked request as a Promise of its JS result. Bad arguments
    /// reject with `INVALID_ARGUMENT` before anything is sent. Every method
    /// goes through here, so the wasm holds one async state machine.
    fn start(&self, request: Result<Request>, options: &JsValue) -> Promise {
        let prepared = request.and_then(|request| Ok((request, call_options(options)?)));
        let (request, options) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => return Promise::reject(&error_to_js(&error)),
        };
        let client = self.client.clone();
        promise_of(Box::pin(async move {
            let outcome = client.send(request, options).await;
            outcome.and_then(outcome_to_js).map_err(|e| error_to_js(&e))
        }))
    }
}

/// A method's result as the plain JS value the method resolves to.
fn outcome_to_js(outcome: Outcome) -> Result<JsValue> {
    match outcome {
        Outcome::Done => Ok(JsValue::UNDEFINED),
        Outcome::Attach(attach) => to_js(&*attach),
        Outcome::Many(many) => to_js(&Attaches(many)),
        Outcome::WithVoted(with_voted) => to_js(&*with_voted),
        Outcome::Voters(page) => to_js(&*page),
    }
}

fn poll_request(method: Method, poll: &JsValue) -> Result<Request> {
    poll_ref(poll).map(|poll| Request::poll(method, &poll))
}

fn poll_ref(value: &JsValue) -> Result<PollRef> {
    if !value.is_object() {
        return Err(Error::invalid_argument(
            "the poll must be { attachId } or { moduleId, entityType, entityId } or { signedAttachId }",
        ));
    }
    PollRef::from_parts(PollRefParts {
        attach_id: optional_id(value, "attachId")?,
        module_id: string(value, "moduleId")?,
        entity_type: string(value, "entityType")?,
        entity_id: optional_id(value, "entityId")?,
        signed_attach_id: string(value, "signedAttachId")?,
    })
}

fn entity_refs(value: &JsValue) -> Result<EntityRefs> {
    if !value.is_object() {
        return Err(Error::invalid_argument(
            "getMany takes { moduleId, entityType, entityIds }",
        ));
    }
    let Some(ids) = array_argument(&field(value, "entityIds")?, "entityIds")? else {
        return Err(Error::invalid_argument("entityIds must be an array of ids"));
    };
    let mut entity_ids = Vec::new();
    for item in ids.iter() {
        let id = id(&item)
            .ok_or_else(|| Error::invalid_argument("entityIds must hold positive integers"))?;
        entity_ids.push(id);
    }
    EntityRefs::new(
        string(value, "moduleId")?.unwrap_or_default(),
        string(value, "entityType")?.unwrap_or_default(),
        entity_ids,
    )
}

fn ballot_from(value: &JsValue) -> Result<Ballot> {
    if !value.is_object() || array_argument(value, "the ballot")?.is_some() {
        return Err(Error::invalid_argument(
            "the ballot must be an object: { [questionId]: [answerId, …] }",
        ));
    }
    let mut choices = Vec::new();
    for entry in entries_argument(value, "the ballot")?.iter() {
        let pair = Array::from(&entry);
        let question = pair
            .get(0)
            .as_string()
            .and_then(|k| crate::lenient::parse_id(&k));
        let question =
            question.ok_or_else(|| Error::invalid_argument("ballot keys must be question ids"))?;
        let given = pair.get(1);
        let mut answers = Vec::new();
        let mut add = |answer: &JsValue| match id(answer) {
            Some(id) => {
                answers.push(id);
                Ok(())
            }
            None => Err(Error::invalid_argument(format!(
                "answers for question {question} must be positive integers"
            ))),
        };
        if let Some(given) = array_argument(&given, "the ballot's answers")? {
            for answer in given.iter() {
                add(&answer)?;
            }
        } else {
            // A single answer id is accepted as the portal accepts it.
            add(&given)?;
        }
        choices.push((question, answers));
    }
    Ballot::new(choices)
}

fn client_options(value: &JsValue) -> Result<ClientOptions> {
    let mut options = ClientOptions::default();
    if value.is_undefined() || value.is_null() {
        return Ok(options);
    }
    if !value.is_object() {
        return Err(Error::invalid_argument("options must be an object"));
    }
    if let Some(ms) = number(value, "timeoutMs")? {
        options.timeout_ms = ms;
    }
    if let Some(retries) = count(value, "retries")? {
        options.retries = u32::try_from(retries.min(20)).unwrap_or(20);
    }
    if let Some(bytes) = count(value, "maxResponseBytes")? {
        if bytes == 0 {
            return Err(Error::invalid_argument(
                "maxResponseBytes must be a whole number ≥ 1",
            ));
        }
        options.max_response_bytes = bytes;
    }
    let rate = field(value, "rateLimit")?;
    if rate.as_bool() == Some(false) || rate.is_null() {
        options.rate_limit = None;
    } else if !rate.is_undefined() {
        let burst = count(&rate, "burst")?.and_then(|b| u32::try_from(b).ok());
        let per_second = number(&rate, "perSecond")?;
        match (burst, per_second) {
            (Some(burst), Some(per_second)) => options.rate_limit = Some((burst, per_second)),
            _ => {
                return Err(Error::invalid_argument(
                    "rateLimit must be { burst, perSecond } or false",
                ))
            }
        }
    }
    options.allow_insecure_http = field(value, "allowInsecureHttp")?
        .as_bool()
        .unwrap_or(false);
    if let Some(hook) = optional_function(value, "onRequest")? {
        let hook: RequestHook = Rc::new(move |method, attempt| {
            let info = Object::new();
            let _ = Reflect::set(&info, &"method".into(), &method.into());
            let _ = Reflect::set(&info, &"attempt".into(), &attempt.into());
            // The hook is the caller's; what it throws does not stop the call.
            let _ = hook.call1(&JsValue::NULL, &info);
        });
        options.on_request = Some(hook);
    }
    Ok(options)
}

fn call_options(value: &JsValue) -> Result<CallOptions> {
    if value.is_undefined() || value.is_null() {
        return Ok(CallOptions::default());
    }
    if !value.is_object() {
        return Err(Error::invalid_argument("options must be an object"));
    }
    let action_uuid = string(value, "actionUuid")?;
    if action_uuid
        .as_ref()
        .is_some_and(|u| u.is_empty() || u.len() > 1000)
    {
        return Err(Error::invalid_argument(
            "actionUuid must be 1 to 1000 characters",
        ));
    }
    let signal = field(value, "signal")?;
    let signal = if signal.is_undefined() || signal.is_null() {
        None
    } else {
        // `instanceof` alone lets `Object.create(AbortSignal.prototype)`
        // through; its `aborted` getter throws, so it is read here, once.
        let not_a_signal = || Error::invalid_argument("signal must be an AbortSignal");
        let signal = signal
            .dyn_into::<AbortSignal>()
            .map_err(|_| not_a_signal())?;
        signal_aborted(&signal).map_err(|_| not_a_signal())?;
        Some(signal)
    };
    Ok(CallOptions {
        action_uuid,
        cancel: signal.map(|signal| Box::pin(aborted(Some(&signal))) as crate::client::Cancel),
        timeout_ms: number(value, "timeoutMs")?,
    })
}

fn token_set(value: &JsValue, access: &str, refresh: &str, expires: &str) -> Result<TokenSet> {
    Ok(TokenSet {
        access_token: string(value, access)?.unwrap_or_default(),
        refresh_token: string(value, refresh)?,
        expires_at: number(value, expires)?,
    })
}

/// What the app's `refresh` resolved to: `{ accessToken, refreshToken?, expiresAt? }`.
fn refreshed_tokens(value: &JsValue) -> Result<Credentials> {
    let tokens = token_set(value, "accessToken", "refreshToken", "expiresAt")?;
    Ok(Credentials {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_at,
        domain: None,
    })
}

fn string(value: &JsValue, key: &str) -> Result<Option<String>> {
    let field = field(value, key)?;
    if field.is_undefined() || field.is_null() {
        return Ok(None);
    }
    field
        .as_string()
        .map(Some)
        .ok_or_else(|| Error::invalid_argument(format!("{key} must be a string")))
}

fn number(value: &JsValue, key: &str) -> Result<Option<f64>> {
    let field = field(value, key)?;
    if field.is_undefined() || field.is_null() {
        return Ok(None);
    }
    field
        .as_f64()
        .filter(|n| n.is_finite() && *n > 0.0)
        .map(Some)
        .ok_or_else(|| Error::invalid_argument(format!("{key} must be a positive number")))
}

fn count(value: &JsValue, key: &str) -> Result<Option<u64>> {
    let field = field(value, key)?;
    if field.is_undefined() || field.is_null() {
        return Ok(None);
    }
    whole_number(&field)
        .map(Some)
        .ok_or_else(|| Error::invalid_argument(format!("{key} must be a whole number ≥ 0")))
}

/// A positive id given as a number, or as a string of digits (a placement's
/// `messageId` arrives as a string).
fn id(value: &JsValue) -> Option<u64> {
    let id = match value.as_string() {
        Some(text) => crate::lenient::parse_id(&text),
        None => whole_number(value),
    };
    id.filter(|id| *id > 0)
}

fn optional_id(value: &JsValue, key: &str) -> Result<Option<u64>> {
    let field = field(value, key)?;
    if field.is_undefined() || field.is_null() {
        return Ok(None);
    }
    id(&field)
        .map(Some)
        .ok_or_else(|| Error::invalid_argument(format!("{key} must be a positive integer")))
}

fn optional_function(value: &JsValue, key: &str) -> Result<Option<Function>> {
    let field = field(value, key)?;
    if field.is_undefined() || field.is_null() {
        return Ok(None);
    }
    field
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| Error::invalid_argument(format!("{key} must be a function")))
}
