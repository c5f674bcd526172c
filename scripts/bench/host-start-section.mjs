// Bench section 1: host start. (1a) in-process cost of the host, (1b) a cold `node` process that loads a
// JSON profile and logs on three light providers, over a bare `node -e 0`.
import { join } from 'node:path';
import { lightProfile, median, medianWallTime, ROOT, row, runNode } from './lib.mjs';

/** Bench section: host start figures. */
export const title = 'host start (three light providers)';

/** Runs the section and returns its rows. */
export function run({ runs = 30 } = {}) {
  const child = join(ROOT, 'scripts/bench/host-start-child.mjs');
  runNode([child]);
  const samples = Array.from({ length: runs }, () => JSON.parse(runNode([child]).stdout));
  // The issue states 1a "from core imported to three light fixture providers logged on": the span starts
  // once import('@spool/core') has resolved. The import itself is printed beside it (1b covers a cold process).
  const rows = [
    row('1a', 'core imported → 3 light providers logged on', median(samples.map((s) => s.startMs)), 10),
    row('1a', '  import(@spool/core) before it', median(samples.map((s) => s.importMs)), undefined),
    row('1a', '  both together', median(samples.map((s) => s.totalMs)), undefined),
  ];

  const profile = lightProfile();
  try {
    const baseline = medianWallTime(['-e', '0'], runs);
    const cold = medianWallTime([join(ROOT, 'scripts/bench/host-start.mjs'), profile.file], runs);
    rows.push(
      row(
        '1b',
        'cold `node host-start.mjs profile.json` over `node -e 0`',
        cold - baseline,
        50,
        `${cold.toFixed(1)} ms total`,
      ),
      row('1b', '  baseline `node -e 0`', baseline, undefined),
    );
  } finally {
    profile.cleanup();
  }
  return rows;
}
