import type { ProviderCallOptions, RemoveRunsArgs } from '../host/provider-port.js';
import type { PipelineContext } from './context.js';

/**
 * Removes preprocess runs through the port (host/remove-runs.ts runs each removal once, in order, and one
 * that throws does not stop the others) and logs what went wrong, with its attribution: a removal that threw,
 * a run whose preprocessor the logon no longer registers. Resolves when every removal ran.
 */
export async function removeRuns(
  ctx: PipelineContext,
  logonId: string,
  args: RemoveRunsArgs,
  options: ProviderCallOptions,
): Promise<void> {
  const result = await ctx.port.tryCall('removePreprocessInfo', logonId, args, options);
  if (!result) return; // the port could not run the removals at all, and logged why
  const logger = ctx.port.loggerOf(logonId);
  const during = args.reason === 'recovered' ? ' (recovery)' : '';
  for (const { runId, error } of result.failed)
    logger.warn(
      { ...error.attribution, runId, code: error.code },
      `removePreprocessInfo${during} failed: ${error.message}`,
    );
  for (const { runId, index } of result.unknown)
    logger.warn(
      { runId, logon: logonId, preprocessor: index },
      'a preprocess run belongs to a preprocessor this logon no longer registers; its artifacts may remain',
    );
}
