import type { JsonSchema } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';
import type { ProviderEntryConfig } from '../profile/profile.js';
import type { Redactor } from '../util/redact.js';
import { validateAgainstSchema } from './options-schema.js';

/**
 * Validates one account's merged options against the provider's options schema (JSON Schema 2020-12).
 * The error names the profile file and the exact key (`providers[0].accounts.alice.port`), and masks secrets.
 * The validator is loaded only for providers that publish a schema.
 */
export async function validateOptions(input: {
  schema: JsonSchema | undefined;
  options: Record<string, unknown>;
  entry: ProviderEntryConfig;
  account: { name: string; options: Readonly<Record<string, unknown>> };
  provider: string;
  file: string | undefined;
  redactor: Redactor;
}): Promise<void> {
  if (input.schema === undefined) return;
  const result = await validateAgainstSchema(input.schema, input.options);
  if (result.valid) return;
  // The deepest errors say the most; cfworker lists the wrapping "properties" errors too.
  const leaf = result.errors.filter((e) => e.keyword !== 'properties' && e.keyword !== 'allOf');
  const errors = (leaf.length > 0 ? leaf : result.errors).map((e) => {
    const segments = e.instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean);
    const first = segments[0];
    const base =
      first !== undefined &&
      first in input.account.options &&
      input.entry.accounts.length > 0 &&
      input.account.name !== 'default'
        ? `${input.entry.keyPath}.accounts.${input.account.name}`
        : `${input.entry.keyPath}.options`;
    return { key: [base, ...segments].join('.'), problem: input.redactor.text(e.error) };
  });
  const file = input.file ?? 'profile';
  throw spoolError(
    ErrorCode.INVALID_OPTIONS,
    `${file}: invalid options for ${input.provider} (entry "${input.entry.id}"): ${errors.map((e) => `${e.key}: ${e.problem}`).join('; ')}`,
    `Fix ${errors[0]?.key ?? input.entry.keyPath} in ${file}; the provider's README lists its options.`,
    { file: input.file ?? null, keys: errors.map((e) => e.key), errors },
  );
}
