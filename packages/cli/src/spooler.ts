import {
  createSpooler,
  type LogSink,
  type Mailbox,
  openMailbox,
  type Profile,
  type Spooler,
} from '@spool/core';
import { builtinProviders } from './builtins.js';
import type { CommandContext } from './context.js';
import { loadCliProfile } from './host.js';

/** A log sink for spooler commands: warnings and errors on stderr as readable lines. */
export function spoolerSink(context: CommandContext): LogSink {
  return (level, fields, message) => {
    if (level !== 'warn' && level !== 'error') return;
    const who =
      typeof fields.logon === 'string'
        ? `${fields.logon}: `
        : typeof fields.entry === 'string'
          ? `${fields.entry}: `
          : '';
    context.out.warn(`${level === 'error' ? 'error: ' : ''}${who}${message}`);
  };
}

/**
 * Creates a spooler on the profile with the CLI's built-in providers. With `autoStart: false` it only stores:
 * hand-offs happen inside `runOnce()` / `flush()` alone, so `spool send` never delivers or NDRs anything.
 */
export async function openSpooler(
  context: CommandContext,
  options: { autoStart: boolean; profile?: Profile },
): Promise<{ spooler: Spooler; profile: Profile }> {
  const profile = options.profile ?? (await loadCliProfile(context));
  const spooler = await createSpooler({
    profile,
    builtins: builtinProviders(),
    logSink: spoolerSink(context),
    autoStart: options.autoStart,
  });
  return { spooler, profile };
}

/**
 * Runs `work` with a spooler that only stores (autoStart false), and stops it afterwards. `loaded`: the
 * profile when the caller has loaded it already (to look for a daemon first).
 */
export async function withSpooler<T>(
  context: CommandContext,
  work: (spooler: Spooler, profile: Profile) => Promise<T>,
  loaded?: Profile,
): Promise<T> {
  const { spooler, profile } = await openSpooler(context, {
    autoStart: false,
    ...(loaded ? { profile: loaded } : {}),
  });
  try {
    return await work(spooler, profile);
  } finally {
    await spooler.stop();
  }
}

/**
 * Runs `work` with the profile's mailbox alone (core's `openMailbox`). Commands that only read or file
 * messages use it: no provider is loaded or logged on (an SMTP listener, say, that a running daemon already
 * holds), and no provider secret is needed.
 */
export async function withMailbox<T>(
  context: CommandContext,
  work: (store: Awaited<ReturnType<typeof openMailbox>>, profile: Profile) => Promise<T>,
): Promise<T> {
  const profile = await loadCliProfile(context);
  const store: Mailbox & Awaited<ReturnType<typeof openMailbox>> = await openMailbox(profile);
  try {
    return await work(store, profile);
  } finally {
    await store.close();
  }
}
