import { packageConfig } from '../../tsup.config.base.ts';

// Two entries: the host and spooler, and `@spool/core/install` (registry metadata, package managers), which
// only `spool provider add|remove|update` needs — keeping it out of the main entry keeps host start fast.
export default packageConfig({
  entry: { index: 'src/index.ts', 'install/index': 'src/install/index.ts' },
  splitting: true,
});
