import { conformanceError } from '../errors.js';
import { importThroughLoader, initProvider, memoryLogger } from '../target.js';
import { withSession } from './session.js';
import type { Rule } from './suite.js';

const RULE = 'xpProviderInit(context)';

/** The loader and `xpProviderInit`: a complete provider object, a new one per call (meta is checked on load). */
export const providerInitRule: Rule = {
  title:
    'xpProviderInit: the real loader imports it and it returns a new provider whose meta agrees with the manifest',
  async check(suite) {
    await withSession(suite, async (session) => {
      if (typeof session.provider.shutdown !== 'function') {
        throw conformanceError(
          session.name,
          RULE,
          'the provider object has no shutdown()',
          'Return the object defineProvider() builds (it has meta, transportLogon and an idempotent shutdown).',
        );
      }
      const imported = await importThroughLoader(session.pkg.dir, session.work);
      const second = await initProvider(imported, memoryLogger(), 'conformance-2');
      try {
        if (second === session.provider) {
          throw conformanceError(
            session.name,
            RULE,
            'xpProviderInit returned the same object twice',
            'Return a new provider object per call: one module may serve several profile entries.',
          );
        }
      } finally {
        await second.shutdown({ reason: 'dispose' });
      }
    });
  },
};
