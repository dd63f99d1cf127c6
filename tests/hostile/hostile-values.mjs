// Hostile JS values, the loop that feeds them to every entry point of the
// library, and the fake-signal and refresh-callback scenarios. Plain JS with
// no imports: Node scenarios import it, and the Chromium test serves it to a
// page, so both run the same cases.

/** Safely describes whatever was thrown (it may itself be hostile). */
export function describeThrown(e) {
  if (e === undefined) return { isError: false, text: 'nothing (or undefined) was thrown' };
  try {
    if (e instanceof Error) {
      return { isError: true, name: e.name, code: e.code, status: e.status, retryable: e.retryable, description: e.description, message: e.message };
    }
    return { isError: false, text: typeof e === 'object' || typeof e === 'function' ? `[${typeof e}]` : String(e) };
  } catch {
    return { isError: false, text: '[a value that throws when read]' };
  }
}

/** Every key the library reads from a caller's object. */
const KEYS = [
  'attachId', 'moduleId', 'entityType', 'entityId', 'signedAttachId', 'entityIds',
  'multiple', 'voters', 'decimals', 'signal', 'timeoutMs', 'actionUuid', 'pageSize', 'start',
  'rateLimit', 'retries', 'allowInsecureHttp', 'onRequest', 'maxResponseBytes', 'burst', 'perSecond',
  'domain', 'accessToken', 'refreshToken', 'expiresAt', 'refresh', 'getAuth', 'refreshAuth', 'auth',
  'length', 'then', 'constructor', 'aborted',
];

/** What gets thrown: an Error, a number, undefined, and values that throw again when read. */
function thrownValue(i) {
  switch (i % 5) {
    case 0:
      return new Error('hostile getter');
    case 1:
      return 1;
    case 2:
      return undefined;
    case 3:
      return throwingProxy({}, 0); // reading .message or .name throws again
    default:
      return { toString() { throw new Error('toString'); }, get message() { throw new Error('message'); } };
  }
}

/** An object whose every known key is a getter that throws. */
export function throwingGetters(i = 0) {
  const o = {};
  for (const key of KEYS) {
    Object.defineProperty(o, key, { enumerable: true, get() { throw thrownValue(i); } });
  }
  return o;
}

/** A Proxy whose every trap throws. */
export function throwingProxy(target = {}, i = 0) {
  const trap = () => {
    throw thrownValue(i + 1);
  };
  return new Proxy(target, {
    get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap,
    set: trap, defineProperty: trap, deleteProperty: trap, isExtensible: trap, preventExtensions: trap,
  });
}

