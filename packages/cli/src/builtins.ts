import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The providers that ship with the CLI. A copy installed in the profile's project overrides each one. */
export const BUILTIN_PROVIDERS = [
  '@spool/provider-loopback',
  '@spool/provider-smtp',
  '@spool/provider-fax-sim',
] as const;

/**
 * Package name → package directory of each built-in, resolved from the CLI's own location (where npm put
 * its dependencies). A built-in that cannot be found is left out: the host then reports it not installed.
 */
export function builtinProviders(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const builtins: Record<string, string> = {};
  for (const name of BUILTIN_PROVIDERS) {
    try {
      builtins[name] = dirname(require.resolve(`${name}/package.json`));
    } catch {
      // Not installed next to the CLI (a trimmed install); the host's resolution error says what to do.
    }
  }
  return builtins;
}
