import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { conformanceError } from '../errors.js';
import { preprocessAll, removeAll } from './preprocess.js';
import { sampleMessage } from './sample-message.js';
import { withLogon } from './session.js';
import type { Rule } from './suite.js';

/** Every file under `dir`, relative to it, sorted (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Preprocess runs and their removal, for a finished run and for one a crashed spooler left behind. */
export const preprocessorsRule: Rule = {
  title:
    'preprocessors: each run is paired with one removePreprocessInfo that leaves no file behind, also for a recovered run',
  async check(suite) {
    await withLogon(suite, { traffic: false }, async (session, _logon, support) => {
      const before = await filesUnder(support.dataDir);
      for (const reason of ['delivered', 'recovered'] as const) {
        const { message, routed } = sampleMessage(suite, `conformance-pre-${reason}`);
        const runs = await preprocessAll(session, support, message, routed, new AbortController().signal);
        await removeAll(session, support, message, runs, reason);
        await removeAll(session, support, message, runs, reason); // idempotent: artifacts already gone
        const after = await filesUnder(support.dataDir);
        const left = after.filter((file) => !before.includes(file));
        if (left.length > 0) {
          throw conformanceError(
            session.name,
            'Preprocessors',
            `removePreprocessInfo (reason ${reason}) left files behind: ${left.join(', ')}`,
            reason === 'recovered'
              ? 'A recovered run has info: undefined; clean up from runId and workDir alone (name artifacts after the runId).'
              : 'Delete everything preprocess made for the run.',
          );
        }
      }
    });
  },
};
