import { readManifest } from '@spool/core/internal';
import { PROVIDER_KEYWORD } from '@spool/spi';
import { conformanceError } from '../errors.js';
import { preparePackage } from '../target.js';
import type { Rule } from './suite.js';

const RULE = 'Versions: the manifest is the contract';

/** The package.json side: the manifest the host reads before it imports anything. */
export const manifestRule: Rule = {
  title: 'manifest: package.json has a valid "spool" manifest and the spool-provider keyword',
  async check(suite) {
    const pkg = await preparePackage(suite.config, 'runConformance');
    try {
      // The loader's own reader: the same rule and the same coded error (SPOOL_E_BAD_MANIFEST) as the host.
      const manifest = readManifest({
        spec: pkg.dir,
        name: pkg.name,
        dir: pkg.dir,
        source: 'path',
        packageJson: pkg.packageJson,
        shadowed: [],
      });
      const keywords = pkg.packageJson.keywords;
      if (!Array.isArray(keywords) || !keywords.includes(PROVIDER_KEYWORD)) {
        throw conformanceError(
          pkg.name,
          RULE,
          `package.json keywords ${JSON.stringify(keywords ?? [])} lack "${PROVIDER_KEYWORD}"`,
          `Add "${PROVIDER_KEYWORD}" to "keywords" so registries and \`spool provider add\` find the package.`,
        );
      }
      const deps = (pkg.packageJson.dependencies ?? {}) as Record<string, unknown>;
      if ('@spool/spi' in deps) {
        throw conformanceError(
          pkg.name,
          RULE,
          '@spool/spi is a run-time dependency',
          'Move @spool/spi to devDependencies and bundle defineProvider (tsup noExternal): the manifest alone decides compatibility at run time.',
        );
      }
      if (manifest.addressTypes.length === 0) {
        throw conformanceError(
          pkg.name,
          RULE,
          '"spool.addressTypes" is empty',
          'Declare the address types the provider claims by default, e.g. ["FAX"].',
        );
      }
    } finally {
      await pkg.cleanup();
    }
  },
};
