/** SMTP AUTH credentials for the outbound server. `pass` is a secret: take it from `${ENV}` in the profile. */
export interface SmtpAuthOptions {
  /** User name. Shown in the status row identity. */
  user: string;
  /** Password. Never logged, never shown in a status row or an error message. */
  pass: string;
}

/** TLS settings for the outbound connection (implicit TLS or STARTTLS). */
export interface SmtpTlsOptions {
  /** Refuse servers whose certificate does not verify (default true). Turn off only for testing. */
  rejectUnauthorized?: boolean;
  /** Extra trusted CA certificates: PEM text, or file paths relative to the profile directory. */
  ca?: string | string[];
  /** Server name for SNI and certificate checks, when it differs from `host`. */
  servername?: string;
  /** Lowest TLS version to accept, e.g. `TLSv1.2`. */
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

/** DKIM signing of outgoing messages (nodemailer's signer). */
export interface SmtpDkimOptions {
  /** The signing domain (`d=`). */
  domainName: string;
  /** The selector (`s=`). */
  keySelector: string;
  /** The private key: PEM text, or a file path relative to the profile directory. A secret. */
  privateKey: string;
  /** Colon-separated header names to sign instead of nodemailer's default list. */
  headerFieldNames?: string;
  /** Colon-separated header names never to sign. */
  skipFields?: string;
}

/** One account the inbound listener accepts with SMTP AUTH. */
export interface SmtpListenUser {
  /** User name. */
  username: string;
  /** Password (a secret). */
  password: string;
}

/** The inbound SMTP listener. Inbound is off unless this object is present. */
export interface SmtpListenOptions {
  /** Interface to bind; loopback by default so nothing is exposed by accident. */
  host?: string;
  /** TCP port; 0 picks a free port (shown in the status row text). */
  port?: number;
  /** Largest message accepted, in bytes; larger ones are answered 552. */
  size?: number;
  /** Accounts allowed to authenticate; when empty or absent, no AUTH is offered or needed. */
  users?: SmtpListenUser[];
  /** Recipient domains accepted (case-insensitive); others get 550 at RCPT TO. Absent: accept any domain. */
  domains?: string[];
  /** How long a received message may wait for the host to store it before the client is told 451, in ms. */
  storeTimeoutMs?: number;
  /** Key and certificate (PEM text or file paths) to offer STARTTLS; without them STARTTLS is not offered. */
  tls?: { key: string; cert: string };
}

/** The options of an SMTP logon (entry options merged with account options). */
export interface SmtpOptions {
  /** Address types to claim instead of `SMTP`. */
  addressTypes?: string[];
  /** Outbound SMTP server host name. */
  host?: string;
  /** Outbound SMTP server port (default 465 with `secure`, else 587). */
  port?: number;
  /** Implicit TLS from the first byte (port 465). Otherwise STARTTLS is used when offered. */
  secure?: boolean;
  /** Fail the connection when the server does not offer STARTTLS. */
  requireTLS?: boolean;
  /** Never use STARTTLS, even when offered. */
  ignoreTLS?: boolean;
  /** SMTP AUTH credentials. */
  auth?: SmtpAuthOptions;
  /** TLS settings. */
  tls?: SmtpTlsOptions;
  /** Pool size: connections kept open at once; also how many hand-offs the host runs at once. */
  maxConnections?: number;
  /** The rate-limit window, in ms. */
  rateDelta?: number;
  /** At most this many messages per `rateDelta` (0: no limit). */
  rateLimit?: number;
  /** DKIM signing. */
  dkim?: SmtpDkimOptions;
  /** Default envelope sender and From header when a message has no SMTP sender. */
  from?: string;
  /** Name sent in EHLO (default: the machine's host name). */
  name?: string;
  /** Give up connecting after this many ms. */
  connectionTimeout?: number;
  /** Give up waiting for the greeting after this many ms. */
  greetingTimeout?: number;
  /** Give up on an idle socket after this many ms. */
  socketTimeout?: number;
  /** The inbound listener; inbound is off without it. */
  listen?: SmtpListenOptions;
}

/** Defaults applied in one place, so docs, schema and code agree. */
export const DEFAULTS = {
  host: 'localhost',
  maxConnections: 5,
  rateDelta: 1000,
  connectionTimeout: 30_000,
  greetingTimeout: 30_000,
  socketTimeout: 60_000,
  listenHost: '127.0.0.1',
  listenPort: 2525,
  size: 25 * 1024 * 1024,
  storeTimeoutMs: 30_000,
} as const;

const pemOrPath = { type: 'string', minLength: 1 } as const;

/** JSON Schema (2020-12) of {@link SmtpOptions}; the host validates the profile section against it. */
export const optionsSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    addressTypes: {
      type: 'array',
      items: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9-]*$' },
      minItems: 1,
      description: 'Address types to claim instead of `SMTP`.',
    },
    host: { type: 'string', default: DEFAULTS.host, description: 'Outbound SMTP server host name.' },
    port: {
      type: 'integer',
      minimum: 1,
      maximum: 65535,
      description: 'Outbound SMTP server port (default 465 with `secure`, else 587).',
    },
    secure: {
      type: 'boolean',
      default: false,
      description: 'Implicit TLS from the first byte (port 465); otherwise STARTTLS is used when offered.',
    },
    requireTLS: {
      type: 'boolean',
      default: false,
      description: 'Fail the connection (and defer) when the server does not offer STARTTLS.',
    },
    ignoreTLS: { type: 'boolean', default: false, description: 'Never use STARTTLS, even when offered.' },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['user', 'pass'],
      description: 'SMTP AUTH credentials; take `pass` from an environment variable in the profile.',
      properties: {
        user: { type: 'string', minLength: 1, description: 'User name (shown in the status row identity).' },
        pass: { type: 'string', writeOnly: true, description: 'Password; never logged or shown.' },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      description: 'TLS settings for implicit TLS and STARTTLS.',
      properties: {
        rejectUnauthorized: {
          type: 'boolean',
          default: true,
          description: 'Refuse servers whose certificate does not verify.',
        },
        ca: {
          description: 'Extra trusted CA certificates: PEM text or file paths (relative to the profile).',
          anyOf: [pemOrPath, { type: 'array', items: pemOrPath }],
        },
        servername: { type: 'string', description: 'Server name for SNI and certificate checks.' },
        minVersion: {
          enum: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'],
          description: 'Lowest TLS version to accept.',
        },
      },
    },
    maxConnections: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.maxConnections,
      description: 'Pool size; also how many hand-offs the host runs at once on this logon.',
    },
    rateDelta: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.rateDelta,
      description: 'Rate-limit window, in ms.',
    },
    rateLimit: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'At most this many messages per `rateDelta` (0: no limit).',
    },
    dkim: {
      type: 'object',
      additionalProperties: false,
      required: ['domainName', 'keySelector', 'privateKey'],
      description: 'DKIM signing of outgoing messages.',
      properties: {
        domainName: { type: 'string', description: 'Signing domain (`d=`).' },
        keySelector: { type: 'string', description: 'Selector (`s=`).' },
        privateKey: { ...pemOrPath, writeOnly: true, description: 'Private key: PEM text or a file path.' },
        headerFieldNames: { type: 'string', description: 'Colon-separated header names to sign.' },
        skipFields: { type: 'string', description: 'Colon-separated header names never to sign.' },
      },
    },
    from: {
      type: 'string',
      description: 'Default envelope sender and From header when a message has no SMTP sender.',
    },
    name: { type: 'string', description: 'Name sent in EHLO (default: the host name of this machine).' },
    connectionTimeout: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.connectionTimeout,
      description: 'Give up connecting after this many ms (the hand-off is deferred).',
    },
    greetingTimeout: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.greetingTimeout,
      description: 'Give up waiting for the server greeting after this many ms.',
    },
    socketTimeout: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.socketTimeout,
      description: 'Give up on a silent connection after this many ms.',
    },
    listen: {
      type: 'object',
      additionalProperties: false,
      description: 'Inbound SMTP listener, started on begin-inbound; inbound is off without it.',
      properties: {
        host: { type: 'string', default: DEFAULTS.listenHost, description: 'Interface to bind.' },
        port: {
          type: 'integer',
          minimum: 0,
          maximum: 65535,
          default: DEFAULTS.listenPort,
          description: 'TCP port; 0 picks a free one (shown in the status text).',
        },
        size: {
          type: 'integer',
          minimum: 1,
          default: DEFAULTS.size,
          description: 'Largest message accepted, in bytes; larger ones get 552.',
        },
        users: {
          type: 'array',
          description: 'Accounts allowed to authenticate; absent or empty: no AUTH.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['username', 'password'],
            properties: {
              username: { type: 'string', minLength: 1, description: 'User name.' },
              password: { type: 'string', writeOnly: true, description: 'Password (a secret).' },
            },
          },
        },
        domains: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          description: 'Recipient domains accepted; others get 550 at RCPT TO. Absent: any domain.',
        },
        storeTimeoutMs: {
          type: 'integer',
          minimum: 1,
          default: DEFAULTS.storeTimeoutMs,
          description: 'How long a received message may wait to be stored before the client gets 451, in ms.',
        },
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['key', 'cert'],
          description: 'Key and certificate (PEM text or file paths) to offer STARTTLS.',
          properties: {
            key: { ...pemOrPath, writeOnly: true, description: 'Private key: PEM text or a file path.' },
            cert: { ...pemOrPath, description: 'Certificate chain: PEM text or a file path.' },
          },
        },
      },
    },
  },
} as const;
