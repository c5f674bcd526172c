import type { JsonSchema } from '@spool/spi';

/** One place in the value where the schema does not hold. */
export interface SchemaError {
  /** JSON Pointer into the validated value (`#/port`). */
  readonly instanceLocation: string;
  readonly keyword: string;
  readonly error: string;
}

/**
 * The one JSON Schema (2020-12) validator of the project: the host validates profile options with it, the
 * conformance suite validates a provider's sample options with it. Loaded on first use, so a host whose
 * providers publish no schema never loads it.
 */
export async function validateAgainstSchema(
  schema: JsonSchema,
  value: unknown,
): Promise<{ valid: boolean; errors: SchemaError[] }> {
  const { Validator } = await import('@cfworker/json-schema');
  const validator = new Validator(schema as Record<string, unknown>, '2020-12', false);
  const result = validator.validate(value);
  return {
    valid: result.valid,
    errors: result.errors.map((e) => ({
      instanceLocation: e.instanceLocation,
      keyword: e.keyword,
      error: e.error,
    })),
  };
}
