/**
 * The one check of what `transportLogon` returned, shared by the host (which refuses a logon without the
 * required methods and falls back to defaults for bad optional members) and the testkit's conformance
 * suite (which fails on both).
 */

/** The methods every TransportLogon has (SPI 1.0). */
export const REQUIRED_LOGON_METHODS = [
  'addressTypes',
  'transportNotify',
  'submitMessage',
  'transportLogoff',
] as const;

/** An optional logon member with a value the SPI does not allow, and the rule it breaks. */
export interface InvalidLogonMember {
  readonly member: 'maxInFlight' | 'pollIntervalMs';
  readonly value: unknown;
  readonly rule: string;
}

/** What is wrong with a logon object: required methods it lacks, optional members with bad values. */
export interface LogonShapeProblems {
  readonly missing: readonly string[];
  readonly invalid: readonly InvalidLogonMember[];
}

/** Checks a value returned by `transportLogon`; both lists are empty for a well-formed logon. */
export function checkLogonShape(logon: unknown): LogonShapeProblems {
  const record = (typeof logon === 'object' && logon !== null ? logon : {}) as Record<string, unknown>;
  const missing = REQUIRED_LOGON_METHODS.filter((name) => typeof record[name] !== 'function');
  const invalid: InvalidLogonMember[] = [];
  const { maxInFlight, pollIntervalMs } = record;
  if (maxInFlight !== undefined && !(Number.isInteger(maxInFlight) && (maxInFlight as number) >= 1))
    invalid.push({ member: 'maxInFlight', value: maxInFlight, rule: 'an integer ≥ 1, or left out (1)' });
  if (pollIntervalMs !== undefined && !(typeof pollIntervalMs === 'number' && pollIntervalMs > 0))
    invalid.push({
      member: 'pollIntervalMs',
      value: pollIntervalMs,
      rule: 'a positive number of milliseconds, or left out (the profile’s pollInterval)',
    });
  return { missing, invalid };
}
