import { packageTestConfig } from '../../vitest.shared.ts';

// Runs scripts/check-architecture.mjs on the trees in fixtures/ (plain text, never compiled) and on the core.
export default packageTestConfig('@spool/architecture-tests');
