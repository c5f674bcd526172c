import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/index.js';
import type { Output } from '../src/output.js';
import {
  NODE_FLAGS_ENV,
  RELAUNCHED_ENV,
  type RelaunchProcess,
  RUN_NODE_FLAGS,
  relaunchFlags,
  relaunchForRun,
} from '../src/relaunch.js';
import { startDaemon } from './daemon-helpers.js';
import { spool, temporaryDir } from './helpers.js';

const FLAG = '--max-semi-space-size=16';
const facts = (execArgv: readonly string[] = [], env: Record<string, string> = {}, canExecve = true) => ({
  execArgv,
  env,
  canExecve,
});

describe('relaunchFlags (whether spool run restarts Node with its flags)', () => {
  it('asks for --max-semi-space-size=16 when nothing says otherwise', () => {
    expect(RUN_NODE_FLAGS).toEqual([FLAG]);
    expect(relaunchFlags(facts())).toEqual([FLAG]);
    expect(relaunchFlags(facts(['--enable-source-maps', '--max-old-space-size=4096']))).toEqual([FLAG]);
    expect(relaunchFlags(facts([], { NODE_OPTIONS: '--expose-gc --import=./x.mjs' }))).toEqual([FLAG]);
    expect(relaunchFlags(facts([], { [NODE_FLAGS_ENV]: '' }))).toEqual([FLAG]);
    expect(relaunchFlags(facts([], { [NODE_FLAGS_ENV]: 'on' }))).toEqual([FLAG]);
  });

  it('does not restart without process.execve (Windows, older Node)', () => {
    expect(relaunchFlags(facts([], {}, false))).toBeNull();
  });

  it('does not restart a process that was already restarted (the loop guard)', () => {
    expect(relaunchFlags(facts([], { [RELAUNCHED_ENV]: '1' }))).toBeNull();
  });

  it(`does not restart when ${NODE_FLAGS_ENV} opts out`, () => {
    for (const value of ['off', 'OFF', ' off ', '0', 'false', 'no'])
      expect(relaunchFlags(facts([], { [NODE_FLAGS_ENV]: value })), value).toBeNull();
  });

  it('does not restart when the young generation is already set, on the command line or in NODE_OPTIONS', () => {
    for (const flag of [
      '--max-semi-space-size=64',
      '--max_semi_space_size=8',
      '--min-semi-space-size=4',
      '--semi-space-growth-factor=4',
      '--max-heap-size=512',
    ]) {
      expect(relaunchFlags(facts([flag])), flag).toBeNull();
      expect(relaunchFlags(facts([], { NODE_OPTIONS: `--enable-source-maps ${flag}` })), flag).toBeNull();
    }
    // The value as a separate argument.
    expect(relaunchFlags(facts(['--max-semi-space-size', '32']))).toBeNull();
  });

  it('does not restart under a debugger (it would cut the session off)', () => {
    for (const flag of ['--inspect', '--inspect-brk=9229', '--inspect-wait'])
      expect(relaunchFlags(facts([flag])), flag).toBeNull();
  });
});

describe('relaunchForRun', () => {
  const fake = (env: NodeJS.ProcessEnv, execve: RelaunchProcess['execve']): RelaunchProcess => ({
    execPath: '/usr/bin/node',
    execArgv: ['--enable-source-maps'],
    argv: ['/usr/bin/node', '/x/bin/spool.js', 'run', '--once'],
    env,
    execve,
  });

  it('replaces the process: flags first, then its own Node options and arguments, with the loop guard', () => {
    const execve = vi.fn();
    relaunchForRun(fake({ HOME: '/h' }, execve as unknown as RelaunchProcess['execve']));
    expect(execve).toHaveBeenCalledOnce();
    expect(execve).toHaveBeenCalledWith(
      '/usr/bin/node',
      ['/usr/bin/node', FLAG, '--enable-source-maps', '/x/bin/spool.js', 'run', '--once'],
      { HOME: '/h', [RELAUNCHED_ENV]: '1' },
    );
  });

  it('carries on in this process when execve throws, and does not call it when opted out', () => {
    const failing = vi.fn(() => {
      throw new Error('EACCES');
    });
    expect(() => relaunchForRun(fake({}, failing as unknown as RelaunchProcess['execve']))).not.toThrow();
    expect(failing).toHaveBeenCalledOnce();
    const execve = vi.fn();
    relaunchForRun(fake({ [NODE_FLAGS_ENV]: 'off' }, execve as unknown as RelaunchProcess['execve']));
    expect(execve).not.toHaveBeenCalled();
  });
});

