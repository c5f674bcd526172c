import { packageTestConfig } from '../../vitest.shared.ts';

// The end-to-end test installs, builds and tests a scaffolded package: give it minutes, not seconds.
export default packageTestConfig('create-spool-provider', { testTimeout: 300_000 });
