import type { JsonSchema } from '@spool/spi';
import { suggestKey } from '../profile/profile-checks.js';

/** One place in the value where the schema does not hold. */
export interface SchemaError {
  /** JSON Pointer into the validated value (`#/port`). */
  readonly instanceLocation: string;
  readonly keyword: string;
  /**
   * What is wrong, as the end of a plain sentence that starts with the key: `must be an integer, got the
   * string "twenty"`, `is not a known option; did you mean "maxInFlight"?`.
   */
  readonly error: string;
}

/**
 * The one JSON Schema (2020-12) validator of the project: the host validates profile options with it, the
 * conformance suite validates a provider's sample options with it. Loaded on first use, so a host whose
 * providers publish no schema never loads it. The validator's own wording ("False boolean schema",
 * "Instance type … is invalid") is rewritten as plain sentences ({@link plainSchemaErrors}).
 */
export async function validateAgainstSchema(
  schema: JsonSchema,
  value: unknown,
): Promise<{ valid: boolean; errors: SchemaError[] }> {
  const { Validator } = await import('@cfworker/json-schema');
  const validator = new Validator(schema as Record<string, unknown>, '2020-12', false);
  const result = validator.validate(value);
  return { valid: result.valid, errors: plainSchemaErrors(schema, value, result.errors) };
}

/** Keywords whose errors only say that something inside had errors; the inner errors say what. */
const WRAPPERS = new Set(['properties', 'allOf', 'items', 'prefixItems', '$ref', 'dependentSchemas']);

/** Keywords whose sentence quotes the schema's value (the limit, the pattern, the allowed values). */
const READS_SCHEMA = new Set([
  'type',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
]);

/** What a value is, for "got …": `the string "twenty"`, `the number 5`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${value.length} item${value.length === 1 ? '' : 's'})`;
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

/**
 * The part of `root` a JSON Pointer (`#/properties/port`) names, following local `$ref`s where the pointer
 * passes through one (the validator's keyword locations do: `#/properties/a/$ref/minimum`); undefined when
 * it cannot be followed.
 */
