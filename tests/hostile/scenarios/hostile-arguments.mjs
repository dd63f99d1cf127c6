// Child process: feeds `count` hostile values to every entry point, then
// checks that good calls still work. Input: { portal, count }.
import { loadNodeBuild } from '../common.mjs';
import { feedHostileValues } from '../hostile-values.mjs';

const { portal, count } = JSON.parse(process.argv[2]);
const lib = loadNodeBuild();
const client = lib.VoteClient.webhook(`${portal}/rest/1/abc123/`, { rateLimit: false, retries: 0, timeoutMs: 5000 });
const t0 = performance.now();
const report = await feedHostileValues(lib, client, portal, count);
report.ms = Math.round(performance.now() - t0);
try {
  report.percentagesAfter = lib.percentages([1, 1, 1]);
} catch (e) {
  report.percentagesAfter = `threw ${e}`;
}
try {
  report.getAfter = (await lib.VoteClient.webhook(`${portal}/rest/1/abc123/`, { rateLimit: false }).get({ attachId: 1 })).id;
} catch (e) {
  report.getAfter = `failed: ${e}`;
}
console.log(JSON.stringify(report));
