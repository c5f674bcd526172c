import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type CriticalSection,
  type Logger,
  type Preprocessor,
  SpiErrorCode,
  SpoolError,
  type StatusRowPatch,
  type TransportSupport,
} from '@spool/spi';

/** A support call the provider made after its logon was logged off. */
export interface LateCall {
  readonly member: string;
  /** Where the call came from (the first lines of its stack). */
  readonly stack: string;
}

/**
 * A support object that behaves like the host's (`SPOOL_E_SUPPORT_INVALID` after logoff, `SPOOL_E_CANCELLED`
 * from `spoolerYield` on an aborted signal, preprocessors only during logon) and records everything the
 * provider did with it, so the conformance suite can check the provider's side of the contract directly.
 */
export class RecordingSupport implements TransportSupport {
  readonly patches: StatusRowPatch[] = [];
  readonly preprocessorsRegistered: Preprocessor[] = [];
  readonly lateCalls: LateCall[] = [];
  newMailCalls = 0;
  yieldCalls = 0;
  /** Called on every `notifyNewMail()`, like the host scheduling `startMessage` (the suite sets it). */
  onNewMail: (() => void) | undefined;
  readonly #logonId: string;
  readonly #account: string;
  readonly #logger: Logger;
  readonly #dataDir: string;
  #valid = true;
  #inLogon = true;
  #sections = 0;

  constructor(init: { logonId: string; account: string; logger: Logger; dataDir: string }) {
    this.#logonId = init.logonId;
    this.#account = init.account;
    this.#logger = init.logger;
    this.#dataDir = init.dataDir;
  }

  #check(member: string): void {
    if (this.#valid) return;
    const stack = (new Error().stack ?? '').split('\n').slice(3, 8).join('\n');
    this.lateCalls.push({ member, stack });
    throw new SpoolError(
      SpiErrorCode.SUPPORT_INVALID,
      `support.${member}() called for logon ${this.#logonId} after it was logged off`,
      { hint: 'Stop timers, listeners and pending work in transportLogoff.', details: { member } },
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
    this.patches.push(patch);
  }

  async spoolerYield(signal?: AbortSignal): Promise<void> {
    this.#check('spoolerYield');
    this.yieldCalls += 1;
    await nextTurn();
    if (signal?.aborted) {
      throw new SpoolError(SpiErrorCode.CANCELLED, `logon ${this.#logonId}: operation cancelled`, {
        cause: signal.reason,
      });
    }
  }

  enterCriticalSection(): CriticalSection {
    this.#check('enterCriticalSection');
    this.#sections += 1;
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.#sections -= 1;
    };
    return { leave, [Symbol.dispose]: leave };
  }

  notifyNewMail(): void {
    this.#check('notifyNewMail');
    this.newMailCalls += 1;
    this.onNewMail?.();
  }

  registerPreprocessor(preprocessor: Preprocessor): void {
    this.#check('registerPreprocessor');
    if (!this.#inLogon) {
      throw new SpoolError(
        'SPOOL_E_BAD_SHAPE',
        `logon ${this.#logonId} registered a preprocessor after transportLogon returned`,
        { hint: 'Register preprocessors inside transportLogon.' },
      );
    }
    this.preprocessorsRegistered.push(preprocessor);
  }

  /** Critical sections entered and not yet left. */
  get openSections(): number {
    return this.#sections;
  }

  /** transportLogon returned: registering preprocessors is no longer allowed. */
  logonDone(): void {
    this.#inLogon = false;
  }

  /** Logoff returned: every member throws (and is recorded) from now on. */
  invalidate(): void {
    this.#valid = false;
  }

  /** The status row as the provider's patches make it. */
  row(): StatusRowPatch {
    return Object.assign({}, ...this.patches) as StatusRowPatch;
  }
}
