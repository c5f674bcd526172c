import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { runStoreContract } from '../../src/store/contract/index.js';
import { openEmbeddedStore } from '../../src/store/open-store.js';

// The embedded SQLite store on real files: every instance a case opens is a new connection to one file.
runStoreContract({
  name: 'store contract: embedded SQLite',
  describe,
  it,
  fresh: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spool-contract-'));
    return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
  open: ({ dir, clock }) => openEmbeddedStore(join(dir, 'spool.db'), { clock, changePollMs: 10 }),
});
