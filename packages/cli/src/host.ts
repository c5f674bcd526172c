import { type LogSink, loadProfile, type Profile } from '@spool/core';
import { ProviderHost } from '@spool/core/internal';
import { builtinProviders } from './builtins.js';
import type { CommandContext } from './context.js';

/** Loads the profile named by `--profile`, or the one found from the current directory. */
export function loadCliProfile({ options, cwd, env }: CommandContext): Promise<Profile> {
  return loadProfile({ cwd, env, ...(options.profile ? { file: options.profile } : {}) });
}

/**
 * A log sink for one-shot commands: provider warnings go to stderr as readable lines; load errors are left
 * out because the command shows them in its table (and they would duplicate it).
 */
export function warningSink(context: CommandContext): LogSink {
  return (level, fields, message) => {
    if (level !== 'warn') return;
    const who = typeof fields.entry === 'string' ? `${fields.entry}: ` : '';
    context.out.warn(`${who}${message}`);
  };
}

/** Starts a host on the profile with the CLI's built-in providers; failures are recorded, not thrown. */
export function startHost(context: CommandContext, profile: Profile, strict = false): Promise<ProviderHost> {
  return ProviderHost.start({ profile, builtins: builtinProviders(), logSink: warningSink(context), strict });
}
