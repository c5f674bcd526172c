import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatError } from '../../src/errors.js';
import { normalizeProfile } from '../../src/profile/profile.js';
import { STORE_PORT_VERSION } from '../../src/store/index.js';
import { REQUIRED_STORE_METHODS } from '../../src/store/load-store.js';
import { openMailbox, openStore } from '../../src/store/open-store.js';
import { recipientStates } from '../../src/store/recipient-state.js';
import type { StoreContext } from '../../src/store/store-package.js';
import { caught, FIXTURE_PROFILE_DIR, fixtureProfile, memorySink, temporaryDir } from '../helpers.js';

const SECRET = 'secret';
const URL_WITH_SECRET = `postgres://u:${SECRET}@h/db`;
const PROFILE_FILE = join(FIXTURE_PROFILE_DIR, 'spool.config.json');

type Globals = {
  __spoolStoreMemoryOkContext?: StoreContext;
  __spoolStoreMemoryOkStore?: { closed: boolean };
  __spoolStoreFutureImported?: boolean;
  __spoolStoreBadManifestImported?: boolean;
};
const globals = globalThis as Globals;

afterEach(() => {
  delete globals.__spoolStoreMemoryOkContext;
  delete globals.__spoolStoreMemoryOkStore;
});

/** Opens the fixture profile's store with `store` as written in a profile. */
const open = (store: Record<string, unknown>, extra: Parameters<typeof openStore>[1] = {}) =>
  openStore(fixtureProfile({ store }), extra);

/** Every text of an error a person or a log may see: message, hint, details, and the same of its causes. */
function everyText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { hint, details } = error as { hint?: unknown; details?: unknown };
  return [
    formatError(error),
    error.stack,
    String(hint),
    JSON.stringify(details),
    everyText(error.cause),
  ].join('\n');
}

describe('the profile names the store', () => {
  it('store: { kind, …options } names a package; every other key is its options', () => {
    const profile = fixtureProfile({ store: { kind: 'memory-ok', url: URL_WITH_SECRET, poolSize: 4 } });
    expect(profile.store).toEqual({
      kind: 'package',
      spec: 'memory-ok',
      options: { url: URL_WITH_SECRET, poolSize: 4 },
    });
    // The URL's password is a secret from now on, whatever its key.
    expect(profile.redactor.text(URL_WITH_SECRET)).toBe('postgres://u:***@h/db');
    // A password too short to mask alone is masked with the user info around it.
    const short = fixtureProfile({ store: { kind: 'memory-ok', nested: ['redis://ops:pw@h:6379'] } });
    expect(short.redactor.text('redis://ops:pw@h:6379')).toBe('redis://***h:6379');
  });

  it('no kind, or kind sqlite, is the embedded store with its path', () => {
    expect(fixtureProfile({}).store).toEqual({ kind: 'sqlite', path: join(FIXTURE_PROFILE_DIR, 'spool.db') });
    expect(fixtureProfile({ store: { kind: 'sqlite', path: 'data/x.db' } }).store).toEqual({
      kind: 'sqlite',
      path: join(FIXTURE_PROFILE_DIR, 'data', 'x.db'),
    });
  });

  it('options get ${ENV} substitution; a password only in the environment is masked too', () => {
    const profile = normalizeProfile(
      { store: { kind: 'memory-ok', url: 'postgres://u:${PGPASS}@h/db' } },
      { file: PROFILE_FILE, dir: FIXTURE_PROFILE_DIR, env: { PGPASS: 'from-env' } },
    );
    expect(profile.store.kind === 'package' && profile.store.options.url).toBe('postgres://u:from-env@h/db');
    expect(profile.redactor.text('postgres://u:from-env@h/db')).not.toContain('from-env');
  });

  it.each([
    [{ store: { kind: 5 } }, 'store.kind'],
    [{ store: { kind: '' } }, 'store.kind'],
    [{ store: { url: URL_WITH_SECRET } }, 'store.url'],
    [{ store: { kind: 'sqlite', path: 'x.db', poolSize: 2 } }, 'store.poolSize'],
  ])('%j is refused naming the file and key %s', async (input, key) => {
    const error = await caught(() => fixtureProfile(input));
    expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(error.message.startsWith(`${PROFILE_FILE}: ${key} `), error.message).toBe(true);
    expect(error.details).toMatchObject({ file: PROFILE_FILE, key });
    expect(error.hint).toBeTruthy();
    expect(everyText(error)).not.toContain(SECRET);
  });
});

