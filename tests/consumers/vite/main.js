// Consumer 3: a Vite 7 app with no wasm plugin. `vite build` must find
// b24_vote_bg.wasm through the web build's new URL(…, import.meta.url).
// The page reads a poll through a webhook and shows its answers.
// Query: ?hook=<webhook URL>&attach=<attachId>
import init, { VoteClient } from "b24-vote";

const out = document.getElementById("result");
const params = new URLSearchParams(location.search);

async function main() {
  await init();
  const client = VoteClient.webhook(params.get("hook"));
  const poll = await client.get({ attachId: Number(params.get("attach")) });
  const question = poll.questions[0];
  out.textContent =
    `${question.text} ` + question.answers.map((a) => `${a.text} ${a.percent}%`).join(", ");
  document.body.dataset.state = "done";
}

main().catch((e) => {
  out.textContent = `${e.name}: ${e.code ?? ""} ${e.message}`;
  document.body.dataset.state = "error";
});
