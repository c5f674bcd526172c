import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addressTypesRule } from './conformance/address-types.js';
import { cancellationRule } from './conformance/cancellation.js';
import { deliveryRule } from './conformance/delivery.js';
import { hostLogoffRule } from './conformance/host-logoff.js';
import { inboundRule } from './conformance/inbound.js';
import { logoffRule } from './conformance/logoff.js';
import { manifestRule } from './conformance/manifest.js';
import { notifyRule } from './conformance/notify.js';
import { optionsSchemaRule } from './conformance/options-schema.js';
import { preprocessorsRule } from './conformance/preprocessors.js';
import { providerInitRule } from './conformance/provider-init.js';
import { shutdownRule } from './conformance/shutdown.js';
import { statusRowRule } from './conformance/status-row.js';
import { submitRule } from './conformance/submit.js';
import type { ConformanceOptions, Rule, Suite } from './conformance/suite.js';
import { usageError } from './errors.js';
import type { ProviderTarget } from './target.js';
import { resolveTestApi } from './test-api.js';

export type { ConformanceOptions, OptionsSource } from './conformance/suite.js';

/**
 * The rules, one `it` each, in the order they are registered: the package and its loading first, then a
 * logon driven directly (the provider's side of each call), then the real host and a real spooler.
 */
const RULES: readonly Rule[] = [
  manifestRule,
  providerInitRule,
  optionsSchemaRule,
  addressTypesRule,
  statusRowRule,
  notifyRule,
  submitRule,
  preprocessorsRule,
  cancellationRule,
  inboundRule,
  logoffRule,
  hostLogoffRule,
  shutdownRule,
  deliveryRule,
];

/** The provider's package name for titles, read synchronously (checks are registered synchronously). */
function targetName(target: ProviderTarget): string {
  if (target.packageDir === undefined) return target.provider?.meta?.name ?? 'provider';
  try {
    const json = JSON.parse(readFileSync(join(target.packageDir, 'package.json'), 'utf8')) as {
      name?: unknown;
    };
    return typeof json.name === 'string' ? json.name : target.packageDir;
  } catch {
    return target.packageDir;
  }
}

/**
 * Registers the SPI conformance checks for one provider with the test runner — one `it` per rule, inside one
 * `describe`. Test functions are injectable like ESLint's RuleTester: pass `describe` and `it` from vitest (or
 * jest, mocha, node:test); without them the runner's globals are used, and without those this throws
 * `SPOOL_E_TESTKIT_NO_TEST_API` saying how to pass them. A failing check throws `SPOOL_E_CONFORMANCE` naming
 * the rule, what the provider did, and how to fix it.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { runConformance } from '@spool/testkit';
 * runConformance({ packageDir: new URL('..', import.meta.url).pathname, addresses: ['FILE:alice'], describe, it });
 * ```
 */
export function runConformance(config: ConformanceOptions): void {
  const api = resolveTestApi(config, 'runConformance');
  if (!Array.isArray(config.addresses) || config.addresses.length === 0) {
    throw usageError(
      'runConformance: no sample addresses',
      "Pass addresses: one or more TYPE:rest recipients the provider delivers to under the sample options, e.g. ['FAX:+15550100'].",
    );
  }
  if (config.packageDir === undefined && config.provider === undefined) {
    throw usageError(
      'runConformance: neither packageDir nor provider was given',
      'Pass packageDir: the provider package folder (holding package.json and the built entry).',
    );
  }
  const timeoutMs = config.timeoutMs ?? 60_000;
  const suite: Suite = {
    config,
    settleMs: config.settleMs ?? 100,
    sampleOptions: async () =>
      typeof config.options === 'function' ? await config.options() : (config.options ?? {}),
  };
  api.describe(config.title ?? `${targetName(config)} conformance (SPI)`, () => {
    for (const rule of RULES) api.it(rule.title, () => rule.check(suite), timeoutMs);
  });
}
