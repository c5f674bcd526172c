import type { JsonSchema } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';
import type { ProviderEntryConfig } from '../profile/profile.js';
import type { Redactor } from '../util/redact.js';
import { undeclaredOptions, validateAgainstSchema } from './options-schema.js';

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
  /** Told each option the schema does not declare but allows (no `additionalProperties: false`). */
  warn?: (message: string) => void;
}): Promise<void> {
  if (input.schema === undefined) return;
  for (const { key, suggestion } of undeclaredOptions(input.schema, input.options)) {
    input.warn?.(
      `${input.file ?? 'profile'}: ${input.entry.keyPath}.options.${key} is not an option ${input.provider} declares${suggestion ? `; did you mean "${suggestion}"?` : ''} (ignored by the provider, most likely; its schema allows unknown keys, so this is a warning)`,
    );
  }
  const result = await validateAgainstSchema(input.schema, input.options);
  if (result.valid) return;
  // Plain sentences, the telling errors only (validateAgainstSchema leaves out the wrapping ones).
  const errors = result.errors.map((e) => {
    const segments = e.instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean);
    const first = segments[0];
    const base =
      first !== undefined &&
      first in input.account.options &&
      input.entry.accounts.length > 0 &&
      input.account.name !== 'default'
        ? `${input.entry.keyPath}.accounts.${input.account.name}`
        : `${input.entry.keyPath}.options`;
    const path = segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('');
    return { key: `${base}${path}`, problem: input.redactor.text(e.error) };
  });
  const file = input.file ?? 'profile';
  throw spoolError(
    ErrorCode.INVALID_OPTIONS,
    `${file}: invalid options for ${input.provider} (entry "${input.entry.id}"): ${errors.map((e) => `${e.key} ${e.problem}`).join('; ')}`,
    `Fix ${errors[0]?.key ?? input.entry.keyPath} in ${file}; the provider's README lists its options.`,
    { file: input.file ?? null, keys: errors.map((e) => e.key), errors },
  );
}
