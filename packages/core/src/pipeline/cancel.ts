import type { StoredMessage } from '../store/types.js';
import type { PipelineContext } from './context.js';
import { CANCEL_REASON } from './in-flight.js';

/**
 * Cancels a queued or in-flight message: delivered recipients stay delivered, the rest become cancelled (no
 * NDR), the message goes to Deleted. In-flight hand-offs are aborted through their AbortSignal (their
 * preprocess runs are removed as they end); logons that deferred the message are told it is gone (MAPI
 * NOTIFY_ABORT_DEFERRED). Resolves with the message as stored afterwards.
 */
export async function cancelMessage(ctx: PipelineContext, id: string): Promise<StoredMessage> {
  const { store, port, inFlight } = ctx;
  const before = await store.get(id);
  const message = await store.cancel(id, { folder: 'Deleted' });
  const waits: Promise<void>[] = [];
  for (const flight of inFlight.list({ messageId: id })) {
    flight.controller.abort(CANCEL_REASON);
    waits.push(flight.done);
  }
  // Routes that deferred this message hold it for a retry: tell them it is gone.
  const deferredOn = new Set(
    before?.recipients
      .filter((r) => r.outcome === 'pending' && r.attempts > 0 && r.route)
      .map((r) => r.route!),
  );
  for (const logon of port.logons()) {
    if (!deferredOn.has(logon.id) || logon.state !== 'active') continue;
    await port.tryCall('transportNotify', logon.id, {
      type: 'abort-deferred',
      messageId: id,
      reason: 'user',
    });
  }
  await Promise.all(waits);
  ctx.events.changed();
  return (await store.get(id)) ?? message;
}
