import { createSpooler, ErrorCode, type Profile, type Spooler, type StoredMessage } from '@spool/core';
import { reloadLogonFailed } from '@spool/core/internal';
import type { Logger } from 'pino';
import { builtinProviders } from '../builtins.js';
import type { CommandContext } from '../context.js';
import { loadCliProfile } from '../host.js';
import { loggerSink } from './log.js';
import { DaemonMetrics } from './metrics.js';
import { diffProfiles, type ProfileDiff } from './profile-diff.js';

/** What `POST /reload` (and SIGHUP) report. */
export interface ReloadReport extends ProfileDiff {
  /** The logons running after the reload. */
  readonly logons: readonly string[];
}

/**
 * The spooler a daemon runs, and its reloads.
 *
 * A reload is all or nothing: it loads the new profile and checks every new or changed entry (loaded as a
 * start would, without a logon) before anything changes; any error refuses it and the running spooler stays
 * as it was. When only provider entries changed, the running spooler applies them (Spooler.reload): removed
 * and changed entries stop taking work, their in-flight hand-offs finish on the old logons, they log off in
 * order, and new and changed entries log on; unchanged entries keep their logons. A retired provider's listener (an
 * SMTP port, say) is released before its successor binds it. When settings outside the entries changed
 * (store, retry, folders, polling), the daemon stops the spooler orderly and starts one on the new profile.
 * Requests that arrive meanwhile wait; nothing accepted is lost (it is in the store).
 */
export class DaemonSpooler {
  readonly metrics = new DaemonMetrics();
  readonly #context: CommandContext;
  readonly #logger: Logger;
  readonly #onFinished: (message: StoredMessage) => void;
  #spooler: Spooler;
  #profile: Profile;
  #detach: () => void;
  /** Settles when the spooler may be used: during a reload, when the new one is up. */
  #ready: Promise<void> = Promise.resolve();
  #stopped: Promise<void> | undefined;

  private constructor(
    context: CommandContext,
    logger: Logger,
    onFinished: (message: StoredMessage) => void,
    spooler: Spooler,
  ) {
    this.#context = context;
    this.#logger = logger;
    this.#onFinished = onFinished;
    this.#spooler = spooler;
    this.#profile = spooler.profile;
    this.#detach = this.#attach(spooler);
  }

  /** Logs on every provider of `profile` and starts delivering. */
  static async start(
    context: CommandContext,
    profile: Profile,
    logger: Logger,
    onFinished: (message: StoredMessage) => void,
  ): Promise<DaemonSpooler> {
    const spooler = await DaemonSpooler.#create(profile, logger);
    return new DaemonSpooler(context, logger, onFinished, spooler);
  }

