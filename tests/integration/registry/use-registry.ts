/**
 * The registry for a test file: the one the global setup started (`inject('spoolRegistry')`), or, when the
 * vitest config has no such global setup, one started for this file alone (stopped by `release()`).
 */
import { inject } from 'vitest';
import './provided.js';
import { connectRegistry, type Registry, startRegistry } from './verdaccio.js';

/** A registry client, with `release()` stopping it only if this file started it. */
export type TestRegistry = Omit<Registry, 'stop' | 'startMs'> & {
  readonly startMs: number | undefined;
  release(): Promise<void>;
};

export async function useRegistry(): Promise<TestRegistry> {
  const provided = inject('spoolRegistry');
  if (provided !== undefined)
    return { ...connectRegistry(provided), startMs: undefined, release: async () => {} };
  const registry = await startRegistry();
  return { ...registry, release: () => registry.stop() };
}
