/**
 * Provider options against the provider's schema, as people read the result: plain sentences instead of the
 * validator's wording, unknown keys refused with "did you mean" where the schema says
 * `additionalProperties: false`, and only warned about where it does not.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonSchema } from '@spool/spi';
import { describe, expect, it } from 'vitest';
import { undeclaredOptions, validateAgainstSchema } from '../../src/host/options-schema.js';
import { ProviderHost } from '../../src/host/provider-host.js';
import { validateOptions } from '../../src/host/validate-options.js';
import { normalizeProfile } from '../../src/profile/profile.js';
import { caught, fixtureProfile, memorySink, temporaryDir } from '../helpers.js';

const STRICT = {
  type: 'object',
  additionalProperties: false,
  required: ['host'],
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    mode: { enum: ['fast', 'slow'] },
    maxInFlight: { type: 'integer', minimum: 1 },
    ratio: { type: 'number', exclusiveMinimum: 0 },
    addressTypes: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[A-Z]+$' } },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        minVersion: { enum: ['TLSv1.2', 'TLSv1.3'] },
      },
    },
  },
} as const satisfies JsonSchema;
const LENIENT = {
  type: 'object',
  properties: { host: { type: 'string' }, port: { type: 'integer' } },
} as const;

const sentences = async (value: unknown) =>
  (await validateAgainstSchema(STRICT, value)).errors.map((e) => `${e.instanceLocation} ${e.error}`);

describe('schema errors as plain sentences', () => {
  it.each([
    [{ host: 'h', port: 'twenty' }, '#/port must be an integer, got the string "twenty"'],
    [{ host: 'h', port: 70000 }, '#/port must be at most 65535, got the number 70000'],
    [{ host: 'h', port: 0 }, '#/port must be at least 1, got the number 0'],
    [{ host: 'h', ratio: 0 }, '#/ratio must be more than 0, got the number 0'],
    [{ host: 'h', mode: 'medium' }, '#/mode must be one of "fast", "slow", got the string "medium"'],
    [{ host: '' }, '#/host must not be empty, got the string ""'],
    [{}, '# needs the key "host"'],
    [{ host: 'h', addressTypes: [] }, '#/addressTypes must have at least 1 item, got a list (0 items)'],
    [
      { host: 'h', addressTypes: ['smtp'] },
      '#/addressTypes/0 must match the pattern ^[A-Z]+$, got the string "smtp"',
    ],
    [{ host: 'h', tls: { ca: 5 } }, '#/tls/ca must be a string or a list, got the number 5'],
    [{ host: 'h', tls: true }, '#/tls must be a mapping, got true'],
    [{ host: 'h', maxInFlite: 3 }, '#/maxInFlite is not a known option; did you mean "maxInFlight"?'],
    [
      { host: 'h', tls: { minVersio: 'TLSv1.3' } },
      '#/tls/minVersio is not a known option; did you mean "minVersion"?',
    ],
  ])('%j → %s', async (value, sentence) => {
    expect(await sentences(value)).toEqual([sentence]);
  });

  it('no validator jargon is left', async () => {
    const all = await sentences({ port: 'x', mod: 1, tls: { ca: 5, x: 1 }, addressTypes: [1], ratio: -1 });
    expect(all.length).toBeGreaterThan(4);
    for (const sentence of all) {
      expect(sentence).not.toMatch(
        /False boolean schema|Instance type|does not match (additional properties )?schema/,
      );
    }
  });
});

describe('unknown provider options: errors under additionalProperties false, warnings otherwise', () => {
  const profile = normalizeProfile(
    { providers: [{ provider: 'x', options: { host: 'h', prot: 25, prt: 1 } }] },
    { file: '/srv/spool.config.yaml', dir: '/srv', env: {} },
  );
  const entry = profile.providers[0]!;
  const check = (schema: JsonSchema, warn: (message: string) => void) =>
    validateOptions({
      schema,
      options: { ...entry.options },
      entry,
      account: entry.accounts[0]!,
      provider: 'spool-provider-x',
      file: profile.file,
      redactor: profile.redactor,
      warn,
    });

  it('strict schema: SPOOL_E_INVALID_OPTIONS naming each key in a plain sentence, nothing warned', async () => {
    const warnings: string[] = [];
    const error = await caught(() => check(STRICT, (message) => warnings.push(message)));
    expect(error.code).toBe('SPOOL_E_INVALID_OPTIONS');
    expect(error.message).toBe(
      '/srv/spool.config.yaml: invalid options for spool-provider-x (entry "x"): providers[0].options.prot is not a known option; did you mean "port"?; providers[0].options.prt is not a known option; did you mean "port"?',
    );
    expect(error.details.keys).toEqual(['providers[0].options.prot', 'providers[0].options.prt']);
    expect(warnings).toEqual([]);
  });

  it('lenient schema: the options are accepted and each unknown key is warned about, with a suggestion', async () => {
    const warnings: string[] = [];
    await check(LENIENT, (message) => warnings.push(message));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^\/srv\/spool\.config\.yaml: providers\[0\]\.options\.prot is not an option spool-provider-x declares; did you mean "port"\? .*warning/,
      ),
      expect.stringContaining('providers[0].options.prt is not an option spool-provider-x declares'),
    ]);
  });

  it('undeclaredOptions: nothing for a strict schema, or one that allows keys by pattern', () => {
    expect(undeclaredOptions(STRICT, { prot: 1 })).toEqual([]);
    expect(undeclaredOptions({ type: 'object', patternProperties: { '^x': {} } }, { prot: 1 })).toEqual([]);
    expect(undeclaredOptions(LENIENT, { host: 'h', hots: 1, zzzzzz: 2 })).toEqual([
      { key: 'hots', suggestion: 'host' },
      { key: 'zzzzzz', suggestion: undefined },
    ]);
  });

  it('a host starting an entry whose schema allows unknown keys logs the warning and logs the entry on', async () => {
    // A provider folder, linked by path, whose schema declares `port` but does not forbid other keys.
    const dir = temporaryDir();
    const folder = join(dir, 'lenient');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'package.json'),
      JSON.stringify({
        name: 'spool-provider-lenient',
        version: '1.0.0',
        type: 'module',
        main: './index.js',
        spool: { spi: '^1.0.0', addressTypes: ['LENIENT'] },
      }),
    );
    writeFileSync(
      join(folder, 'index.js'),
      `export function xpProviderInit() {
  return {
    meta: { name: 'spool-provider-lenient', version: '1.0.0', spi: '^1.0.0', addressTypes: ['LENIENT'],
      optionsSchema: { type: 'object', properties: { port: { type: 'integer' } } } },
    async transportLogon() {
      return { addressTypes: () => ['LENIENT'], transportNotify() {}, async submitMessage() { return { recipients: {} }; }, async transportLogoff() {} };
    },
    async shutdown() {},
  };
}
`,
    );
    const sink = memorySink();
    await using host = await ProviderHost.start({
      profile: fixtureProfile({ providers: [{ provider: './lenient', options: { prot: 25 } }] }, dir),
      logSink: sink,
      strict: true,
    });
    expect(host.logons()).toHaveLength(1);
    const warning = sink.records.find((r) => r.level === 'warn' && r.message.includes('options.prot'));
    expect(warning?.message).toContain(
      'providers[0].options.prot is not an option spool-provider-lenient declares; did you mean "port"?',
    );
    expect(warning?.fields).toMatchObject({ entry: 'lenient' });
  });
});
