import { Activity, LogonSupport, Redactor, StatusTable } from '@spool/core/internal';
import type { Logger, Preprocessor, StatusRowPatch } from '@spool/spi';

/** A support call the provider made after its logon was logged off. */
export interface LateCall {
  readonly member: string;
  /** Where the call came from (the first lines of its stack). */
  readonly stack: string;
}

/**
 * The host's own support object (`LogonSupport` from `@spool/core/internal`, so the rules are the host's:
 * `SPOOL_E_SUPPORT_INVALID` after logoff, `SPOOL_E_CANCELLED` from `spoolerYield` on an aborted signal,
 * preprocessors only during logon), recording what the provider did with it so the conformance suite can
 * check the provider's side of the contract directly.
 */
export class RecordingSupport extends LogonSupport {
  readonly patches: StatusRowPatch[] = [];
  readonly lateCalls: LateCall[] = [];
  newMailCalls = 0;
  yieldCalls = 0;
  /** Called on every `notifyNewMail()`, like the host scheduling `startMessage` (the suite sets it). */
  onNewMail: (() => void) | undefined;

  constructor(init: { logonId: string; account: string; logger: Logger; dataDir: string }) {
    super({
      ...init,
      host: {
        statusTable: new StatusTable(),
        redactor: new Redactor(),
        activity: new Activity(),
        onNewMail: () => {
          this!.newMailCalls += 1;
          this!.onNewMail?.();
        },
        onCriticalSection: () => {},
        onInvalidCall: (member) => {
          const stack = (new Error().stack ?? '').split('\n').slice(4, 9).join('\n');
          this!.lateCalls.push({ member, stack });
        },
      },
    });
  }

  override modifyStatusRow(patch: StatusRowPatch): void {
    super.modifyStatusRow(patch);
    this.patches.push(patch);
  }

  override spoolerYield(signal?: AbortSignal): Promise<void> {
    this.yieldCalls += 1;
    return super.spoolerYield(signal);
  }

  /** The preprocessors the provider registered, in order. */
  get preprocessorsRegistered(): readonly Preprocessor[] {
    return this.preprocessors;
  }

  /** transportLogon returned: registering preprocessors is no longer allowed. */
  logonDone(): void {
    this.closeRegistration();
  }

  /** The status row as the provider's patches make it. */
  row(): StatusRowPatch {
    return Object.assign({}, ...this.patches) as StatusRowPatch;
  }
}
