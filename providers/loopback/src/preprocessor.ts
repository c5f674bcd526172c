import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Preprocessor } from '@spool/spi';

/**
 * Stamps a trace property on every hand-off and leaves a marker file per run, so tests can see on disk that
 * every `preprocess` was paired with exactly one `removePreprocessInfo` — even across a crash, when the
 * removal gets no `info` and works from the run id alone.
 */
export function loopbackPreprocessor(logonId: string): Preprocessor<{ marker: string }> {
  return {
    name: 'loopback-trace',
    async preprocess(message, _recipients, context) {
      const dir = join(context.workDir, 'preprocess');
      await mkdir(dir, { recursive: true });
      const marker = join(dir, `${context.runId}.json`);
      await writeFile(marker, JSON.stringify({ messageId: message.id, runId: context.runId }));
      return {
        info: { marker },
        properties: { 'x-spool-loopback-trace': `${logonId}:${context.runId}` },
      };
    },
    async removePreprocessInfo(context) {
      await rm(context.info?.marker ?? join(context.workDir, 'preprocess', `${context.runId}.json`), {
        force: true,
      });
    },
  };
}
