// The emulated portal page. It shows the chats with the emulator's polls; a poll
// message's menu lists the apps registered for IM_CONTEXT_MENU, and choosing one opens
// it the way a Bitrix24 portal does:
// - an iframe whose window.name is "DOMAIN|PROTOCOL|APP_SID" (set before the iframe is
//   inserted: Chromium sends a POST aimed at a frame not yet named to a new window);
// - a form POST to the handler URL, DOMAIN/PROTOCOL/LANG/APP_SID in the query and the
//   placement fields in the body (AUTH_ID, AUTH_EXPIRES, REFRESH_ID, member_id, status,
//   PLACEMENT, PLACEMENT_OPTIONS as a JSON string);
// - the frame protocol over postMessage: requests come as "command:params:callback:
//   APP_SID" strings (BX24.js, @bitrix24/b24jssdk) or {method, params, callback, appSid}
//   objects (b24jssdk for commands with a ':'), answers go out as "callback:JSON" to the
//   app's origin only. Messages from another window, origin or APP_SID are ignored.
//
// Query options: ?user=N (default 1), ?ttl=SECONDS (token lifetime; default the
// server's --token-ttl), ?chat=N (the chat shown first), ?silent=cmd1,cmd2 (commands
// never answered, to test an app's timeouts).
// Portal data is rendered with textContent only.

"use strict";

