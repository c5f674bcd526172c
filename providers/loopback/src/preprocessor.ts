import { mkdirSync, unlink, writeFile } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Preprocessor } from '@spool/spi';

// The callback API, promisified: fs/promises' FileHandle machinery cost more than the write itself here.
const writeMarker = promisify(writeFile);
const removeMarker = promisify(unlink);

/**
 * Stamps a trace property on every hand-off. With `traceFiles`, it also leaves a marker file per run in
 * `<dataDir>/preprocess`, so tests can see on disk that every `preprocess` was paired with exactly one
 * `removePreprocessInfo` — even across a crash, when the removal gets no `info` and works from the run id
 * alone. Off by default: a file per message is work a spooler in production should not pay for a trace.
 */
export function loopbackPreprocessor(
  logonId: string,
  dataDir: string,
  traceFiles: boolean,
): Preprocessor<{ marker: string | null }> {
  const dir = join(dataDir, 'preprocess');
  // Made once per logon, not per run: a mkdir per hand-off was a measurable share of a busy spooler's time.
  if (traceFiles) mkdirSync(dir, { recursive: true });
  return {
    name: 'loopback-trace',
    async preprocess(message, _recipients, context) {
      const properties = { 'x-spool-loopback-trace': `${logonId}:${context.runId}` };
      if (!traceFiles) return { info: { marker: null }, properties };
      const marker = join(dir, `${context.runId}.json`);
      await writeMarker(marker, JSON.stringify({ messageId: message.id, runId: context.runId }));
      return { info: { marker }, properties };
    },
    async removePreprocessInfo(context) {
      if (!traceFiles) return;
      try {
        await removeMarker(context.info?.marker ?? join(dir, `${context.runId}.json`));
      } catch (error) {
        // Already gone (a removal repeated after a crash) is fine; anything else is the host's to log.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
  };
}
