import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
// @spool/spi is a regular dependency of the scaffolder (not a dev one): it runs here at scaffold time for
// SpoolError and the address-type rule, and it is small and dependency-free. The package it writes needs
// @spool/spi too (as a dev dependency), so installing the scaffolder fetches nothing a provider author lacks.
// isAddressType needs @spool/spi 1.1; `workspace:^` is published as `^` of the version released alongside.
import { isAddressType, SpoolError } from '@spool/spi';
import { files, type TemplateInput } from './templates.js';

/** The error codes of the scaffolder: stable strings, like every spool code. */
export const CreateErrorCode = {
  /** The package name is not a valid npm name. */
  BAD_NAME: 'SPOOL_E_CREATE_BAD_NAME',
  /** The address type is not one (`isAddressType()` of `@spool/spi`: a letter, then letters, digits, dashes). */
  BAD_ADDRESS_TYPE: 'SPOOL_E_CREATE_BAD_ADDRESS_TYPE',
  /** The target folder exists and is not empty. */
  DIR_NOT_EMPTY: 'SPOOL_E_CREATE_DIR_NOT_EMPTY',
  /** The command line is incomplete or has an unknown flag. */
  USAGE: 'SPOOL_E_CREATE_USAGE',
} as const;

/** What {@link scaffold} needs. Only `name` is required. */
export interface ScaffoldOptions {
  /** `folder` (→ `spool-provider-folder`), `spool-provider-folder`, or a scoped `@acme/spool-provider-folder`. */
  readonly name: string;
  /** Where to write; default `./<package name without scope>` under `cwd`. */
  readonly dir?: string;
  /** The address type; default: the name without `spool-provider-`, upper-case (`FOLDER`). */
  readonly addressType?: string;
  /** Name shown to people; default: the address type in title case. */
  readonly displayName?: string;
  /** Package description. */
  readonly description?: string;
  /** Base for a relative `dir`; default `process.cwd()`. */
  readonly cwd?: string;
}

/** What {@link scaffold} wrote. */
export interface ScaffoldResult {
  readonly dir: string;
  readonly packageName: string;
  readonly addressType: string;
  /** The manifest's SPI range: `^MAJOR.MINOR.0` of the oldest SPI whose additions the templates use. */
  readonly spiRange: string;
  /** The files written, relative to `dir`. */
  readonly files: readonly string[];
}

const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/**
 * The oldest SPI version whose additions the generated provider uses; its manifest declares `^` of it. The
 * templates use nothing SPI 1.1 added (`isAddressType` is for code that reads address types it did not write,
 * and a scaffolded provider claims one fixed type), so they stay `^1.0.0` and load on every 1.x host. Raise
 * this only together with a template that uses a newer addition: a higher minimum strands older hosts.
 */
const TEMPLATE_SPI_VERSION = '1.0.0';

/** `folder` → `spool-provider-folder`; names that already say what they are stay as they are. */
export function packageNameFor(name: string): string {
  if (name.startsWith('@') || name.startsWith('spool-provider-')) return name;
  return `spool-provider-${name}`;
}

/** `^MAJOR.MINOR.0` of an SPI version: a provider works with this SPI and every later minor of its major. */
export function spiRangeOf(spiVersion: string): string {
  const [major = '0', minor = '0'] = spiVersion.split('.');
  return `^${major}.${minor}.0`;
}

/**
 * The devDependency range of a spool package: the installed copy's version when it resolves from here (in
 * the spool repository), else the range this scaffolder was published with (pnpm rewrites `workspace:^`).
 */
function rangeOf(name: '@spool/spi' | '@spool/testkit'): string {
  try {
    const require = createRequire(import.meta.url);
    const json = require(`${name}/package.json`) as { version: string };
    return `^${json.version}`;
  } catch {
    // Read at run time, not bundled: pnpm publish rewrites the workspace: ranges in the published package.json.
    const own = createRequire(import.meta.url)('../package.json') as Record<
      string,
      Record<string, string> | undefined
    >;
    const declared = { ...own.dependencies, ...own.devDependencies };
    const range = declared[name];
    return range && !range.startsWith('workspace:') ? range : 'latest';
  }
}

/** Writes a new provider package (non-interactive: everything comes from `options`). */
export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const packageName = packageNameFor(options.name.trim());
  if (!NPM_NAME.test(packageName) || packageName.length > 214) {
    throw new SpoolError(
      CreateErrorCode.BAD_NAME,
      `"${options.name}" does not make a valid npm package name (${packageName})`,
      {
        hint: 'Use lower-case letters, digits, dashes and dots, e.g. `folder` or `@acme/spool-provider-folder`.',
        details: { name: options.name, packageName },
      },
    );
  }
  const bare = packageName.replace(/^@[^/]+\//, '');
  const addressType = (options.addressType ?? bare.replace(/^spool-provider-/, '')).toUpperCase();
  if (!isAddressType(addressType)) {
    throw new SpoolError(CreateErrorCode.BAD_ADDRESS_TYPE, `"${addressType}" is not an address type`, {
      hint: 'Address types are letters, digits and dashes, starting with a letter (e.g. FOLDER); pass --address-type.',
      details: { addressType },
    });
  }
  const dir = resolve(options.cwd ?? process.cwd(), options.dir ?? bare);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new SpoolError(CreateErrorCode.DIR_NOT_EMPTY, `${dir} exists and is not empty`, {
      hint: 'Pick another folder with --dir, or remove this one; nothing was written.',
      details: { dir },
    });
  }
  const displayName = options.displayName ?? addressType.charAt(0) + addressType.slice(1).toLowerCase();
  const input: TemplateInput = {
    packageName,
    addressType,
    displayName,
    description:
      options.description ??
      `A spool transport provider for ${addressType}: addresses (writes messages to a folder).`,
    spiRange: spiRangeOf(TEMPLATE_SPI_VERSION),
    versions: {
      spi: rangeOf('@spool/spi'),
      testkit: rangeOf('@spool/testkit'),
      tsup: '^8.5.0',
      typescript: '^5.9.3',
      vitest: '^3.2.7',
      typesNode: '^22.18.0',
      changesets: '^2.31.1',
    },
  };
  const written = files(input);
  for (const [path, content] of Object.entries(written)) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return { dir, packageName, addressType, spiRange: input.spiRange, files: Object.keys(written).sort() };
}
