/**
 * `@spool/core/store-contract`: the contract suite every message store runs ({@link runStoreContract}), and
 * mutant stores ({@link storeMutants}) that each break one promise, which the suite must catch.
 */

export { DelegatingStore } from './delegating-store.js';
export type {
  CaseContext,
  CaseGroup,
  ContractCase,
  ManualClock,
  StoreContractContext,
  StoreContractOptions,
  StoreLocation,
} from './harness.js';
export { defaultCompareCursors } from './harness.js';
export { type StoreMutant, storeMutants } from './mutants.js';
export { CONTRACT_GROUPS, runStoreContract } from './suite.js';
export type { TestApi, TestBody } from './test-api.js';
