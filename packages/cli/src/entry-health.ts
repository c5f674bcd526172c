import type { Profile, ProviderEntryConfig, ProviderInfo, SubmitInput } from '@spool/core';
import { type ParsedAddress, parseAddress, readManifest, resolveProviderPackage } from '@spool/core/internal';
import { builtinProviders } from './builtins.js';

/**
 * What the CLI shows an operator about provider entries that cannot serve: the daemon's `/healthz` and
 * `/readyz`, `spool run --once`'s exit code, `spool send`'s warning, `spool status`. Every one of them reads
 * the same plain data (`spooler.providers()`, or a host's entries mapped to that shape) through the functions
 * here, so a new reason not to serve (a logon suspended by a circuit breaker, say) is one more condition in
 * {@link notServing}.
 */

/** The part of a `ProviderInfo` these checks read (a host's `EntryState` maps to it as well). */
export type EntryFacts = Pick<ProviderInfo, 'id' | 'status' | 'error' | 'suspended'>;

/** An entry that cannot serve, by code only (what the unauthenticated routes may show). */
export interface FailingEntry {
  /** The entry id (`providers[].id`). */
  readonly entry: string;
  /** The entry's stable error code. */
  readonly code: string;
}

/** A failing entry with the facts only an authenticated caller or a local command gets. */
export interface FailingEntryDetail extends FailingEntry {
  /** What happened, secrets redacted. */
  readonly message: string;
  /** The address types it claims (its mail waits for it), or null when they are not known. */
  readonly addressTypes: readonly string[] | null;
}

/** The code of a failed entry that carries no coded error of its own. */
const UNCODED = 'SPOOL_E_PROVIDER_FAILED';

/**
 * Why an entry cannot serve right now, or undefined when it can: it failed (not installed, import, SPI,
 * options, logon, …), or a logon of it is suspended by its breaker. A `stopped` entry is shutting down with
 * its spooler, not failing.
 */
export function notServing(
  entry: EntryFacts,
): { readonly code: string; readonly message: string } | undefined {
  if (entry.status === 'failed')
    return { code: entry.error?.code ?? UNCODED, message: entry.error?.message ?? 'the entry failed' };
  const [suspended] = entry.suspended ?? [];
  if (suspended)
    return {
      code: 'SPOOL_E_ROUTE_SUSPENDED',
      message: `${suspended.logonId}: its breaker is open until ${new Date(suspended.until).toISOString()} (hand-offs kept failing temporarily)`,
    };
  return undefined;
}

/** The entries that cannot serve, in profile order, by code. */
export function failingEntries(entries: readonly EntryFacts[]): FailingEntry[] {
  return entries.flatMap((entry) => {
    const why = notServing(entry);
    return why ? [{ entry: entry.id, code: why.code }] : [];
  });
}

/** What `GET /readyz` answers: ready when every entry serves. */
export interface Readiness {
  readonly ready: boolean;
  readonly failing: readonly FailingEntry[];
}

/** Ready when no entry is failing (see {@link notServing}). */
export function readiness(entries: readonly EntryFacts[]): Readiness {
  const failing = failingEntries(entries);
  return { ready: failing.length === 0, failing };
}

/**
 * The address types an entry claims, or undefined when they are not known: the types the core reports for
 * it, else its package's manifest (`spool.addressTypes`, read from package.json: nothing of the provider
 * runs), else the entry's own `addressTypes:` key (which `provider add` and `provider link` write).
 */
export function entryAddressTypes(
  config: ProviderEntryConfig,
  profileDir: string,
  info?: ProviderInfo,
): readonly string[] | undefined {
  const reported = typeList((info as { addressTypes?: unknown } | undefined)?.addressTypes);
  if (reported) return reported;
  try {
    const manifest = readManifest(
      resolveProviderPackage(config.provider, { profileDir, builtins: builtinProviders() }),
    );
    return manifest.addressTypes.map((type) => type.toUpperCase());
  } catch {
    // Not found, or a bad manifest: the entry's own key, if it has one.
  }
  return typeList((config as { addressTypes?: unknown }).addressTypes);
}

