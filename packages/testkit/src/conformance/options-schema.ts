import { checkSchema, type SchemaError, validateAgainstSchema } from '@spool/core/internal';
import { conformanceError } from '../errors.js';
import { withSession } from './session.js';
import type { Rule } from './suite.js';

const RULE = 'Loading (XPProviderInit), in order';
/** Keywords whose errors only say that a subschema had errors; the subschema's own errors say what. */
const WRAPPERS = new Set(['properties', 'additionalProperties', 'items', 'allOf', 'anyOf', '$ref']);

/** The most telling errors, as `#/path: problem`. */
function describeErrors(errors: readonly SchemaError[]): string {
  const leaves = errors.filter((e) => !WRAPPERS.has(e.keyword));
  return (leaves.length > 0 ? leaves : errors)
    .slice(0, 5)
    .map((e) => `${e.instanceLocation}: ${e.error}`)
    .join('; ');
}

/**
 * `meta.optionsSchema`, checked with the host's own validator (@cfworker/json-schema, through
 * `@spool/core/internal`): a schema the host cannot read, or one that refuses the sample options, fails here
 * rather than at an operator's first start.
 */
export const optionsSchemaRule: Rule = {
  title: 'options schema: valid JSON Schema 2020-12 that accepts the sample options',
  async check(suite) {
    await withSession(suite, async (session) => {
      const schema = session.provider.meta.optionsSchema;
      if (schema === undefined) return; // optional: a provider without options publishes none
      const shape = await checkSchema(schema);
      if (!shape.valid) {
        throw conformanceError(
          session.name,
          RULE,
          `meta.optionsSchema is not valid JSON Schema 2020-12: ${describeErrors(shape.errors)}`,
          'Fix the schema (the host validates every profile section against it).',
        );
      }
      let result: Awaited<ReturnType<typeof validateAgainstSchema>>;
      try {
        result = await validateAgainstSchema(schema, session.options);
      } catch (error) {
        // Valid by the meta-schema, yet unusable: e.g. a $ref to a schema it does not contain.
        throw conformanceError(
          session.name,
          RULE,
          `meta.optionsSchema cannot be used to validate options: ${(error as Error)?.message}`,
          'Make the schema self-contained: every $ref must point into the schema itself.',
          {},
          error,
        );
      }
      if (!result.valid) {
        throw conformanceError(
          session.name,
          RULE,
          `the sample options do not match meta.optionsSchema: ${describeErrors(result.errors)}`,
          'Either the schema is too strict or the sample options passed to runConformance are wrong.',
        );
      }
    });
  },
};
