/**
 * A real npm registry (Verdaccio) on 127.0.0.1 for tests: no uplinks, so nothing leaves the machine; storage,
 * config, npmrc and log in a temp directory; every HTTP request logged, so a test can prove which tarballs
 * were (not) downloaded.
 *
 * Verdaccio runs as a child process (`node <verdaccio bin> --config … --listen 127.0.0.1:PORT`), so `stop()`
 * kills exactly what `startRegistry()` started.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Options of {@link startRegistry}. */
export interface StartRegistryOptions {
  /** Where storage, config, npmrc and log go; a fresh temp directory when omitted (removed by `stop()`). */
  readonly storageDir?: string;
  /** How long to wait for `/-/ping` to answer; default 30 s. */
  readonly startTimeoutMs?: number;
}

/** A running registry. */
export interface Registry {
  /** Its URL, with a trailing slash: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** An npmrc (`registry=` + `_authToken`) to pass to npm as `npm_config_userconfig`. */
  readonly npmrc: string;
  /** The Verdaccio log (JSON lines, level `http`: one line per request). */
  readonly logFile: string;
  /** The directory holding storage, config, npmrc and log. */
  readonly dir: string;
  /** How long the start took, in milliseconds (spawn → first ping answered). */
  readonly startMs: number;
  /** Environment variables that point npm at this registry only, with a private cache. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Publishes the package in `packageDir` with `npm publish`. */
  publish(packageDir: string): Promise<void>;
  /** URLs of every `.tgz` request the registry has logged so far. */
  tarballRequests(): Promise<string[]>;
  /** Stops the registry (and removes its temp directory when it created one). */
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

function verdaccioBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('verdaccio/package.json')), 'bin', 'verdaccio');
}

function configYaml(dir: string, logFile: string): string {
  return [
    `storage: ${JSON.stringify(join(dir, 'storage'))}`,
    `plugins: ${JSON.stringify(join(dir, 'plugins'))}`,
    'web:',
    '  enable: false',
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
    '    max_users: 100',
    // JWT tokens: the legacy token format needs crypto.createCipher, which Node 22+ no longer has.
    'security:',
    '  api:',
    '    jwt:',
    '      sign:',
    '        expiresIn: 7d',
    // No uplinks: the registry only knows what the tests publish.
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    unpublish: $authenticated',
    'publish:',
    '  allow_offline: true',
    // Level `http`: one line per request, so tests can tell which tarballs were fetched.
    `logs: { type: file, path: ${JSON.stringify(logFile)}, format: json, level: http }`,
    '',
  ].join('\n');
}

async function waitForPing(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const response = await fetch(new URL('-/ping', url), { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = await readFile(logFile, 'utf8').catch(() => '');
  throw new Error(
    `Verdaccio did not answer ${url}-/ping within ${timeoutMs} ms${exited ? ' (it exited)' : ''}. Log:\n${log.slice(-2000)}`,
  );
}

/** Creates a user through the registry's API and returns its token. */
async function addUser(url: string): Promise<string> {
  const name = 'spool-test';
  const response = await fetch(new URL(`-/user/org.couchdb.user:${name}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      password: 'spool-test-password',
      email: 'test@example.invalid',
      type: 'user',
    }),
  });
  const body = (await response.json()) as { token?: unknown };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(`could not create a registry user: HTTP ${response.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}

/** Starts Verdaccio on 127.0.0.1 on a free port and returns once it answers `/-/ping` (30 s at most). */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<Registry> {
  const ownsDir = options.storageDir === undefined;
  const dir = options.storageDir ?? (await mkdtemp(join(tmpdir(), 'spool-registry-')));
  await mkdir(join(dir, 'storage'), { recursive: true });
  const logFile = join(dir, 'verdaccio.log');
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, configYaml(dir, logFile));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [verdaccioBin(), '--config', configFile, '--listen', `127.0.0.1:${port}`],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = once(child, 'exit');

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitForPing(url, child, options.startTimeoutMs ?? 30_000, logFile);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nstderr:\n${stderr}`);
  }
  const startMs = Date.now() - started;

  const token = await addUser(url);
  const npmrc = join(dir, 'npmrc');
  await writeFile(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  return { ...connectRegistry({ url, npmrc, logFile, dir }), startMs, stop };
}

/** The serialisable facts of a running registry, as a vitest global setup provides them. */
export interface RegistryInfo {
  readonly url: string;
  readonly npmrc: string;
  readonly logFile: string;
  readonly dir: string;
}

/** A client for a registry started elsewhere (e.g. by the global setup): everything but `stop`. */
export function connectRegistry(info: RegistryInfo): Omit<Registry, 'stop' | 'startMs'> {
  const { url, npmrc, logFile, dir } = info;
  const cache = join(dir, 'npm-cache');
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    npm_config_userconfig: npmrc,
    npm_config_registry: url,
    npm_config_cache: cache,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    CI: 'true',
    ...extra,
  });
  return {
    url,
    npmrc,
    logFile,
    dir,
    env,
    async publish(packageDir: string): Promise<void> {
      try {
        await execFileAsync(
          'npm',
          ['publish', '--registry', url, '--userconfig', npmrc, '--ignore-scripts'],
          {
            cwd: packageDir,
            // A cache of its own: npm publish puts the tarball in its cache, and an install sharing that
            // cache would never ask the registry for it (and the tarball log would prove nothing).
            env: env({ npm_config_cache: join(dir, 'publish-cache') }),
          },
        );
      } catch (error) {
        const { stderr: err = '' } = error as { stderr?: string };
        throw new Error(`npm publish of ${packageDir} failed: ${err}`, { cause: error });
      }
    },
    async tarballRequests(): Promise<string[]> {
      return tarballRequestsIn(await readFile(logFile, 'utf8').catch(() => ''));
    },
  };
}

/** The `.tgz` request URLs in a Verdaccio JSON log. */
export function tarballRequestsIn(log: string): string[] {
  const urls: string[] = [];
  for (const line of log.split('\n')) {
    if (line.trim() === '') continue;
    let entry: { request?: { url?: unknown } };
    try {
      entry = JSON.parse(line) as { request?: { url?: unknown } };
    } catch {
      continue;
    }
    const url = entry.request?.url;
    if (typeof url === 'string' && url.split('?')[0]!.endsWith('.tgz')) urls.push(url);
  }
  return urls;
}
