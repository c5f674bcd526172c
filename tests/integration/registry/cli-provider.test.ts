/**
 * `spool provider add|info|doctor|update|remove` as a user runs them: the real CLI process against the run's
 * Verdaccio, with fixture providers published to it. Then `spool run --once` delivers through what was
 * installed (the fixture writes one JSON file per delivered recipient).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { managedProvidersDir } from '@spool/core/install';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, jsonOf, runSpool, SPOOL_BIN } from './cli.js';
import { type FixtureDelivery, SCRIPT_MARKER } from './fixtures/make-fixtures.js';
import { publishFixtures } from './fixtures/publish-fixtures.js';
import { type TestRegistry, useRegistry } from './use-registry.js';

let registry: TestRegistry;
let work: string;

beforeAll(async () => {
  registry = await useRegistry();
  work = await mkdtemp(join(tmpdir(), 'spool-cli-provider-'));
  await publishFixtures(registry, work);
}, 60_000);

afterAll(async () => {
  await registry?.release();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** A profile folder outside any project, with a JSON profile holding the built-in loopback provider. */
async function profileFolder(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'spool.config.json'),
    `${JSON.stringify({ providers: ['loopback'] }, null, 2)}\n`,
  );
  return dir;
}

/** Runs spool in `dir` against the registry; `env` adds to the registry's environment. */
function spoolIn(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runSpool(args, { cwd: dir, env: registry.env(env) });
}

async function readProfile(dir: string): Promise<{ providers: unknown[] }> {
  return JSON.parse(await readFile(join(dir, 'spool.config.json'), 'utf8')) as { providers: unknown[] };
}

/** Points the entry for `provider` at an output folder (the fixture's `dir` option). */
async function setFixtureDir(dir: string, provider: string, outDir: string): Promise<void> {
  const profile = await readProfile(dir);
  profile.providers = profile.providers.map((entry) =>
    typeof entry === 'object' && entry !== null && (entry as { provider?: unknown }).provider === provider
      ? { ...entry, options: { dir: outDir } }
      : entry,
  );
  await writeFile(join(dir, 'spool.config.json'), JSON.stringify(profile, null, 2));
}

async function deliveries(outDir: string): Promise<FixtureDelivery[]> {
  if (!existsSync(outDir)) return [];
  return Promise.all(
    readdirSync(outDir).map(
      async (file) => JSON.parse(await readFile(join(outDir, file), 'utf8')) as FixtureDelivery,
    ),
  );
}

