export { type ConformanceOptions, type OptionsSource, runConformance } from './conformance.js';
export { conformanceError, TestkitErrorCode } from './errors.js';
export { createHarness, type Harness, type HarnessOptions } from './harness.js';
export { type PackCheckOptions, type PackCheckReport, packCheck } from './pack-check.js';
export { type LateCall, RecordingSupport } from './recording-support.js';
export type { ProviderTarget } from './target.js';
export { resolveTestApi, type TestApi, type TestBody } from './test-api.js';
