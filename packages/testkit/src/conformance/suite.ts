import type { ProviderTarget } from '../target.js';
import type { TestApi } from '../test-api.js';

/** The provider's options for the suite: a value, or a function called per check (e.g. to read a server port). */
export type OptionsSource =
  | Readonly<Record<string, unknown>>
  | (() => Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>);

/** Options of {@link runConformance}. */
export type ConformanceOptions = ProviderTarget &
  Partial<TestApi> & {
    /**
     * Sample recipients for the provider's address type(s), as `TYPE:rest` (`['FAX:+15550100']`). The suite
     * hands them to `submitMessage` directly and through a real spooler, and expects each to be delivered.
     */
    readonly addresses: readonly string[];
    /** Sample options (what an operator writes under `options:`), under which the sample addresses deliver. */
    readonly options?: OptionsSource;
    /** The sender of the sample message (`TYPE:rest`); none by default. */
    readonly from?: string;
    /** Accepted for symmetry with other kits; the suite throws coded errors instead of using `expect`. */
    readonly expect?: unknown;
    /** Timeout of each check in ms, passed to `it` (default 60 000). */
    readonly timeoutMs?: number;
    /** How long to watch for support calls after logoff, in ms (default 100). */
    readonly settleMs?: number;
    /** Title of the `describe` block (default: `<package name> conformance`). */
    readonly title?: string;
  };

/** What every rule reads: the options `runConformance` was given, with the defaults applied. */
export interface Suite {
  readonly config: ConformanceOptions;
  /** How long to watch for support calls after logoff, in ms. */
  readonly settleMs: number;
  /** The sample options, resolved anew for each use (`options` may be a function reading a live port). */
  sampleOptions(): Promise<Readonly<Record<string, unknown>>>;
}

/** One rule of the SPI contract: one `it`, which throws `SPOOL_E_CONFORMANCE` when the provider breaks it. */
export interface Rule {
  /** The title of its `it`: `<check>: <what it proves>` (the README's table lists the checks). */
  readonly title: string;
  check(suite: Suite): Promise<void>;
}
