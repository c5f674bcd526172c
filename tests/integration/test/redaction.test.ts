import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EmbeddedStore, openEmbeddedStore } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';
import { profileDir, spoolerIn } from './helpers.js';

const DECLINE = fileURLToPath(new URL('./fixtures/node_modules/spool-provider-decline', import.meta.url));
const CANARY = 'canary-7f3a9c-secret';

afterEach(() => {
  delete process.env.SPOOL_TEST_DECLINE_PASSWORD;
});

/** Every byte the store left on disk (the database, its WAL and shared memory), as text. */
function storeBytes(dir: string): string {
  return readdirSync(dir)
    .filter((name) => name.startsWith('spool.db'))
    .map((name) => readFileSync(join(dir, name)).toString('latin1'))
    .join('\n');
}

describe('secrets from ${ENV} references', () => {
  it('a not-mine reason that quotes a secret option is redacted before it is stored', async () => {
    process.env.SPOOL_TEST_DECLINE_PASSWORD = CANARY;
    const dir = profileDir();
    // What the spooler hands the store: the reason lives in the store between the decline and the final outcome.
    const real = await openEmbeddedStore(join(dir, 'spool.db'));
    const written: string[] = [];
    const store = new Proxy(real, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== 'settle' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return (...args: Parameters<EmbeddedStore['settle']>) => {
          written.push(JSON.stringify(args[0].updates));
          return target.settle(...args);
        };
      },
    });
    const spooler = await spoolerIn(
      dir,
      {
        providers: [
          // The provider declines every recipient with a reason quoting its password; nobody else claims LOOP.
          { provider: DECLINE, options: { password: '${SPOOL_TEST_DECLINE_PASSWORD}' } },
        ],
      },
      { store },
    );
    const { id } = await spooler.submit({ to: 'LOOP:someone', subject: 'declined' });
    await spooler.runOnce();
    const message = await spooler.get(id);
    expect(message.recipients[0]).toMatchObject({ outcome: 'failed' });
    expect(message.recipients[0]?.lastError).toContain('declined by');
    expect(JSON.stringify(message)).not.toContain(CANARY);
    expect(written.join('\n')).toContain('not for me');
    expect(written.join('\n')).not.toContain(CANARY);
    await spooler.stop();
    expect(storeBytes(dir)).not.toContain(CANARY);
  });
});
