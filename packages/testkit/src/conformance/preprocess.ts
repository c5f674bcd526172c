import { type RunToRemove, removePreprocessRuns } from '@spool/core/internal';
import type { OutboundMessage, OutboundRecipient, RemovePreprocessReason } from '@spool/spi';
import { conformanceError } from '../errors.js';
import type { RecordingSupport } from '../recording-support.js';
import type { Session } from './session.js';

/** Runs the logon's preprocessors like the host: in registration order, each paired with one removal. */
export async function preprocessAll(
  session: Session,
  support: RecordingSupport,
  message: OutboundMessage,
  routed: OutboundRecipient[],
  signal: AbortSignal,
): Promise<RunToRemove[]> {
  const runs: RunToRemove[] = [];
  for (const [index, preprocessor] of support.preprocessorsRegistered.entries()) {
    const runId = `${message.id}-run${index}`;
    try {
      const result = await preprocessor.preprocess(message, routed, {
        runId,
        workDir: support.dataDir,
        signal,
      });
      runs.push({ runId, info: result?.info, index });
    } catch (error) {
      await removeAll(session, support, message, runs, 'deferred');
      throw conformanceError(
        session.name,
        'Preprocessors',
        `preprocessor "${preprocessor.name}" threw on the sample message: ${(error as Error)?.message}`,
        'The sample message should preprocess; check the sample options.',
        {},
        error,
      );
    }
  }
  return runs;
}

/**
 * Ends every run with the host's own removal loop (one `removePreprocessInfo` per run, in run order, the
 * others still called when one throws) and fails on the first removal that threw.
 */
export async function removeAll(
  session: Session,
  support: RecordingSupport,
  message: OutboundMessage,
  runs: readonly RunToRemove[],
  reason: RemovePreprocessReason,
): Promise<void> {
  // The runs come from preprocessAll on the same support, so none is of an unregistered preprocessor.
  const { failed } = await removePreprocessRuns(
    support.preprocessorsRegistered,
    runs,
    { messageId: message.id, workDir: support.dataDir, reason },
    (preprocessor, args) => preprocessor.removePreprocessInfo(args),
  );
  const [first] = failed;
  if (first) {
    throw conformanceError(
      session.name,
      'Preprocessors',
      `removePreprocessInfo of "${first.preprocessor.name}" threw (reason ${reason}): ${(first.error as Error)?.message}`,
      'removePreprocessInfo must clean up without throwing, also when its artifacts are already gone or info is undefined (a recovered run).',
      { reason },
      first.error,
    );
  }
}
