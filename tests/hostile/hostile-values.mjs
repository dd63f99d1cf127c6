// Hostile JS values and the loop that feeds them to every entry point of the
// library. Plain JS with no imports: Node scenarios import it, and the
// Chromium test serves it to a page.

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
