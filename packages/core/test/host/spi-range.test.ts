import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { greaterThan, isValidRange, maxSatisfying, minVersion } from '../../src/host/spi-range.js';

const HOSTS = [
  ['1.0.0'],
  ['1.0.0', '1.1.0', '1.2.0'],
  ['0.1.0', '0.2.0'],
  ['1.0.0', '2.0.0', '2.3.0', '3.0.0'],
  ['0.0.1', '0.0.2'],
];
const RANGES = [
  '^1.0.0',
  '^1.1.0',
  '^2.0.0',
  '^0.1.0',
  '^0.0.1',
  '~1.1.0',
  '>=1.1.0',
  '1.0.0',
  '=2.0.0',
  '*',
  '',
  '^99.0.0',
  '1.x',
  '>=1.0.0 <2.0.0',
  '^1.0.0 || ^2.0.0',
  'v1.0.0',
  '^1.0.0-beta.1',
];

describe('the fast SPI range check agrees with semver', () => {
  for (const hosts of HOSTS) {
    for (const range of RANGES) {
      it(`maxSatisfying([${hosts.join(', ')}], "${range}")`, () => {
        expect(maxSatisfying(hosts, range)).toBe(semver.maxSatisfying(hosts, range));
      });
    }
  }
  it('validity, minimum version and ordering', () => {
    for (const range of [...RANGES, 'not a range', '^^1']) {
      expect(isValidRange(range)).toBe(semver.validRange(range) !== null);
    }
    for (const range of RANGES) expect(minVersion(range)).toBe(semver.minVersion(range)?.version);
    expect(greaterThan('2.0.0', '1.9.9')).toBe(true);
    expect(greaterThan('1.0.0', '1.0.0')).toBe(false);
  });
});
