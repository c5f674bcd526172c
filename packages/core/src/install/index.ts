/**
 * `spool provider add|remove|update`: choose an SPI-compatible version from registry metadata (before any
 * download), install it into the profile's project or a managed directory, verify it loads, roll back if not.
 */
export {
  type ChooseOptions,
  type ChosenVersion,
  chooseProviderVersion,
  installScriptsOf,
  negotiateSpi,
  type Packument,
  type PackumentVersion,
  readManifest,
  type SkippedVersion,
} from './choose.js';
export { InstallErrorCode } from './errors.js';
export { findInstalledProvider } from './find-installed.js';
export {
  type InstallablePlan,
  type InstallOptions,
  type InstallResult,
  installProvider,
} from './install.js';
export {
  detectPackageManager,
  findProjectDir,
  type InstallMode,
  type InstallTarget,
  managedProvidersDir,
  type PackageManager,
  resolveInstallTarget,
} from './install-target.js';
export {
  type PlanOptions,
  type ProviderInstallPlan,
  type ProviderUpdatePlan,
  planProviderInstall,
  planProviderUpdate,
  type UpdatePlanOptions,
} from './plan.js';
export {
  authorizationFor,
  fetchPackument,
  type NpmContext,
  type NpmRegistryConfig,
  packumentUrl,
  parseNpmrc,
  readNpmConfig,
  registryFor,
} from './registry.js';
export { type RemoveOptions, removeProvider } from './remove.js';
export { expandProviderName, type ProviderSpec, parseProviderSpec } from './spec.js';