/** Sends one message to `to`, runs one pass, and returns the pass report. */
async function sendAndRun(dir: string, to: string, subject: string) {
  const sent = await spoolIn(dir, [
    'send',
    '--from',
    'LOOP:me',
    '--to',
    to,
    '--subject',
    subject,
    '--body',
    'hello',
  ]);
  expect(sent.code, sent.stderr).toBe(0);
  const run = await spoolIn(dir, ['run', '--once', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return jsonOf<{ delivered: number; failed: number; deferred: number }>(run);
}

describe('spool provider add, as a process, against a real registry', { timeout: 180_000 }, () => {
  it('installs fixture 1.1.0, says why not 2.0.0, delivers through it, and reports it in info, doctor and update', async () => {
    const dir = await profileFolder('add-fixture');
    const added = await spoolIn(dir, ['provider', 'add', 'fixture']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('spool-provider-fixture: chose 1.1.0');
    expect(added.stdout).toContain('skipped 2.0.0 needs SPI ^2.0.0 but this host implements 1.0.0, 1.1.0');
    expect(added.stdout).toMatch(
      /installed spool-provider-fixture@1\.1\.0 into .*\.spool\/providers \(managed, npm/,
    );
    expect(added.stdout).toContain('added "fixture"');
    // The manifest's address types go into the entry: should it fail to load later, its mail still waits.
    expect((await readProfile(dir)).providers).toEqual([
      'loopback',
      { provider: 'spool-provider-fixture', addressTypes: ['FIX'] },
    ]);
    const managed = managedProvidersDir(dir);
    const pkg = JSON.parse(await readFile(join(managed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies).toEqual({ 'spool-provider-fixture': '1.1.0' });

    const outDir = join(dir, 'delivered');
    await setFixtureDir(dir, 'spool-provider-fixture', outDir);
    const report = await sendAndRun(dir, 'FIX:bob', 'through the fixture');
    expect(report).toMatchObject({ delivered: 1, failed: 0, deferred: 0 });
    expect(await deliveries(outDir)).toEqual([
      expect.objectContaining({
        to: 'FIX:bob',
        subject: 'through the fixture',
        via: 'spool-provider-fixture@1.1.0',
      }),
    ]);
    const sent = jsonOf<{ subject: string; recipients: { outcome: string }[] }[]>(
      await spoolIn(dir, ['list', 'sent', '--json']),
    );
    expect(sent).toEqual([
      expect.objectContaining({
        subject: 'through the fixture',
        recipients: [expect.objectContaining({ outcome: 'delivered' })],
      }),
    ]);

    const info = await spoolIn(dir, ['provider', 'info', 'fixture', '--json']);
    expect(info.code, info.stderr).toBe(0);
    expect(jsonOf(info)).toMatchObject({
      id: 'fixture',
      inProfile: true,
      name: 'spool-provider-fixture',
      version: '1.1.0',
      source: 'managed',
      spiRange: '^1.0.0',
      spiVersion: '1.1.0',
      addressTypes: ['FIX'],
      accounts: [{ name: 'default', options: { dir: outDir } }],
      state: 'active',
    });

    const doctor = await spoolIn(dir, ['provider', 'doctor', '--json']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(jsonOf(doctor)).toMatchObject({
      ok: true,
      problems: [],
      providers: [
        {
          id: 'loopback',
          source: 'builtin',
          logons: [{ claims: [{ addressType: 'LOOP', reach: 'first' }] }],
        },
        {
          id: 'fixture',
          source: 'managed',
          version: '1.1.0',
          spiVersion: '1.1.0',
          logons: [{ id: 'fixture/default', claims: [{ addressType: 'FIX', reach: 'first', after: [] }] }],
        },
      ],
    });

    const update = await spoolIn(dir, ['provider', 'update']);
    expect(update.code, update.stderr).toBe(0);
    expect(update.stdout).toContain(
      'fixture (spool-provider-fixture): 1.1.0 is the newest version this host accepts',
    );
    expect(update.stdout).toContain('held back 2.0.0 needs SPI ^2.0.0 but this host implements 1.0.0, 1.1.0');
    expect(update.stdout).toMatch(/^loopback \(@spool\/provider-loopback\): built into @spool\/cli/m);

    const removed = await spoolIn(dir, ['provider', 'remove', 'fixture', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(jsonOf(removed)).toMatchObject({
      id: 'fixture',
      uninstalled: { name: 'spool-provider-fixture', version: '1.1.0', mode: 'managed' },
      daemon: null,
    });
    expect((await readProfile(dir)).providers).toEqual(['loopback']);
    expect(existsSync(join(managed, 'node_modules', 'spool-provider-fixture'))).toBe(false);
  });

  it('refuses fixture@2 with SPOOL_E_SPI_MISMATCH and fetches no tarball', async () => {
    const dir = await profileFolder('add-fixture-2');
    const before = await readFile(join(dir, 'spool.config.json'), 'utf8');
    const refused = await spoolIn(dir, ['provider', 'add', 'fixture@2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^SPOOL_E_SPI_MISMATCH: No version of spool-provider-fixture matching "2"/,
    );
    expect(refused.stderr).toContain('fix: Install spool-provider-fixture@1.1.0');
    expect(await readFile(join(dir, 'spool.config.json'), 'utf8')).toBe(before);
    expect(existsSync(managedProvidersDir(dir))).toBe(false);

    // Positive control: an install with a cache of its own right after must fetch its tarball, and the
    // registry logs requests in order, so once that one is in the log, a 2.0.0 fetch would be too.
    const control = await profileFolder('add-fixture-2-control');
    const installed = await spoolIn(control, ['provider', 'add', 'fixture@1.0.0'], {
      npm_config_cache: join(control, 'npm-cache'),
    });
    expect(installed.code, installed.stderr).toBe(0);
    await expect
      .poll(registry.tarballRequests, { timeout: 10_000 })
      .toContainEqual(expect.stringContaining('spool-provider-fixture-1.0.0.tgz'));
    const tarballs = await registry.tarballRequests();
    expect(tarballs.filter((url) => url.includes('spool-provider-fixture-2.0.0.tgz'))).toEqual([]);
  });

  it('installs the postinstall fixture without running its script, and runs it only with --allow-scripts', async () => {
    const off = await profileFolder('scripts-off');
    const quiet = await spoolIn(off, ['provider', 'add', 'scripted']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toContain('install scripts not run');
    expect(quiet.stderr).toContain(
      'spool-provider-scripted@1.0.0 declares install scripts (postinstall) that did not run',
    );
    const offPackage = join(managedProvidersDir(off), 'node_modules', 'spool-provider-scripted');
    expect(existsSync(join(offPackage, 'package.json'))).toBe(true);
    expect(existsSync(join(offPackage, SCRIPT_MARKER))).toBe(false);

    const on = await profileFolder('scripts-on');
    const ran = await spoolIn(on, ['provider', 'add', 'scripted', '--allow-scripts', '--json']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(jsonOf(ran)).toMatchObject({
      id: 'scripted',
      name: 'spool-provider-scripted',
      version: '1.0.0',
      mode: 'managed',
      installScripts: { names: ['postinstall'], ran: true },
      entryAdded: true,
    });
    const onPackage = join(managedProvidersDir(on), 'node_modules', 'spool-provider-scripted');
    expect(existsSync(join(onPackage, SCRIPT_MARKER))).toBe(true);

    const outDir = join(on, 'delivered');
    await setFixtureDir(on, 'spool-provider-scripted', outDir);
    expect(await sendAndRun(on, 'FIX:carol', 'through the scripted one')).toMatchObject({ delivered: 1 });
    expect(await deliveries(outDir)).toEqual([
      expect.objectContaining({ to: 'FIX:carol', via: 'spool-provider-scripted@1.0.0' }),
    ]);
  });

  it('installs into the project the profile sits in, with its package manager, as an exact dependency', async () => {
    const project = join(work, 'a-project');
    await mkdir(project, { recursive: true });
    await writeFile(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'a-project', private: true }, null, 2)}\n`,
    );
    await writeFile(join(project, 'spool.config.json'), JSON.stringify({ providers: [] }));
    const added = await spoolIn(project, ['provider', 'add', 'spool-provider-fixture@^1.0.0', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(jsonOf(added)).toMatchObject({
      mode: 'project',
      packageManager: 'npm',
      dir: project,
      version: '1.1.0',
    });
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies).toEqual({ 'spool-provider-fixture': '1.1.0' });
    expect(existsSync(join(project, 'package-lock.json'))).toBe(true);
    expect(existsSync(managedProvidersDir(project))).toBe(false);
    const list = jsonOf<{ id: string; source: string }[]>(
      await spoolIn(project, ['provider', 'list', '--json']),
    );
    expect(list).toEqual([expect.objectContaining({ id: 'fixture', source: 'installed' })]);
  });

  it('updates within what the host accepts and says what it held back', async () => {
    const dir = await profileFolder('update');
    const pinned = await spoolIn(dir, ['provider', 'add', 'fixture@1.0.0']);
    expect(pinned.code, pinned.stderr).toBe(0);
    const update = await spoolIn(dir, ['provider', 'update', 'fixture', '--json']);
    expect(update.code, update.stderr).toBe(0);
    expect(jsonOf(update)).toEqual({
      updates: [
        {
          id: 'fixture',
          name: 'spool-provider-fixture',
          from: '1.0.0',
          to: '1.1.0',
          heldBack: [expect.objectContaining({ version: '2.0.0', kind: 'spi' })],
          skipped: null,
        },
      ],
      daemon: null,
    });
    const installed = JSON.parse(
      await readFile(
        join(managedProvidersDir(dir), 'node_modules', 'spool-provider-fixture', 'package.json'),
        'utf8',
      ),
    ) as { version: string };
    expect(installed.version).toBe('1.1.0');
  });

  it('rolls the install back when the provider does not load, and leaves the profile alone', async () => {
    const dir = await profileFolder('broken');
    const before = await readFile(join(dir, 'spool.config.json'), 'utf8');
    const failed = await spoolIn(dir, ['provider', 'add', 'broken']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^SPOOL_E_INSTALL_VERIFY_FAILED: spool-provider-broken@1\.0\.0 installed into .* but did not load: .*refuses to load/,
    );
    expect(failed.stderr).toContain('The install was rolled back.');
    expect(await readFile(join(dir, 'spool.config.json'), 'utf8')).toBe(before);
    expect(existsSync(managedProvidersDir(dir))).toBe(false);
  });

  it('asks a running daemon to reload, which then delivers through the new provider', async () => {
    const dir = await profileFolder('daemon');
    const daemon = spawn(process.execPath, [SPOOL_BIN, 'run', '--json'], {
      cwd: dir,
      env: registry.env({ NO_COLOR: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(daemon, 'exit');
    const events = createInterface({ input: daemon.stdout })[Symbol.asyncIterator]();
    /** The next stdout event matching `predicate`, at most 50 events ahead. */
    const until = async (predicate: (event: Record<string, unknown>) => boolean) => {
      for (let i = 0; i < 50; i++) {
        const { value, done } = await events.next();
        if (done) throw new Error('the daemon ended');
        const event = JSON.parse(value as string) as Record<string, unknown>;
        if (predicate(event)) return event;
      }
      throw new Error('no such event in 50');
    };
    try {
      await until((event) => event.event === 'started');
      const added = await spoolIn(dir, ['provider', 'add', 'fixture', '--json']);
      expect(added.code, added.stderr).toBe(0);
      expect(jsonOf(added)).toMatchObject({ id: 'fixture', daemon: { reloaded: true } });
      const sent = await spoolIn(dir, [
        'send',
        '--from',
        'LOOP:me',
        '--to',
        'FIX:dan',
        '--subject',
        'via the daemon',
        '--body',
        'hi',
      ]);
      expect(sent.code, sent.stderr).toBe(0);
      const finished = await until(
        (event) => event.event === 'finished' && event.subject === 'via the daemon',
      );
      expect(finished.recipients).toEqual([{ address: 'FIX:dan', outcome: 'delivered' }]);
    } finally {
      daemon.kill('SIGTERM');
      await exited;
    }
  });

  it('edits a commented YAML profile from spool init: add appends the entry, remove takes it out, comments stay', async () => {
    const dir = join(work, 'yaml-profile');
    await mkdir(dir);
    const init = await spoolIn(dir, ['init']);
    expect(init.code, init.stderr).toBe(0);
    const file = join(dir, 'spool.config.yaml');
    const original = await readFile(file, 'utf8');
    const comments = original.split('\n').filter((line) => line.trimStart().startsWith('#'));
    expect(comments.length).toBeGreaterThan(0);

    const added = await spoolIn(dir, ['provider', 'add', 'fixture']);
    expect(added.code, added.stderr).toBe(0);
    const withFixture = await readFile(file, 'utf8');
    expect(withFixture).toMatch(/^ {2}- provider: spool-provider-fixture$/m);
    for (const comment of comments) expect(withFixture).toContain(comment);

    const removed = await spoolIn(dir, ['provider', 'remove', 'spool-provider-fixture']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('uninstalled spool-provider-fixture@1.1.0');
    expect(removed.stdout).toContain(`removed "fixture" (spool-provider-fixture) from ${file}`);
    const after = await readFile(file, 'utf8');
    expect(after).not.toContain('spool-provider-fixture');
    for (const comment of comments) expect(after).toContain(comment);
    const list = jsonOf<{ id: string }[]>(await spoolIn(dir, ['provider', 'list', '--json']));
    expect(list.map((row) => row.id)).toEqual(['loopback']);
  });

  it('refuses a second entry with an id already taken, before installing anything', async () => {
    const dir = await profileFolder('id-taken');
    await writeFile(
      join(dir, 'spool.config.json'),
      JSON.stringify({ providers: [{ id: 'fixture', provider: 'loopback' }] }),
    );
    const refused = await spoolIn(dir, ['provider', 'add', 'fixture']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^SPOOL_E_ALREADY_LINKED: .*entry id "fixture" is taken/);
    expect(refused.stderr).toContain('--id fixture-2');
    expect(existsSync(managedProvidersDir(dir))).toBe(false);
  });
});
