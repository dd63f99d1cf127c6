// Child process: times parseVoteResponse or percentages at n and 4n in
// `runs` interleaved rounds, and prints one JSON line per run, so that the parent sees how
// far it got even if it must kill a run that goes quadratic. Also checks
// the decoded answer order and that single-choice percentages sum to 100.
// Input: { what: "decode" | "percentages", sizes: [n, 4n], runs, ceilingMs }.
import { loadNodeBuild, pollBody, voteCounts } from '../common.mjs';

const { what, sizes, runs, ceilingMs } = JSON.parse(process.argv[2]);
const { parseVoteResponse, percentages } = loadNodeBuild();

/** One workload of size n: a function to time, and a check of its result. */
function workload(n) {
  if (what === 'decode') {
    const body = pollBody(n);
    const expected = JSON.parse(body)
      .result.attach.QUESTIONS['1'].ANSWERS;
    const order = Object.values(expected)
      .map((a) => ({ id: Number(a.ID), sort: Number(a.C_SORT) }))
      .sort((a, b) => a.sort - b.sort || a.id - b.id)
      .map((a) => a.id);
    return {
      run: () => parseVoteResponse(body),
      check: (attach) => {
        const ids = attach.questions[0].answers.map((a) => a.id);
        return { answers: ids.length, ordered: ids.length === order.length && ids.every((id, i) => id === order[i]) };
      },
    };
  }
  const votes = voteCounts(n);
  return {
    run: () => percentages(votes),
    check: (shown) => ({ counts: shown.length, sum: shown.reduce((s, p) => s + p, 0) }),
  };
}

// Rounds interleave the sizes, so a burst of load from other processes on
// this shared machine slows both alike instead of skewing the ratio; the
// parent takes the fastest of them.
const workloads = sizes.map((n) => ({ n, ...workload(n) }));
for (let r = 0; r < runs; r++) {
  for (const { n, run, check } of workloads) {
    // CPU time of this process, not wall time: on a loaded machine a long
    // run is preempted more often than a short one, which skews the ratio.
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const result = run();
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000;
    if (performance.now() - wall0 > ceilingMs) process.exit(0);
    console.log(JSON.stringify({ n, run: r, ms, ...(r === 0 ? check(result) : {}) }));
    if (ms > ceilingMs) process.exit(0);
  }
}
console.log(JSON.stringify({ done: true }));
