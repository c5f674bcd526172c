import { packageConfig } from '../../tsup.config.base.ts';

// @spool/spi is a build-time dependency: bundle defineProvider() and its types in, so the published provider
// has no run-time dependency on the contract package and the manifest alone decides compatibility.
export default packageConfig({ noExternal: ['@spool/spi'], dts: { resolve: ['@spool/spi'] } });
