#!/usr/bin/env node
// Everything CI checks, in one command (`./dev test` → `pnpm test:all`): build, lint, doc comments,
// architecture rules, typecheck, package checks (publint + attw), then every test of every package in one
// vitest run.
// Prints each step's duration and ends with the plain "N passed, N failed" line CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const results = join(root, 'node_modules', '.vitest-results.json');
const started = performance.now();
const steps = [
  ['build', 'pnpm', ['run', '--silent', 'build']],
  ['lint', 'pnpm', ['exec', 'biome', 'check', '.']],
  ['doc comments', 'node', ['scripts/check-doc-comments.mjs']],
  ['architecture', 'node', ['scripts/check-architecture.mjs']],
  ['typecheck', 'pnpm', ['-r', '--no-bail', 'run', 'typecheck']],
  ['package checks (publint, attw)', 'pnpm', ['run', '--silent', 'check:packages']],
  [
    'tests',
    'pnpm',
    ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`],
  ],
];

let failedStep;
for (const [name, command, args] of steps) {
  if (name === 'doc comments' && !existsSync(join(root, 'scripts/check-doc-comments.mjs'))) continue;
  const t0 = performance.now();
  console.log(`\n▶ ${name}`);
  if (name === 'tests') rmSync(results, { force: true });
  const run = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
  });
  console.log(
    `◀ ${name}: ${run.status === 0 ? 'ok' : `failed (exit ${run.status})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (run.status !== 0) {
    failedStep = name;
    if (name !== 'tests') break;
  }
}

let passed = 0;
let failed = 0;
if (existsSync(results)) {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  passed = report.numPassedTests;
  failed =
    report.numFailedTests +
    (report.numTotalTestSuites > 0 && report.success === false && report.numFailedTests === 0 ? 1 : 0);
}
console.log(
  `\nwhole suite: ${((performance.now() - started) / 1000).toFixed(1)} s${failedStep ? ` (failed at: ${failedStep})` : ''}`,
);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failedStep ? 1 : 0);
