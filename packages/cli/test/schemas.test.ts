import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCHEMAS, spool, temporaryDir, validateAgainstSchema } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const names = readdirSync(SCHEMAS)
  .filter((file) => file.endsWith('.schema.json'))
  .map((file) => file.slice(0, -'.schema.json'.length));

/** Every object schema below `schema`, with where it is. */
function* objectSchemas(schema: unknown, where: string): Generator<[string, Record<string, unknown>]> {
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Record<string, unknown>;
  if (node.properties) {
    yield [where, node];
    for (const [key, value] of Object.entries(node.properties))
      yield* objectSchemas(value, `${where}/properties/${key}`);
  }
  if (node.items) yield* objectSchemas(node.items, `${where}/items`);
  for (const [i, variant] of ((node.oneOf as unknown[]) ?? []).entries())
    yield* objectSchemas(variant, `${where}/oneOf/${i}`);
}

describe('the shipped JSON Schemas', () => {
  it('cover the --json outputs, and are exported and published with the package', () => {
    const pkg = JSON.parse(readFileSync(resolve(here, '../package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      files: string[];
    };
    expect(pkg.exports['./schemas/*']).toBe('./schemas/*');
    expect(pkg.files).toContain('schemas');
    expect(names).toEqual(
      expect.arrayContaining([
        'init',
        'send',
        'run-once',
        'run-event',
        'flush',
        'list',
        'show',
        'queue',
        'cancel',
        'move',
        'delete',
        'store-vacuum',
        'store-backup',
        'status',
        'provider-list',
        'provider-link',
        'provider-add',
        'provider-remove',
        'provider-update',
        'provider-info',
        'provider-doctor',
      ]),
    );
  });

  it.each(names)('%s: 2020-12, closed objects, every documented field required', (name) => {
    const schema = JSON.parse(readFileSync(join(SCHEMAS, `${name}.schema.json`), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(`https://unpkg.com/@spool/cli/schemas/${name}.schema.json`);
    expect(typeof schema.title).toBe('string');
    for (const [where, object] of objectSchemas(schema, '#')) {
      const properties = Object.keys(object.properties as object);
      expect.soft(object.required, `${name} ${where}`).toEqual(properties);
      for (const property of properties) {
        const definition = (object.properties as Record<string, { description?: string; const?: unknown }>)[
          property
        ];
        // Every field is documented (the docs tables come from these descriptions), except a variant's tag.
        if (definition?.const === undefined)
          expect.soft(definition?.description, `${name} ${where}/${property}`).toBeTruthy();
      }
    }
  });

  it('reject a document that does not fit (the validation in the CLI tests can fail)', () => {
    expect(() => validateAgainstSchema('send', { id: 'x', messageId: '<x@y>' })).toThrow(/duplicate/);
    expect(() => validateAgainstSchema('send', { id: 'x', messageId: '<x@y>', duplicate: 'no' })).toThrow(
      /send\.schema\.json/,
    );
    expect(() =>
      validateAgainstSchema('status', {
        daemon: { pid: 1, port: 2, started: 'yesterday', uptime: 3 },
        rows: [],
        failing: [],
      }),
    ).toThrow();
    validateAgainstSchema('status', {
      daemon: { pid: 1, port: 2, started: '2026-01-01T00:00:00.000Z', uptime: 3 },
      rows: [],
      failing: [],
    });
  });

  it('provider info, doctor, update and remove print what their schemas say (no registry needed)', () => {
    const dir = temporaryDir();
    expect(spool(['init'], dir).code).toBe(0);
    // spool() validates each successful --json output against its schema and throws when it does not fit.
    for (const args of [
      ['provider', 'info', 'loopback'],
      ['provider', 'doctor'],
      ['provider', 'update'],
      ['provider', 'remove', 'loopback'],
    ]) {
      const result = spool([...args, '--json'], dir);
      expect(result.code, result.stderr).toBe(0);
    }
  });

  it('docs/cli.md has the tables generated from them (node scripts/cli-docs.mjs --check)', () => {
    const result = spawnSync(process.execPath, [resolve(here, '../../../scripts/cli-docs.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
