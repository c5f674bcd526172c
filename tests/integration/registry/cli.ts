/**
 * Runs the real `spool` command as a child process (the workspace @spool/cli, as a user runs it), without
 * stdin, with colours off, and bounded in time.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** `bin/spool.js` of the workspace CLI. */
export const SPOOL_BIN = join(dirname(require.resolve('@spool/cli/package.json')), 'bin', 'spool.js');

if (!existsSync(join(dirname(SPOOL_BIN), '..', 'dist', 'index.js'))) {
  throw new Error(`${SPOOL_BIN} is not built: run \`pnpm --filter @spool/cli... build\` before these tests`);
}

/** What one run of `spool` produced. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runSpool}. */
export interface RunSpoolOptions {
  readonly cwd: string;
  /** The whole environment of the child (e.g. `registry.env()`); NO_COLOR is added. */
  readonly env: NodeJS.ProcessEnv;
  /** Kill the child after this long; default 60 s. */
  readonly timeoutMs?: number;
}

/** Runs `node bin/spool.js …args` and resolves with its exit code and output (never rejects on a non-zero exit). */
export function runSpool(args: readonly string[], options: RunSpoolOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SPOOL_BIN, ...args], {
      cwd: options.cwd,
      env: { ...options.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses the stdout of a `--json` run, with the whole result in the error when it is not JSON. */
export function jsonOf<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `not JSON (exit ${result.code}):\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
}
