// Regenerates README.md's "Performance" and "Reliability" tables from
// target/bench.json, between <!-- bench:start -->/<!-- bench:end --> and
// <!-- reliability:start -->/<!-- reliability:end -->. Nothing else changes; a
// block whose figures target/bench.json lacks entirely (`make bench` before
// any `make test`) is left as it is.
//
//   node tests/bench/readme-tables.mjs [--check]
// --check: exit 1 if README.md is not what the figures say (for CI).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../reliability/common.mjs';

const readme = process.env.README_PATH || path.join(ROOT, 'README.md');
const benchFile = path.join(ROOT, 'target/bench.json');
if (!fs.existsSync(benchFile)) {
  console.error('target/bench.json is missing: run `make bench` and `make test` first');
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(benchFile, 'utf8'));
const n = (x, digits = 0) => Number(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const missing = '(not measured yet)';

function performance() {
  if (!['decode', 'large', 'size', 'browser', 'throughput'].some((k) => r[k])) return null;
  const rows = [];
  const d = r.decode?.workloads;
  if (d) {
    for (const [name, w] of Object.entries(d)) {
      rows.push([`Decode + tally, ${name} (${n(w.bytes)} bytes)`,
        `parseVoteResponse ${n(w.parseVoteResponseUs, 1)} µs; JSON.parse alone ${n(w.jsonParseUs, 1)} µs (×${n(w.cOverA, 2)}); hand-written JS ${n(w.handWrittenUs, 1)} µs (×${n(w.cOverB, 2)})`,
        `\`${r.decode.command}\``]);
    }
  } else rows.push(['Decode + tally', missing, '`node tests/bench/bench.mjs decode`']);
  const large = r.large?.workloads;
  if (large) {
    for (const [name, w] of Object.entries(large)) {
      rows.push([`Large input: ${name}${w.bytes ? ` (${n(w.bytes)} bytes)` : ''}`, `${n(w.medianMs, 1)} ms median of ${w.runs} (target < ${r.large.targetMs} ms)`, `\`${r.large.command}\``]);
    }
  } else rows.push(['Large inputs (10,000 answers, 100,000 counts)', missing, '`node tests/bench/bench.mjs large`']);
  rows.push(r.size?.appGzipBytes
    ? [`Bytes on the wire: a minimal recall app built by Vite ${r.size.vite}, gzip -9 of every asset`, `${n(r.size.appGzipBytes)} bytes; the same app on b24jssdk 2.2: ${n(r.size.b24jssdkAppGzipBytes)} (×${n(r.size.ratio, 2)}; cap ×1.00, goal ${n(r.size.goal)})`, `\`${r.size.command}\``]
    : ['Bytes on the wire', missing, '`node tests/bench/bench.mjs size`']);
  rows.push(r.browser
    ? ['Requests per call, Chromium, cross-origin', `${n(r.browser.requestsPerCall, 2)} (${n(r.browser.requests)} requests, ${n(r.browser.preflights)} preflights for ${n(r.browser.calls)} recall calls)`, `\`${r.browser.command}\``]
    : ['Requests per call', missing, '`node tests/bench/browser.mjs`']);
  const t = r.throughput;
  rows.push(t
    ? [`Throughput, ${t.calls} get calls at once, portal --rate ${t.burst}/${t.perSecond}`, `${n(t.seconds, 2)} s (minimum ${n(t.minimumSeconds, 2)} s); ${n(t.status503)} × 503 sent; ${n(t.failed)} failed`, `\`${t.command}\``]
    : ['Throughput', missing, '`node tests/bench/bench.mjs throughput`']);
  const cold = r.browser?.coldStart;
  rows.push(cold
    ? ['Cold start, Chromium (import + init of the Vite-built recall app, fresh context)', `${n(cold['b24-vote'].medianMs, 1)} ms median of ${cold['b24-vote'].runs.length}; the b24jssdk app (frame client in a portal frame): ${n(cold.b24jssdk.medianMs, 1)} ms`, `\`${r.browser.command}\``]
    : ['Cold start', missing, '`node tests/bench/browser.mjs`']);
  return table(['Measure', 'Result', 'Command'], rows);
}

function reliability() {
  if (!['faultMatrix', 'soak', 'fuzz'].some((k) => r[k])) return null;
  const rows = [];
  const f = r.faultMatrix;
  if (f) {
    const sum = (k) => f.cells.reduce((s, c) => s + c[k], 0);
    rows.push([`Fault matrix (${f.cells.length / 2} fault kinds × read/write, ${f.callsPerCell} calls each)`,
      `${n(f.total)} calls: ${n(sum('resolved'))} resolved correctly, ${n(sum('typedError'))} typed errors with the right code, ${n(f.hung)} hung, ${n(f.wrong)} wrong`, `\`${f.command}\``]);
  } else rows.push(['Fault matrix', missing, '`node --test tests/reliability/`']);
  const s = r.soak;
  rows.push(s
    ? [`Soak (${n(s.calls)} mixed calls, ${s.workers} workers)`, `${n(s.unexpectedErrors)} unexpected errors; ${n(s.lost)} lost, ${n(s.doubleCounted)} double-counted; wasm memory ${n(s.memoryAtCheckpoint)} → ${n(s.memoryAtEnd)} bytes (call ${s.checkpoint} → ${n(s.calls)})`, `\`${s.command}\``]
    : ['Soak', missing, '`node --test tests/reliability/`']);
  const z = r.fuzz;
  rows.push(z
    ? ['Fuzzing the decoder (proptest, fixed seed)', `${n(z.inputs)} inputs in ${n(z.seconds, 0)} s, ${n(z.crashes)} crashes`, `\`${z.command}\``]
    : existingRow('reliability', 'Fuzzing') ?? ['Fuzzing', missing, '`tests/reliability/fuzz.sh`']);
  // Rows written by hand (the hostile suite's) stay as they are.
  const hostile = existingRow('reliability', 'Hostile input');
  if (hostile) rows.push(hostile);
  return table(['Check', 'Result', 'Command'], rows);
}

/** The README's current row of block `name` whose first cell starts with `label`. */
function existingRow(name, label) {
  const text = fs.readFileSync(readme, 'utf8');
  const block = text.slice(text.indexOf(`<!-- ${name}:start -->`), text.indexOf(`<!-- ${name}:end -->`));
  const line = block.split('\n').find((l) => l.startsWith(`| ${label}`));
  if (!line) return null;
  // Cells split on ' | ', so that pipes inside code spans stay put.
  return line.slice(2, -2).split(' | ');
}

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function replace(text, name, body) {
  if (body === null) return text;
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) {
    console.error(`README.md has no ${start} … ${end} markers`);
    process.exit(1);
  }
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}

const before = fs.readFileSync(readme, 'utf8');
let after = replace(before, 'bench', performance());
after = replace(after, 'reliability', reliability());
if (process.argv.includes('--check')) {
  if (after !== before) {
    console.error('README.md tables are out of date: run `node tests/bench/readme-tables.mjs`');
    process.exit(1);
  }
  console.log('README.md tables match target/bench.json');
} else if (after !== before) {
  fs.writeFileSync(readme, after);
  console.log('README.md: Performance and Reliability tables regenerated from target/bench.json');
} else console.log('README.md: tables already up to date');