(() => {
  const query = new URLSearchParams(location.search);
  const USER = positiveInt(query.get("user")) ?? 1;
  const TTL = positiveInt(query.get("ttl"));
  const SILENT = new Set((query.get("silent") ?? "").split(",").map((s) => s.trim()).filter(Boolean));
  const LANG = "en";
  const MIN_HEIGHT = 40;
  const MAX_HEIGHT = 20000;
  const MAX_MESSAGE = 1 << 20;
  const MAX_LOG = 500;

  const state = {
    data: null, // GET /_emulator/chat
    chatId: null,
    frame: null, // the open app
    opened: 0,
    ignored: 0, // messages dropped: wrong window, origin or APP_SID
    log: [], // {dir: "in" | "out" | "note", command, text}
  };
  // For tests and the console: the page's state, read-only by convention.
  window.b24portal = { state, open: (attachId, title) => openByAttach(attachId, title), close: closeApp };

  const $ = (id) => document.getElementById(id);

  function positiveInt(text) {
    if (text == null || !/^\d{1,15}$/.test(text.trim())) return null;
    const n = Number(text.trim());
    return n > 0 ? n : null;
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === "className" || k === "type" || k === "id" || k === "title") node[k] = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(typeof c === "string" ? document.createTextNode(c) : c);
    return node;
  }

  function randomHex(bytes) {
    const buf = new Uint8Array(bytes);
    crypto.getRandomValues(buf);
    return [...buf].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function getJson(path, init) {
    const res = await fetch(path, init);
    const body = await res.json().catch(() => null);
    if (!res.ok || body === null) {
      throw new Error(`${path}: HTTP ${res.status} ${body && body.error_description ? body.error_description : ""}`);
    }
    return body;
  }

  // ---------- the chat ----------

  async function load() {
    state.data = await getJson(`/_emulator/chat?user=${USER}`);
    const { user, chats } = state.data;
    $("who").textContent = `${user.name} (user ${user.id}${user.admin ? ", admin" : ""})`;
    const wanted = positiveInt(query.get("chat"));
    const newest = chats.reduce(
      (best, c) => {
        const top = Math.max(...c.messages.map((m) => m.attachId));
        return top > best.top ? { id: c.id, top } : best;
      },
      { id: null, top: -1 },
    );
    if (state.chatId === null || !chats.some((c) => c.id === state.chatId)) {
      state.chatId = chats.some((c) => c.id === wanted) ? wanted : newest.id;
    }
    render();
  }

  function render() {
    const { chats } = state.data;
    $("chats").replaceChildren(
      ...chats.map((c) => {
        const b = el("button", { type: "button", "aria-current": String(c.id === state.chatId) }, c.title);
        b.dataset.chatId = String(c.id);
        b.addEventListener("click", () => {
          state.chatId = c.id;
          render();
        });
        return el("li", {}, b);
      }),
    );
    const chat = chats.find((c) => c.id === state.chatId);
    $("chat-title").textContent = chat ? chat.title : "No chat has a poll you can see";
    $("messages").replaceChildren(...(chat ? chat.messages.map((m) => messageView(chat, m)) : []));
  }

  function messageView(chat, message) {
    const item = el("li", { className: "message" });
    item.dataset.messageId = message.messageId;
    item.dataset.attachId = String(message.attachId);
    const initial = (message.author.name || "?").trim().charAt(0).toUpperCase() || "?";
    const bubble = el("div", { className: "bubble" });
    bubble.append(
      el(
        "div",
        { className: "bubble-head" },
        el("span", { className: "author" }, message.author.name),
        el("span", { className: "date" }, message.date.replace("T", " ").slice(0, 16)),
      ),
    );
    for (const q of message.questions) {
      bubble.append(
        el(
          "div",
          { className: "poll" },
          el("div", { className: "poll-kicker" }, message.isFinished ? "Poll · finished" : "Poll"),
          el("p", { className: "poll-question" }, q.text),
          el("ul", { className: "poll-answers" }, ...q.answers.map((a) => el("li", {}, a))),
        ),
      );
    }
    const menuButton = el("button", {
      type: "button",
      className: "menu-button",
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      "aria-label": "Message menu",
    }, "⋯");
    menuButton.addEventListener("click", (ev) => {
      ev.stopPropagation();
      toggleMenu(bubble, menuButton, chat, message);
    });
    // A right click opens the same menu, as in the portal's messenger.
    bubble.addEventListener("contextmenu", (ev) => {
      ev.preventDefault();
      toggleMenu(bubble, menuButton, chat, message, true);
    });
    bubble.append(menuButton);
    item.append(el("div", { className: "avatar", "aria-hidden": "true" }, initial), bubble);
    return item;
  }

  function closeMenus() {
    for (const m of document.querySelectorAll(".menu")) m.remove();
    for (const b of document.querySelectorAll(".menu-button")) b.setAttribute("aria-expanded", "false");
  }

  function toggleMenu(bubble, button, chat, message, open = false) {
    const wasOpen = button.getAttribute("aria-expanded") === "true";
    closeMenus();
    if (wasOpen && !open) return;
    const apps = state.data.apps.filter((a) => a.placement === "IM_CONTEXT_MENU");
    const menu = el("ul", { className: "menu", role: "menu", "aria-label": "Message actions" });
    menu.append(el("li", { className: "menu-note", role: "presentation" }, "Applications"));
    if (apps.length === 0) {
      menu.append(el("li", { role: "none" }, el("button", { type: "button", role: "menuitem", disabled: "" }, "No app is registered for IM_CONTEXT_MENU")));
    }
    for (const app of apps) {
      const item = el("button", { type: "button", role: "menuitem" }, app.title);
      item.addEventListener("click", () => {
        closeMenus();
        openApp(app, chat, message).catch(showPageError);
      });
      menu.append(el("li", { role: "none" }, item));
    }
    bubble.append(menu);
    button.setAttribute("aria-expanded", "true");
    menu.querySelector("button:not([disabled])")?.focus();
  }

  document.addEventListener("click", closeMenus);
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") closeMenus();
  });

  function showPageError(e) {
    $("page-error").textContent = String(e && e.message ? e.message : e);
    $("page-error").hidden = false;
  }

  // ---------- opening an app ----------

  function openByAttach(attachId, title) {
    for (const chat of state.data.chats) {
      const message = chat.messages.find((m) => m.attachId === attachId);
      const app = state.data.apps.find((a) => a.placement === "IM_CONTEXT_MENU" && (!title || a.title === title));
      if (message && app) return openApp(app, chat, message);
    }
    return Promise.reject(new Error(`no message with attach ${attachId} or no app`));
  }

  async function issueTokens() {
    const ttl = TTL ?? state.data.tokenTtl;
    const t = await getJson("/_emulator/tokens", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: USER, ttlSeconds: ttl, refreshTtlSeconds: ttl }),
    });
    return { access: t.accessToken, refresh: t.refreshToken, expiresAt: t.expiresAt };
  }

  async function openApp(app, chat, message) {
    closeApp();
    const auth = await issueTokens();
    const appSid = randomHex(16);
    const domain = location.host;
    const protocol = location.protocol === "https:" ? 1 : 0;
    const handler = new URL(app.handler, location.href);
    const options = { messageId: message.messageId, dialogId: chat.dialogId };

    const iframe = document.createElement("iframe");
    // Named before insertion, so the form's POST lands in it (see the top).
    iframe.name = `${domain}|${protocol}|${appSid}`;
    iframe.className = "app-frame";
    iframe.title = app.title;
    iframe.dataset.resizes = "0";
    const frame = {
      app,
      appSid,
      origin: handler.origin,
      iframe,
      auth,
      placement: app.placement,
      options,
      installed: true,
      appOptions: {},
      userOptions: {},
      resizes: 0,
    };
    state.frame = frame;
    state.opened++;
    $("slider-title").textContent = app.title;
    $("frame-host").replaceChildren(iframe);
    $("slider").hidden = false;
    note(`open ${app.title}: POST ${handler.origin}${handler.pathname} (${app.placement}, messageId ${message.messageId})`);

    const action = new URL(handler);
    action.searchParams.set("DOMAIN", domain);
    action.searchParams.set("PROTOCOL", String(protocol));
    action.searchParams.set("LANG", LANG);
    action.searchParams.set("APP_SID", appSid);
    const form = el("form", { method: "POST", action: action.href, target: iframe.name, hidden: "" });
    const fields = {
      AUTH_ID: auth.access,
      AUTH_EXPIRES: String(secondsLeft(auth)),
      REFRESH_ID: auth.refresh,
      SERVER_ENDPOINT: `${location.origin}/rest/`,
      APPLICATION_SCOPE: "vote,im",
      member_id: state.data.memberId,
      status: "L",
      PLACEMENT: app.placement,
      PLACEMENT_OPTIONS: JSON.stringify(options),
    };
    for (const [name, value] of Object.entries(fields)) {
      form.append(el("input", { type: "hidden", name, value }));
    }
    document.body.append(form);
    form.submit();
    form.remove();
  }

  function closeApp() {
    if (!state.frame) return;
    state.frame = null;
    $("frame-host").replaceChildren();
    $("slider").hidden = true;
    // The app may have changed the polls (a stopped poll shows as finished).
    load().catch(showPageError);
  }

  $("slider-close").addEventListener("click", closeApp);

  function secondsLeft(auth) {
    return Math.max(0, auth.expiresAt - Math.floor(Date.now() / 1000));
  }

  // ---------- the frame protocol ----------

  // A request as {command, params, callback, appSid}, or null.
  function parseRequest(data) {
    if (data && typeof data === "object") {
      if (typeof data.method !== "string") return null;
      let params = data.params ?? {};
      if (typeof params === "string") params = parseParams(params);
      return { command: data.method, params, callback: String(data.callback ?? ""), appSid: String(data.appSid ?? "") };
    }
    if (typeof data !== "string" || data.length > MAX_MESSAGE) return null;
    const parts = data.split(":");
    if (parts.length < 3) return null;
    return {
      command: parts[0],
      params: parseParams(parts.slice(1, -2).join(":")),
      callback: parts[parts.length - 2],
      appSid: parts[parts.length - 1],
    };
  }

  function parseParams(text) {
    if (!text) return {};
    try {
      const value = JSON.parse(text);
      return value && typeof value === "object" ? value : { value };
    } catch {
      return { value: text };
    }
  }

  window.addEventListener("message", (ev) => {
    const frame = state.frame;
    if (!frame || ev.source !== frame.iframe.contentWindow || ev.origin !== frame.origin) {
      state.ignored++;
      return;
    }
    const req = parseRequest(ev.data);
    if (!req || req.appSid !== frame.appSid) {
      state.ignored++;
      return;
    }
    handle(frame, req);
  });

  function send(frame, callback, data) {
    if (!callback || state.frame !== frame || !frame.iframe.contentWindow) return;
    frame.iframe.contentWindow.postMessage(`${callback}:${JSON.stringify(data ?? {})}`, frame.origin);
    record("out", callback, "answered");
  }

  function handle(frame, req) {
    record("in", req.command, describe(req));
    if (SILENT.has(req.command)) {
      note(`${req.command} left unanswered (?silent)`);
      return;
    }
    const answer = (data) => send(frame, req.callback, data);
    const p = req.params || {};
    switch (req.command) {
      case "getInitData":
        answer(initData(frame));
        break;
      case "refreshAuth":
        refresh(frame).then(
          (auth) => answer({ AUTH_ID: auth.access, REFRESH_ID: auth.refresh, AUTH_EXPIRES: String(secondsLeft(auth)) }),
          (e) => note(`refreshAuth failed: ${e.message}`),
        );
        break;
      case "resizeWindow":
        resize(frame, p.width, p.height);
        answer({});
        break;
      case "setTitle":
        $("slider-title").textContent = String(p.title ?? "").slice(0, 500);
        answer({});
        break;
      case "getInterface":
        answer({ command: [], event: [] });
        break;
      case "setScroll":
        $("frame-host").scrollTop = Math.max(0, Number.parseInt(p.scroll, 10) || 0);
        answer({});
        break;
      case "reloadWindow":
        answer({});
        reopen(frame);
        break;
      case "closeApplication":
        answer({});
        closeApp();
        break;
      case "setInstall":
      case "setInstallFinish":
        frame.installed = true;
        answer({});
        break;
      case "setAppOption":
      case "setUserOption": {
        const store = req.command === "setAppOption" ? frame.appOptions : frame.userOptions;
        if (typeof p.name === "string") store[p.name] = p.value;
        answer({});
        break;
      }
      default:
        // Unknown or not emulated: a harmless empty answer.
        answer({});
    }
  }

  function initData(frame) {
    return {
      DOMAIN: location.host,
      PROTOCOL: location.protocol === "https:" ? 1 : 0,
      PATH: "/portal/",
      LANG,
      AUTH_ID: frame.auth.access,
      REFRESH_ID: frame.auth.refresh,
      AUTH_EXPIRES: String(secondsLeft(frame.auth)),
      MEMBER_ID: state.data.memberId,
      IS_ADMIN: !!state.data.user.admin,
      PLACEMENT: frame.placement,
      PLACEMENT_OPTIONS: frame.options,
      INSTALL: false,
      FIRST_RUN: false,
      APP_OPTIONS: frame.appOptions,
      USER_OPTIONS: frame.userOptions,
    };
  }

  // A new pair from the emulator's OAuth store (the refresh token rotates).
  async function refresh(frame) {
    const body = new URLSearchParams({
      grant_type: "refresh_token",
      client_id: "b24-portal.page",
      client_secret: "unused",
      refresh_token: frame.auth.refresh,
    });
    const t = await getJson("/oauth/token/", { method: "POST", body });
    frame.auth = { access: t.access_token, refresh: t.refresh_token, expiresAt: Number(t.expires) };
    return frame.auth;
  }

  function resize(frame, width, height) {
    const h = Number.parseInt(height, 10);
    if (Number.isFinite(h) && h > 0) {
      frame.iframe.style.height = `${Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, h))}px`;
    }
    const w = Number.parseInt(width, 10);
    frame.iframe.style.width = String(width).trim().endsWith("%") || !(w > 0) ? "100%" : `${Math.min(4000, w)}px`;
    frame.resizes++;
    frame.iframe.dataset.resizes = String(frame.resizes);
  }

  function reopen(frame) {
    const chat = state.data.chats.find((c) => c.dialogId === frame.options.dialogId);
    const message = chat && chat.messages.find((m) => m.messageId === frame.options.messageId);
    if (chat && message) openApp(frame.app, chat, message).catch(showPageError);
  }

  // What a request asked for, without tokens.
  function describe(req) {
    const p = req.params || {};
    switch (req.command) {
      case "resizeWindow":
        return `${p.width ?? ""} × ${p.height ?? ""}`;
      case "setTitle":
        return String(p.title ?? "").slice(0, 80);
      default:
        return "";
    }
  }

  function record(dir, command, text) {
    state.log.push({ dir, command: String(command).slice(0, 80), text });
    if (state.log.length > MAX_LOG) state.log.splice(0, state.log.length - MAX_LOG);
    const line = dir === "in" ? `← ${command} ${text}` : dir === "out" ? `→ answer ${command.slice(0, 8)}…` : `· ${text}`;
    const list = $("log");
    list.append(el("li", {}, line));
    while (list.children.length > MAX_LOG) list.firstElementChild.remove();
  }

  function note(text) {
    record("note", "", text);
  }

  load().catch(showPageError);
})();
