// Child process: one client, a sequence of calls, each outcome printed as a
// JSON line. For calls that may crash or wedge the process that makes them.
// Input: { url, options, calls: [{ method, args, callOptions }] }; the
// client is VoteClient.webhook(url, options) with onRequest counted.
import { loadNodeBuild, describeThrown } from '../common.mjs';

/** Long texts shortened for the report line; their length kept. */
const clip = (d) => ({ ...d, messageLength: d.message?.length, message: d.message?.slice(0, 2000), description: d.description?.slice(0, 2000) });

const { url, options = {}, calls } = JSON.parse(process.argv[2]);
const { VoteClient } = loadNodeBuild();
let requests = 0;
const client = VoteClient.webhook(url, { ...options, onRequest: () => requests++ });
for (const { method = 'get', args = [{ attachId: 1 }], callOptions } of calls) {
  const before = requests;
  const t0 = performance.now();
  let outcome;
  try {
    const value = await client[method](...args, ...(callOptions ? [callOptions] : []));
    outcome = { ok: true, id: value?.id };
  } catch (e) {
    outcome = { ok: false, error: clip(describeThrown(e)) };
  }
  outcome.requests = requests - before;
  outcome.ms = Math.round(performance.now() - t0);
  outcome.rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  console.log(JSON.stringify(outcome));
}
client.free();
console.log(JSON.stringify({ done: true }));
