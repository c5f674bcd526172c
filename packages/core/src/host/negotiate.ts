import { ErrorCode, spoolError } from '../errors.js';
import { greaterThan, maxSatisfying, minVersion } from './spi-range.js';

/** The provider facts the SPI negotiation looks at and reports. */
export interface NegotiationSubject {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly range: string;
}

/**
 * The host's side of the two-sided negotiation (MAPI's version check in `XPProviderInit`): the highest SPI
 * version this host implements that the provider's manifest range accepts. Throws `SPOOL_E_SPI_MISMATCH`
 * when there is none — before any provider code was imported.
 */
export function negotiateSpiVersion(subject: NegotiationSubject, hostVersions: readonly string[]): string {
  const chosen = maxSatisfying([...hostVersions], subject.range);
  if (chosen !== null) return chosen;
  const wanted = minVersion(subject.range) ?? subject.range;
  const hostMax = maxSatisfying([...hostVersions], '*') ?? hostVersions.at(-1);
  const providerIsNewer = hostMax !== undefined && greaterThan(wanted, hostMax);
  throw spoolError(
    ErrorCode.SPI_MISMATCH,
    `${subject.name}@${subject.version} (${subject.dir}) needs SPI ${subject.range}, but this host implements SPI ${hostVersions.join(', ')}`,
    providerIsNewer
      ? `Upgrade @spool/core / @spool/cli to a release that implements SPI ${wanted}, or install a version of ${subject.name} whose "spool.spi" accepts ${hostMax} (spool provider add ${subject.name} picks one).`
      : `Install a newer version of ${subject.name} whose "spool.spi" accepts ${hostMax} (spool provider add ${subject.name} picks one), or use a host release that still implements SPI ${wanted}.`,
    {
      provider: subject.name,
      version: subject.version,
      path: subject.dir,
      range: subject.range,
      hostVersions: [...hostVersions],
      needs: wanted,
    },
  );
}
