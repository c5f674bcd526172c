import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  runStoreContract,
  type StoreContractContext,
  type StoreMutant,
  storeMutants,
} from '../../src/store/contract/index.js';
import { openEmbeddedStore } from '../../src/store/open-store.js';
import type { MessageStore } from '../../src/store/ports.js';

/** A case the suite registered, collected instead of run. */
interface Collected {
  readonly name: string;
  readonly body: () => unknown;
}

/** Runs the suite's registration with describe/it that collect the cases (full names) into a list. */
function collect(open: (ctx: StoreContractContext) => Promise<MessageStore>): Collected[] {
  const cases: Collected[] = [];
  const path: string[] = [];
  runStoreContract({
    name: 'collected',
    describe: (name, body) => {
      path.push(name);
      try {
        body();
      } finally {
        path.pop();
      }
    },
    it: (name, body) => {
      cases.push({ name: [...path.slice(1), name].join(' › '), body });
    },
    fresh: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'spool-contract-meta-'));
      return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
    open,
  });
  return cases;
}

/** Awaits every case; returns the names of those that failed, with their first line of error. */
async function failures(cases: readonly Collected[]): Promise<string[]> {
  const failed: string[] = [];
  for (const c of cases) {
    try {
      await c.body();
    } catch (error) {
      failed.push(`${c.name}: ${String((error as Error).message).split('\n')[0]}`);
    }
  }
  return failed;
}

const sqlite = ({ dir, clock }: StoreContractContext) =>
  openEmbeddedStore(join(dir, 'spool.db'), { clock, changePollMs: 10 });

/** The group (the first part of a case name) each mutant is expected to fail in, at least. */
const expectedGroup: Record<keyof typeof storeMutants, string> = {
  reorderedCursors: 'cursors and list',
  neverExpires: 'leases',
  splitSettle: 'finishing (ifFinished, finish, unfinished)',
  ignoresIdempotency: 'idempotency',
};

describe('the store contract suite catches broken stores', () => {
  it('the collector sees every case, and the real SQLite store passes all of them', async () => {
    const cases = collect(sqlite);
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(await failures(cases)).toEqual([]);
  }, 120_000);

  for (const [name, mutant] of Object.entries(storeMutants) as [keyof typeof storeMutants, StoreMutant][]) {
    it(`${name} (${mutant.breaks}) fails at least one case`, async () => {
      const failed = await failures(collect(async (ctx) => mutant.wrap(await sqlite(ctx), ctx)));
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.some((f) => f.startsWith(`${expectedGroup[name]} › `))).toBe(true);
    }, 120_000);
  }
});