describe('main() asks for the restart only for spool run', () => {
  const silent: Output = {
    line: () => {},
    json: () => {},
    warn: () => {},
    error: () => {},
    style: { bold: (t) => t, dim: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t },
  };

  it('calls io.relaunch for `run` and `run --once` (before the profile is opened), for nothing else', async () => {
    const dir = temporaryDir(); // no profile: every command below stops at once
    const calls = (argv: string[]) => {
      const relaunch = vi.fn();
      return main(argv, { out: silent, cwd: dir, env: {}, relaunch }).then(() => relaunch.mock.calls.length);
    };
    expect(await calls(['run', '--once'])).toBe(1);
    expect(await calls(['run'])).toBe(1);
    expect(await calls(['list', 'outbox'])).toBe(0);
    expect(await calls(['flush'])).toBe(0);
    expect(await calls(['run', '--help'])).toBe(0);
    expect(await calls(['run', '--limit', '3'])).toBe(0); // a usage error
  });
});

/** What the probe module recorded: one line when a process starts, one when it exits. */
interface ProbeRecord {
  at: 'start' | 'exit';
  pid: number;
  execArgv: string[];
}

/**
 * A module loaded through NODE_OPTIONS=--import into every Node process the bin becomes; it appends a
 * record at start and at exit to `file` (the exit record is only written by the process that exits, since
 * execve skips exit handlers).
 */
function probe(dir: string): { env: NodeJS.ProcessEnv; records: () => ProbeRecord[] } {
  const file = join(dir, 'probe.ndjson');
  const module = join(dir, 'probe.mjs');
  writeFileSync(
    module,
    `import { appendFileSync } from 'node:fs';
const record = (at) => appendFileSync(${JSON.stringify(file)}, JSON.stringify({ at, pid: process.pid, execArgv: process.execArgv }) + '\\n');
record('start');
process.on('exit', () => record('exit'));
`,
  );
  return {
    env: {
      NODE_OPTIONS: `--import=${pathToFileURL(module).href}`,
      [NODE_FLAGS_ENV]: undefined,
      [RELAUNCHED_ENV]: undefined,
    },
    records: () =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ProbeRecord),
  };
}

/** A profile directory (spool init) with one queued message. */
function queuedDir(): string {
  const dir = temporaryDir();
  expect(spool(['init'], dir).code).toBe(0);
  const sent = spool(
    ['send', '--from', 'LOOP:me', '--to', 'LOOP:you', '--subject', 'Hi', '--body', 'x'],
    dir,
  );
  expect(sent.code).toBe(0);
  return dir;
}

describe('the spool bin restarts spool run with --max-semi-space-size=16', () => {
  it('spool run --once: restarted once, same PID, and the pass runs in the restarted process', () => {
    const dir = queuedDir();
    const { env, records } = probe(dir);
    const result = spool(['run', '--once', '--json'], dir, env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ delivered: 1, error: null });
    const seen = records();
    expect(seen.map((r) => r.at)).toEqual(['start', 'start', 'exit']);
    expect(seen[0]?.execArgv).not.toContain(FLAG);
    expect(seen.at(-1)?.execArgv).toContain(FLAG);
    expect(new Set(seen.map((r) => r.pid)).size).toBe(1);
  });

  it(`spool run --once with ${NODE_FLAGS_ENV}=off: no restart, Node's defaults`, () => {
    const dir = queuedDir();
    const { env, records } = probe(dir);
    const result = spool(['run', '--once', '--json'], dir, { ...env, [NODE_FLAGS_ENV]: 'off' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ delivered: 1 });
    const seen = records();
    expect(seen.map((r) => r.at)).toEqual(['start', 'exit']);
    expect(seen.at(-1)?.execArgv).not.toContain(FLAG);
  });

  it('other commands (spool list outbox) are not restarted', () => {
    const dir = queuedDir();
    const { env, records } = probe(dir);
    expect(spool(['list', 'outbox'], dir, env).code).toBe(0);
    const seen = records();
    expect(seen.map((r) => r.at)).toEqual(['start', 'exit']);
    expect(seen.at(-1)?.execArgv).not.toContain(FLAG);
  });

  it('the daemon (spool run) is restarted too, keeping the PID its parent knows', async () => {
    const dir = queuedDir();
    const { env, records } = probe(dir);
    const cleanup: (() => void)[] = [];
    try {
      const daemon = await startDaemon(dir, [], cleanup, env); // checks started.pid === child.pid
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
      const seen = records();
      expect(seen.map((r) => r.at)).toEqual(['start', 'start', 'exit']);
      expect(seen.at(-1)).toMatchObject({ pid: daemon.child.pid });
      expect(seen.at(-1)?.execArgv).toContain(FLAG);
    } finally {
      for (const stop of cleanup) stop();
    }
  });
});
