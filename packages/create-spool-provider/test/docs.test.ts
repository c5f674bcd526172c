/**
 * docs/writing-a-provider.md shows the package `create-spool-provider folder` writes. This keeps the page and
 * the templates equal; scaffold.test.ts installs, builds and tests that same package, so the page's example is
 * tested code.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { scaffold } from '../src/index.js';

const page = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'writing-a-provider.md');

it('every file shown in docs/writing-a-provider.md is what the scaffolder writes for "folder"', async () => {
  const text = await readFile(page, 'utf8');
  const blocks = [...text.matchAll(/^```(\w+) (title|excerpt)=(\S+)\n([\s\S]*?)\n```$/gm)].map((m) => ({
    kind: m[2]!,
    path: m[3]!,
    code: m[4]!,
  }));
  expect(blocks.map((b) => b.path)).toEqual([
    'package.json',
    'src/index.ts',
    'src/options.ts',
    'src/logon.ts',
    'test/conformance.test.ts',
    'test/folder.test.ts',
  ]);
  const work = await mkdtemp(join(tmpdir(), 'spool-create-docs-'));
  try {
    const { dir } = await scaffold({ name: 'folder', cwd: work });
    for (const block of blocks) {
      const written = await readFile(join(dir, block.path), 'utf8');
      if (block.kind === 'title') {
        expect(block.code, block.path).toBe(written.replace(/\n$/, ''));
      } else {
        // An excerpt: each key shown has the value the scaffolder writes.
        const full = JSON.parse(written) as Record<string, unknown>;
        const shown = JSON.parse(block.code) as Record<string, unknown>;
        for (const [key, value] of Object.entries(shown))
          expect(value, `${block.path} ${key}`).toEqual(full[key]);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
