import { createRequire } from 'node:module';

/**
 * SPI range checks on the host's start path. The host's own versions are plain `MAJOR.MINOR.PATCH`, and
 * nearly every manifest says `^MAJOR.MINOR.0`, so those common forms are decided here in microseconds; any
 * other range falls back to the `semver` package, loaded only then (loading all of it costs ~25 ms, which is
 * more than the whole host start is allowed). The fast path is tested against semver on a table of ranges.
 */
type Triple = readonly [number, number, number];

const TRIPLE = /^v?(\d+)\.(\d+)\.(\d+)$/;
const SIMPLE = /^\s*(\^|~|>=|=)?\s*v?(\d+)\.(\d+)\.(\d+)\s*$/;

let semver: typeof import('semver') | undefined;
function slow(): typeof import('semver') {
  semver ??= createRequire(import.meta.url)('semver') as typeof import('semver');
  return semver;
}

function parse(version: string): Triple | undefined {
  const m = TRIPLE.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The bounds [lower, upper) of a simple range, or undefined when it is not one of the simple forms. */
function simpleBounds(range: string): { lower: Triple; upper: Triple | undefined } | undefined {
  if (range.trim() === '*' || range.trim() === '') return { lower: [0, 0, 0], upper: undefined };
  const m = SIMPLE.exec(range);
  if (!m) return undefined;
  const lower: Triple = [Number(m[2]), Number(m[3]), Number(m[4])];
  const [major, minor, patch] = lower;
  switch (m[1]) {
    case '^':
      return {
        lower,
        upper: major > 0 ? [major + 1, 0, 0] : minor > 0 ? [0, minor + 1, 0] : [0, 0, patch + 1],
      };
    case '~':
      return { lower, upper: [major, minor + 1, 0] };
    case '>=':
      return { lower, upper: undefined };
    default:
      return { lower, upper: [major, minor, patch + 1] };
  }
}

/** True when `range` is a valid semver range. */
export function isValidRange(range: string): boolean {
  return simpleBounds(range) !== undefined || slow().validRange(range) !== null;
}

/** The highest of `versions` that `range` accepts, or null (semver's `maxSatisfying`). */
export function maxSatisfying(versions: readonly string[], range: string): string | null {
  const bounds = simpleBounds(range);
  const parsed = versions.map((v) => [v, parse(v)] as const);
  if (!bounds || parsed.some(([, p]) => p === undefined)) return slow().maxSatisfying([...versions], range);
  let best: readonly [string, Triple] | undefined;
  for (const [version, triple] of parsed as (readonly [string, Triple])[]) {
    if (compare(triple, bounds.lower) < 0 || (bounds.upper && compare(triple, bounds.upper) >= 0)) continue;
    if (!best || compare(triple, best[1]) > 0) best = [version, triple];
  }
  return best?.[0] ?? null;
}

/** The lowest version `range` accepts (semver's `minVersion`), as a string. */
export function minVersion(range: string): string | undefined {
  const bounds = simpleBounds(range);
  if (bounds) return bounds.lower.join('.');
  return slow().minVersion(range)?.version;
}

/** True when version `a` is greater than `b`. */
export function greaterThan(a: string, b: string): boolean {
  const pa = parse(a);
  const pb = parse(b);
  return pa && pb ? compare(pa, pb) > 0 : slow().gt(a, b);
}
