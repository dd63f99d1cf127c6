// A dedicated module Worker that uses the package's web build the way an app would:
// init(), a webhook client, then get and recall of the poll it is sent. It posts back
// where it ran and what the calls returned, or the error.
import init, { VoteClient } from "/pkg/b24_vote.js";

self.onmessage = async ({ data }) => {
  const context = {
    worker: typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope,
    window: typeof window !== "undefined",
    document: typeof document !== "undefined",
  };
  try {
    await init();
    const client = VoteClient.webhook(data.webhook);
    const poll = { attachId: data.attachId };
    const got = await client.get(poll);
    const recalled = await client.recall(poll);
    self.postMessage({ context, got, recalled });
  } catch (e) {
    self.postMessage({ context, error: { name: e?.name, code: e?.code, message: String(e?.message ?? e) } });
  }
};
