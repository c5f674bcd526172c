import type { Preprocessor, RemovePreprocessContext, RemovePreprocessReason } from '@spool/spi';

/** One preprocess run to end: which of the logon's preprocessors made it, its id, and its info if known. */
export interface RunToRemove {
  /** Index of the preprocessor in registration order. */
  readonly index: number;
  readonly runId: string;
  /** The run's info; undefined for a run recorded by a crashed spooler. */
  readonly info: unknown;
}

/** A removal that threw, with the run and preprocessor it belongs to. */
export interface FailedRemoval {
  readonly run: RunToRemove;
  readonly preprocessor: Preprocessor;
  readonly error: unknown;
}

/**
 * The one removal loop (MAPI RemovePreprocessInfo): every run gets exactly one `removePreprocessInfo`, in
 * run order, and one that throws does not stop the others. `invoke` makes the call (the host runs it through
 * the call runner; the conformance suite calls it directly). Runs whose preprocessor is not registered are
 * returned in `unknown` (a logon that registered fewer preprocessors after a restart).
 */
export async function removePreprocessRuns(
  preprocessors: readonly Preprocessor[],
  runs: readonly RunToRemove[],
  context: { readonly messageId: string; readonly workDir: string; readonly reason: RemovePreprocessReason },
  invoke: (preprocessor: Preprocessor, args: RemovePreprocessContext) => Promise<void>,
): Promise<{ failed: FailedRemoval[]; unknown: RunToRemove[] }> {
  const failed: FailedRemoval[] = [];
  const unknown: RunToRemove[] = [];
  for (const run of runs) {
    const preprocessor = preprocessors[run.index];
    if (!preprocessor) {
      unknown.push(run);
      continue;
    }
    try {
      await invoke(preprocessor, {
        runId: run.runId,
        messageId: context.messageId,
        workDir: context.workDir,
        info: context.reason === 'recovered' ? undefined : run.info,
        reason: context.reason,
      });
    } catch (error) {
      failed.push({ run, preprocessor, error });
    }
  }
  return { failed, unknown };
}
