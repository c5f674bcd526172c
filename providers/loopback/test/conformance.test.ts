/**
 * The SPI conformance suite from @spool/testkit, run against the built package (dist/) through the real
 * loader and a real spooler, plus the pack check: the published tarball installs and loads.
 */
import { fileURLToPath } from 'node:url';
import { packCheck, runConformance } from '@spool/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

runConformance({ packageDir, addresses: ['LOOP:alice', 'loop:bob'], options: {}, describe, it });

describe('the packed tarball', () => {
  it('installs into a scratch project and loads through the real loader', async () => {
    const report = await packCheck(packageDir);
    expect(report.files).toContain('dist/index.js');
    expect(report.meta).toMatchObject({ name: '@spool/provider-loopback', addressTypes: ['LOOP'] });
  }, 120_000);
});
