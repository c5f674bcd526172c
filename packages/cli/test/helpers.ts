import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The built command, as a user runs it. */
export const BIN = resolve(here, '../bin/spool.js');
/** Fixture provider folders (plain folders, linked by path). */
export const FIXTURES = resolve(here, 'fixtures');

const required = [
  resolve(here, '../dist/index.js'),
  resolve(here, '../../../providers/loopback/dist/index.js'),
];
for (const file of required) {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` before the CLI tests`);
}

/** What a run of `spool` produced. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/spool.js …args` in `cwd`, with colours off and no standard input. */
export function spool(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const temporaryDirs: string[] = [];
/** A temporary directory removed after the test. */
export function temporaryDir(prefix = 'spool-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Copies a fixture provider folder into `dir` and returns the copy's path. */
export function copyFixture(name: string, dir: string): string {
  const target = join(dir, name);
  cpSync(join(FIXTURES, name), target, { recursive: true });
  return target;
}
