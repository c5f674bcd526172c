import {
  type EntryState,
  type ProviderSource,
  type ResolvedPackage,
  readManifest,
  resolveProviderPackage,
} from '@spool/core/internal';
import type { ProviderManifest, SpoolError } from '@spool/spi';
import { builtinProviders } from '../builtins.js';
import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { loadCliProfile, startHost } from '../host.js';
import { table } from '../output.js';

/** One row of `spool provider list --json`: a profile entry and what became of it. */
export interface ProviderListRow {
  /** The entry id. */
  readonly id: string;
  /** What the profile says to load. */
  readonly provider: string;
  /** The package name, when the package was found. */
  readonly name: string | null;
  readonly version: string | null;
  /** How the package was found: installed (node_modules), managed (.spool/providers), builtin, path. */
  readonly source: ProviderSource | null;
  /** The package directory. */
  readonly path: string | null;
  /** The manifest's SPI range. */
  readonly spiRange: string | null;
  /** The SPI version negotiated with this host. */
  readonly spiVersion: string | null;
  /**
   * The address types the logons claim; when no logon came up, the manifest's, else the entry's own
   * `addressTypes:` key (a failed entry keeps claiming them: their mail waits for it).
   */
  readonly addressTypes: readonly string[];
  /** Copies of the package this one shadows (e.g. a built-in overridden by an installed copy). */
  readonly shadowed: readonly { readonly path: string; readonly source: ProviderSource }[];
  readonly state: 'active' | 'failed';
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** `spool provider list`: loads every entry of the profile and reports where it came from and how it went. */
export const providerList: Command = async (context) => {
  const { out, options } = context;
  const profile = await loadCliProfile(context);
  const host = await startHost(context, profile);
  let rows: ProviderListRow[];
  try {
    rows = host.entries.map((entry) =>
      describeEntry(entry, profile.dir, profile.redactor.text.bind(profile.redactor)),
    );
  } finally {
    await host.stop();
  }
  if (options.json) {
    out.json(rows);
    return ExitCode.OK;
  }
  if (rows.length === 0) {
    out.line('no providers in the profile');
    return ExitCode.OK;
  }
  const s = out.style;
  const lines = table([
    ['ID', 'PACKAGE', 'VERSION', 'SOURCE', 'SPI', 'TYPES', 'STATE', 'PATH'].map((h) => s.bold(h)),
    ...rows.map((row) => [
      row.id,
      row.name ?? row.provider,
      row.version ?? '-',
      row.source ?? '-',
      row.spiVersion ?? (row.spiRange ? `(${row.spiRange})` : '-'),
      row.addressTypes.join(',') || '-',
      row.state === 'active' ? s.green('active') : s.red(`failed ${row.error?.code ?? ''}`.trim()),
      row.path ?? '-',
    ]),
  ]);
  for (const line of lines) out.line(line);
  for (const row of rows) {
    if (row.error) {
      out.line(`${s.dim(`${row.id}:`)} ${row.error.code}: ${row.error.message}`);
      const types = row.addressTypes.length > 0 ? ` for ${row.addressTypes.join(', ')}` : '';
      out.line(s.dim(`${row.id}: cannot serve; its mail${types} waits in the Outbox until it serves again`));
    }
    for (const copy of row.shadowed)
      out.line(s.dim(`${row.id}: overrides the ${copy.source} copy at ${copy.path}`));
  }
  return ExitCode.OK;
};

/** The list row of one entry of a started host; a failed entry is resolved again to say where it was found. */
export function describeEntry(
  entry: EntryState,
  profileDir: string,
  redact: (text: string) => string,
): ProviderListRow {
  const { config, imported } = entry;
  // A failed entry may still have been found on disk: resolve it again (reads package.json only, runs nothing).
  let pkg: ResolvedPackage | undefined = imported?.package;
  let manifest: ProviderManifest | undefined = imported?.manifest;
  if (!pkg) {
    try {
      pkg = resolveProviderPackage(config.provider, { profileDir, builtins: builtinProviders() });
      manifest = readManifest(pkg);
    } catch {
      // Not found, or found with a bad manifest: the entry's error says which.
    }
  }
  const logonTypes = [...new Set(entry.logons.flatMap((logon) => logon.addressTypes))];
  const error: SpoolError | undefined = entry.status === 'failed' ? entry.error : undefined;
  return {
    id: config.id,
    provider: config.provider,
    name: pkg?.name ?? null,
    version: pkg ? String(pkg.packageJson.version ?? '0.0.0') : null,
    source: pkg?.source ?? null,
    path: pkg?.dir ?? null,
    spiRange: manifest?.spi ?? null,
    spiVersion: imported?.spiVersion ?? null,
    addressTypes:
      logonTypes.length > 0
        ? logonTypes
        : [...(manifest?.addressTypes ?? configuredTypes(config) ?? [])].map((t) => t.toUpperCase()),
    shadowed: (pkg?.shadowed ?? []).map((copy) => ({ path: copy.dir, source: copy.source })),
    state: entry.status === 'failed' ? 'failed' : 'active',
    error: error ? { code: error.code, message: redact(error.message) } : null,
  };
}

/** The entry's own `addressTypes:` key, once the profile carries it (`provider add` and `link` write it). */
function configuredTypes(config: EntryState['config']): readonly string[] | undefined {
  const types = (config as { addressTypes?: unknown }).addressTypes;
  return Array.isArray(types) && types.every((t) => typeof t === 'string') ? types : undefined;
}
