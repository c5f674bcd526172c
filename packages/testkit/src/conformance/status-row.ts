import { conformanceError } from '../errors.js';
import { withHost } from './real-host.js';
import type { Rule } from './suite.js';

/** The logon's status row under the real host, from logon to logoff. */
export const statusRowRule: Rule = {
  title: 'status row: the real host creates it at logon, updates it with traffic, and removes it at logoff',
  async check(suite) {
    await withHost(suite, async (host, handle, pkg) => {
      const row = host.statusTable.get(handle.id);
      if (!row || row.kind !== 'logon' || row.provider?.name !== pkg.name || !row.available) {
        throw conformanceError(
          pkg.name,
          'Support calls (provider → host)',
          `after logon the status row is ${JSON.stringify(row)}`,
          'A logon that succeeded must leave its row available (do not set available: false unless it cannot take traffic).',
        );
      }
      await host.beginTraffic();
      const enabled = host.statusTable.get(handle.id);
      if (!enabled?.outbound.enabled || !enabled.inbound.enabled) {
        throw conformanceError(
          pkg.name,
          'logon.transportNotify(event)',
          'transportNotify(begin-outbound/begin-inbound) failed under the real host',
          'See the host log; every event must be accepted.',
        );
      }
      await host.stop();
      if (host.statusTable.get(handle.id) !== undefined) {
        throw conformanceError(
          pkg.name,
          'Lifecycle',
          'the status row outlived logoff',
          'This is a host bug; report it.',
        );
      }
    });
  },
};
