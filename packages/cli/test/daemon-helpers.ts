import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import { BIN, checkJsonOutput } from './helpers.js';

/** What `spool run` wrote to daemon.json. */
export interface DaemonFile {
  pid: number;
  port: number;
  token: string;
  started: string;
  profile: string | null;
}

/** One log record of the daemon (pino JSON lines on stderr). */
export interface LogRecord {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A `spool run --json` process: its stdout events one by one, its stderr log, and how to stop it. */
export interface DaemonProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** The next stdout event (each validated against run-event.schema.json); throws if the daemon ended. */
  next(): Promise<Record<string, unknown>>;
  /** Skips events until one matches `predicate` (at most `limit` events). */
  until(
    predicate: (event: Record<string, unknown>) => boolean,
    limit?: number,
  ): Promise<Record<string, unknown>>;
  /** The log records so far. */
  logs(): LogRecord[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** daemon.json as written. */
  info(): DaemonFile;
  /** Authorised request to the daemon's API. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

/** Starts `spool run --json` in `dir` and waits for its `started` event. Killed with SIGKILL by `cleanup`. */
export async function startDaemon(
  dir: string,
  extra: readonly string[] = [],
  cleanup: (() => void)[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<DaemonProcess & { started: Record<string, unknown> }> {
  const child = spawn(process.execPath, [BIN, 'run', '--json', ...extra], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`spool run ended early; stderr:\n${stderr}`);
    checkJsonOutput(['run'], value);
    return JSON.parse(value) as Record<string, unknown>;
  };
  const until = async (predicate: (event: Record<string, unknown>) => boolean, limit = 10_000) => {
    for (let i = 0; i < limit; i++) {
      const event = await next();
      if (predicate(event)) return event;
    }
    throw new Error('the expected event did not come');
  };
  const info = () => JSON.parse(readFileSync(join(dir, '.spool', 'daemon.json'), 'utf8')) as DaemonFile;
  const started = await next();
  expect(started).toMatchObject({ event: 'started', pid: child.pid });
  return {
    child,
    started,
    next,
    until,
    exited,
    info,
    logs: () =>
      stderr
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as LogRecord),
    api: (path, init = {}) => {
      const { port, token } = info();
      return fetch(`http://127.0.0.1:${port}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...((init.headers as Record<string, string>) ?? {}) },
        signal: AbortSignal.timeout(30_000),
      });
    },
  };
}

/** The daemon's request log lines, as `METHOD path status`. */
export function requestLog(daemon: DaemonProcess): string[] {
  return daemon
    .logs()
    .filter((record) => record.msg === 'request')
    .map((record) => `${record.method} ${record.path} ${record.status}`);
}

/** Polls `check` every 100 ms, at most `tries` times, until it returns a value. */
export async function eventually<T>(check: () => T | undefined, tries = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up after ${tries} tries`);
}
