// `spool run` restarts itself once, in place, with a smaller young generation for V8.
//
// Why: V8 sizes the young generation (two semi-spaces) from the machine's memory and, under sustained load
// like a drain, grows it to its maximum: 2 × 64 MB on a 24 GB machine, most of it resident. The spooler's
// garbage is short-lived and small, so 16 MB semi-spaces keep the same throughput at a third less peak
// RSS (measured: `spool run --once` draining 100,000 queued messages peaks at ~160 MB instead of ~250 MB).
// The flag cannot be changed after V8 has started, and a library must never change its host's flags; but
// `spool run` is our own long-running process, so the bin restarts it once through `process.execve`: same
// PID, same stdio, no parent left behind. It is an optimisation only: when it cannot or should not happen,
// the command simply runs in the first process.

/** The Node/V8 flags `spool run` starts Node with. */
export const RUN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/** Opt-out: `SPOOL_NODE_FLAGS=off` (or `0`, `false`, `no`) keeps Node's defaults for `spool run`. */
export const NODE_FLAGS_ENV = 'SPOOL_NODE_FLAGS';

/** Set in the restarted process's environment, so it never restarts again. */
export const RELAUNCHED_ENV = 'SPOOL_RELAUNCHED';

/** Flags that already set the young generation's size: the user's choice wins, no restart. */
const YOUNG_GENERATION_FLAGS = new Set([
  'max-semi-space-size',
  'min-semi-space-size',
  'semi-space-growth-factor',
  'max-heap-size',
]);

/** A debugger is attached to this process: restarting would cut it off, so do not. */
const DEBUG_FLAGS = new Set(['inspect', 'inspect-brk', 'inspect-wait']);

/** The facts the restart decision depends on. */
export interface RelaunchFacts {
  /** The process's Node options on the command line (`process.execArgv`). */
  readonly execArgv: readonly string[];
  /** The environment (`NODE_OPTIONS`, the opt-out and the loop guard are read from it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether `process.execve` exists (POSIX, Node ≥ 22.15). */
  readonly canExecve: boolean;
}

/** `--max_semi_space_size=32` → `max-semi-space-size` (V8 accepts `_` and `-` alike); non-flags → undefined. */
function flagName(arg: string): string | undefined {
  if (!arg.startsWith('--')) return undefined;
  return arg.slice(2).split('=', 1)[0]?.replaceAll('_', '-');
}

/**
 * The flags to restart `spool run` with, or `null` to run in this process: no `process.execve`, already
 * restarted, opted out with {@link NODE_FLAGS_ENV}, the young generation already set (on the command line
 * or in `NODE_OPTIONS`), or a debugger flag present.
 */
export function relaunchFlags({ execArgv, env, canExecve }: RelaunchFacts): readonly string[] | null {
  if (!canExecve) return null;
  if (env[RELAUNCHED_ENV]) return null;
  if (/^(off|0|false|no)$/i.test(env[NODE_FLAGS_ENV]?.trim() ?? '')) return null;
  const nodeOptions = (env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  for (const arg of [...execArgv, ...nodeOptions]) {
    const name = flagName(arg);
    if (name && (YOUNG_GENERATION_FLAGS.has(name) || DEBUG_FLAGS.has(name))) return null;
  }
  return RUN_NODE_FLAGS;
}

/** What {@link relaunchForRun} uses of `process` (a parameter so tests can pass a fake). */
export interface RelaunchProcess {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly execve?: (file: string, args?: readonly string[], env?: NodeJS.ProcessEnv) => never;
}

/**
 * Restarts this process in place with {@link RUN_NODE_FLAGS} when {@link relaunchFlags} says so; returns
 * (and the command runs here) otherwise, or when `execve` fails. Only the bin calls it, for `spool run`,
 * before anything is opened: nothing of this process survives the restart but its PID and stdio.
 */
export function relaunchForRun(proc: RelaunchProcess = process): void {
  const flags = relaunchFlags({
    execArgv: proc.execArgv,
    env: proc.env,
    canExecve: typeof proc.execve === 'function',
  });
  if (!flags || !proc.execve) return;
  try {
    proc.execve(proc.execPath, [proc.execPath, ...flags, ...proc.execArgv, ...proc.argv.slice(1)], {
      ...proc.env,
      [RELAUNCHED_ENV]: '1',
    });
  } catch {
    // An optimisation, never a failure: run with Node's defaults in this process.
  }
}
