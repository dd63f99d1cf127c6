// b24-vote placement app: shows one poll with live percentage bars, and votes,
// recalls, stops and resumes it through the library (pkg/b24_vote.js, the web build).
//
// Two ways to run:
// - inside a Bitrix24 frame: VoteClient.frame(sdk), where sdk is the official
//   @bitrix24/b24jssdk frame client (initializeB24Frame, when its browser build is
//   served next to the app as vendor/b24jssdk/index.min.js) or BX24.js (present in the
//   page, or loaded from api.bitrix24.com); the poll comes from the placement
//   (IM_CONTEXT_MENU gives the chat message's id);
// - standalone: a webhook URL and a poll reference, typed into the form or given as
//   query parameters (webhook, attachId, signedAttachId, moduleId, entityType, entityId).
//
// Poll text is user content: everything from the portal is rendered with textContent,
// never as HTML, whatever its textType says.

const IM_ENTITY_TYPE = "Bitrix\\Vote\\Attachment\\ImMessageConnector";
const BX24_JS = "https://api.bitrix24.com/api/v1/";
// The official SDK's browser build (global B24Js), served from the app's own origin.
const B24JSSDK = "vendor/b24jssdk/index.min.js";
const FRAME_INIT_TIMEOUT_MS = 15000;

// Readable text per error code (the library's `code`: the portal's as sent, or its own).
const ERROR_TEXT = {
  ATTACH_NOT_FOUND: "This poll was not found. It may have been deleted, or the reference is wrong.",
  ATTACH_READ_ACCESS_DENIED: "You cannot see this poll: it is in a chat you are not a member of.",
  ACCESS_DENIED: "Access denied.",
  403: "Access denied.",
  32: "You have already voted, and this poll does not allow changing a vote.",
  NETWORK_ERROR: "The portal could not be reached. Check the connection and try again.",
  TIMEOUT: "The portal took too long to answer.",
  ABORTED: "The request was cancelled.",
  QUERY_LIMIT_EXCEEDED: "The portal is receiving too many requests right now. Wait a moment and try again.",
  OPERATION_TIME_LIMIT: "The portal has paused this action for a while (time limit). Try again later.",
  DECODE_ERROR: "The portal sent an answer this app could not read.",
  UNEXPECTED_RESULT: "The portal's answer was not what this app expected.",
  INVALID_ARGUMENT: "The webhook URL or the poll reference is not valid.",
  expired_token: "Your session has expired. Reopen the app to sign in again.",
  invalid_token: "Your session is no longer valid. Reopen the app to sign in again.",
  AUTH_REFRESH_FAILED: "Your session has expired and could not be renewed. Reopen the app to sign in again.",
  NO_AUTH_FOUND: "The portal did not receive any credentials.",
  INVALID_CREDENTIALS: "The portal did not accept the credentials. Check the webhook URL.",
  insufficient_scope: "The app or webhook lacks the vote permission (scope).",
};

// Inside a frame there is no webhook: the portal gives the address and the token.
const FRAME_ERROR_TEXT = {
  INVALID_ARGUMENT: "The portal address given by Bitrix24, or the poll reference, is not valid.",
  INVALID_CREDENTIALS: "The portal did not accept this app's authorisation. Reopen the app.",
  NO_AUTH_FOUND: "The portal did not receive this app's authorisation. Reopen the app.",
};

const $ = (id) => document.getElementById(id);

const app = {
  lib: null, // the library's module
  client: null, // a VoteClient
  clientKey: "", // the webhook URL the standalone client was made for
  ref: null, // the PollRef shown
  attach: null, // the AttachedVote shown
  frame: null, // inside a frame: {kind: "bx24" | "b24frame", sdk, info(), origin(), fit()}
  busy: false,
  shownPercents: new Map(), // answer id -> percent currently drawn, so bars animate from there
};

// ---------- start ----------

main().catch((e) => {
  setReady();
  showError(e, null);
});

async function main() {
  const frame = await findFrameSdk();
  try {
    app.lib = await import("./pkg/b24_vote.js");
    await app.lib.default();
  } catch (e) {
    setReady();
    showError(new Error(`The vote library could not be loaded (pkg/b24_vote.js): ${e.message}. Build it with make build.`), null);
    return;
  }
  wireButtons();
  if (frame) await startInFrame(frame);
  else startStandalone();
  setReady();
}

function setReady() {
  $("app").dataset.ready = "true";
  $("app").setAttribute("aria-busy", String(app.busy));
}

