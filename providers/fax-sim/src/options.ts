import { isAbsolute, resolve } from 'node:path';
import type { LogonSection } from '@spool/spi';

/** Paper sizes the simulated fax machine feeds. */
export type FaxPaper = 'A4' | 'Letter';

/** Fax resolutions (ITU-T T.4): `fine` is 204x196 dpi, `standard` is 204x98 dpi. */
export type FaxResolution = 'fine' | 'standard';

/** The options of a fax-sim logon (entry options merged with account options). One logon is one line. */
export interface FaxSimOptions {
  /** Paper size of the rendered pages. Default `A4`. */
  paper?: FaxPaper;
  /** Vertical resolution of the rendered pages. Default `fine`. */
  resolution?: FaxResolution;
  /** Modem speed of the line in bit/s; transmission time per page is derived from it. Default 14400. */
  baud?: number;
  /** Scales every simulated delay: 0 sends instantly, 1 is real time. Default 0. */
  timeFactor?: number;
  /** Time the dial-and-connect handshake takes at `timeFactor` 1, in ms. Default 8000. */
  handshakeMs?: number;
  /** Our own number or station id, shown as the sender on the cover page when the message has no sender. */
  stationId?: string;
  /** Numbers that answer busy (normalised; a trailing `*` matches a prefix). Retried later. */
  busyNumbers?: string[];
  /** How many dial attempts find each busy number busy before it is free; unlimited when absent. */
  busyAttempts?: number;
  /** Numbers that ring without answer (normalised; a trailing `*` matches a prefix). Retried later. */
  noAnswerNumbers?: string[];
  /** How many dial attempts go unanswered per no-answer number before it answers; unlimited when absent. */
  noAnswerAttempts?: number;
  /** Unallocated numbers (normalised; a trailing `*` matches a prefix). Fail permanently. */
  invalidNumbers?: string[];
  /** Delay asked of the host before retrying a busy or unanswered number, in ms. Default 60000. */
  retryDelayMs?: number;
  /** Where sent faxes (one PDF per recipient) and the transmission log go; relative to the profile. */
  outputDir?: string;
  /** Where received faxes (PDF files) are picked up from; relative to the profile. */
  inboundDir?: string;
  /** How often the host polls the inbound directory, in ms. Default 5000. */
  pollIntervalMs?: number;
}

/** The defaults of {@link FaxSimOptions}, in one place so the schema, the README and the code agree. */
export const DEFAULTS = {
  paper: 'A4',
  resolution: 'fine',
  baud: 14400,
  timeFactor: 0,
  handshakeMs: 8000,
  retryDelayMs: 60_000,
  outputDir: 'fax-out',
  inboundDir: 'fax-in',
  pollIntervalMs: 5000,
} as const satisfies FaxSimOptions;

const numberRules = (what: string) =>
  ({
    type: 'array',
    items: { type: 'string', minLength: 1 },
    description: `${what} Written like recipients (spaces, dots, dashes, parentheses ignored); a trailing \`*\` matches every number with that prefix.`,
  }) as const;

