/**
 * The SPI conformance suite from @spool/testkit against the built package (dist/): pages rendered by the
 * real preprocessor, a simulated line at time factor 0 (no waiting), plus the pack check.
 */
import { fileURLToPath } from 'node:url';
import { packCheck, runConformance } from '@spool/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

runConformance({
  packageDir,
  addresses: ['FAX:+15550100', 'fax:+442079460958'],
  from: 'FAX:+15550199',
  options: { timeFactor: 0, stationId: 'conformance' },
  describe,
  it,
});

describe('the packed tarball', () => {
  it('installs into a scratch project and loads through the real loader', async () => {
    const report = await packCheck(packageDir);
    expect(report.files).toContain('dist/index.js');
    expect(report.meta).toMatchObject({ name: '@spool/provider-fax-sim', addressTypes: ['FAX'] });
  }, 120_000);
});
