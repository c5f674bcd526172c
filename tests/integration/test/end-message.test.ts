import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { profileDir, spoolerIn } from './helpers.js';

const END_CHECK = fileURLToPath(new URL('./fixtures/node_modules/spool-provider-end-check', import.meta.url));

describe('endMessage', () => {
  it('is called after the outcomes of the hand-off are committed, as the SPI promises', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, { providers: [{ provider: END_CHECK }] });
    const { id } = await spooler.submit({ to: 'END:someone', subject: 'end' });
    await spooler.runOnce();
    expect((await spooler.get(id)).folder).toBe('Sent');
    // The provider read the store from its own connection inside endMessage.
    const row = spooler.status().find((r) => r.identity === 'end-check');
    expect(row?.text).toBe('endMessage saw delivered');
  });
});
