#!/usr/bin/env node
// `pnpm bench` (after `pnpm build`): prints each figure beside its target. Sections live in scripts/bench/
// as modules exporting `title` and `run({ runs })` → rows of { section, figure, ms, target?, against? };
// add a module to SECTIONS to add a section. Exits 1 when a figure misses its target (`--no-fail` to only
// report), so CI can run it as a check. `--runs N` changes the sample count (default 30).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CORE_DIST } from './bench/lib.mjs';

const SECTIONS = [
  './bench/host-start-section.mjs',
  './bench/spooler-section.mjs',
  './bench/smtp-section.mjs',
];

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, 'no-fail': { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
if (!existsSync(CORE_DIST)) {
  console.error(`bench: ${CORE_DIST} is missing; run \`pnpm build\` first`);
  process.exit(1);
}

console.log(`spool bench — node ${process.version}, ${runs} runs per figure, medians\n`);
const all = [];
for (const path of SECTIONS) {
  const section = await import(path);
  console.log(`## ${section.title}`);
  const rows = await section.run({ runs });
  print(rows);
  all.push(...rows);
  console.log('');
}

const missed = all.filter((r) => r.target !== undefined && !meets(r));
if (missed.length > 0) {
  console.log(`missed: ${missed.map((r) => `${r.section} ${r.figure.trim()}`).join('; ')}`);
  if (!values['no-fail']) process.exitCode = 1;
} else console.log('every figure within its target');

/** Rows carry `ms` (lower is better) or `value` + `unit` (`atLeast`: higher is better). */
function meets(r) {
  const value = r.value ?? r.ms;
  return r.atLeast ? value >= r.target : value <= r.target;
}

function print(rows) {
  const cells = [
    ['', 'figure', 'median', 'target', '', 'note'],
    ...rows.map((r) => [
      r.section,
      r.figure,
      r.value === undefined ? `${r.ms.toFixed(1)} ms` : `${r.value} ${r.unit}`.trim(),
      r.target === undefined
        ? ''
        : `${r.atLeast ? '≥' : '≤'} ${r.target}${r.value === undefined ? ' ms' : r.unit ? ` ${r.unit}` : ''}`,
      r.target === undefined ? '' : meets(r) ? 'ok' : 'MISSED',
      r.against ?? '',
    ]),
  ];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  for (const c of cells)
    console.log(
      c
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
}