function at(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    const ref = (node as Record<string, unknown>).$ref;
    node =
      key === '$ref' && typeof ref === 'string' && ref.startsWith('#') && ref !== pointer
        ? at(root, ref)
        : (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The schema that holds the keyword at `keywordLocation` (`#/properties/port/type` → `#/properties/port`). */
const schemaOf = (schema: unknown, keywordLocation: string): Record<string, unknown> => {
  const found = at(schema, keywordLocation.slice(0, keywordLocation.lastIndexOf('/')));
  return found !== null && typeof found === 'object' ? (found as Record<string, unknown>) : {};
};

interface RawError {
  readonly instanceLocation: string;
  readonly keyword: string;
  readonly keywordLocation: string;
  readonly error: string;
}

/**
 * The validator's errors as plain sentences, the telling ones only: errors that only wrap inner ones
 * (`properties`, `items`, the branches of an `anyOf` said once as "must be a string or a list") are left out.
 * An unknown key under `additionalProperties: false` reads `is not a known option`, with the closest known key.
 */
export function plainSchemaErrors(
  schema: unknown,
  value: unknown,
  errors: readonly RawError[],
): SchemaError[] {
  const out: SchemaError[] = [];
  const branches = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .map((e) => `${e.keywordLocation}/`);
  for (const e of errors) {
    if (WRAPPERS.has(e.keyword)) continue;
    // The branches of an anyOf/oneOf are said once, by the anyOf/oneOf itself.
    if (branches.some((prefix) => e.keywordLocation.startsWith(prefix))) continue;
    const own = schemaOf(schema, e.keywordLocation);
    const got = describeValue(at(value, e.instanceLocation));
    const quoted = /"([^"]*)"/.exec(e.error)?.[1];
    const push = (instanceLocation: string, error: string) =>
      out.push({ instanceLocation, keyword: e.keyword, error });
    // Where the keyword's schema cannot be found (a remote `$ref`), the validator's words are all there is.
    if (READS_SCHEMA.has(e.keyword) && !(e.keyword in own)) {
      push(e.instanceLocation, `does not fit the schema (${e.error})`);
      continue;
    }
    switch (e.keyword) {
      case 'type': {
        const types = ([] as unknown[]).concat(own.type).map((t) => TYPE_NAMES[String(t)] ?? String(t));
        push(e.instanceLocation, `must be ${types.join(' or ')}, got ${got}`);
        break;
      }
      case 'enum':
        push(
          e.instanceLocation,
          `must be one of ${((own.enum as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(', ')}, got ${got}`,
        );
        break;
      case 'const':
        push(e.instanceLocation, `must be ${JSON.stringify(own.const)}, got ${got}`);
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const word = {
          minimum: 'at least',
          maximum: 'at most',
          exclusiveMinimum: 'more than',
          exclusiveMaximum: 'less than',
        }[e.keyword];
        push(e.instanceLocation, `must be ${word} ${String(own[e.keyword])}, got ${got}`);
        break;
      }
      case 'multipleOf':
        push(e.instanceLocation, `must be a multiple of ${String(own.multipleOf)}, got ${got}`);
        break;
      case 'minLength':
      case 'maxLength': {
        const limit = Number(own[e.keyword]);
        push(
          e.instanceLocation,
          limit === 1 && e.keyword === 'minLength'
            ? `must not be empty, got ${got}`
            : `must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${limit} character${limit === 1 ? '' : 's'} long, got ${got}`,
        );
        break;
      }
      case 'pattern':
        push(e.instanceLocation, `must match the pattern ${String(own.pattern)}, got ${got}`);
        break;
      case 'format':
        push(e.instanceLocation, `must be a valid ${String(own.format)}, got ${got}`);
        break;
      case 'minItems':
      case 'maxItems': {
        const limit = Number(own[e.keyword]);
        push(
          e.instanceLocation,
          `must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${limit} item${limit === 1 ? '' : 's'}, got ${got}`,
        );
        break;
      }
      case 'uniqueItems':
        push(e.instanceLocation, 'must not list the same item twice');
        break;
      case 'required':
        push(e.instanceLocation, `needs the key "${quoted ?? '?'}"`);
        break;
      case 'minProperties':
      case 'maxProperties':
        push(
          e.instanceLocation,
          `must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(own[e.keyword])} keys`,
        );
        break;
      case 'additionalProperties': {
        // A schema for the other keys: its own errors say what is wrong.
        if (quoted === undefined || own.additionalProperties !== false) break;
        const known = Object.keys((own.properties as object | undefined) ?? {});
        const suggestion = suggestKey(quoted, known);
        const where = e.instanceLocation === '#' ? `#/${quoted}` : `${e.instanceLocation}/${quoted}`;
        push(
          where,
          `is not a known option${suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`,
        );
        break;
      }
      case 'false':
        // Said by its additionalProperties error, with the suggestion; alone (`properties: { x: false }`):
        if (
          !errors.some(
            (other) =>
              other.keyword === 'additionalProperties' &&
              e.instanceLocation.startsWith(`${other.instanceLocation}/`),
          )
        )
          push(e.instanceLocation, 'is not allowed');
        break;
      case 'anyOf':
      case 'oneOf': {
        const options = ((own[e.keyword] as unknown[] | undefined) ?? []).map((branch) =>
          branch !== null && typeof branch === 'object' && 'type' in branch
            ? ([] as unknown[])
                .concat((branch as { type: unknown }).type)
                .map((t) => TYPE_NAMES[String(t)] ?? String(t))
            : [],
        );
        push(
          e.instanceLocation,
          options.every((types) => types.length > 0)
            ? `must be ${[...new Set(options.flat())].join(' or ')}${e.keyword === 'oneOf' ? ' (exactly one of the allowed forms)' : ''}, got ${got}`
            : `does not match ${e.keyword === 'oneOf' ? 'exactly one' : 'any'} of the allowed forms, got ${got}`,
        );
        break;
      }
      case 'not':
        push(e.instanceLocation, `must not be ${got}`);
        break;
      default:
        push(e.instanceLocation, `does not fit the options schema (${e.keyword}: ${e.error})`);
    }
  }
  return out;
}

/**
 * The top-level keys of `options` that `schema` does not declare, when it allows them anyway (no
 * `additionalProperties: false`, no `patternProperties`): the host warns about them, with a suggestion,
 * since a typo there is silently ignored by the provider. Empty when the schema refuses them itself.
 */
export function undeclaredOptions(
  schema: JsonSchema,
  options: Readonly<Record<string, unknown>>,
): { key: string; suggestion: string | undefined }[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  if (s.additionalProperties === false || s.patternProperties !== undefined) return [];
  const properties = s.properties;
  if (properties === null || typeof properties !== 'object') return [];
  const known = Object.keys(properties);
  return Object.keys(options)
    .filter((key) => !known.includes(key))
    .map((key) => ({ key, suggestion: suggestKey(key, known) }));
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
