import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../src/index.js';
import { writeProvider } from './fixtures/make-provider.js';

let work: string;
let packageDir: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'spool-testkit-harness-'));
  packageDir = await writeProvider(join(work, 'provider'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('createHarness', () => {
  it("runs the provider in a real spooler: submit, deliver, Sent, the provider's files, status", async () => {
    const harness = await createHarness({ packageDir, options: { folder: 'drop' } });
    try {
      const { id } = await harness.submit({ to: ['FILE:alice', 'FILE:bob'], subject: 'through the harness' });
      expect((await harness.outbox()).map((m) => m.id)).toEqual([id]);
      const message = await harness.deliver(id);
      expect(message).toMatchObject({ state: 'finished', folder: 'Sent' });
      expect(message.recipients.map((r) => r.outcome)).toEqual(['delivered', 'delivered']);
      expect((await harness.sent()).map((m) => m.id)).toEqual([id]);
      expect(await harness.inbox()).toEqual([]);
      const drop = join(harness.dir, '.spool', 'data', 'provider', 'default', 'drop');
      expect((await readdir(drop)).sort()).toEqual([`${id}-0.json`, `${id}-1.json`]);
      const row = harness.status().find((r) => r.kind === 'logon');
      expect(row).toMatchObject({ id: 'provider/default', identity: `file:${drop}`, counters: { sent: 2 } });
    } finally {
      await harness.dispose();
    }
    expect(existsSync(harness.dir)).toBe(false);
    await harness.dispose(); // idempotent
  });

  it("throws the host's coded error when the provider does not load", async () => {
    const error = await createHarness({ packageDir, options: { folder: 3 } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SPOOL_E_INVALID_OPTIONS' });
    expect((error as Error).message).toContain('providers[0].options.folder');
  });

  it('supports await using', async () => {
    let dir: string;
    {
      await using harness = await createHarness({ packageDir });
      dir = harness.dir;
      expect(existsSync(dir)).toBe(true);
    }
    expect(existsSync(dir)).toBe(false);
  });
});
