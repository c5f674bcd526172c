#!/usr/bin/env node
// `pnpm bench` (after `pnpm build`): prints each figure beside its target. Sections live in scripts/bench/
// as modules exporting `title` and `run({ runs })` → rows of { section, figure, ms, target?, against? };
// add a module to SECTIONS to add a section. Exits 1 when a figure misses its target (`--no-fail` to only
// report), so CI can run it as a check. `--runs N` changes the sample count (default 30).
// `--sections host-start,spooler,smtp` runs only the sections whose file names start with one of those.
// `--against <git ref>` compares the built working tree with that commit: it checks the ref out into a
// temporary git worktree (removed at the end, also on failure or Ctrl-C), installs and builds it there, then
// runs each section three times per side, old and new alternating (scripts/bench/section-runner.mjs, each
// tree's own section file), and prints per figure the median of each side, new/old and the new target.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CORE_DIST, ROOT } from './bench/lib.mjs';

const SECTIONS = [
  './bench/host-start-section.mjs',
  './bench/spooler-section.mjs',
  './bench/smtp-section.mjs',
];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    'no-fail': { type: 'boolean', default: false },
    against: { type: 'string' },
    sections: { type: 'string' },
  },
});
const runs = Number(values.runs);
const sections = pickSections(values.sections);
if (!existsSync(CORE_DIST)) {
  console.error(`bench: ${CORE_DIST} is missing; run \`pnpm build\` first`);
  process.exit(1);
}

if (values.against !== undefined) await compare(values.against);
else {
  console.log(`spool bench — node ${process.version}, ${runs} runs per figure, medians\n`);
  const all = [];
  for (const path of sections) {
    const section = await import(path);
    console.log(`## ${section.title}`);
    const rows = await section.run({ runs });
    print(rows);
    all.push(...rows);
    console.log('');
  }
  report(all);
}

/** Exit code 1 (unless --no-fail) when a row with a target misses it. */
function report(rows) {
  const missed = rows.filter((r) => r.target !== undefined && !meets(r));
  if (missed.length > 0) {
    console.log(`missed: ${missed.map((r) => `${r.section} ${r.figure.trim()}`).join('; ')}`);
    if (!values['no-fail']) process.exitCode = 1;
  } else console.log('every figure within its target');
}

/** SECTIONS, or those whose file name starts with one of the comma-separated prefixes; exits 2 on a typo. */
function pickSections(list) {
  if (list === undefined) return SECTIONS;
  const names = SECTIONS.map((path) => basename(path, '-section.mjs'));
  const wanted = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !names.some((name) => name.startsWith(w)));
  if (wanted.length === 0 || unknown.length > 0) {
    console.error(
      `bench: --sections ${list}: no section ${unknown.join(', ')}; sections: ${names.join(', ')}`,
    );
    process.exit(2);
  }
  return SECTIONS.filter((_, i) => wanted.some((w) => names[i].startsWith(w)));
}

/** Rows carry `ms` (lower is better) or `value` + `unit` (`atLeast`: higher is better). */
function meets(r) {
  const value = r.value ?? r.ms;
  return r.atLeast ? value >= r.target : value <= r.target;
}

function print(rows) {
  table([
    ['', 'figure', 'median', 'target', '', 'note'],
    ...rows.map((r) => [
      r.section,
      r.figure,
      amount(r, r.value ?? r.ms),
      target(r),
      r.target === undefined ? '' : meets(r) ? 'ok' : 'MISSED',
      r.against ?? '',
    ]),
  ]);
}

/** A figure's value with its unit: `ms` rows in ms, `value` rows in their own unit. */
function amount(r, value) {
  if (r.value === undefined) return `${value.toFixed(1)} ms`;
  return `${Number.isInteger(value) ? value : Number(value.toFixed(2))} ${r.unit ?? ''}`.trim();
}

function target(r) {
  if (r.target === undefined) return '';
  return `${r.atLeast ? '≥' : '≤'} ${r.target}${r.value === undefined ? ' ms' : r.unit ? ` ${r.unit}` : ''}`;
}

