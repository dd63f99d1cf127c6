// The application's "initial installation path" page. Bitrix24 opens it for an
// administrator the first time the app is opened. It binds the app to the message
// context menu (IM_CONTEXT_MENU) with placement.bind, then calls BX24.installFinish():
// until then Bitrix24 shows no widget of the app.

const BX24_JS = "https://api.bitrix24.com/api/v1/";
const TITLE = "Poll results";

const status = document.getElementById("install-status");
const retry = document.getElementById("install-retry");

// The handler is index.html next to this page (same host, as placement.bind requires).
const handler = new URL("index.html", location.href);
handler.search = "";
handler.hash = "";

start().catch((e) => fail(e.message));

async function start() {
  if (!window.BX24) await loadScript(BX24_JS);
  if (!window.BX24) throw new Error("BX24.js could not be loaded from api.bitrix24.com.");
  await new Promise((resolve) => window.BX24.init(resolve));
  retry.addEventListener("click", bind);
  bind();
}

function bind() {
  retry.hidden = true;
  document.getElementById("app").setAttribute("aria-busy", "true");
  status.textContent = `Adding “${TITLE}” to the menu of chat messages…`;
  window.BX24.callMethod(
    "placement.bind",
    {
      PLACEMENT: "IM_CONTEXT_MENU",
      HANDLER: handler.href,
      TITLE,
      LANG_ALL: { en: { TITLE } },
      OPTIONS: { context: "ALL", role: "USER" },
    },
    (result) => {
      const error = result.error();
      // Installing again finds the handler bound already: that is the state we want.
      if (error && !/already/i.test(String(error))) {
        fail(`Bitrix24 refused placement.bind: ${error}`);
        return;
      }
      window.BX24.installFinish();
      document.getElementById("app").setAttribute("aria-busy", "false");
      status.textContent =
        `Done. In a chat, open the menu of a message with a poll and choose “${TITLE}”; ` +
        "it sits with the items that create content from a message, such as a task or a meeting.";
    },
  );
}

function fail(text) {
  document.getElementById("app").setAttribute("aria-busy", "false");
  status.textContent = text;
  retry.hidden = !window.BX24;
}

function loadScript(src) {
  return new Promise((resolve) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = resolve;
    document.head.append(s);
  });
}
