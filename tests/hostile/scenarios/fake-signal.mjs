// Child process: signals that are not real AbortSignals (their `aborted`
// getter throws), then a good call. Input: { portal }.
import { loadNodeBuild, describeThrown } from '../common.mjs';

const { portal } = JSON.parse(process.argv[2]);
const { VoteClient } = loadNodeBuild();
const client = VoteClient.webhook(`${portal}/rest/1/abc123/`, { rateLimit: false, retries: 0, timeoutMs: 5000 });

const realWithThrowingGetter = new AbortController().signal;
Object.defineProperty(realWithThrowingGetter, 'aborted', { get() { throw new Error('aborted getter'); } });
const signals = {
  'Object.create(AbortSignal.prototype)': Object.create(AbortSignal.prototype),
  'new Proxy(signal, {})': new Proxy(new AbortController().signal, {}),
  'a signal whose aborted getter throws': realWithThrowingGetter,
};
process.on('uncaughtException', (e) => {
  console.log(JSON.stringify({ uncaught: describeThrown(e) }));
  process.exit(3);
});
const outcomes = {};
for (const [name, signal] of Object.entries(signals)) {
  let promise;
  try {
    promise = client.get({ attachId: 1 }, { signal });
  } catch (e) {
    outcomes[name] = { threwSynchronously: describeThrown(e) };
    continue;
  }
  let timer;
  const hung = new Promise((resolve) => (timer = setTimeout(() => resolve({ hung: true }), 10000)));
  outcomes[name] = await Promise.race([
    promise.then((v) => ({ resolved: v?.id }), (e) => ({ rejected: describeThrown(e) })),
    hung,
  ]);
  clearTimeout(timer);
}
let after;
try {
  after = { ok: (await client.get({ attachId: 1 })).id };
} catch (e) {
  after = { error: describeThrown(e) };
}
console.log(JSON.stringify({ outcomes, after }));