function table(cells) {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  for (const c of cells)
    console.log(
      c
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
}

/** `--against <ref>`: the old build (a temporary worktree of ref) beside the current one, per section. */
async function compare(ref) {
  const PAIRS = 3;
  const rev = ref.startsWith('-')
    ? { status: 1 }
    : spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
        cwd: ROOT,
        encoding: 'utf8',
      });
  if (rev.status !== 0) {
    console.error(`bench: --against ${ref}: not a commit in this repository`);
    process.exit(2);
  }
  const sha = rev.stdout.trim();

  // Children use this Node and the repo's pinned pnpm; each tree's sections measure their own build.
  const env = { ...process.env, CI: 'true', COREPACK_ENABLE_STRICT: '0' };
  env.PATH = [join(ROOT, '.tools/node_modules/.bin'), dirname(process.execPath), env.PATH].join(delimiter);
  if (env.SPOOL_BENCH_CORE_DIST !== undefined) {
    console.error('bench: ignoring SPOOL_BENCH_CORE_DIST with --against (each side measures its own build)');
    delete env.SPOOL_BENCH_CORE_DIST;
  }

  const parent = mkdtempSync(join(tmpdir(), 'spool-bench-against-'));
  const tree = join(parent, 'tree');
  let current; // the running child, killed (with its process group) on Ctrl-C
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    if (current) killGroup(current);
    const removed = spawnSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
    rmSync(parent, { recursive: true, force: true });
    if (removed.status !== 0) spawnSync('git', ['worktree', 'prune'], { cwd: ROOT, stdio: 'ignore' });
  };
  const onSignal = (signal, code) => () => {
    console.error(`\nbench: ${signal}; removing the worktree ${tree}`);
    cleanup();
    process.exit(code);
  };
  const handlers = { SIGINT: onSignal('SIGINT', 130), SIGTERM: onSignal('SIGTERM', 143) };
  for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);

  /** Runs a command in its own process group; resolves with its stdout, rejects with its output on failure. */
  const run = (command, args, { cwd = ROOT, quiet = false } = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
      });
      current = child;
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.stderr?.on('data', (chunk) => {
        out += chunk;
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        current = undefined;
        if (code === 0) resolve(out);
        else
          reject(
            new Error(
              `${command} ${args.join(' ')} (in ${cwd}) exited ${code ?? signal}${quiet ? `:\n${out}` : ''}`,
            ),
          );
      });
    });

  try {
    const short = sha.slice(0, 10);
    console.error(`bench: checking out ${ref} (${short}) into ${tree}`);
    await run('git', ['worktree', 'add', '--detach', tree, sha], { quiet: true });
    console.error('bench: installing its dependencies (pnpm install --frozen-lockfile --prefer-offline)');
    await run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline', '--reporter=append-only'], {
      cwd: tree,
      quiet: true,
    });
    console.error('bench: building it (pnpm run build)');
    await run('pnpm', ['run', 'build'], { cwd: tree, quiet: true });

    const runner = join(ROOT, 'scripts/bench/section-runner.mjs');
    console.log(
      `spool bench --against ${ref} — node ${process.version}, old = ${short}, new = this working tree's build; ` +
        `${PAIRS} alternating runs per side (--runs ${runs} each), medians of the runs\n`,
    );
    const all = [];
    for (const path of sections) {
      const file = basename(path);
      const oldFile = join(tree, 'scripts/bench', file);
      const newFile = join(ROOT, 'scripts/bench', file);
      const hasOld = existsSync(oldFile);
      if (!hasOld) console.error(`bench: ${ref} has no scripts/bench/${file}; its column stays empty`);
      const side = { old: [], new: [] };
      for (let i = 1; i <= PAIRS; i++) {
        for (const [name, module] of [
          ['old', oldFile],
          ['new', newFile],
        ]) {
          if (name === 'old' && !hasOld) continue;
          console.error(`bench: ${basename(file, '-section.mjs')} ${name} ${i}/${PAIRS}`);
          const cwd = name === 'old' ? tree : ROOT;
          side[name].push(JSON.parse(await run(process.execPath, [runner, module, String(runs)], { cwd })));
        }
      }
      const { title } = await import(path);
      console.log(`## ${title}`);
      const rows = pairUp(side.old, side.new);
      printComparison(rows);
      all.push(...rows.map((r) => r.new).filter(Boolean));
      console.log('');
    }
    report(all);
  } catch (error) {
    console.error(`bench: ${error.message}`);
    process.exitCode = 1;
  } finally {
    cleanup();
    for (const [signal, handler] of Object.entries(handlers)) process.off(signal, handler);
  }
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Per figure (section + figure text), the median of each side's runs: { old?, new? } rows whose value (or ms)
 * is that median, in the new runs' order, figures only the old side has after them.
 */
function pairUp(oldRuns, newRuns) {
  const key = (r) => `${r.section}\u0000${r.figure}`;
  const collect = (runs) => {
    const byKey = new Map();
    for (const rows of runs)
      for (const r of rows) {
        const entry = byKey.get(key(r)) ?? { row: r, values: [] };
        entry.values.push(r.value ?? r.ms);
        byKey.set(key(r), entry);
      }
    const out = new Map();
    for (const [k, { row, values }] of byKey) {
      const mid = median(values);
      out.set(k, row.value === undefined ? { ...row, ms: mid } : { ...row, value: mid });
    }
    return out;
  };
  const olds = collect(oldRuns);
  const news = collect(newRuns);
  const keys = [...news.keys(), ...[...olds.keys()].filter((k) => !news.has(k))];
  return keys.map((k) => ({ old: olds.get(k), new: news.get(k) }));
}

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function printComparison(rows) {
  const none = '—';
  table([
    ['', 'figure', 'old', 'new', 'new/old', 'target', 'new meets'],
    ...rows.map(({ old, new: now }) => {
      const any = now ?? old;
      const o = old && (old.value ?? old.ms);
      const n = now && (now.value ?? now.ms);
      return [
        any.section,
        any.figure,
        old ? amount(old, o) : none,
        now ? amount(now, n) : none,
        old && now && o !== 0 ? (n / o).toFixed(2) : none,
        now ? target(now) : '',
        now && now.target !== undefined ? (meets(now) ? 'ok' : 'MISSED') : '',
      ];
    }),
  ]);
}