function typeList(value: unknown): readonly string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every((t) => typeof t === 'string'))
    return undefined;
  return value.map((type: string) => type.toUpperCase());
}

/** The failing entries with their (redacted) messages and the address types they claim. */
export function failingDetails(entries: readonly ProviderInfo[], profile: Profile): FailingEntryDetail[] {
  return entries.flatMap((info) => {
    const why = notServing(info);
    if (!why) return [];
    const config = profile.providers.find((entry) => entry.id === info.id);
    const types = config ? entryAddressTypes(config, profile.dir, info) : undefined;
    return [
      {
        entry: info.id,
        code: why.code,
        message: profile.redactor.text(why.message),
        addressTypes: types ? [...types] : null,
      },
    ];
  });
}

/** One warning of `spool send`: recipients whose address type belongs to an entry that cannot serve. */
export interface SendWarning {
  /** The address type. */
  readonly addressType: string;
  /** The recipients of that type, as stored (`TYPE:rest`). */
  readonly recipients: readonly string[];
  /** The entry the type belongs to. */
  readonly entry: string;
  /** The entry's stable error code. */
  readonly code: string;
  /** Its error, secrets redacted. */
  readonly message: string;
}

/**
 * The warnings for a message sent to `addresses`: for each address type, the first entry in profile order
 * that claims it (an entry whose types are unknown claims every type no other entry claims), when that entry
 * cannot serve. Its mail is queued and waits for it. An entry with `failover: true` whose type a later entry
 * that serves also claims is passed over, as routing does.
 */
export function sendWarnings(
  entries: readonly ProviderInfo[],
  profile: Profile,
  addresses: readonly string[],
): SendWarning[] {
  if (!entries.some((entry) => notServing(entry))) return [];
  try {
    return warningsFor(entries, profile, addresses);
  } catch {
    // Best effort: the message is stored already, and a warning must never turn that into an error (a
    // client would send it again).
    return [];
  }
}

function warningsFor(
  entries: readonly ProviderInfo[],
  profile: Profile,
  addresses: readonly string[],
): SendWarning[] {
  const byType = new Map<string, string[]>();
  for (const input of addresses) {
    let parsed: ParsedAddress;
    try {
      parsed = parseAddress(input, profile.defaultAddressType);
    } catch {
      continue; // the submit refused it already
    }
    const list = byType.get(parsed.addressType) ?? [];
    if (!list.includes(parsed.address)) list.push(parsed.address);
    byType.set(parsed.addressType, list);
  }
  const claims = entries.map((info) => {
    const config = profile.providers.find((entry) => entry.id === info.id);
    return {
      info,
      failover: (config as { failover?: unknown } | undefined)?.failover === true,
      types: config ? entryAddressTypes(config, profile.dir, info) : undefined,
    };
  });
  const warnings: SendWarning[] = [];
  for (const [type, recipients] of byType) {
    let claimants = claims.filter((claim) => claim.types?.includes(type));
    if (claimants.length === 0) claimants = claims.filter((claim) => claim.types === undefined);
    const first = claimants[0];
    const why = first ? notServing(first.info) : undefined;
    if (!first || !why) continue;
    if (first.failover && claimants.some((claim) => !notServing(claim.info))) continue;
    warnings.push({
      addressType: type,
      recipients,
      entry: first.info.id,
      code: why.code,
      message: profile.redactor.text(why.message),
    });
  }
  return warnings;
}

/** Every recipient address of a message input (to, cc, bcc and recipients), as given. */
export function recipientsOf(input: SubmitInput): string[] {
  const list = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.filter((v) => typeof v === 'string')
        : [];
  const listed = Array.isArray(input.recipients) ? input.recipients.map((r) => r?.address) : [];
  return [...list(input.to), ...list(input.cc), ...list(input.bcc), ...list(listed)];
}
