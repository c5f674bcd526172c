import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SpoolError } from '@spool/spi';
import type { Packument } from './choose.js';
import { InstallErrorCode } from './errors.js';

const execFileAsync = promisify(execFile);

/**
 * The user's npm configuration as far as reading metadata needs it: the default registry, scoped
 * registries, and the auth settings of every `.npmrc` npm would read from `cwd` (project, user, global).
 */
export interface NpmRegistryConfig {
  /** The default registry, with a trailing slash. */
  readonly registry: string;
  /** `@scope` → registry URL (trailing slash). */
  readonly scopes: Readonly<Record<string, string>>;
  /** Nerf-darted auth keys (`//host/path/:_authToken` …) → value, `${ENV}` expanded; project wins over user over global. */
  readonly auth: Readonly<Record<string, string>>;
}

/** Where npm and metadata requests run: the directory (for the project `.npmrc`) and the environment. */
export interface NpmContext {
  readonly cwd: string;
  /** Environment for npm and for `${VAR}` expansion; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Parses an `.npmrc` (ini without sections, as npm writes it), expanding `${VAR}` from `env`. */
export function parseNpmrc(text: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    const expand = (s: string): string =>
      s.replace(/(\\*)\$\{([^}]+)\}/g, (match, escapes: string, name: string) =>
        escapes.length % 2 === 1 ? match.slice(1) : escapes + (env[name.replace(/\?$/, '')] ?? ''),
      );
    out[expand(key)] = expand(value);
  }
  return out;
}

/** npm's local prefix: the nearest directory at or above `cwd` with a package.json or node_modules. */
function localPrefix(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'node_modules'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(cwd);
    dir = parent;
  }
}

/**
 * Reads the npm configuration that applies in `cwd`: registry and scoped registries from `npm config list`
 * (so env vars, project, user, global and builtin configs are layered by npm itself); auth from the same
 * `.npmrc` files, which npm will not print.
 */
export async function readNpmConfig(context: NpmContext): Promise<NpmRegistryConfig> {
  const env = context.env ?? process.env;
  let listed: Record<string, unknown>;
  try {
    const { stdout } = await execFileAsync('npm', ['config', 'list', '--json'], {
      cwd: context.cwd,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    listed = JSON.parse(stdout) as Record<string, unknown>;
  } catch (error) {
    throw new SpoolError(
      InstallErrorCode.REGISTRY_FAILED,
      `Could not read the npm configuration in ${context.cwd}.`,
      {
        hint: 'Check that npm is on PATH and that your .npmrc files parse (npm config list).',
        cause: error,
      },
    );
  }
  const registry = withSlash(
    typeof listed.registry === 'string' ? listed.registry : 'https://registry.npmjs.org/',
  );
  const scopes: Record<string, string> = {};
  for (const [key, value] of Object.entries(listed)) {
    const match = /^(@[^:]+):registry$/.exec(key);
    if (match !== null && typeof value === 'string') scopes[match[1]!] = withSlash(value);
  }
  const files = [
    typeof listed.globalconfig === 'string' ? listed.globalconfig : undefined,
    typeof listed.userconfig === 'string' ? listed.userconfig : join(homedir(), '.npmrc'),
    join(localPrefix(context.cwd), '.npmrc'),
  ];
  const auth: Record<string, string> = {};
  for (const file of files) {
    if (file === undefined) continue;
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    for (const [key, value] of Object.entries(parseNpmrc(text, env))) {
      if (key.startsWith('//')) auth[key] = value;
    }
  }
  return { registry, scopes, auth };
}

/** The registry a package name resolves to under `config` (its scope's, else the default). */
export function registryFor(name: string, config: NpmRegistryConfig): string {
  if (name.startsWith('@')) {
    const scope = name.slice(0, name.indexOf('/'));
    const scoped = config.scopes[scope];
    if (scoped !== undefined) return scoped;
  }
  return config.registry;
}

/**
 * The `authorization` header npm would send to `url`: the nerf-darted settings of the longest matching
 * registry path (`//host/path/:_authToken`, `:_auth`, or `:username` + `:_password`).
 */
export function authorizationFor(url: string, auth: Readonly<Record<string, string>>): string | undefined {
  const parsed = new URL(url);
  const segments = parsed.pathname.split('/').filter((segment) => segment !== '');
  for (let length = segments.length; length >= 0; length--) {
    const path = segments.slice(0, length).join('/');
    const nerf = `//${parsed.host}/${path === '' ? '' : `${path}/`}`;
    const token = auth[`${nerf}:_authToken`];
    if (token !== undefined && token !== '') return `Bearer ${token}`;
    const basic = auth[`${nerf}:_auth`];
    if (basic !== undefined && basic !== '') return `Basic ${basic}`;
    const username = auth[`${nerf}:username`];
    const password = auth[`${nerf}:_password`];
    if (username !== undefined && password !== undefined) {
      const plain = Buffer.from(password, 'base64').toString('utf8');
      return `Basic ${Buffer.from(`${username}:${plain}`).toString('base64')}`;
    }
  }
  return undefined;
}

/** The URL of a package's packument on `registry` (`@scope/name` → `@scope%2fname`). */
export function packumentUrl(registry: string, name: string): string {
  return new URL(name.replace('/', '%2f'), withSlash(registry)).toString();
}

/**
 * Fetches the FULL packument of `name` (every version's package.json, so `spool` is there), or returns
 * `undefined` on 404. Other failures throw `SPOOL_E_REGISTRY_FAILED`. Never fetches a tarball.
 */
export async function fetchPackument(
  name: string,
  config: NpmRegistryConfig,
  options: { readonly timeoutMs?: number } = {},
): Promise<{ packument: Packument | undefined; registry: string; url: string }> {
  const registry = registryFor(name, config);
  const url = packumentUrl(registry, name);
  // `application/json` asks for the full document; `application/vnd.npm.install-v1+json` would drop `spool`.
  const headers: Record<string, string> = { accept: 'application/json' };
  const authorization = authorizationFor(url, config.auth);
  if (authorization !== undefined) headers.authorization = authorization;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
  } catch (error) {
    throw new SpoolError(
      InstallErrorCode.REGISTRY_FAILED,
      `Could not reach the registry ${registry} for ${name}.`,
      {
        hint: 'Check the network and the registry setting (npm config get registry).',
        cause: error,
        details: { name, registry, url },
      },
    );
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return { packument: undefined, registry, url };
  }
  if (!response.ok) {
    await response.body?.cancel();
    const auth = response.status === 401 || response.status === 403;
    throw new SpoolError(
      InstallErrorCode.REGISTRY_FAILED,
      `The registry ${registry} answered HTTP ${response.status} for ${name}.`,
      {
        hint: auth
          ? `Log in to that registry (npm login --registry ${registry}) or check the token in your .npmrc.`
          : 'Try again later, or check the registry setting (npm config get registry).',
        details: { name, registry, url, status: response.status },
      },
    );
  }
  const body = (await response.json()) as Packument;
  if (
    typeof body !== 'object' ||
    body === null ||
    typeof body.versions !== 'object' ||
    body.versions === null
  ) {
    throw new SpoolError(
      InstallErrorCode.REGISTRY_FAILED,
      `The registry ${registry} sent no versions for ${name}.`,
      {
        details: { name, registry, url },
      },
    );
  }
  return { packument: { ...body, name: body.name ?? name }, registry, url };
}