/** JSON Schema (2020-12) of {@link FaxSimOptions}; the host validates the profile section against it. */
export const optionsSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    paper: {
      enum: ['A4', 'Letter'],
      default: DEFAULTS.paper,
      description: 'Paper size of the rendered fax pages.',
    },
    resolution: {
      enum: ['fine', 'standard'],
      default: DEFAULTS.resolution,
      description:
        'Fax resolution: `fine` is 204x196 dpi, `standard` is 204x98 dpi (half the scan lines, half the time).',
    },
    baud: {
      type: 'integer',
      minimum: 2400,
      maximum: 33600,
      default: DEFAULTS.baud,
      description: 'Modem speed of the simulated line in bit/s; the time per page is derived from it.',
    },
    timeFactor: {
      type: 'number',
      minimum: 0,
      default: DEFAULTS.timeFactor,
      description: 'Scales every simulated delay: 0 sends instantly, 1 is real time.',
    },
    handshakeMs: {
      type: 'integer',
      minimum: 0,
      default: DEFAULTS.handshakeMs,
      description: 'Time the dial-and-connect handshake takes at timeFactor 1, in ms.',
    },
    stationId: {
      type: 'string',
      description:
        'Our own number or station id, shown as the sender on the cover page when a message has none.',
    },
    busyNumbers: numberRules('Numbers that answer busy; retried later.'),
    busyAttempts: {
      type: 'integer',
      minimum: 0,
      description:
        'Dial attempts per busy number that find it busy before it is free; unlimited when absent.',
    },
    noAnswerNumbers: numberRules('Numbers that ring without answer; retried later.'),
    noAnswerAttempts: {
      type: 'integer',
      minimum: 0,
      description:
        'Dial attempts per no-answer number that go unanswered before it answers; unlimited when absent.',
    },
    invalidNumbers: numberRules('Unallocated numbers; fail permanently.'),
    retryDelayMs: {
      type: 'integer',
      minimum: 0,
      default: DEFAULTS.retryDelayMs,
      description: 'Delay asked of the host before retrying a busy or unanswered number, in ms.',
    },
    outputDir: {
      type: 'string',
      minLength: 1,
      default: DEFAULTS.outputDir,
      description:
        'Directory for sent faxes (one PDF per recipient) and the transmission log, relative to the profile.',
    },
    inboundDir: {
      type: 'string',
      minLength: 1,
      default: DEFAULTS.inboundDir,
      description: 'Directory polled for received faxes (PDF files), relative to the profile.',
    },
    pollIntervalMs: {
      type: 'integer',
      minimum: 100,
      default: DEFAULTS.pollIntervalMs,
      description: 'How often the host polls the inbound directory, in ms.',
    },
  },
} as const;

/** {@link FaxSimOptions} with defaults applied and directories made absolute. */
export interface ResolvedFaxOptions {
  readonly paper: FaxPaper;
  readonly resolution: FaxResolution;
  readonly baud: number;
  readonly timeFactor: number;
  readonly handshakeMs: number;
  readonly stationId: string | undefined;
  readonly busyNumbers: readonly string[];
  readonly busyAttempts: number;
  readonly noAnswerNumbers: readonly string[];
  readonly noAnswerAttempts: number;
  readonly invalidNumbers: readonly string[];
  readonly retryDelayMs: number;
  readonly outputDir: string;
  readonly inboundDir: string;
  readonly pollIntervalMs: number;
}

/**
 * Applies the defaults. The host validated the section against the schema already; directories are
 * resolved against the profile's directory (never the process's cwd) so a daemon and a CLI agree.
 */
export function resolveOptions(section: LogonSection<FaxSimOptions>): ResolvedFaxOptions {
  const o = section.options;
  const dir = (value: string) => (isAbsolute(value) ? value : resolve(section.profileDir, value));
  return {
    paper: o.paper ?? DEFAULTS.paper,
    resolution: o.resolution ?? DEFAULTS.resolution,
    baud: o.baud ?? DEFAULTS.baud,
    timeFactor: o.timeFactor ?? DEFAULTS.timeFactor,
    handshakeMs: o.handshakeMs ?? DEFAULTS.handshakeMs,
    stationId: o.stationId,
    busyNumbers: o.busyNumbers ?? [],
    busyAttempts: o.busyAttempts ?? Number.POSITIVE_INFINITY,
    noAnswerNumbers: o.noAnswerNumbers ?? [],
    noAnswerAttempts: o.noAnswerAttempts ?? Number.POSITIVE_INFINITY,
    invalidNumbers: o.invalidNumbers ?? [],
    retryDelayMs: o.retryDelayMs ?? DEFAULTS.retryDelayMs,
    outputDir: dir(o.outputDir ?? DEFAULTS.outputDir),
    inboundDir: dir(o.inboundDir ?? DEFAULTS.inboundDir),
    pollIntervalMs: o.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
  };
}
