import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DOC = join(ROOT, 'ARCHITECTURE.md');

/**
 * Every repository path ARCHITECTURE.md names in backticks: a token with a slash whose first segment is a
 * top-level directory of the repository, or one of the root files below. Package names (`@spool/core`),
 * bare file names (relative to a folder named just before) and globs are not checked.
 */
const ROOT_FILES = [
  'README.md',
  'package.json',
  'pnpm-workspace.yaml',
  'tsconfig.base.json',
  'ARCHITECTURE.md',
];

/** Pipeline files that are helpers of a stage, not stages: the document need not name them. */
const STAGE_FILES_NOT_NAMED = ['create-spooler.ts', 'ids.ts', 'types.ts', 'status-rows.ts'];

export function namedPaths(markdown: string): string[] {
  const tops = ['packages', 'providers', 'tests', 'scripts', 'docs', '.changeset', '.ci'];
  const paths = new Set<string>();
  for (const [, token] of markdown.matchAll(/`([^`\s]+)`/g)) {
    const path = token!.replace(/[:#].*$/, '').replace(/\/$/, '');
    if (path.includes('*')) continue;
    const first = path.split('/')[0]!;
    if (tops.includes(first) || ROOT_FILES.includes(path)) paths.add(path);
  }
  return [...paths].sort();
}

describe('ARCHITECTURE.md', () => {
  it('names only paths that exist', () => {
    const missing = namedPaths(readFileSync(DOC, 'utf8')).filter((path) => !existsSync(join(ROOT, path)));
    expect(missing, 'paths named in ARCHITECTURE.md that do not exist').toEqual([]);
  });

  it('names the stages, the ports and where to add a store, an isolation mode and a console', () => {
    const paths = namedPaths(readFileSync(DOC, 'utf8'));
    // A document that names almost nothing would pass the first test; the walk-throughs name files.
    expect(paths.length).toBeGreaterThan(25);
    expect(paths.some((p) => p.startsWith('packages/core/src/host/'))).toBe(true);
    expect(paths).toContain('packages/core/src/store/ports.ts');
    expect(paths).toContain('packages/core/src/host/provider-port.ts');
    // Every stage file of the pipeline is named (the stage table), so a new stage gets a row.
    const stages = readdirSync(join(ROOT, 'packages/core/src/pipeline')).filter((f) => f.endsWith('.ts'));
    const named = new Set(paths.map((p) => p.replace('packages/core/src/pipeline/', '')));
    expect(stages.filter((f) => !named.has(f) && STAGE_FILES_NOT_NAMED.every((n) => n !== f))).toEqual([]);
    const text = readFileSync(DOC, 'utf8');
    for (const heading of ['add a store', 'isolation mode', 'console'])
      expect(text.toLowerCase()).toContain(heading);
  });

  it('the path finder sees paths and skips package names and globs', () => {
    expect(
      namedPaths('`packages/core/src/x.ts:12` `@spool/core` `providers/*/src` `README.md` `docs/`'),
    ).toEqual(['README.md', 'docs', 'packages/core/src/x.ts']);
  });
});
