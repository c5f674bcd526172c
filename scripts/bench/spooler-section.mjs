// Bench section 2: the spooler (issue figures a–g), each measured in a fresh child process beside the
// physical ceiling measured in the same run, so the ratios hold on any machine.
import { join } from 'node:path';
import { ROOT, runNode } from './lib.mjs';

/** Bench section: spooler throughput, latency, memory and commit figures. */
export const title = 'spooler (loopback, embedded store defaults)';

const child = join(ROOT, 'scripts/bench/spooler-child.mjs');
const measure = (figure, n) =>
  JSON.parse(runNode(['--expose-gc', child, figure, ...(n ? [String(n)] : [])]).stdout);

/** Runs the section and returns its rows ({ value, unit, target, atLeast } rows); BENCH_QUICK=1: smaller runs. */
export function run({ quick = process.env.BENCH_QUICK === '1' } = {}) {
  const fsync = measure('fsync');
  // (a) and (b) swing by ±15 % from run to run on a VM (the disk more than the CPU): three interleaved pairs,
  // each figure their median, so one slow run of either side does not decide the ratio.
  const pairs = Array.from({ length: quick ? 1 : 3 }, () => ({
    ceiling: measure('ceiling', quick ? 20_000 : 50_000),
    throughput: measure('throughput', quick ? 5_000 : 20_000),
  }));
  const middle = (runs) =>
    [...runs].sort((x, y) => x.messagesPerSecond - y.messagesPerSecond)[runs.length >> 1];
  const spread = (runs) => {
    const rates = runs.map((r) => Math.round(r.messagesPerSecond)).sort((x, y) => x - y);
    return rates.length > 1 ? `median of ${rates.length}: ${rates.join(', ')}` : undefined;
  };
  const ceiling = middle(pairs.map((p) => p.ceiling));
  const throughput = middle(pairs.map((p) => p.throughput));
  const latency = measure('latency', quick ? 100 : 300);
  // (e) is `spool run --once` (the process users run, restarted with --max-semi-space-size=16); (e′) the same
  // drain by the library embedded in a process with Node's default young generation, for comparison.
  const drain = measure('drain', quick ? 10_000 : 100_000);
  const drainEmbedded = measure('drainEmbedded', quick ? 10_000 : 100_000);
  const pickup = measure('pickup', quick ? 15 : 40);
  const fixed = (v, d = 1) => Number(v.toFixed(d));
  return [
    {
      section: 'a',
      figure: 'end to end through loopback, 256 submitters, ~2 KiB',
      value: fixed(throughput.messagesPerSecond, 0),
      unit: 'msg/s',
      against: spread(pairs.map((p) => p.throughput)),
    },
    {
      section: 'b',
      figure: 'raw ceiling: bare node:sqlite, same PRAGMAs, 100 rows/txn',
      value: fixed(ceiling.messagesPerSecond, 0),
      unit: 'msg/s',
      against: spread(pairs.map((p) => p.ceiling)),
    },
    {
      section: 'c',
      figure: 'ratio a / b',
      value: fixed(throughput.messagesPerSecond / ceiling.messagesPerSecond, 3),
      unit: '',
      target: 0.25,
      atLeast: true,
    },
    {
      section: 'd',
      figure: 'submit → Sent, lone message, p50',
      value: fixed(latency.p50, 2),
      unit: 'ms',
      target: 10,
    },
    { section: 'd', figure: 'submit → Sent, lone message, p99', value: fixed(latency.p99, 2), unit: 'ms' },
    {
      section: 'e',
      figure: `peak RSS draining ${drain.n.toLocaleString('en')} queued: spool run --once`,
      value: fixed(drain.peakRssMb, 0),
      unit: 'MB',
      target: 200,
      against: `${fixed(drain.messagesPerSecond, 0)} msg/s; node ${drain.execArgv.join(' ') || '(no flags)'}`,
    },
    {
      section: 'e′',
      figure: `the same drain, library embedded, Node's default young generation`,
      value: fixed(drainEmbedded.peakRssMb, 0),
      unit: 'MB',
      against: `${fixed(drainEmbedded.messagesPerSecond, 0)} msg/s`,
    },
    {
      section: 'f',
      figure: 'commits per delivered message',
      value: fixed(throughput.commitsPerMessage, 3),
      unit: '',
      target: 0.12,
    },
    {
      section: 'h',
      figure: 'submit from another process → Sent, p99',
      value: fixed(pickup.p99, 1),
      unit: 'ms',
      target: 100,
      against: `p50 ${fixed(pickup.p50, 1)} ms`,
    },
    {
      section: 'g',
      figure: 'disk fsync (4 KiB write + fsync), p50',
      value: fixed(fsync.p50, 3),
      unit: 'ms',
      against: `p99 ${fixed(fsync.p99, 2)} ms`,
    },
  ];
}
