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

/**
 * The JSON Schema 2020-12 meta-schema (json-schema.org/draft/2020-12/schema and its seven vocabularies),
 * merged into one document for `checkSchema`. @cfworker/json-schema ships no meta-schemas
 * (cfworker/cfworker#236) and does not implement `$dynamicRef` (cfworker/cfworker#150), so every
 * `{ "$dynamicRef": "#meta" }` is written as `{ "$ref": "#" }`: for a schema of the standard dialect the
 * dynamic reference resolves to this root anyway. The vocabularies define disjoint keywords, so one
 * `properties` holds them all. Annotations (`title`, `default`, `deprecated`) are left out: they validate nothing.
 */
const META_SCHEMA_2020_12: JsonSchema = {
  $id: 'https://json-schema.org/draft/2020-12/schema',
  type: ['object', 'boolean'],
  properties: {
    // core
    $id: { $ref: '#/$defs/uriReferenceString', pattern: '^[^#]*#?$' },
    $schema: { $ref: '#/$defs/uriString' },
    $ref: { $ref: '#/$defs/uriReferenceString' },
    $anchor: { $ref: '#/$defs/anchorString' },
    $dynamicRef: { $ref: '#/$defs/uriReferenceString' },
    $dynamicAnchor: { $ref: '#/$defs/anchorString' },
    $vocabulary: {
      type: 'object',
      propertyNames: { $ref: '#/$defs/uriString' },
      additionalProperties: { type: 'boolean' },
    },
    $comment: { type: 'string' },
    $defs: { type: 'object', additionalProperties: { $ref: '#' } },
    // applicator
    prefixItems: { $ref: '#/$defs/schemaArray' },
    items: { $ref: '#' },
    contains: { $ref: '#' },
    additionalProperties: { $ref: '#' },
    properties: { type: 'object', additionalProperties: { $ref: '#' } },
    patternProperties: {
      type: 'object',
      additionalProperties: { $ref: '#' },
      propertyNames: { format: 'regex' },
    },
    dependentSchemas: { type: 'object', additionalProperties: { $ref: '#' } },
    propertyNames: { $ref: '#' },
    if: { $ref: '#' },
    // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword; this object is never awaited.
    then: { $ref: '#' },
    else: { $ref: '#' },
    allOf: { $ref: '#/$defs/schemaArray' },
    anyOf: { $ref: '#/$defs/schemaArray' },
    oneOf: { $ref: '#/$defs/schemaArray' },
    not: { $ref: '#' },
    // unevaluated
    unevaluatedItems: { $ref: '#' },
    unevaluatedProperties: { $ref: '#' },
    // validation
    type: {
      anyOf: [
        { $ref: '#/$defs/simpleTypes' },
        { type: 'array', items: { $ref: '#/$defs/simpleTypes' }, minItems: 1, uniqueItems: true },
      ],
    },
    const: true,
    enum: { type: 'array', items: true },
    multipleOf: { type: 'number', exclusiveMinimum: 0 },
    maximum: { type: 'number' },
    exclusiveMaximum: { type: 'number' },
    minimum: { type: 'number' },
    exclusiveMinimum: { type: 'number' },
    maxLength: { $ref: '#/$defs/nonNegativeInteger' },
    minLength: { $ref: '#/$defs/nonNegativeInteger' },
    pattern: { type: 'string', format: 'regex' },
    maxItems: { $ref: '#/$defs/nonNegativeInteger' },
    minItems: { $ref: '#/$defs/nonNegativeInteger' },
    uniqueItems: { type: 'boolean' },
    maxContains: { $ref: '#/$defs/nonNegativeInteger' },
    minContains: { $ref: '#/$defs/nonNegativeInteger' },
    maxProperties: { $ref: '#/$defs/nonNegativeInteger' },
    minProperties: { $ref: '#/$defs/nonNegativeInteger' },
    required: { $ref: '#/$defs/stringArray' },
    dependentRequired: { type: 'object', additionalProperties: { $ref: '#/$defs/stringArray' } },
    // meta-data
    title: { type: 'string' },
    description: { type: 'string' },
    default: true,
    deprecated: { type: 'boolean' },
    readOnly: { type: 'boolean' },
    writeOnly: { type: 'boolean' },
    examples: { type: 'array', items: true },
    // format-annotation, content
    format: { type: 'string' },
    contentEncoding: { type: 'string' },
    contentMediaType: { type: 'string' },
    contentSchema: { $ref: '#' },
    // keywords of earlier drafts the meta-schema still constrains
    definitions: { type: 'object', additionalProperties: { $ref: '#' } },
    dependencies: {
      type: 'object',
      additionalProperties: { anyOf: [{ $ref: '#' }, { $ref: '#/$defs/stringArray' }] },
    },
    $recursiveAnchor: { $ref: '#/$defs/anchorString' },
    $recursiveRef: { $ref: '#/$defs/uriReferenceString' },
  },
  $defs: {
    schemaArray: { type: 'array', minItems: 1, items: { $ref: '#' } },
    anchorString: { type: 'string', pattern: '^[A-Za-z_][-A-Za-z0-9._]*$' },
    uriString: { type: 'string', format: 'uri' },
    uriReferenceString: { type: 'string', format: 'uri-reference' },
    nonNegativeInteger: { type: 'integer', minimum: 0 },
    simpleTypes: { enum: ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'] },
    stringArray: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  },
};

/**
 * Checks that `schema` is a valid JSON Schema 2020-12 document (validated against the 2020-12 meta-schema
 * with the same validator as `validateAgainstSchema`), so the conformance suite refuses a schema by the
 * rules the host reads it with. `errors` point into the schema (`#/properties/port/type`).
 */
export function checkSchema(schema: unknown): Promise<{ valid: boolean; errors: SchemaError[] }> {
  return validateAgainstSchema(META_SCHEMA_2020_12, schema);
}
