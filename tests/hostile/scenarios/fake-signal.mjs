// Child process: fake AbortSignals as CallOptions.signal, then a good call
// (hostile-values.mjs fakeSignals). Input: { portal }.
import { loadNodeBuild, describeThrown } from '../common.mjs';
import { fakeSignals } from '../hostile-values.mjs';

const { portal } = JSON.parse(process.argv[2]);
process.on('uncaughtException', (e) => {
  console.log(JSON.stringify({ uncaught: describeThrown(e) }));
  process.exit(3);
});
console.log(JSON.stringify(await fakeSignals(loadNodeBuild(), `${portal}/rest/1/abc123/`)));
