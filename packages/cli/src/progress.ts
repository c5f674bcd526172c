import type { FlushProgress } from '@spool/core';
import type { Output } from './output.js';

const BAR_WIDTH = 24;

/** `[#########---------------]`: done of total, in BAR_WIDTH cells. */
function bar(done: number, total: number): string {
  const filled = total <= 0 ? BAR_WIDTH : Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

/**
 * Shows flush progress: on a terminal one bar per logon and direction, redrawn in place; otherwise a plain
 * line whenever a count moves (logs and pipes get every step, no escape codes). Returns the last progress
 * of each logon and direction, for `--json` and the summary.
 */
export function flushProgressView(out: Output, quiet: boolean) {
  const last = new Map<string, FlushProgress>();
  return {
    update(progress: FlushProgress): void {
      const key = `${progress.logonId} ${progress.direction}`;
      const before = last.get(key);
      last.set(key, progress);
      if (quiet || (before && before.done === progress.done && before.total === progress.total)) return;
      if (out.live) {
        const width = Math.max(...[...last.values()].map((p) => p.logonId.length));
        out.live(
          [...last.values()].map((p) => {
            const line = `${p.logonId.padEnd(width)}  ${p.direction.padEnd(8)}  ${bar(p.done, p.total)}  ${p.done}/${p.total}`;
            return p.done >= p.total ? out.style.green(line) : line;
          }),
        );
      } else
        out.line(`${progress.logonId}  ${progress.direction.padEnd(8)}  ${progress.done}/${progress.total}`);
    },
    get last(): FlushProgress[] {
      return [...last.values()];
    },
  };
}