// The frame SDK, or null when standalone. BX24.js is used when the page already has it
// (or a test injected it). Otherwise, inside a Bitrix24 frame (the portal opens the
// handler with APP_SID in the query string and window.name "DOMAIN|PROTOCOL|APP_SID"),
// the official SDK is preferred when it is served with the app, and BX24.js is loaded
// from api.bitrix24.com when it is not.
async function findFrameSdk() {
  if (window.BX24) return bx24Frame(window.BX24);
  const q = new URLSearchParams(location.search);
  const named = /^[^|]+\|[01]\|[^|]+$/.test(window.name);
  if (window.parent === window || !(named || q.has("APP_SID"))) return null;
  if (named) {
    if (!window.B24Js) await loadScript(B24JSSDK).catch(() => {});
    if (window.B24Js && typeof window.B24Js.initializeB24Frame === "function") {
      const b24 = await withTimeout(
        window.B24Js.initializeB24Frame(),
        FRAME_INIT_TIMEOUT_MS,
        "Bitrix24 did not answer (initializeB24Frame).",
      );
      return b24Frame(b24);
    }
  }
  await loadScript(BX24_JS).catch(() => {});
  if (!window.BX24) throw new Error("BX24.js could not be loaded from api.bitrix24.com.");
  return bx24Frame(window.BX24);
}

async function bx24Frame(bx24) {
  if (typeof bx24.init !== "function") return null;
  await withTimeout(new Promise((resolve) => bx24.init(resolve)), FRAME_INIT_TIMEOUT_MS, "Bitrix24 did not answer (BX24.init).");
  return {
    kind: "bx24",
    sdk: bx24,
    info: () => (bx24.placement && bx24.placement.info && bx24.placement.info()) || {},
    // BX24 gives a host without a scheme: the portal is https unless it says otherwise.
    origin: () => {
      const auth = bx24.getAuth && bx24.getAuth();
      return auth ? String(auth.domain || "") : "";
    },
    fit: () => typeof bx24.fitWindow === "function" && bx24.fitWindow(),
  };
}

function b24Frame(b24) {
  return {
    kind: "b24frame",
    sdk: b24,
    info: () => ({ placement: b24.placement.placement, options: b24.placement.options }),
    origin: () => b24.getTargetOrigin(),
    fit: () => b24.parent.fitWindow().catch(() => {}),
  };
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = reject;
    document.head.append(s);
  });
}

// ---------- frame mode ----------

async function startInFrame(frame) {
  app.frame = frame;
  document.documentElement.classList.add("in-frame");
  let info = {};
  try {
    info = frame.info() || {};
  } catch {
    info = {};
  }
  app.ref = refFromPlacement(info);
  try {
    app.client = app.lib.VoteClient.frame(frame.sdk);
  } catch (e) {
    showError(e, null);
    return;
  }
  restrictConnectSrc(portalOrigin(frame));
  if (!app.ref) {
    const hint = $("frame-hint");
    hint.textContent =
      "Open this app from the menu of a chat message that has a poll (“Poll results”). " +
      `This placement (${info.placement || "unknown"}) does not name a poll.`;
    hint.hidden = false;
    fit();
    return;
  }
  await perform([load], "");
}

// IM_CONTEXT_MENU: the message id addresses the poll attached to that message. Other
// placements may carry an attachId, a signedAttachId or the entity triple.
function refFromPlacement(info) {
  let options = info.options ?? {};
  if (typeof options === "string") {
    try {
      options = JSON.parse(options);
    } catch {
      options = {};
    }
  }
  if (info.placement === "IM_CONTEXT_MENU") {
    const messageId = String(options.messageId ?? "").trim();
    return /^\d+$/.test(messageId) ? { moduleId: "im", entityType: IM_ENTITY_TYPE, entityId: messageId } : null;
  }
  return refFromValues((k) => (options[k] == null ? "" : String(options[k])));
}

