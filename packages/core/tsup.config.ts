import { packageConfig } from '../../tsup.config.base.ts';

// The host and spooler; `@spool/core/internal` (what the CLI and testkit need beyond the public API, no
// semver promise); `@spool/core/install` (registry metadata, package managers), which only
// `spool provider add|remove|update` needs — keeping it out of the main entry keeps host start fast; and the
// two entries a store package builds against: `@spool/core/store` (the ports, the recipient state machine,
// STORE_PORT_VERSION) and `@spool/core/store-contract` (the contract suite every store runs).
export default packageConfig({
  entry: {
    index: 'src/index.ts',
    internal: 'src/internal.ts',
    'install/index': 'src/install/index.ts',
    'store/index': 'src/store/index.ts',
    'store/contract/index': 'src/store/contract/index.ts',
  },
  splitting: true,
});