/** A revoked Proxy: any operation on it, even Array.isArray, throws. */
export function revokedProxy(target = {}) {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/** An array whose second item is a throwing getter. */
export function arrayWithThrowingItem(i = 0) {
  const a = [1, 2, 3];
  Object.defineProperty(a, 1, { get() { throw thrownValue(i); } });
  return a;
}

/**
 * The i-th hostile value, cycling through the kinds above. An array with one
 * throwing item is hostile only where an array is read item by item.
 */
export function hostileValue(i, { array = false } = {}) {
  switch (i % (array ? 6 : 5)) {
    case 0:
      return throwingGetters(i);
    case 1:
      return throwingProxy({}, i);
    case 2:
      return revokedProxy({});
    case 3:
      return revokedProxy([1, 2]);
    case 4:
      return throwingProxy([1, 2], i);
    default:
      return arrayWithThrowingItem(i);
  }
}

/**
 * The entry points, each taking one hostile value. `sync` ones must throw a
 * B24VoteError; the others must return a Promise that rejects with one.
 */
export function entryPoints(lib, client, portalUrl) {
  const poll = { attachId: 1 };
  const webhook = `${portalUrl}/rest/1/abc123/`;
  return [
    { name: 'percentages(votes)', sync: true, array: true, call: (h) => lib.percentages(h) },
    { name: 'percentages(votes, options)', sync: true, call: (h) => lib.percentages([1, 2], h) },
    { name: 'VoteClient.webhook(url, options)', sync: true, call: (h) => lib.VoteClient.webhook(webhook, h) },
    { name: 'VoteClient.oauth(auth)', sync: true, call: (h) => lib.VoteClient.oauth(h) },
    { name: 'VoteClient.oauth(auth, options)', sync: true, call: (h) => lib.VoteClient.oauth({ domain: portalUrl, accessToken: 'x' }, h) },
    { name: 'VoteClient.frame(sdk)', sync: true, call: (h) => lib.VoteClient.frame(h) },
    { name: 'get(poll)', call: (h) => client.get(h) },
    { name: 'get(poll, options)', call: (h) => client.get(poll, h) },
    { name: 'recall(poll)', call: (h) => client.recall(h) },
    { name: 'stop(poll, options)', call: (h) => client.stop(poll, h) },
    { name: 'resume(poll)', call: (h) => client.resume(h) },
    { name: 'vote(poll, ballot)', call: (h) => client.vote(poll, h) },
    { name: 'vote(poll, {1: answers})', array: true, call: (h) => client.vote(poll, { 1: h }) },
    { name: 'vote(poll, ballot, options)', call: (h) => client.vote(poll, { 1: [1] }, h) },
    { name: 'getMany(ref)', call: (h) => client.getMany(h) },
    { name: 'getMany({entityIds})', array: true, call: (h) => client.getMany({ moduleId: 'im', entityType: 'X', entityIds: h }) },
    { name: 'getWithVoted(poll, options)', call: (h) => client.getWithVoted(poll, h) },
    { name: 'getAnswerVoted(poll, answerId)', call: (h) => client.getAnswerVoted(poll, h) },
    { name: 'getAnswerVoted(poll, 1, options)', call: (h) => client.getAnswerVoted(poll, 1, h) },
  ];
}

function errorCode(e) {
  try {
    return e instanceof Error && e.name === 'B24VoteError' ? e.code : null;
  } catch {
    return null;
  }
}

function freeIfClient(value) {
  try {
    if (value && typeof value.free === 'function') value.free();
  } catch {}
}

/**
 * Feeds `count` hostile values, round robin over the entry points. Resolves
 * to { total, typed, wrong: { [entry]: count }, firstWrong: [...] } where
 * `typed` counts B24VoteError INVALID_ARGUMENT outcomes. Rejections are
 * awaited in batches with a bound, so a call that never settles is counted
 * as wrong rather than hanging the loop.
 */
export async function feedHostileValues(lib, client, portalUrl, count, { batch = 500, settleMs = 10000 } = {}) {
  const entries = entryPoints(lib, client, portalUrl);
  const report = { total: 0, typed: 0, wrong: {}, firstWrong: [] };
  const wrong = (entry, what) => {
    report.wrong[entry.name] = (report.wrong[entry.name] ?? 0) + 1;
    if (report.firstWrong.length < 10) report.firstWrong.push(`${entry.name}: ${what}`);
  };
  let pending = [];
  const drain = async () => {
    const settled = pending.map(({ entry, promise }) =>
      promise.then(
        (value) => {
          freeIfClient(value);
          wrong(entry, 'resolved');
        },
        (e) => (errorCode(e) === 'INVALID_ARGUMENT' ? report.typed++ : wrong(entry, `rejected with ${errorCode(e) ?? 'a non-B24VoteError'}`)),
      ),
    );
    let timer;
    const bound = new Promise((resolve) => (timer = setTimeout(() => resolve('hung'), settleMs)));
    const outcome = await Promise.race([Promise.all(settled), bound]);
    clearTimeout(timer);
    if (outcome === 'hung') wrong({ name: 'a batch' }, `did not settle within ${settleMs} ms`);
    pending = [];
  };
  for (let i = 0; i < count; i++) {
    const entry = entries[i % entries.length];
    const hostile = hostileValue(Math.floor(i / entries.length), entry);
    report.total++;
    let returned;
    try {
      returned = entry.call(hostile);
    } catch (e) {
      if (!entry.sync) wrong(entry, 'threw synchronously');
      else if (errorCode(e) === 'INVALID_ARGUMENT') report.typed++;
      else wrong(entry, `threw ${errorCode(e) ?? 'a non-B24VoteError'}`);
      continue;
    }
    if (entry.sync) {
      freeIfClient(returned);
      wrong(entry, 'returned instead of throwing');
    } else if (!(returned instanceof Promise)) {
      wrong(entry, 'returned no Promise');
    } else {
      pending.push({ entry, promise: returned });
      if (pending.length >= batch) await drain();
    }
  }
  await drain();
  return report;
}

/** Settles `promise` as { ok } / { error } or { hung: true } after `ms`. */
async function bounded(promise, ms) {
  let timer;
  const hung = new Promise((resolve) => (timer = setTimeout(() => resolve({ hung: true }), ms)));
  try {
    return await Promise.race([promise.then((v) => ({ ok: v === undefined ? null : v.id }), (e) => ({ error: describeThrown(e) })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** The name of the Proxy-of-a-real-signal case, which some platforms accept. */
export const PROXIED_SIGNAL = 'new Proxy(signal, {})';

/**
 * Signals that pass `instanceof AbortSignal` but whose `aborted` getter
 * throws, as CallOptions.signal; then a good call on the same client.
 * Resolves to { outcomes: { [signal]: outcome }, after: outcome }.
 */
export async function fakeSignals(lib, webhookUrl) {
  const client = lib.VoteClient.webhook(webhookUrl, { rateLimit: false, retries: 0, timeoutMs: 5000 });
  const realWithThrowingGetter = new AbortController().signal;
  Object.defineProperty(realWithThrowingGetter, 'aborted', { get() { throw new Error('aborted getter'); } });
  const signals = {
    'Object.create(AbortSignal.prototype)': Object.create(AbortSignal.prototype),
    [PROXIED_SIGNAL]: new Proxy(new AbortController().signal, {}),
    'a signal whose aborted getter throws': realWithThrowingGetter,
  };
  const outcomes = {};
  for (const [name, signal] of Object.entries(signals)) {
    try {
      outcomes[name] = await bounded(client.get({ attachId: 1 }, { signal }), 10000);
    } catch (e) {
      outcomes[name] = { threwSynchronously: describeThrown(e) };
    }
  }
  const after = await bounded(client.get({ attachId: 1 }), 10000);
  client.free();
  return { outcomes, after };
}

const goodTokens = () => Promise.resolve({ accessToken: 'GOOD', refreshToken: 'R2' });

/** Refresh callbacks that misbehave, by name. */
export const MISBEHAVING_REFRESH = {
  throws: () => {
    throw new Error('refresh threw');
  },
  'thenable with a throwing then getter': () => ({
    get then() {
      throw new Error('then getter');
    },
  }),
  'Promise with a throwing then getter': () => {
    const p = goodTokens();
    Object.defineProperty(p, 'then', { get() { throw new Error('then getter'); } });
    return p;
  },
  'Promise with a throwing constructor getter': () => {
    const p = goodTokens();
    Object.defineProperty(p, 'constructor', { get() { throw new Error('constructor getter'); } });
    return p;
  },
};

/**
 * An OAuth client on `portal` (which answers 401 expired_token to any token
 * but "GOOD") whose refresh callback misbehaves as `mode` says: three calls
 * at once, then the callback behaves and one more call on the same client.
 * Resolves to { failing: [outcome ×3], recovered: outcome, refreshCalls }.
 */
export async function misbehavingRefresh(lib, portal, mode) {
  let behave = false;
  let refreshCalls = 0;
  const refresh = (token) => {
    refreshCalls++;
    return behave ? goodTokens() : MISBEHAVING_REFRESH[mode](token);
  };
  const client = lib.VoteClient.oauth({ domain: portal, accessToken: 'OLD', refreshToken: 'R1', refresh }, { rateLimit: false, timeoutMs: 8000 });
  const call = () => {
    try {
      return bounded(client.get({ attachId: 1 }), 12000);
    } catch (e) {
      return { threwSynchronously: describeThrown(e) };
    }
  };
  const failing = await Promise.all([call(), call(), call()]);
  behave = true;
  const recovered = await call();
  client.free();
  return { failing, recovered, refreshCalls };
}
