#!/usr/bin/env node
// Child entry for `pnpm bench --against <ref>`: `node section-runner.mjs <section module> <runs>` imports one
// bench section module, runs it, and prints its rows as one JSON line on stdout; anything else the section
// prints goes to stderr. A section resolves the tree it measures from its own file, so pointing this at the
// old worktree's section file measures the old build with the old bench code.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [sectionPath, runsArg = '30'] = process.argv.slice(2);
if (!sectionPath) {
  console.error('usage: node section-runner.mjs <path to a *-section.mjs module> <runs>');
  process.exit(2);
}

// Keep stdout for the one JSON line: whatever the section logs goes to stderr.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

const section = await import(pathToFileURL(resolve(sectionPath)).href);
const rows = await section.run({ runs: Number(runsArg) });
write(`${JSON.stringify(rows)}\n`);
