import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CriticalSection, Logger, Preprocessor, StatusRowPatch, TransportSupport } from '@spool/spi';
import { ErrorCode, SpoolError } from '../errors.js';
import type { StatusTable } from '../status/status-table.js';
import type { Redactor } from '../util/redact.js';
import type { Activity } from './call-runner.js';

/** What a support object reports back to the host that owns the logon. */
export interface SupportHost {
  readonly statusTable: StatusTable;
  readonly redactor: Redactor;
  readonly activity: Activity;
  /** The logon asked to be polled now. */
  onNewMail(): void;
  /** The logon entered (true) or left (false) a critical section. */
  onCriticalSection(held: boolean): void;
  /** A member was used after logoff (it throws `SPOOL_E_SUPPORT_INVALID` next); the testkit records these. */
  onInvalidCall?(member: string): void;
}

/**
 * The support object of one logon (MAPI `IMAPISupport`). It is the provider's only way back to the host;
 * `invalidate()` is called at logoff, after which every member throws `SPOOL_E_SUPPORT_INVALID` (MAPI
 * called this making the object invalid) so a provider holding a stale reference fails loudly.
 */
export class LogonSupport implements TransportSupport {
  readonly #logonId: string;
  readonly #account: string;
  readonly #logger: Logger;
  readonly #dataDir: string;
  readonly #host: SupportHost;
  readonly #preprocessors: Preprocessor[] = [];
  #valid = true;
  #registrationOpen = true;
  #sections = 0;

  constructor(init: {
    logonId: string;
    account: string;
    logger: Logger;
    dataDir: string;
    host: SupportHost;
  }) {
    this.#logonId = init.logonId;
    this.#account = init.account;
    this.#logger = init.logger;
    this.#dataDir = init.dataDir;
    this.#host = init.host;
  }

  #check(member: string): void {
    if (this.#valid) return;
    this.#host.onInvalidCall?.(member);
    throw new SpoolError(
      ErrorCode.SUPPORT_INVALID,
      `support.${member}() called for logon ${this.#logonId} after it was logged off`,
      {
        hint: 'The provider kept its support object past transportLogoff(). Stop timers, listeners and pending work in transportLogoff.',
        details: { logonId: this.#logonId, member },
      },
    );
  }

  get logonId(): string {
    this.#check('logonId');
    return this.#logonId;
  }

  get account(): string {
    this.#check('account');
    return this.#account;
  }

  get logger(): Logger {
    this.#check('logger');
    return this.#logger;
  }

  get dataDir(): string {
    this.#check('dataDir');
    return this.#dataDir;
  }

  modifyStatusRow(patch: StatusRowPatch): void {
    this.#check('modifyStatusRow');
    this.#host.activity.touch();
    this.#host.statusTable.update(this.#logonId, this.#host.redactor.value(patch));
  }

  async spoolerYield(signal?: AbortSignal): Promise<void> {
    this.#check('spoolerYield');
    this.#host.activity.touch();
    await nextTurn();
    if (signal?.aborted) {
      throw new SpoolError(ErrorCode.CANCELLED, `logon ${this.#logonId}: operation cancelled`, {
        hint: 'The message was cancelled or the spooler is stopping; the provider should stop and return.',
        cause: signal.reason,
      });
    }
  }

  enterCriticalSection(): CriticalSection {
    this.#check('enterCriticalSection');
    this.#sections += 1;
    this.#host.onCriticalSection(true);
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.#sections -= 1;
      if (this.#sections === 0) this.#host.onCriticalSection(false);
    };
    return { leave, [Symbol.dispose]: leave };
  }

  notifyNewMail(): void {
    this.#check('notifyNewMail');
    this.#host.onNewMail();
  }

  registerPreprocessor(preprocessor: Preprocessor): void {
    this.#check('registerPreprocessor');
    if (!this.#registrationOpen) {
      throw new SpoolError(
        ErrorCode.BAD_SHAPE,
        `logon ${this.#logonId} registered a preprocessor after transportLogon returned`,
        {
          hint: 'Register preprocessors inside transportLogon: the host pairs runs with the preprocessors it knew then.',
          details: { logonId: this.#logonId },
        },
      );
    }
    if (
      typeof preprocessor?.preprocess !== 'function' ||
      typeof preprocessor.removePreprocessInfo !== 'function'
    ) {
      throw new SpoolError(
        ErrorCode.BAD_SHAPE,
        `logon ${this.#logonId} registered a preprocessor without preprocess() and removePreprocessInfo()`,
        {
          hint: 'A preprocessor is a pair: both functions are required.',
          details: { logonId: this.#logonId },
        },
      );
    }
    this.#preprocessors.push(preprocessor);
  }

  /** The preprocessors this logon registered, in registration order (host use only). */
  get preprocessors(): readonly Preprocessor[] {
    return this.#preprocessors;
  }

  /** Critical sections entered and not left yet (host use only). */
  get openSections(): number {
    return this.#sections;
  }

  /** True while the logon holds a critical section (host use only). */
  get inCriticalSection(): boolean {
    return this.#sections > 0;
  }

  /** transportLogon returned: no more preprocessors may be registered (host use only). */
  closeRegistration(): void {
    this.#registrationOpen = false;
  }

  /** Makes every member throw from now on (called at logoff). */
  invalidate(): void {
    this.#valid = false;
  }
}