describe('openStore opens a store package', () => {
  it('loads it from the profile directory and hands it the context', async () => {
    const sink = memorySink();
    let now = 1_000;
    const store = await open(
      { kind: 'memory-ok', url: URL_WITH_SECRET },
      { clock: { now: () => now }, logSink: sink },
    );
    const context = globals.__spoolStoreMemoryOkContext;
    expect(context).toBeDefined();
    if (!context) return;
    expect(context.storePortVersion).toBe(STORE_PORT_VERSION);
    expect(context.options).toEqual({ url: URL_WITH_SECRET });
    expect(context.profileDir).toBe(FIXTURE_PROFILE_DIR);
    // The state machine is core's own copy: the package needs no second one.
    expect(context.states).toBe(recipientStates);
    expect(typeof context.states.afterUpdate).toBe('function');
    expect(context.clock.now()).toBe(1_000);
    now = 2_000;
    expect(await store.now()).toBe(2_000);

    // The description the package wrote named the password: the host masks it.
    expect(store.description).toBe('memory-ok postgres://u:***@h/db');
    // Its logger is bound to it and masks secrets.
    context.logger.info({ url: URL_WITH_SECRET }, `connected to ${URL_WITH_SECRET}`);
    const records = sink.records.filter((r) => r.fields.store === 'spool-store-memory-ok');
    expect(records.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(records)).not.toContain(SECRET);

    // Methods still reach the package's object behind the masked description.
    expect(typeof store.subscribe(() => {})).toBe('function');
    await store.close();
    expect(globals.__spoolStoreMemoryOkStore?.closed).toBe(true);
  });

  it('a full package name and a path work too; openMailbox opens the same store', async () => {
    await (await open({ kind: 'spool-store-memory-ok' })).close();
    await (await open({ kind: './node_modules/spool-store-memory-ok' })).close();
    const mailbox = await openMailbox(fixtureProfile({ store: { kind: 'memory-ok' } }));
    expect(mailbox.description).toBe('memory-ok (no url)');
    await mailbox.close();
  });

  it('a store range that excludes the host is refused before the package is imported', async () => {
    delete globals.__spoolStoreFutureImported;
    const error = await caught(() => open({ kind: 'future', url: URL_WITH_SECRET }));
    expect(error.code).toBe('SPOOL_E_STORE_MISMATCH');
    const dir = join(FIXTURE_PROFILE_DIR, 'node_modules', 'spool-store-future');
    expect(error.message).toContain('spool-store-future@2.0.0');
    expect(error.message).toContain(dir);
    expect(error.message).toContain('^2.0.0');
    expect(error.message).toContain(`store port ${STORE_PORT_VERSION}`);
    expect(error.details).toMatchObject({
      store: 'spool-store-future',
      version: '2.0.0',
      path: dir,
      range: '^2.0.0',
      storePortVersion: STORE_PORT_VERSION,
      needs: '2.0.0',
    });
    expect(error.hint).toContain('Upgrade @spool/core');
    expect(globals.__spoolStoreFutureImported).toBeUndefined();
  });

  it('an entry without createStore is SPOOL_E_BAD_SHAPE', async () => {
    const error = await caught(() => open({ kind: 'bad-shape' }));
    expect(error.code).toBe('SPOOL_E_BAD_SHAPE');
    expect(error.message).toContain('spool-store-bad-shape@1.0.0');
    expect(error.message).toContain('does not export "createStore"');
  });

  it('a returned object without every port method is SPOOL_E_BAD_SHAPE, and is closed', async () => {
    const error = await caught(() => open({ kind: 'memory-ok', omit: ['claim', 'subscribe'] }));
    expect(error.code).toBe('SPOOL_E_BAD_SHAPE');
    expect(error.message).toContain('without claim(), subscribe()');
    expect(globals.__spoolStoreMemoryOkStore?.closed).toBe(true);
    expect(REQUIRED_STORE_METHODS).toContain('applyRetention');
  });

  it('a manifest whose "spool.store" is not a range is SPOOL_E_BAD_MANIFEST, before import', async () => {
    delete globals.__spoolStoreBadManifestImported;
    const error = await caught(() => open({ kind: 'bad-manifest' }));
    expect(error.code).toBe('SPOOL_E_BAD_MANIFEST');
    expect(error.message).toContain('"spool.store" must be a semver range, got "not a range"');
    expect(globals.__spoolStoreBadManifestImported).toBeUndefined();
  });

  it('an unknown kind is SPOOL_E_NOT_INSTALLED naming the candidates it tried', async () => {
    const error = await caught(() => open({ kind: 'memory-okk', url: URL_WITH_SECRET }));
    expect(error.code).toBe('SPOOL_E_NOT_INSTALLED');
    expect(error.message).toContain(`store "memory-okk" (${PROFILE_FILE}: store.kind) is not installed`);
    expect(error.details.candidates).toEqual([
      '@spool/store-memory-okk',
      'spool-store-memory-okk',
      'memory-okk',
    ]);
    expect(error.message).toContain('@spool/store-memory-okk, spool-store-memory-okk, memory-okk');
    expect(error.message).toContain(join(FIXTURE_PROFILE_DIR, 'node_modules'));
    expect(error.hint).toContain('Did you mean "memory-ok"?');
  });

  it('a secret in the url never appears in any error', async () => {
    const kinds = ['memory-okk', 'future', 'bad-shape', 'bad-manifest', './nowhere'];
    for (const kind of kinds) {
      const error = await caught(() => open({ kind, url: URL_WITH_SECRET }));
      expect(everyText(error), kind).not.toContain(SECRET);
    }
    // Nor when the store itself fails and names it: SPOOL_E_STORE_FAILED, the cause attached but masked.
    const failing = await caught(() => open({ kind: 'memory-ok', url: URL_WITH_SECRET, fail: true }));
    expect(failing.code).toBe('SPOOL_E_STORE_FAILED');
    expect(failing.message).toContain('spool-store-memory-ok@1.2.3');
    expect(failing.message).toContain('could not connect to postgres://u:***@h/db');
    expect(failing.cause).toBeInstanceOf(Error);
    expect(everyText(failing)).not.toContain(SECRET);
  });
});

describe('openStore still opens the embedded store', () => {
  it('for store: { path } and for no store at all', async () => {
    const dir = temporaryDir();
    const withPath = await openStore(fixtureProfile({ store: { path: 'mail.db' } }, dir));
    expect(withPath.description.startsWith('sqlite ')).toBe(true);
    expect(withPath.description).toContain(join(dir, 'mail.db'));
    await withPath.close();
    const byDefault = await openStore(fixtureProfile({}, dir));
    expect(byDefault.description.startsWith('sqlite ')).toBe(true);
    expect(byDefault.description).toContain(join(dir, 'spool.db'));
    await byDefault.close();
    const bySqlite = await openStore(fixtureProfile({ store: { kind: 'sqlite' } }, dir));
    expect(bySqlite.description.startsWith('sqlite ')).toBe(true);
    await bySqlite.close();
  });
});
