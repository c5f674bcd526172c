import { packageTestConfig } from '../../vitest.shared.ts';

// One Verdaccio for the whole run (registry/global-setup.ts); spooler end-to-end tests live in test/.
export default packageTestConfig('@spool/integration-tests', {
  include: ['test/**/*.test.ts', 'registry/**/*.test.ts', 'release/**/*.test.ts'],
  globalSetup: ['registry/global-setup.ts'],
  testTimeout: 60_000,
});
