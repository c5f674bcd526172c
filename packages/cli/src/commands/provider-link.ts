import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { ErrorCode, HOST_SPI_VERSIONS, normalizeProfile } from '@spool/core';
import {
  entryFileOf,
  isPathSpec,
  negotiateSpiVersion,
  readManifest,
  resolveProviderPackage,
} from '@spool/core/internal';
import { SpoolError } from '@spool/spi';
import type { Command } from '../context.js';
import { CliErrorCode, ExitCode, usageError } from '../errors.js';
import { loadCliProfile } from '../host.js';
import { addProviderEntry } from '../profile-edit.js';
import { trialLoad } from './provider-common.js';

/** What `spool provider link --json` prints. */
export interface LinkReport {
  readonly file: string;
  readonly id: string;
  readonly provider: string;
  readonly name: string;
  readonly version: string;
  readonly spiVersion: string;
  readonly addressTypes: readonly string[];
  /** False when the entry module is missing (not built yet), so the provider was linked without a trial load. */
  readonly loaded: boolean;
  readonly warnings: readonly string[];
}

/**
 * `spool provider link <dir>`: adds a local provider folder to the profile as a relative path. Before any of
 * its code runs, reads its manifest and negotiates the SPI version (refusing an incompatible one); then
 * loads it and logs it on in a throw-away host to prove it works; only then writes the profile.
 */
export const providerLink: Command = async (context) => {
  const { args, options, out, cwd, env } = context;
  if (args.length !== 1) throw usageError('spool provider link takes one provider folder');
  const profile = await loadCliProfile(context);
  const file = profile.file!;
  const dir = resolve(cwd, args[0]!);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new SpoolError(ErrorCode.NOT_INSTALLED, `${dir} is not a folder`, {
      hint: 'Pass the provider folder that holds its package.json.',
      details: { path: dir },
    });
  }
  const rel = relative(profile.dir, dir).split(sep).join('/');
  const spec = rel === '' ? '.' : rel.startsWith('../') || rel === '..' ? rel : `./${rel}`;

  const already = profile.providers.find(
    (entry) => isPathSpec(entry.provider) && resolve(profile.dir, entry.provider) === dir,
  );
  if (already) {
    throw new SpoolError(
      CliErrorCode.ALREADY_LINKED,
      `${file}: ${already.keyPath} already links ${already.provider}`,
      { hint: 'Nothing to do; `spool provider list` shows how it loads.', details: { file, id: already.id } },
    );
  }

  // Manifest and negotiation first: nothing from the folder runs if its SPI range excludes this host.
  const pkg = resolveProviderPackage(spec, { profileDir: profile.dir, where: `${file} (new entry)` });
  const manifest = readManifest(pkg);
  const version = String(pkg.packageJson.version ?? '0.0.0');
  const spiVersion = negotiateSpiVersion(
    { name: pkg.name, version, dir: pkg.dir, range: manifest.spi },
    HOST_SPI_VERSIONS,
  );

  const entry = { provider: spec, ...(options.id ? { id: options.id } : {}) };
  // Normalising a profile of just this entry checks the id and derives it as the real profile will.
  const trial = normalizeProfile({ providers: [entry] }, { file, dir: profile.dir, env });
  const id = trial.providers[0]!.id;
  const taken = profile.providers.find((other) => other.id === id);
  if (taken) {
    throw new SpoolError(
      CliErrorCode.ALREADY_LINKED,
      `${file}: entry id "${id}" is taken by ${taken.keyPath}`,
      {
        hint: `Pass --id <another-id> to give the new entry its own id.`,
        details: { file, id },
      },
    );
  }

  const warnings: string[] = [];
  const warn = (text: string) => {
    warnings.push(text);
    out.warn(text);
  };
  const entryFile = entryFileOf(pkg, manifest);
  let loaded = false;
  if (!existsSync(entryFile)) {
    warn(
      `${pkg.name}@${version}: its entry module ${entryFile} does not exist (not built?); linked without a trial load. Build it, then run \`spool provider list\`.`,
    );
  } else {
    const trialed = await trialLoad(context, profile, entry);
    for (const warning of trialed.warnings) warn(warning);
    loaded = true;
  }

  // The manifest's address types go into the entry: should it fail to load later, its mail still waits.
  await addProviderEntry(file, { ...entry, addressTypes: manifest.addressTypes });
  const report: LinkReport = {
    file,
    id,
    provider: spec,
    name: pkg.name,
    version,
    spiVersion,
    addressTypes: manifest.addressTypes,
    loaded,
    warnings,
  };
  if (options.json) out.json(report);
  else
    out.line(
      `${out.style.green('linked')} ${spec} as "${id}" (${pkg.name}@${version}, SPI ${spiVersion}, ${manifest.addressTypes.join(', ')}) in ${file}`,
    );
  return ExitCode.OK;
};
