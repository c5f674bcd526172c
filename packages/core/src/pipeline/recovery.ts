import type { PipelineContext } from './context.js';
import type { Finishing } from './finishing.js';
import { removeRuns } from './removal.js';

/**
 * Recovery after a crash, before traffic begins: the store releases what dead owners held and returns the
 * preprocess runs they never removed; each is removed once (its info is gone: `info` undefined, reason
 * `recovered`) and forgotten; messages left finished but unfiled are filed.
 */
export async function recover(ctx: PipelineContext, finishing: Finishing): Promise<void> {
  const { store, port } = ctx;
  for (const run of await store.recoverAbandoned()) {
    const logon = port.logons().find((l) => l.id === run.logonId);
    if (logon) {
      await removeRuns(
        ctx,
        logon.id,
        { messageId: run.messageId, reason: 'recovered', runIds: [run.runId], firstIndex: run.preprocessor },
        { messageId: run.messageId },
      );
    } else {
      port.logger.warn(
        { runId: run.runId, logon: run.logonId },
        'a preprocess run left by a crashed spooler belongs to a logon that no longer exists; its artifacts may remain',
      );
    }
    await store.markRunsRemoved([run.runId]);
  }
  for (const message of await store.unfinished()) await finishing.file(message);
}
