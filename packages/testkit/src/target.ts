import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HOST_SPI_VERSIONS, HOST_VERSION } from '@spool/core';
import { checkProviderObject, type ImportedProvider, importProvider } from '@spool/core/internal';
import type { Logger, ProviderMeta, TransportProvider, XPProviderInit } from '@spool/spi';
import { usageError } from './errors.js';

/**
 * Which provider a test-kit function works on: a package folder (the normal case: the real loader reads its
 * package.json and imports its built entry), or an `xpProviderInit` function in memory (for unit tests of a
 * provider that is not built yet; the kit writes a small package around it so the real loader still runs).
 */
export type ProviderTarget =
  | { readonly packageDir: string; readonly provider?: undefined; readonly packageJson?: undefined }
  | {
      readonly provider: XPProviderInit;
      /** package.json fields for the in-memory provider; default: derived from `provider.meta`. */
      readonly packageJson?: Readonly<Record<string, unknown>>;
      readonly packageDir?: undefined;
    };

/** A provider package on disk, ready for the real loader. */
export interface PreparedPackage {
  /** The package folder. */
  readonly dir: string;
  /** The parsed package.json. */
  readonly packageJson: Readonly<Record<string, unknown>>;
  /** The package name (for messages). */
  readonly name: string;
  /** Removes what the kit wrote (nothing for a real package folder). */
  cleanup(): Promise<void>;
}

const IN_MEMORY = Symbol.for('@spool/testkit/in-memory-providers');
let nextKey = 0;

function inMemorySlot(): Map<string, XPProviderInit> {
  const holder = globalThis as { [IN_MEMORY]?: Map<string, XPProviderInit> };
  holder[IN_MEMORY] ??= new Map();
  return holder[IN_MEMORY];
}

/** Puts the target on disk: a real package as is, an in-memory provider inside a generated package. */
export async function preparePackage(target: ProviderTarget, caller: string): Promise<PreparedPackage> {
  if (target.packageDir !== undefined && target.provider !== undefined) {
    throw usageError(`${caller}: both packageDir and provider were given`, 'Pass one of them.');
  }
  if (target.packageDir !== undefined) {
    const dir = resolve(target.packageDir);
    const file = join(dir, 'package.json');
    if (!existsSync(file)) {
      throw usageError(
        `${caller}: ${dir} has no package.json`,
        'packageDir is the provider package folder (the one holding package.json), e.g. new URL("..", import.meta.url).pathname from test/.',
      );
    }
    const packageJson = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    return { dir, packageJson, name: String(packageJson.name ?? dir), cleanup: async () => {} };
  }
  const provider = target.provider;
  if (typeof provider !== 'function') {
    throw usageError(
      `${caller}: neither packageDir nor provider was given`,
      'Pass packageDir (the provider package folder) or provider (its xpProviderInit export).',
    );
  }
  const meta: ProviderMeta | undefined = provider.meta;
  if (meta === undefined && target.packageJson === undefined) {
    throw usageError(
      `${caller}: the in-memory provider has no meta and no packageJson was given`,
      'Build the provider with defineProvider() (it stamps meta on xpProviderInit), or pass packageJson with name, version and the "spool" manifest.',
    );
  }
  const key = `p${nextKey++}`;
  inMemorySlot().set(key, provider);
  const dir = await mkdtemp(join(tmpdir(), 'spool-testkit-provider-'));
  const packageJson: Record<string, unknown> = {
    name: meta?.name,
    version: meta?.version,
    type: 'module',
    keywords: ['spool-provider'],
    spool: { spi: meta?.spi, addressTypes: meta?.addressTypes },
    ...target.packageJson,
  };
  // The entry hands the loader the function kept in memory; the loader still reads the manifest first.
  const spool = { ...(packageJson.spool as Record<string, unknown>), entry: './index.mjs' };
  packageJson.spool = spool;
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  await writeFile(
    join(dir, 'index.mjs'),
    `export const xpProviderInit = globalThis[Symbol.for('@spool/testkit/in-memory-providers')].get(${JSON.stringify(key)});\n`,
  );
  return {
    dir,
    packageJson,
    name: String(packageJson.name),
    cleanup: async () => {
      inMemorySlot().delete(key);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Imports the provider the way the host does: manifest, negotiation, import, shape. */
export function importThroughLoader(dir: string, profileDir: string): Promise<ImportedProvider> {
  return importProvider(dir, { profileDir, hostSpiVersions: HOST_SPI_VERSIONS });
}

/** Calls `xpProviderInit` with a host-like context and checks the object against the manifest. */
export async function initProvider(
  imported: ImportedProvider,
  logger: Logger,
  entryId = 'conformance',
): Promise<TransportProvider> {
  const provider = await imported.xpProviderInit({
    spiVersion: imported.spiVersion,
    hostSpiVersions: HOST_SPI_VERSIONS,
    hostVersion: HOST_VERSION,
    entryId,
    logger,
  });
  return checkProviderObject(imported, provider);
}

/** A logger that keeps what it is told (tests print it only when they need to). */
export function memoryLogger(): Logger & { readonly records: { level: string; message: string }[] } {
  const records: { level: string; message: string }[] = [];
  const log =
    (level: string) =>
    (fields: Record<string, unknown> | string, message?: string): void => {
      records.push({
        level,
        message: typeof fields === 'string' ? fields : (message ?? JSON.stringify(fields)),
      });
    };
  return { records, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
