import { cancel } from './cancel.js';
import { cursor } from './cursor.js';
import { due } from './due.js';
import { durability } from './durability.js';
import { finish } from './finish.js';
import { type CaseGroup, runCase, type StoreContractOptions } from './harness.js';
import { idempotency } from './idempotency.js';
import { leases } from './leases.js';
import { mailbox } from './mailbox.js';
import { queueClaims } from './queue-claims.js';
import { retention } from './retention.js';
import { routing } from './routing.js';
import { settle } from './settle.js';
import { resolveTestApi } from './test-api.js';
import { twoSpoolers } from './two-spoolers.js';

/** Every group of the contract, in the order they are registered. */
export const CONTRACT_GROUPS: readonly CaseGroup[] = [
  mailbox,
  idempotency,
  routing,
  queueClaims,
  leases,
  settle,
  finish,
  cancel,
  cursor,
  due,
  retention,
  twoSpoolers,
  durability,
];

/**
 * Registers the store contract: one test per promise the store ports make (`../ports.ts`), each run against a
 * fresh store location with a manual clock, with plain `node:assert` (any runner will do). A store package
 * runs it from one test file:
 *
 * ```ts
 * import { mkdtemp, rm } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { runStoreContract } from '@spool/core/store-contract';
 * import { describe, it } from 'vitest';
 * import { openMyStore } from '../src/index.js';
 *
 * runStoreContract({
 *   name: 'my store',
 *   describe,
 *   it,
 *   // A new empty location per case; `open` may be called several times on it (several spoolers).
 *   fresh: async () => {
 *     const dir = await mkdtemp(join(tmpdir(), 'my-store-'));
 *     return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
 *   },
 *   // A NEW instance on the store at ctx.dir, whose instants (leases, due times) come off ctx.clock.
 *   open: ({ dir, clock }) => openMyStore({ dir, clock }),
 * });
 * ```
 *
 * `describe` and `it` default to the runner's globals. The suite moves the clock instead of waiting, except
 * for the change feed, which it gives 2 s to report another instance's commit (poll fast in tests).
 */
export function runStoreContract(options: StoreContractOptions): void {
  const { describe, it } = resolveTestApi(options, 'runStoreContract');
  const timeout = options.timeoutMs ?? 30_000;
  describe(options.name, () => {
    for (const group of CONTRACT_GROUPS) {
      describe(group.name, () => {
        for (const contractCase of group.cases) {
          it(contractCase.name, () => runCase(options, contractCase.run), timeout);
        }
      });
    }
  });
}
