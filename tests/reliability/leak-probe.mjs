// Diagnostic, not a test: wasm linear-memory growth per call, by kind of call.
//   node --expose-gc tests/reliability/leak-probe.mjs   (needs pkg/web and target/debug/b24-portal)
import fs from 'node:fs';
import { startPortal, adminClient, loadWebBuild } from './common.mjs';
const p = await startPortal({ build: false });
const a = adminClient(p.url);
const { lib, exports } = await loadWebBuild();
const mem = () => exports.memory.buffer.byteLength;
const U = 5;
const poll = await a.newPoll({ author: U, allowRevote: true, questions: [{ text: 'Q', answers: ['a', 'b'] }] });
const q = poll.questions[0];
const c = lib.VoteClient.webhook(`${p.url}/rest/${U}/hook${U}/`, { rateLimit: false });
const body = fs.readFileSync(new URL('../fixtures/recall.json', import.meta.url), 'utf8');
const ops = {
  parse: async () => lib.parseVoteResponse(body),
  parseErr: async () => { try { lib.parseVoteResponse('{"result":'); } catch {} },
  get: () => c.get({ attachId: poll.attachId }),
  vote: () => c.vote({ attachId: poll.attachId }, { [q.id]: [q.answers[0]] }),
  getNoOpts: () => c.get({ attachId: poll.attachId }, {}),
  getErr: () => c.get({ attachId: 999999 }).catch(() => {}),
  getWithTimeout: () => c.get({ attachId: poll.attachId }, { timeoutMs: 5000 }),
  newClient: async () => { const x = lib.VoteClient.webhook(`${p.url}/rest/${U}/hook${U}/`, { rateLimit: false }); x.free(); },
};
for (const [name, f] of Object.entries(ops)) {
  for (let i = 0; i < 300; i++) await f();
  const m0 = mem();
  for (let i = 0; i < 3000; i++) { await f(); if (globalThis.gc && i % 100 === 0) { gc(); await new Promise(r => setTimeout(r, 1)); } }
  console.log(name, m0, mem(), ((mem() - m0) / 3000).toFixed(1), 'B/call');
}
await p.stop();
