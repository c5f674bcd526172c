import { describe, expect, it } from 'vitest';
import { matchesNumberRule, normaliseFaxNumber } from '../src/number.js';

describe('normaliseFaxNumber', () => {
  it.each([
    ['+1 555 0100', '+15550100'],
    ['+15550100', '+15550100'],
    ['+1 (555) 010-0', '+15550100'],
    ['+44.20.7946.0958', '+442079460958'],
    ['  +49 30 1234-5678  ', '+493012345678'],
    ['+123456789012345', '+123456789012345'], // 15 digits: the E.164 maximum
    ['+1\t555\t0100', '+15550100'],
  ])('%j → %s', (input, expected) => {
    expect(normaliseFaxNumber(input)).toEqual({ ok: true, number: expected });
  });

  it.each([
    ['5550100', 'no country code'],
    ['+1234567890123456', '16 digits'],
    ['+', 'no digits'],
    ['', 'empty'],
    ['+1 555 CALL', 'letters'],
    ['++15550100', 'two plus signs'],
    ['00 1 555 0100', 'international prefix instead of +'],
    ['+1/555/0100', 'slashes are not separators'],
  ])('refuses %j (%s)', (input) => {
    const result = normaliseFaxNumber(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/invalid fax number/);
  });
});

describe('matchesNumberRule', () => {
  it('matches exact numbers written with separators, and prefixes with a trailing *', () => {
    expect(matchesNumberRule('+15550100', ['+1 555 0100'])).toBe(true);
    expect(matchesNumberRule('+15550101', ['+1 555 0100'])).toBe(false);
    expect(matchesNumberRule('+15559999', ['+1 555 9*'])).toBe(true);
    expect(matchesNumberRule('+15550100', ['+1 555 9*'])).toBe(false);
    expect(matchesNumberRule('+15550100', [])).toBe(false);
  });
});
