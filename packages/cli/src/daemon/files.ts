import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, CliErrorCode } from '../errors.js';

/**
 * The daemon's files live in `<profile dir>/.spool/`: `daemon.lock` (the pid of the daemon holding the
 * profile) and `daemon.json` (how to reach it). Both are removed when the daemon exits.
 */
export function daemonDir(profileDir: string): string {
  return join(profileDir, '.spool');
}

/** How a client reaches the daemon; written to daemon.json with mode 0600 (the token is a secret). */
export interface DaemonInfo {
  readonly pid: number;
  readonly port: number;
  /** The bearer token every request but /healthz must carry. */
  readonly token: string;
  /** ISO 8601 time the daemon started. */
  readonly started: string;
  /** The profile file the daemon runs. */
  readonly profile: string | null;
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<profile dir>/.spool/daemon.lock` for this process: created exclusively, so two daemons starting at
 * once cannot both win. A lock left by a dead process is taken over; a live one is a coded error naming its
 * pid. Returns a function that releases the lock (only if it is still ours).
 */
export function acquireDaemonLock(profileDir: string, profileFile: string | undefined): () => void {
  const dir = daemonDir(profileDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'daemon.lock');
  // Bounded: each round either creates the file or removes a stale one; a third loss means a race we give up on.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (readPid(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readPid(file);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new CliError(
        CliErrorCode.DAEMON_RUNNING,
        `a spool daemon (pid ${holder}) already runs on the profile ${profileFile ?? profileDir}`,
        {
          hint: `Stop it first (kill ${holder}), or use it: every command goes through a running daemon. If pid ${holder} is not a spool daemon, delete ${file}.`,
          details: { pid: holder, lock: file },
        },
      );
    }
    // The holder is gone (or the file is half-written by a crash): the lock is stale.
    rmSync(file, { force: true });
  }
  throw new CliError(
    CliErrorCode.DAEMON_RUNNING,
    `could not take the daemon lock ${file}: another spool run keeps taking it`,
    { hint: 'Start one daemon per profile; retry when the other one has settled.', details: { lock: file } },
  );
}

/** The daemon.json path of a profile directory. */
export function daemonInfoFile(profileDir: string): string {
  return join(daemonDir(profileDir), 'daemon.json');
}

/** Writes daemon.json atomically (temporary file + rename), readable by its owner only. */
export function writeDaemonInfo(profileDir: string, info: DaemonInfo): string {
  const file = daemonInfoFile(profileDir);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
  return file;
}

/** Removes daemon.json if it still describes this process (a successor may have written its own). */
export function removeDaemonInfo(profileDir: string): void {
  const file = daemonInfoFile(profileDir);
  if (readDaemonInfo(profileDir)?.pid === process.pid) rmSync(file, { force: true });
}

/** Reads daemon.json, or undefined when it is missing or unreadable. */
export function readDaemonInfo(profileDir: string): DaemonInfo | undefined {
  try {
    const value = JSON.parse(readFileSync(daemonInfoFile(profileDir), 'utf8')) as Partial<DaemonInfo>;
    if (typeof value.pid !== 'number' || typeof value.port !== 'number' || typeof value.token !== 'string')
      return undefined;
    return {
      pid: value.pid,
      port: value.port,
      token: value.token,
      started: typeof value.started === 'string' ? value.started : new Date(0).toISOString(),
      profile: typeof value.profile === 'string' ? value.profile : null,
    };
  } catch {
    return undefined;
  }
}
