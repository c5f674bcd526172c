import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { profileDir, spoolerIn } from './helpers.js';

const SLOTS = fileURLToPath(new URL('./fixtures/node_modules/spool-provider-slots', import.meta.url));

describe("a logon's maxInFlight", () => {
  it('bounds submitMessage calls; a slot frees when submitMessage returns, before the outcome is recorded', async () => {
    const spooler = await spoolerIn(profileDir(), {
      providers: [{ provider: SLOTS, options: { maxInFlight: 2, removalMs: 30 } }],
    });
    for (let i = 0; i < 12; i++) await spooler.submit({ to: `SLOT:r${i}`, subject: `m${i}` });
    const report = await spooler.runOnce();
    expect(report.delivered).toBe(12);
    const stats = JSON.parse(spooler.status().find((r) => r.identity === 'slots')?.text ?? '{}');
    expect(stats.submits).toBe(12);
    expect(stats.maxSubmitting).toBe(2); // never more than the logon allows, and it does run two at once
    // removePreprocessInfo takes 30 ms, submitMessage 5 ms: new hand-offs start during earlier removals.
    expect(stats.submitsDuringRemoval).toBeGreaterThan(0);
    // Unsettled hand-offs (a crash repeats at most these) stay bounded: two per slot.
    expect(spooler.maxUnsettled).toBe(4);
  });
});
