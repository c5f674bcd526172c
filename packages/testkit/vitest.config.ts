import { packageTestConfig } from '../../vitest.shared.ts';

// Pack checks run npm and tar on real tarballs: allow them more than the default.
export default packageTestConfig('@spool/testkit', { testTimeout: 120_000 });