  static #create(profile: Profile, logger: Logger): Promise<Spooler> {
    return createSpooler({
      profile,
      builtins: builtinProviders(),
      logSink: loggerSink(logger),
      autoStart: true,
    });
  }

  /** The profile in use (the redactor of the logger follows it). */
  get profile(): Profile {
    return this.#profile;
  }

  /** The running spooler, once any reload in progress has finished. */
  async current(): Promise<Spooler> {
    await this.#ready;
    return this.#spooler;
  }

  /** The running spooler right now, also mid-reload (for status and metrics, which must never wait). */
  get now(): Spooler {
    return this.#spooler;
  }

  #attach(spooler: Spooler): () => void {
    const providers = new Map(
      spooler.providers().flatMap((entry) => entry.logons.map((logon) => [logon, entry.spec] as const)),
    );
    const providerOf = (logon: string) => {
      const row = spooler.status().find((r) => r.id === logon);
      return row?.provider?.name ?? providers.get(logon) ?? logon.split('/')[0] ?? logon;
    };
    // The metrics and the event stream read the spooler's events, never its state.
    const offFinished = spooler.on('finished', (message) => {
      this.metrics.observeFinished(message, Date.now(), providerOf);
      this.#onFinished(message);
    });
    const offSettled = spooler.on('hand-off-settled', (settled) =>
      this.metrics.observeHandOff(settled, providerOf),
    );
    const offBreaker = spooler.on('breaker', (transition) =>
      this.metrics.observeBreaker(transition, providerOf),
    );
    return () => {
      offFinished();
      offSettled();
      offBreaker();
    };
  }

  /**
   * Reloads the profile from its file, all or nothing. Reloads run one at a time; a stopped daemon refuses.
   * The new profile is loaded and checked before anything changes (its syntax and schema, then every new or
   * changed entry loaded as a start would, without a logon): any error is thrown, coded, logged, and the
   * running spooler stays exactly as it was. An entry that fails to log on after the switch stays failed and
   * the reload throws `SPOOL_E_RELOAD_LOGON_FAILED` naming it (the rest of the new profile is in force).
   */
  reload(): Promise<ReloadReport> {
    const run = this.#ready.then(() => this.#reload());
    this.#ready = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #reload(): Promise<ReloadReport> {
    if (this.#stopped) throw Object.assign(new Error('the daemon is stopping'), { code: 'SPOOL_E_STOPPED' });
    let next: Profile;
    let diff: ProfileDiff;
    try {
      next = await loadCliProfile(this.#context);
      diff = diffProfiles(this.#profile, next);
      // Entries only: Spooler.reload checks them itself. Settings too: check the entries before stopping.
      if (diff.settingsChanged) await this.#spooler.checkReload(next);
    } catch (error) {
      throw this.#refused(error);
    }
    if (!diff.settingsChanged) {
      // Entries only: applied in place; unchanged entries keep their logons.
      this.#logger.info(
        { added: diff.added, removed: diff.removed, changed: diff.changed, unchanged: diff.unchanged },
        'reload: applying the changed provider entries (in-flight hand-offs finish on their old logons)',
      );
      try {
        await this.#spooler.reload(next);
      } catch (error) {
        if (codeOf(error) !== ErrorCode.RELOAD_LOGON_FAILED) throw this.#refused(error);
        this.#profile = next;
        throw this.#logonFailed(error);
      }
      this.#profile = next;
      return this.#done(diff);
    }
    this.#logger.info(
      { added: diff.added, removed: diff.removed, changed: diff.changed, unchanged: diff.unchanged },
      'reload: settings changed; restarting the spooler (in-flight hand-offs finish on their old logons)',
    );
    const old = this.#spooler;
    // Still attached while it stops: the hand-offs it finishes now are reported and counted too.
    await old.stop({ mode: 'orderly' });
    this.#detach();
    let spooler: Spooler;
    try {
      spooler = await DaemonSpooler.#create(next, this.#logger);
    } catch (error) {
      // The new profile loaded but its spooler could not start (the store, say): go back to the old one.
      this.#logger.error(
        { code: codeOf(error) },
        `reload failed, restarting on the previous profile: ${(error as Error).message}`,
      );
      this.metrics.observeReload(codeOf(error) ?? 'error');
      this.#spooler = await DaemonSpooler.#create(this.#profile, this.#logger);
      this.#detach = this.#attach(this.#spooler);
      throw error;
    }
    this.#spooler = spooler;
    this.#profile = next;
    this.#detach = this.#attach(spooler);
    const started = new Set([...diff.added, ...diff.changed]);
    const failed = spooler.providers().filter((entry) => entry.status === 'failed' && started.has(entry.id));
    if (failed.length > 0) throw this.#logonFailed(reloadLogonFailed(next, failed, diff));
    return this.#done(diff);
  }

  /** A reload that switched: counted, logged, reported. */
  #done(diff: ProfileDiff): ReloadReport {
    this.metrics.observeReload('ok');
    const logons = logonsOf(this.#spooler);
    this.#logger.info({ logons }, 'reload: done');
    return { ...diff, logons };
  }

  /** A reload refused before anything changed: counted and logged with its code; returns the error. */
  #refused(error: unknown): unknown {
    this.metrics.observeReload(codeOf(error) ?? 'error');
    const hint = (error as { hint?: unknown }).hint;
    const redact = (text: string) => this.#profile.redactor.text(text);
    this.#logger.error(
      { code: codeOf(error), ...(typeof hint === 'string' ? { hint: redact(hint) } : {}) },
      redact(`${refusedText((error as Error).message)} (still running the profile it had)`),
    );
    return error;
  }

  /** A reload that switched, but an entry it started did not log on: counted and logged; returns the error. */
  #logonFailed(error: unknown): unknown {
    this.metrics.observeReload(ErrorCode.RELOAD_LOGON_FAILED);
    this.#logger.error(
      { code: ErrorCode.RELOAD_LOGON_FAILED, logons: logonsOf(this.#spooler) },
      this.#profile.redactor.text((error as Error).message),
    );
    return error;
  }

  /** Stops the spooler (after a reload in progress). A later call with `hurry` cuts an orderly wait short. */
  stop(mode: 'orderly' | 'hurry' = 'orderly'): Promise<void> {
    if (this.#stopped) {
      if (mode === 'hurry') void this.#spooler.stop({ mode: 'hurry' });
      return this.#stopped;
    }
    this.#stopped = (async () => {
      await this.#ready;
      await this.#spooler.stop({ mode });
      this.#detach();
    })();
    return this.#stopped;
  }
}

/** The logons a spooler runs, in profile order. */
export function logonsOf(spooler: Spooler): string[] {
  return spooler.providers().flatMap((entry) => entry.logons);
}

/** The `code` of something thrown, when it has one. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A refusal's message as the log says it: core's entry refusals say "reload refused" already. */
function refusedText(message: string): string {
  return message.startsWith('reload refused') ? message : `reload refused: ${message}`;
}
