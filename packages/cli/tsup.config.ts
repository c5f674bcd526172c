import { packageConfig } from '../../tsup.config.base.ts';

// Code splitting keeps each command (and @spool/core, which only commands import) out of the startup path:
// `spool --help` and usage errors load the entry chunk alone.
export default packageConfig({ splitting: true });
