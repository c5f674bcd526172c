// Shared helpers for the bench sections (scripts/bench/*.mjs). Plain ESM, no dependencies: it runs after
// `pnpm build` against the built packages, the way users get them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built @spool/core entry. */
// SPOOL_BENCH_CORE_DIST points a run at another build of core (A/B comparisons of a change on a busy machine).
export const CORE_DIST = process.env.SPOOL_BENCH_CORE_DIST ?? join(ROOT, 'packages/core/dist/index.js');
/** The built `@spool/core/internal` entry beside it, where the provider host lives (the host-start figures). */
export const CORE_INTERNAL_DIST = join(dirname(CORE_DIST), 'internal.js');
/** The fixture profile directory whose node_modules holds the light providers. */
export const FIXTURE_DIR = join(ROOT, 'packages/core/test/fixtures/profile');
/** The three light fixture providers every host-start figure logs on. */
export const LIGHT_PROVIDERS = ['light-a', 'light-b', 'light-c'];

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `node …args` to completion; throws with its stderr when it fails. Returns stdout and wall time (ms). */
export function runNode(args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ROOT, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  }
  return { stdout: result.stdout, ms };
}

/** The median wall time of `runs` fresh `node …args` processes. */
export function medianWallTime(args, runs) {
  runNode(args); // warm the file-system cache; not counted
  const times = [];
  for (let i = 0; i < runs; i++) times.push(runNode(args).ms);
  return median(times);
}

/**
 * A temporary profile directory laid out like a user's: a JSON profile naming the light providers, and a
 * node_modules that links to the fixture packages. Returns the profile file and a cleanup function.
 */
export function lightProfile() {
  const dir = mkdtempSync(join(tmpdir(), 'spool-bench-'));
  mkdirSync(join(dir, 'node_modules'));
  for (const name of LIGHT_PROVIDERS) {
    const pkg = `spool-provider-${name}`;
    symlinkSync(join(FIXTURE_DIR, 'node_modules', pkg), join(dir, 'node_modules', pkg), 'dir');
  }
  const file = join(dir, 'spool.config.json');
  writeFileSync(file, JSON.stringify({ providers: LIGHT_PROVIDERS.map((provider) => ({ provider })) }));
  return { file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A bench row: one figure, with its target (≤) and what it was measured against. */
export function row(section, figure, ms, target, against = '') {
  return { section, figure, ms, target, against };
}
