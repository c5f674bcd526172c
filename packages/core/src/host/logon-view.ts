import type { LogonHandle } from './logon-handle.js';
import type { LogonView } from './provider-port.js';

/**
 * The in-process port's LogonView: getters over the host's handle, so a view is always current (a logon that
 * timed out reads `failed` at once) and the pipeline never holds the handle or the provider's logon object.
 */
export class HandleView implements LogonView {
  readonly id: string;
  readonly entryId: string;
  readonly provider: { readonly name: string; readonly version: string };
  readonly #handle: LogonHandle;

  constructor(handle: LogonHandle) {
    this.#handle = handle;
    this.id = handle.id;
    this.entryId = handle.entry.config.id;
    const imported = handle.entry.imported!;
    this.provider = { name: imported.package.name, version: imported.version };
  }

  get addressTypes(): readonly string[] {
    return this.#handle.addressTypes;
  }
  get maxInFlight(): number {
    return this.#handle.maxInFlight;
  }
  get preprocessors(): number {
    return this.#handle.support.preprocessors.length;
  }
  get receives(): boolean {
    return typeof this.#handle.logon.startMessage === 'function';
  }
  get polls(): boolean {
    return typeof this.#handle.logon.poll === 'function';
  }
  get hasEndMessage(): boolean {
    return typeof this.#handle.logon.endMessage === 'function';
  }
  get hasIdle(): boolean {
    return typeof this.#handle.logon.idle === 'function';
  }
  get pollIntervalMs(): number | undefined {
    return this.#handle.pollIntervalMs;
  }
  get state(): 'active' | 'failed' | 'closed' {
    return this.#handle.state;
  }
  get outboundEnabled(): boolean {
    return this.#handle.outboundEnabled;
  }
  get inboundEnabled(): boolean {
    return this.#handle.inboundEnabled;
  }
  get inCriticalSection(): boolean {
    return this.#handle.support.inCriticalSection;
  }
}
