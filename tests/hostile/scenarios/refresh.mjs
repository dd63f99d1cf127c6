// Child process: an OAuth client whose refresh callback misbehaves in the
// way `mode` names, then behaves. The portal (input `portal`) answers 401
// expired_token to any token but "GOOD". Input: { portal, mode }.
import { loadNodeBuild, describeThrown } from '../common.mjs';

const { portal, mode } = JSON.parse(process.argv[2]);
const { VoteClient } = loadNodeBuild();
const good = () => Promise.resolve({ accessToken: 'GOOD', refreshToken: 'R2' });
const misbehaving = {
  throws: () => {
    throw new Error('refresh threw');
  },
  'thenable with a throwing then getter': () => ({
    get then() {
      throw new Error('then getter');
    },
  }),
  'Promise with a throwing then getter': () => {
    const p = good();
    Object.defineProperty(p, 'then', { get() { throw new Error('then getter'); } });
    return p;
  },
  'Promise with a throwing constructor getter': () => {
    const p = good();
    Object.defineProperty(p, 'constructor', { get() { throw new Error('constructor getter'); } });
    return p;
  },
};
let behave = false;
let refreshCalls = 0;
const refresh = (token) => {
  refreshCalls++;
  return behave ? good() : misbehaving[mode](token);
};
process.on('uncaughtException', (e) => {
  console.log(JSON.stringify({ uncaught: describeThrown(e) }));
  process.exit(3);
});
const client = VoteClient.oauth({ domain: portal, accessToken: 'OLD', refreshToken: 'R1', refresh }, { rateLimit: false, timeoutMs: 8000 });
const bounded = (promise) => {
  let timer;
  const hung = new Promise((resolve) => (timer = setTimeout(() => resolve({ hung: true }), 12000)));
  return Promise.race([promise.then((v) => ({ ok: v?.id }), (e) => ({ error: describeThrown(e) })), hung]).finally(() => clearTimeout(timer));
};
// Three calls at once share one refresh.
const failing = await Promise.all([1, 2, 3].map(() => bounded(client.get({ attachId: 1 }))));
behave = true;
const recovered = await bounded(client.get({ attachId: 1 }));
console.log(JSON.stringify({ failing, recovered, refreshCalls }));
