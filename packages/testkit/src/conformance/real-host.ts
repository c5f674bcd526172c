import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeProfile } from '@spool/core';
import { type LogonHandle, ProviderHost } from '@spool/core/internal';
import type { XPProviderInit } from '@spool/spi';
import { conformanceError } from '../errors.js';
import { importThroughLoader, type PreparedPackage, preparePackage } from '../target.js';
import type { Suite } from './suite.js';

/** How {@link withHost} sets up the host. */
export interface HostSetup {
  /**
   * Wraps the provider's `xpProviderInit` before the host loads it, so a check can watch the host's calls
   * without patching the provider's live objects. The host then loads a generated package around the
   * wrapper, with the provider's package.json.
   */
  readonly wrap?: (init: XPProviderInit) => XPProviderInit;
}

/** A real host (ProviderHost from @spool/core) with this provider as its one entry, logged on. */
export async function withHost<T>(
  suite: Suite,
  body: (host: ProviderHost, handle: LogonHandle, pkg: PreparedPackage) => Promise<T>,
  setup: HostSetup = {},
): Promise<T> {
  const pkg = await preparePackage(suite.config, 'runConformance');
  const dir = await mkdtemp(join(tmpdir(), 'spool-conformance-host-'));
  let loaded = pkg;
  let host: ProviderHost | undefined;
  try {
    if (setup.wrap) {
      const imported = await importThroughLoader(pkg.dir, dir);
      loaded = await preparePackage(
        { provider: setup.wrap(imported.xpProviderInit), packageJson: pkg.packageJson },
        'runConformance',
      );
    }
    const profile = normalizeProfile(
      {
        providers: [
          { id: 'conformance', provider: loaded.dir, options: { ...(await suite.sampleOptions()) } },
        ],
      },
      { dir },
    );
    host = await ProviderHost.start({ profile, strict: true, logSink: () => {} });
    const handle = host.logons()[0];
    if (!handle)
      throw conformanceError(
        pkg.name,
        'Loading (XPProviderInit), in order',
        'the real host logged on no account',
        'See the host log: the provider should load and log on with the sample options.',
      );
    return await body(host, handle, pkg);
  } finally {
    await host?.stop({ mode: 'abort' }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    if (loaded !== pkg) await loaded.cleanup();
    await pkg.cleanup();
  }
}
