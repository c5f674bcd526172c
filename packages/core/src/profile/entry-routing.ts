import { isAddressType } from '@spool/spi';
import { DURATION_BOUNDS, readDuration } from './duration.js';
import { isObject, type ProblemList, type Raw } from './profile-checks.js';

/** An entry's breaker, normalised: how many failing hand-offs in a row open it, and its cool-downs. */
export interface BreakerConfig {
  /** Temporary hand-off failures in a row that open the breaker (1..1000). */
  readonly after: number;
  /** The first cool-down, in ms; each failed probe doubles it. */
  readonly coolDownMs: number;
  /** The longest cool-down, in ms (≥ `coolDownMs`). */
  readonly maxCoolDownMs: number;
}

/** The breaker's defaults: `breaker: {}` is `{ after: 5, coolDown: 30s, maxCoolDown: 10m }`. */
export const DEFAULT_BREAKER: BreakerConfig = { after: 5, coolDownMs: 30_000, maxCoolDownMs: 600_000 };

const BREAKER_KEYS = ['after', 'coolDown', 'maxCoolDown'] as const;
const MAX_BREAKER_AFTER = 1000;

/** The routing keys of one entry: `addressTypes`, `failover` and `breaker`, each checked on its own. */
export interface EntryRouting {
  readonly addressTypes: readonly string[] | undefined;
  readonly failover: boolean;
  readonly breaker: BreakerConfig | undefined;
}

/**
 * Reads an entry's `addressTypes` (a non-empty list of address types, stored upper-case), `failover`
 * (boolean, default false) and `breaker` (on unless `false`; a mapping sets its numbers). A bad key is recorded in `problems`
 * and the key takes its default, so every bad key of the entry is reported.
 */
export function normalizeEntryRouting(entry: Raw, keyPath: string, problems: ProblemList): EntryRouting {
  const { invalid } = problems;
  const addressTypes = problems.section(undefined, () => {
    const input = entry.addressTypes;
    if (input === undefined) return undefined;
    const bad = Array.isArray(input) ? input.findIndex((type) => !isAddressType(type)) : -1;
    if (!Array.isArray(input) || input.length === 0 || bad >= 0) {
      throw invalid(
        bad >= 0 ? `${keyPath}.addressTypes[${bad}]` : `${keyPath}.addressTypes`,
        bad >= 0
          ? `must be an address type (letters, digits and dashes, starting with a letter), got ${JSON.stringify((input as unknown[])[bad])}`
          : `must be a non-empty list of address types, got ${JSON.stringify(input)}`,
        'Example: addressTypes: [SMTP]. `spool provider add` and `spool provider link` write it from the manifest.',
      );
    }
    return [...new Set((input as string[]).map((type) => type.toUpperCase()))];
  });
  const failover = problems.section(false, () => {
    if (entry.failover === undefined) return false;
    if (typeof entry.failover !== 'boolean')
      throw invalid(
        `${keyPath}.failover`,
        `must be true or false, got ${JSON.stringify(entry.failover)}`,
        'Example: failover: true (the next entry claiming the address type takes the mail while this one cannot serve).',
      );
    return entry.failover;
  });
  const breaker = problems.section(DEFAULT_BREAKER, () =>
    normalizeBreaker(entry.breaker, `${keyPath}.breaker`, problems),
  );
  return { addressTypes, failover, breaker };
}

/**
 * `breaker`: on by default (absent or `true`: {@link DEFAULT_BREAKER}); `false` turns it off; a mapping sets
 * what it names and takes the defaults for the rest.
 */
function normalizeBreaker(input: unknown, keyPath: string, problems: ProblemList): BreakerConfig | undefined {
  const { invalid } = problems;
  if (input === false) return undefined;
  if (input === undefined || input === true) return DEFAULT_BREAKER;
  if (!isObject(input))
    throw invalid(
      keyPath,
      `must be false or a mapping, got ${JSON.stringify(input)}`,
      'Example: breaker: { after: 5, coolDown: 30s, maxCoolDown: 10m }, or breaker: false',
    );
  problems.unknownKeys(input, keyPath, BREAKER_KEYS, 'a breaker');
  const after = input.after ?? DEFAULT_BREAKER.after;
  if (typeof after !== 'number' || !Number.isInteger(after) || after < 1 || after > MAX_BREAKER_AFTER) {
    throw invalid(
      `${keyPath}.after`,
      `must be a whole number from 1 to ${MAX_BREAKER_AFTER}, got ${JSON.stringify(after)}`,
      'Example: after: 5 (failed hand-offs in a row that open the breaker)',
    );
  }
  const coolDownMs =
    input.coolDown === undefined
      ? DEFAULT_BREAKER.coolDownMs
      : readDuration(input.coolDown, `${keyPath}.coolDown`, DURATION_BOUNDS.timer, invalid, 'coolDown: 30s');
  const maxCoolDownMs =
    input.maxCoolDown === undefined
      ? Math.max(DEFAULT_BREAKER.maxCoolDownMs, coolDownMs)
      : readDuration(
          input.maxCoolDown,
          `${keyPath}.maxCoolDown`,
          DURATION_BOUNDS.timer,
          invalid,
          'maxCoolDown: 10m',
        );
  if (maxCoolDownMs < coolDownMs) {
    throw invalid(
      `${keyPath}.maxCoolDown`,
      `must be at least coolDown (${JSON.stringify(input.coolDown)}), got ${JSON.stringify(input.maxCoolDown)}`,
      'The cool-down doubles up to maxCoolDown, so maxCoolDown cannot be shorter than coolDown.',
    );
  }
  return { after, coolDownMs, maxCoolDownMs };
}
