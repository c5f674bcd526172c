/**
 * The options-schema check uses the host's validator (checkSchema / validateAgainstSchema from
 * @spool/core/internal). These cases prove it still refuses invalid schemas, also nested ones the
 * meta-schema reaches only through its `$dynamicRef`s, and accepts valid 2020-12 features.
 */
import type { JsonSchema, XPProviderInit } from '@spool/spi';
import { describe, expect, it } from 'vitest';
import { runConformance } from '../src/index.js';
import { collector, errorOf } from './collect.js';

/** An in-memory provider publishing `optionsSchema`; only loading it matters to this check. */
function providerWith(optionsSchema: JsonSchema): XPProviderInit {
  const meta = {
    name: 'spool-provider-schemafixture',
    version: '1.0.0',
    spi: '^1.0.0',
    addressTypes: ['FILE'],
    optionsSchema,
  };
  const init = () => ({
    meta,
    transportLogon: async () => {
      throw new Error('not used by the options-schema check');
    },
    shutdown: async () => {},
  });
  return Object.assign(init, { meta }) as unknown as XPProviderInit;
}

function schemaCheckError(optionsSchema: JsonSchema, options: Record<string, unknown> = { folder: 'out' }) {
  const api = collector();
  runConformance({ provider: providerWith(optionsSchema), addresses: ['FILE:alice'], options, ...api });
  return errorOf(api.checks, 'options schema');
}

describe('the options-schema check', () => {
  it.each([
    ['an unknown type', { type: 'nope' }, '#/type'],
    [
      'an unknown type in a property',
      { type: 'object', properties: { folder: { type: 'nope' } } },
      '#/properties/folder/type',
    ],
    [
      'a negative minLength',
      { properties: { folder: { type: 'string', minLength: -1 } } },
      '#/properties/folder/minLength',
    ],
    ['an empty allOf', { allOf: [] }, '#/allOf'],
    ['a bad schema in $defs', { $defs: { list: { items: { type: 3 } } } }, '#/$defs/list/items/type'],
    [
      'prefixItems that is not an array',
      { properties: { folder: { prefixItems: {} } } },
      '#/properties/folder/prefixItems',
    ],
    ['required that is not an array', { required: 'folder' }, '#/required'],
  ])('fails a schema with %s, naming where', async (_, schema, where) => {
    const error = await schemaCheckError(schema);
    expect(error).toMatchObject({ code: 'SPOOL_E_CONFORMANCE' });
    expect(error?.message).toContain('meta.optionsSchema is not valid JSON Schema 2020-12');
    expect(error?.message).toContain(`${where}:`);
  });

  it('passes a valid schema that uses $defs, $ref, prefixItems and dependentRequired', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { name: { type: 'string', minLength: 1, pattern: '^[a-z]+$' } },
      properties: {
        folder: { $ref: '#/$defs/name' },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
      },
      dependentRequired: { pair: ['folder'] },
      unevaluatedProperties: false,
    };
    expect(await schemaCheckError(schema)).toBeUndefined();
  });

  it('fails sample options the schema refuses', async () => {
    const error = await schemaCheckError({ type: 'object', properties: { folder: { type: 'integer' } } });
    expect(error).toMatchObject({ code: 'SPOOL_E_CONFORMANCE' });
    expect(error?.message).toMatch(/the sample options do not match meta\.optionsSchema: #\/folder: /);
  });

  it('fails a schema whose $ref points outside it, which the host could not use', async () => {
    const error = await schemaCheckError({ $ref: 'https://example.com/elsewhere.json' });
    expect(error).toMatchObject({ code: 'SPOOL_E_CONFORMANCE' });
    expect(error?.message).toContain('meta.optionsSchema cannot be used to validate options');
  });
});