// The portal's origin, as the library will reach it.
function portalOrigin(frame) {
  try {
    const domain = String(frame.origin() || "");
    if (!domain) return null;
    return new URL(/^https?:\/\//i.test(domain) ? domain : `https://${domain}`).origin;
  } catch {
    return null;
  }
}

// A second policy, added once the portal is known: browsers enforce every policy, so
// this narrows connect-src to the page's own origin and the portal (see index.html).
function restrictConnectSrc(origin) {
  if (!origin) return;
  const meta = document.createElement("meta");
  meta.httpEquiv = "Content-Security-Policy";
  meta.content = `connect-src 'self' ${origin}`;
  document.head.append(meta);
}

function fit() {
  if (!app.frame) return;
  try {
    app.frame.fit();
  } catch {
    // resizing is cosmetic
  }
}

// ---------- standalone mode ----------

function startStandalone() {
  const box = $("connect-box");
  const form = $("connect");
  box.hidden = false;
  for (const radio of form.elements.refKind) radio.addEventListener("change", showRefFields);

  const q = new URLSearchParams(location.search);
  for (const name of ["webhook", "attachId", "signedAttachId", "moduleId", "entityType", "entityId"]) {
    if (q.has(name)) $(name).value = q.get(name);
  }
  const kind = q.get("attachId") ? "attachId" : q.get("signedAttachId") ? "signedAttachId" : q.get("entityId") ? "entity" : null;
  if (kind) form.elements.refKind.value = kind;
  showRefFields();

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!app.busy) loadFromForm();
  });
  if (q.get("webhook") && kind) loadFromForm();
}

function showRefFields() {
  const kind = $("connect").elements.refKind.value;
  for (const el of document.querySelectorAll("[data-ref]")) el.hidden = el.dataset.ref !== kind;
}

function refFromForm() {
  const kind = $("connect").elements.refKind.value;
  const value = (id) => $(id).value.trim();
  if (kind === "attachId") return refFromValues((k) => (k === "attachId" ? value("attachId") : ""));
  if (kind === "signedAttachId") return refFromValues((k) => (k === "signedAttachId" ? value("signedAttachId") : ""));
  return refFromValues((k) => (["moduleId", "entityType", "entityId"].includes(k) ? value(k) : ""));
}

// A PollRef from named values, or null. Numbers must be whole and positive.
function refFromValues(get) {
  const attachId = get("attachId").trim();
  if (attachId) return /^\d+$/.test(attachId) && Number(attachId) > 0 ? { attachId: Number(attachId) } : null;
  const signedAttachId = get("signedAttachId").trim();
  if (signedAttachId) return { signedAttachId };
  const moduleId = get("moduleId").trim();
  const entityType = get("entityType").trim();
  const entityId = get("entityId").trim();
  if (moduleId && entityType && /^\d+$/.test(entityId)) return { moduleId, entityType, entityId };
  return null;
}

function loadFromForm() {
  const formError = $("form-error");
  formError.hidden = true;
  const url = $("webhook").value.trim();
  const ref = refFromForm();
  const problem = !url
    ? "Enter the webhook URL, for example https://your.bitrix24.com/rest/1/abc123/."
    : !ref
      ? "Enter the poll: a whole-number attach ID, a signed ID, or a module, entity type and numeric entity ID."
      : null;
  if (problem) {
    formError.textContent = problem;
    formError.hidden = false;
    return;
  }
  const otherPoll = !sameRef(ref, app.ref) || app.clientKey !== url;
  if (!app.client || app.clientKey !== url) {
    try {
      app.client = app.lib.VoteClient.webhook(url);
      app.clientKey = url;
    } catch (e) {
      app.client = null;
      app.clientKey = "";
      app.attach = null;
      $("poll").hidden = true;
      showError(e, null);
      return;
    }
  }
  if (otherPoll) {
    // Another poll: the one shown must not look like it, nor take its actions.
    app.attach = null;
    app.shownPercents.clear();
    $("poll").hidden = true;
  }
  app.ref = ref;
  perform([load], "").then((ok) => {
    if (ok) {
      $("connect-box").open = false;
      $("poll-title").focus();
    }
  });
}

