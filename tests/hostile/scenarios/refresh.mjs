// Child process: an OAuth client whose refresh callback misbehaves as
// `mode` says, then behaves (hostile-values.mjs misbehavingRefresh).
// Input: { portal, mode }.
import { loadNodeBuild, describeThrown } from '../common.mjs';
import { misbehavingRefresh } from '../hostile-values.mjs';

const { portal, mode } = JSON.parse(process.argv[2]);
process.on('uncaughtException', (e) => {
  console.log(JSON.stringify({ uncaught: describeThrown(e) }));
  process.exit(3);
});
console.log(JSON.stringify(await misbehavingRefresh(loadNodeBuild(), portal, mode)));
