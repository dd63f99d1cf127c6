// The smallest app that recalls a vote with b24-vote: load the module, then
// one call. `make test` weighs its production build (tests/size/size.mjs);
// `make bench` times its cold start (tests/bench/browser.mjs).
// Query: ?hook=<webhook URL>&attach=<attachId>
import init, { VoteClient } from "b24-vote";

const params = new URLSearchParams(location.search);
const out = document.getElementById("result");

async function main() {
  await init();
  const client = VoteClient.webhook(params.get("hook") ?? "https://portal.invalid/rest/1/hook/");
  window.appReady = performance.now();
  try {
    const poll = await client.recall({ attachId: Number(params.get("attach") ?? 1) });
    document.body.dataset.state = "done";
    out.textContent = `recalled: ${poll.ballots} ballots`;
  } catch (e) {
    document.body.dataset.state = "error";
    out.textContent = `${e.code}: ${e.message}`;
  }
}

main().catch((e) => {
  document.body.dataset.state = "error";
  out.textContent = String(e);
});
