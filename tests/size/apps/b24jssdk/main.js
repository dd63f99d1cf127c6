// The same app on the official SDK: its frame client (opened by a portal in
// an iframe named DOMAIN|PROTOCOL|APP_SID), then one call of
// vote.AttachedVote.recall. The yardstick of tests/size/size.mjs and
// tests/bench/browser.mjs. Query: ?attach=<attachId>
import { initializeB24Frame } from "@bitrix24/b24jssdk";

const params = new URLSearchParams(location.search);
const out = document.getElementById("result");

async function main() {
  const $b24 = await initializeB24Frame();
  window.appReady = performance.now();
  try {
    const response = await $b24.callMethod("vote.AttachedVote.recall", { attachId: Number(params.get("attach") ?? 1) });
    document.body.dataset.state = "done";
    out.textContent = `recalled: ${response.getData().result.attach.COUNTER} ballots`;
  } catch (e) {
    document.body.dataset.state = "error";
    out.textContent = `${e.code}: ${e.message}`;
  }
}

main().catch((e) => {
  document.body.dataset.state = "error";
  out.textContent = String(e);
});
