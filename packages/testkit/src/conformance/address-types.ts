import { parseAddress } from '@spool/core/internal';
import { isAddressType } from '@spool/spi';
import { conformanceError, usageError } from '../errors.js';
import { withLogon } from './session.js';
import type { Rule } from './suite.js';

/** The keys a status-row patch may set; the host owns the rest of the row. */
const STATUS_PATCH_KEYS = new Set([
  'displayName',
  'identity',
  'text',
  'progress',
  'available',
  'offline',
  'failure',
  'lastError',
]);

const sortedTypes = (types: readonly string[]) => [...types].map((t) => t.toUpperCase()).sort();

/**
 * What a fresh logon claims: well-formed address types equal to the manifest's (the logon's shape itself is
 * checked by every logOn), and the status-row patches it made while logging on.
 */
export const addressTypesRule: Rule = {
  title:
    'transportLogon and addressTypes: a logon whose address types are well-formed and equal the manifest',
  async check(suite) {
    await withLogon(suite, { traffic: false }, async (session, logon, support) => {
      const types = logon.addressTypes();
      if (!Array.isArray(types) || types.length === 0 || !types.every(isAddressType)) {
        throw conformanceError(
          session.name,
          'logon.addressTypes()',
          `addressTypes() returned ${JSON.stringify(types)}`,
          'Return a non-empty list like ["SMTP"] (letters, digits, dashes; starting with a letter).',
        );
      }
      if (sortedTypes(types).join() !== sortedTypes(session.manifestTypes).join()) {
        throw conformanceError(
          session.name,
          'logon.addressTypes()',
          `addressTypes() returned [${types.join(', ')}] but the manifest declares [${session.manifestTypes.join(', ')}]`,
          "With default options a logon claims exactly the manifest's address types (run the suite with options that keep the defaults).",
        );
      }
      const unrouted = suite.config.addresses.filter(
        (a) => !sortedTypes(types).includes(parseAddress(a, 'SMTP').addressType),
      );
      if (unrouted.length > 0) {
        throw usageError(
          `runConformance: sample addresses ${unrouted.join(', ')} are not of a type the logon claims ([${types.join(', ')}])`,
          "Give sample addresses of the provider's own address type.",
        );
      }
      const bad = support.patches.find((patch) =>
        Object.keys(patch).some((key) => !STATUS_PATCH_KEYS.has(key)),
      );
      if (bad) {
        throw conformanceError(
          session.name,
          'Support calls (provider → host)',
          `modifyStatusRow got unknown keys: ${JSON.stringify(bad)}`,
          `A patch may set ${[...STATUS_PATCH_KEYS].join(', ')}; the host keeps the rest.`,
        );
      }
    });
  },
};
