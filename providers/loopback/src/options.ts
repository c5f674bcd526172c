/** The options of a loopback logon (entry options merged with account options). */
export interface LoopbackOptions {
  /** Address types to claim instead of `LOOP`. */
  addressTypes?: string[];
  /** Fail this many hand-offs temporarily (retry later) before delivering. Counted per logon. */
  failNext?: number;
  /** Delay the host should wait before retrying a temporary failure, in ms. */
  retryDelayMs?: number;
  /** Fail every hand-off permanently with this reason. */
  failPermanently?: string;
  /** Recipients (the part after `LOOP:`) that fail permanently; the others are delivered. */
  rejectRecipients?: string[];
  /** Wait this long in every hand-off, in ms (honours cancellation). */
  latencyMs?: number;
  /** How many hand-offs may run at once. */
  maxInFlight?: number;
  /** Leave a marker file per preprocess run (removed by removePreprocessInfo), to check the pairing on disk. */
  traceFiles?: boolean;
}

/** JSON Schema (2020-12) of {@link LoopbackOptions}; the host validates the profile section against it. */
export const optionsSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    addressTypes: {
      type: 'array',
      items: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9-]*$' },
      minItems: 1,
      description: 'Address types to claim instead of `LOOP`.',
    },
    failNext: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'Fail this many hand-offs temporarily before delivering (fault injection).',
    },
    retryDelayMs: {
      type: 'integer',
      minimum: 0,
      description: 'Delay asked for before retrying a temporary failure, in ms.',
    },
    failPermanently: {
      type: 'string',
      description: 'Fail every hand-off permanently with this reason (fault injection).',
    },
    rejectRecipients: {
      type: 'array',
      items: { type: 'string' },
      description: 'Recipients (after `LOOP:`) that fail permanently; the others are delivered.',
    },
    latencyMs: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'Wait this long in every hand-off, in ms (cancellable).',
    },
    maxInFlight: {
      type: 'integer',
      minimum: 1,
      default: 16,
      description: 'How many hand-offs may run at once.',
    },
    traceFiles: {
      type: 'boolean',
      default: false,
      description:
        'Leave a marker file per preprocess run in the data directory, removed by removePreprocessInfo (to check the pairing on disk).',
    },
  },
} as const;
