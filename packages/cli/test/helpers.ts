import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@cfworker/json-schema';
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

/**
 * Runs `node bin/spool.js …args` in `cwd`, with colours off and no standard input. A successful `--json`
 * run's stdout is checked against the command's shipped JSON Schema (see {@link checkJsonOutput}).
 */
export function spool(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  if (result.status === 0 && args.includes('--json')) checkJsonOutput(args, result.stdout);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The shipped schemas (packages/cli/schemas/<name>.schema.json). */
export const SCHEMAS = resolve(here, '../schemas');

/** The schema name of a command line: `send`, `run-once`, `store-backup`, `provider-list`, … */
export function schemaNameOf(args: readonly string[]): string {
  const positionals = args.filter((arg) => !arg.startsWith('-'));
  const [first = '', second = ''] = positionals;
  if (first === 'run') return args.includes('--once') ? 'run-once' : 'run-event';
  return first === 'store' || first === 'provider' ? `${first}-${second}` : first;
}

const validators = new Map<string, Validator>();
/** Validates one JSON value against a shipped schema; throws with every error when it does not fit. */
export function validateAgainstSchema(name: string, value: unknown): void {
  let validator = validators.get(name);
  if (!validator) {
    const file = join(SCHEMAS, `${name}.schema.json`);
    if (!existsSync(file)) throw new Error(`no JSON Schema ${file} for this --json output`);
    validator = new Validator(JSON.parse(readFileSync(file, 'utf8')), '2020-12', false);
    validators.set(name, validator);
  }
  const result = validator.validate(value);
  if (!result.valid)
    throw new Error(
      `--json output does not match ${name}.schema.json:\n${result.errors.map((e) => `  ${e.instanceLocation}: ${e.error}`).join('\n')}\n${JSON.stringify(value, null, 2).slice(0, 2000)}`,
    );
}

/** Every --json output the tests produced, by schema name (the schema test checks they cover every schema). */
export const checkedOutputs = new Map<string, number>();

/**
 * Checks a `--json` stdout against its schema: one document, or one document per line for the
 * line-oriented outputs (`run` events, `status --watch`).
 */
export function checkJsonOutput(args: readonly string[], stdout: string): void {
  const name = schemaNameOf(args);
  const perLine = name === 'run-event' || (name === 'status' && args.includes('--watch'));
  const values = perLine
    ? stdout
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as unknown)
    : [JSON.parse(stdout) as unknown];
  for (const value of values) validateAgainstSchema(name, value);
  checkedOutputs.set(name, (checkedOutputs.get(name) ?? 0) + values.length);
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