function sameRef(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------- actions ----------

function wireButtons() {
  $("vote").addEventListener("click", () => {
    const ballot = currentBallot();
    if (ballot) perform([async () => show(await app.client.vote(app.ref, ballot))], "Your vote was counted.");
  });
  $("recall").addEventListener("click", () =>
    perform([async () => show(await app.client.recall(app.ref))], "Your vote was recalled."),
  );
  $("stop").addEventListener("click", () => perform([() => app.client.stop(app.ref), load], "The poll is stopped."));
  $("resume").addEventListener("click", () => perform([() => app.client.resume(app.ref), load], "The poll is open again."));
  $("refresh").addEventListener("click", () => perform([load], "Updated."));
  $("dismiss").addEventListener("click", () => {
    hideError();
    fit();
  });
  $("questions").addEventListener("change", updateButtons);
}

async function load() {
  show(await app.client.get(app.ref));
}

let retryStep = null;

// Runs the steps in order, with every button disabled meanwhile. On a failure the
// error shows inline, and Retry (for retryable errors) resumes from the failed step.
// Resolves to whether all steps succeeded.
async function perform(steps, doneText) {
  if (app.busy || !app.client) return false;
  const focused = document.activeElement && document.activeElement !== document.body ? document.activeElement.id : "";
  hideError();
  setStatus("Working…");
  setBusy(true);
  try {
    for (let i = 0; i < steps.length; i++) {
      try {
        await steps[i]();
      } catch (e) {
        setStatus("");
        showError(e, () => perform(steps.slice(i), doneText));
        return false;
      }
    }
    setStatus(doneText);
    return true;
  } finally {
    setBusy(false);
    if (focused) restoreFocus(focused);
    fit();
  }
}

// Disabling the buttons during a call drops the keyboard focus, and the button used
// may now be hidden (Vote after voting). Put focus back where the user can go on: the
// error's Retry, the same control, or the poll's heading.
function restoreFocus(id) {
  if (!$("error").hidden) {
    ($("retry").hidden ? $("dismiss") : $("retry")).focus();
    return;
  }
  const el = $(id);
  if (el && !el.disabled && el.getClientRects().length > 0) el.focus();
  else if (!$("poll").hidden) $("poll-title").focus();
}

function setBusy(busy) {
  app.busy = busy;
  $("app").setAttribute("aria-busy", String(busy));
  $("loading").hidden = !busy || !!app.attach;
  $("load").disabled = busy;
  $("retry").disabled = busy;
  updateButtons();
}

function setStatus(text) {
  $("status").textContent = text;
}

// The ballot from the checked choices, or null unless every question has one.
function currentBallot() {
  if (!app.attach) return null;
  const ballot = {};
  for (const q of app.attach.questions) {
    const ids = [...document.querySelectorAll(`input[name="q-${q.id}"]:checked`)].map((i) => Number(i.value));
    if (ids.length === 0) return null;
    ballot[q.id] = ids;
  }
  return ballot;
}

function updateButtons() {
  const a = app.attach;
  const busy = app.busy;
  const set = (id, shown, enabled = true) => {
    const b = $(id);
    b.hidden = !shown;
    b.disabled = busy || !enabled;
  };
  set("vote", !!a && a.canVote, currentBallot() !== null);
  set("recall", !!a && a.isVoted && a.canRevote && !a.isFinished);
  set("stop", !!a && a.canEdit && !a.isFinished);
  set("resume", !!a && a.canEdit && a.isFinished);
  set("refresh", !!a || !!app.ref);
  for (const input of document.querySelectorAll("#questions input")) input.disabled = busy;
}

// ---------- errors ----------

function errorText(e) {
  if (!e || e.name !== "B24VoteError") return e && e.message ? e.message : "Something went wrong.";
  const code = String(e.code);
  if (code === "403" && /inactive/i.test(e.description || "")) return "The poll is closed: it no longer accepts votes.";
  if (code === "ATTACH_NOT_FOUND" && app.frame && app.ref && app.ref.moduleId === "im") {
    return "This message has no poll. Open the app from the menu of a message with a poll.";
  }
  // A 5xx whose body was an error page (DECODE_ERROR) or a code we have no words for.
  if (e.status >= 500 && (code === "DECODE_ERROR" || !Object.hasOwn(ERROR_TEXT, code))) {
    return "The portal had a problem on its side (server error). Try again in a moment.";
  }
  if (app.frame && Object.hasOwn(FRAME_ERROR_TEXT, code)) return FRAME_ERROR_TEXT[code];
  if (Object.hasOwn(ERROR_TEXT, code)) return ERROR_TEXT[code];
  return e.description ? `The portal refused: ${e.description}` : `The portal refused (error ${code || "without a code"}).`;
}

function showError(e, retry) {
  const isLibError = e && e.name === "B24VoteError";
  $("error-text").textContent = errorText(e);
  const details = [];
  if (isLibError && e.code) details.push(`Code ${e.code}`);
  if (isLibError && e.status) details.push(`HTTP ${e.status}`);
  if (isLibError && e.method) details.push(e.method);
  $("error-code").textContent = details.join(" · ");
  $("error-code").hidden = details.length === 0;
  retryStep = retry && isLibError && e.retryable ? retry : null;
  $("retry").hidden = !retryStep;
  $("error").hidden = false;
  if (retryStep) $("retry").onclick = () => retryStep && retryStep();
  fit();
}

function hideError() {
  $("error").hidden = true;
  retryStep = null;
}

// ---------- rendering ----------

// Draws the poll (replacing the previous drawing). Bars start at the width they had
// and move to the new one, so a vote or a recall animates.
function show(attach) {
  app.attach = attach;
  $("poll").hidden = false;
  $("frame-hint").hidden = true;
  $("loading").hidden = true;

  const badges = $("badges");
  badges.replaceChildren(
    badge(attach.isFinished ? "Finished" : "Open", attach.isFinished ? "finished" : "open"),
    ...(attach.anonymous ? [badge("Anonymous", "anonymous")] : []),
    ...(attach.allowRevote ? [badge("Revote allowed", "revote")] : []),
  );

  const questions = $("questions");
  const bars = [];
  questions.replaceChildren(...attach.questions.map((q) => questionView(attach, q, bars)));

  $("summary").textContent =
    `${plural(attach.ballots, "ballot")} · ` +
    (attach.isVoted ? "You voted." : attach.canVote ? "You have not voted yet." : "You did not vote.");

  // Start from the drawn widths, force a layout, then move to the new ones.
  for (const { fill, from } of bars) fill.style.width = `${from}%`;
  void questions.offsetWidth;
  for (const { fill, to } of bars) fill.style.width = `${Math.min(100, Math.max(0, to))}%`;
  app.shownPercents = new Map(bars.map((b) => [b.id, b.to]));

  updateButtons();
  fit();
}

function questionView(attach, q, bars) {
  const section = el("section", { className: "question", role: "group", "aria-labelledby": `q-${q.id}-text` });
  section.append(
    textOrPlaceholder(el("h2", { className: "question-text", id: `q-${q.id}-text` }), q.text, "(a question without text)"),
    el("p", { className: "question-meta" }, `${plural(q.voters, "voter")} · ${q.multiple ? "several answers allowed" : "one answer"}`),
  );
  const list = el("ul", { className: "answers" });
  const mine = new Set(q.myAnswerIds);
  for (const a of q.answers) {
    const voted = a.votedByMe || mine.has(a.id);
    const row = el("li", { className: voted ? "answer mine" : "answer" });
    row.dataset.answerId = String(a.id);
    const textId = `a-${a.id}-text`;

    const line = el("div", { className: "answer-line" });
    const text = textOrPlaceholder(el("span", { className: "answer-text", id: textId }), a.text, "(an answer without text)");
    if (attach.canVote) {
      const input = el("input", { type: q.multiple ? "checkbox" : "radio", name: `q-${q.id}`, value: String(a.id) });
      line.append(el("label", { className: "answer-label" }, input, text));
    } else {
      line.append(el("span", { className: "answer-label" }, text));
    }
    if (voted) line.append(el("span", { className: "mine-mark" }, "✓ your vote"));
    line.append(el("span", { className: "count" }, plural(a.votes, "vote")));

    const fill = el("div", { className: "bar-fill" });
    const meter = el(
      "div",
      {
        className: "bar",
        role: "meter",
        "aria-valuemin": "0",
        "aria-valuemax": "100",
        "aria-valuenow": String(a.percent),
        "aria-valuetext": `${a.percent}%, ${plural(a.votes, "vote")}`,
        "aria-labelledby": textId,
      },
      fill,
    );
    const label = el("span", { className: "percent" }, `${a.percent}%`);
    label.dataset.percent = String(a.percent);
    row.append(line, el("div", { className: "bar-row" }, meter, label));
    list.append(row);
    bars.push({ id: a.id, fill, from: app.shownPercents.get(a.id) ?? 0, to: a.percent });
  }
  section.append(list);
  return section;
}

// Fills a text element; blank text gets a visible placeholder, so an empty answer is
// not an unlabelled radio button.
function textOrPlaceholder(node, text, placeholder) {
  const value = String(text ?? "");
  if (value.trim() === "") {
    node.classList.add("placeholder");
    node.textContent = placeholder;
  } else {
    node.textContent = value;
  }
  return node;
}

function badge(text, kind) {
  return el("li", { className: `badge badge-${kind}` }, text);
}

function plural(n, word) {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}

// createElement with properties/attributes and text or element children. Strings are
// added as text nodes, so portal data can never become markup.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "className" || k === "id" || k === "type" || k === "name" || k === "value") node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}
