import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AttachmentInput, FlushProgress, SubmitInput } from '@spool/core';
import type { Logger } from 'pino';
import { type StatusRowJson, statusRowJson, withEntryRows } from '../commands/status.js';
import {
  type FailingEntry,
  type FailingEntryDetail,
  failingDetails,
  failingEntries,
  readiness,
  recipientsOf,
  sendWarnings,
} from '../entry-health.js';
import { CliError, CliErrorCode } from '../errors.js';
import { messageJson, passReportJson, redactorOf } from '../messages.js';
import type { DaemonSpooler } from './daemon.js';

/** The body of `POST /messages`: `spool send`'s fields; attachment content is base64. */
export interface SubmitBody extends Omit<SubmitInput, 'attachments'> {
  readonly attachments?: readonly {
    readonly filename: string;
    readonly contentType?: string;
    readonly contentId?: string;
    readonly contentBase64: string;
  }[];
}

/** What `GET /status` answers (and `spool status --json` prints when a daemon runs). */
export interface DaemonStatus {
  readonly daemon: { pid: number; port: number; started: string; uptime: number };
  readonly rows: readonly StatusRowJson[];
  /** The entries that cannot serve, with their errors and the address types whose mail waits for them. */
  readonly failing: readonly FailingEntryDetail[];
}

/** The largest request body taken (a message with attachments, base64): 32 MiB. */
const MAX_BODY = 32 * 1024 * 1024;

/** HTTP status for a coded error: the caller's mistake (4xx) or the daemon's trouble (5xx). */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  SPOOL_E_UNAUTHORIZED: 401,
  SPOOL_E_BAD_REQUEST: 400,
  SPOOL_E_BAD_ADDRESS: 400,
  SPOOL_E_BAD_MESSAGE: 400,
  SPOOL_E_BAD_FOLDER: 400,
  SPOOL_E_MESSAGE_NOT_FOUND: 404,
  SPOOL_E_ALREADY_FINISHED: 409,
  SPOOL_E_PROFILE_INVALID: 422,
  SPOOL_E_PROFILE_NOT_FOUND: 422,
  SPOOL_E_PROFILE_EMPTY: 422,
  SPOOL_E_ENV_MISSING: 422,
  SPOOL_E_STOPPED: 503,
};

const badRequest = (message: string, hint: string) =>
  new CliError(CliErrorCode.BAD_REQUEST, message, { hint });

/** Everything a request handler needs. */
export interface ServerDeps {
  readonly daemon: DaemonSpooler;
  readonly token: string;
  readonly logger: Logger;
  readonly pid: number;
  readonly started: Date;
  /** The port, known once listening. */
  port(): number;
}

/**
 * The daemon's HTTP API on node:http. Every route but `GET /healthz` and `GET /readyz` needs
 * `Authorization: Bearer <token>` (the token from daemon.json). Those two are open on purpose: liveness and
 * readiness probes (systemd, Docker, Kubernetes, a load balancer) need them without holding the secret, so
 * they say only that a daemon with this pid is up and which entries fail, by error code (never a message).
 */
export function createDaemonServer(deps: ServerDeps): Server {
  const expected = Buffer.from(`Bearer ${deps.token}`);
  const authorized = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return createServer((req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    let route = 'unknown';
    const done = (status: number) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.daemon.metrics.observeRequest(route, method, status);
      deps.logger.info(
        { method, path: url.pathname, route, status, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    };
    const handle = async (): Promise<number> => {
      if (url.pathname === '/healthz') {
        route = '/healthz';
        if (method !== 'GET') return methodNotAllowed(res, 'GET');
        return send(res, 200, health(deps));
      }
      if (url.pathname === '/readyz') {
        route = '/readyz';
        if (method !== 'GET') return methodNotAllowed(res, 'GET');
        const { ready, failing } = readiness(deps.daemon.now.providers());
        return send(res, ready ? 200 : 503, ready ? { ready } : { ready, failing });
      }
      if (!authorized(req)) {
        route = 'unauthorized';
        res.setHeader('WWW-Authenticate', 'Bearer realm="spool"');
        throw new CliError(
          CliErrorCode.UNAUTHORIZED,
          req.headers.authorization ? 'the bearer token is wrong' : 'the request has no bearer token',
          {
            hint: 'Send "Authorization: Bearer <token>" with the token from <profile dir>/.spool/daemon.json (readable by the daemon\'s user only).',
          },
        );
      }
      const cancel = /^\/messages\/([^/]+)\/cancel$/.exec(url.pathname);
      if (cancel) {
        route = '/messages/:id/cancel';
        if (method !== 'POST') return methodNotAllowed(res, 'POST');
        const spooler = await deps.daemon.current();
        const message = await spooler.cancel(decodeURIComponent(cancel[1] ?? ''));
        return send(res, 200, messageJson(message, redactorOf(spooler.profile)));
      }
      switch (url.pathname) {
        case '/messages': {
          route = '/messages';
          if (method !== 'POST') return methodNotAllowed(res, 'POST');
          const input = toSubmitInput(await readJson(req));
          const spooler = await deps.daemon.current();
          const stored = await spooler.submit(input);
          const warnings = sendWarnings(spooler.providers(), spooler.profile, recipientsOf(input));
          return send(res, 201, { ...stored, warnings });
        }
        case '/flush': {
          route = '/flush';
          if (method !== 'POST') return methodNotAllowed(res, 'POST');
          return flush(res, deps);
        }
        case '/reload': {
          route = '/reload';
          if (method !== 'POST') return methodNotAllowed(res, 'POST');
          return send(res, 200, await deps.daemon.reload());
        }
        case '/status': {
          route = '/status';
          if (method !== 'GET') return methodNotAllowed(res, 'GET');
          return send(res, 200, daemonStatus(deps));
        }
        case '/metrics': {
          route = '/metrics';
          if (method !== 'GET') return methodNotAllowed(res, 'GET');
          const spooler = deps.daemon.now;
          let depth = 0;
          let due = 0;
          try {
            ({ queued: depth, due } = await spooler.queueDepth());
          } catch {
            // Mid-reload the old store is closed: report an empty queue for this one scrape.
          }
          const body = deps.daemon.metrics.render({
            rows: spooler.status(),
            queueDepth: depth,
            queueDue: due,
            uptimeSeconds: Math.round((Date.now() - deps.started.getTime()) / 1000),
          });
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(body);
          return 200;
        }
        default:
          throw new CliError(CliErrorCode.BAD_REQUEST, `no route ${method} ${url.pathname}`, {
            hint: 'Routes: POST /messages, POST /messages/:id/cancel, POST /flush, POST /reload, GET /status, GET /healthz, GET /readyz, GET /metrics.',
            details: { status: 404 },
          });
      }
    };
    handle().then(done, (error: unknown) => {
      const status = errorStatus(error);
      if (status >= 500) deps.logger.error({ err: error, route }, 'request failed');
      if (res.headersSent) {
        // A streamed answer (flush) already started: end it with an error line.
        res.end(`${JSON.stringify({ type: 'error', error: errorJson(error, deps) })}\n`);
      } else send(res, status, { error: errorJson(error, deps) });
      done(status);
    });
  });
}

/**
 * What `GET /healthz` answers: always 200 while the process serves (liveness, and the CLI's own daemon
 * discovery, rely on that); `degraded` while an entry cannot serve. Codes only: the route is open.
 */
export function health(deps: ServerDeps): {
  status: 'ok' | 'degraded';
  pid: number;
  failing: readonly FailingEntry[];
} {
  const failing = failingEntries(deps.daemon.now.providers());
  return { status: failing.length === 0 ? 'ok' : 'degraded', pid: deps.pid, failing };
}

/** What `GET /status` answers. */
export function daemonStatus(deps: ServerDeps): DaemonStatus {
  const spooler = deps.daemon.now;
  const providers = spooler.providers();
  return {
    daemon: {
      pid: deps.pid,
      port: deps.port(),
      started: deps.started.toISOString(),
      uptime: Math.round((Date.now() - deps.started.getTime()) / 1000),
    },
    rows: withEntryRows(
      spooler.profile.redactor.value(spooler.status()).map(statusRowJson),
      providers,
      spooler.profile.redactor.text.bind(spooler.profile.redactor),
    ),
    failing: failingDetails(providers, spooler.profile),
  };
}

/**
 * `POST /flush`: streams NDJSON. One `{ type: "progress", logonId, direction, done, total }` line whenever a
 * logon's count moves, then `{ type: "report", report }` (the pass report and the last progress per logon).
 * A client that disconnects aborts the flush.
 */
async function flush(res: ServerResponse, deps: ServerDeps): Promise<number> {
  const spooler = await deps.daemon.current();
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' });
  const last = new Map<string, FlushProgress>();
  const off = spooler.on('progress', (progress) => {
    const key = `${progress.logonId} ${progress.direction}`;
    const before = last.get(key);
    last.set(key, progress);
    if (before && before.done === progress.done && before.total === progress.total) return;
    res.write(`${JSON.stringify({ type: 'progress', ...progress })}\n`);
  });
  try {
    const report = passReportJson(
      await spooler.flush({ signal: controller.signal }),
      redactorOf(spooler.profile),
    );
    res.end(`${JSON.stringify({ type: 'report', report: { ...report, progress: [...last.values()] } })}\n`);
  } finally {
    off();
  }
  return 200;
}

function send(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
  return status;
}

function methodNotAllowed(res: ServerResponse, allowed: string): never {
  res.setHeader('Allow', allowed);
  throw new CliError(CliErrorCode.BAD_REQUEST, `this route takes ${allowed} only`, {
    hint: `Send a ${allowed} request.`,
    details: { status: 405 },
  });
}

function errorStatus(error: unknown): number {
  const details = (error as { details?: { status?: unknown } }).details;
  if (typeof details?.status === 'number') return details.status;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return STATUS_BY_CODE[code] ?? (code.startsWith('SPOOL_E_') ? 422 : 500);
  return 500;
}

/** The JSON error body: `{ code, message, hint }`, with secrets redacted (messages can quote a provider). */
function errorJson(error: unknown, deps: ServerDeps): { code: string; message: string; hint: string | null } {
  const redact = (text: string) => deps.daemon.profile.redactor.text(text);
  const code = (error as { code?: unknown }).code;
  const hint = (error as { hint?: unknown }).hint;
  return {
    code: typeof code === 'string' && code.startsWith('SPOOL_E_') ? code : 'SPOOL_E_DAEMON_FAILED',
    message: redact(error instanceof Error ? error.message : String(error)),
    hint: typeof hint === 'string' ? redact(hint) : null,
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY)
      throw new CliError(CliErrorCode.BAD_REQUEST, `the request body is larger than ${MAX_BODY} bytes`, {
        hint: 'Send smaller attachments.',
        details: { status: 413 },
      });
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw badRequest(
      `the request body is not JSON: ${(error as Error).message}`,
      'Send a JSON object with Content-Type: application/json.',
    );
  }
}

/** Checks the shape the API adds (base64 attachments); the message itself is checked by the spooler. */
function toSubmitInput(body: unknown): SubmitInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the message must be a JSON object', 'Send { from, to, subject, text, … }.');
  const { attachments, ...rest } = body as SubmitBody;
  if (attachments === undefined) return rest;
  if (!Array.isArray(attachments))
    throw badRequest(
      'attachments must be a list',
      'Send attachments: [{ filename, contentType, contentBase64 }].',
    );
  return {
    ...rest,
    attachments: attachments.map((a, i): AttachmentInput => {
      if (typeof a?.filename !== 'string' || typeof a.contentBase64 !== 'string')
        throw badRequest(
          `attachments[${i}] needs a filename and contentBase64`,
          'Send each attachment as { filename, contentType, contentBase64 }.',
        );
      return {
        filename: a.filename,
        content: new Uint8Array(Buffer.from(a.contentBase64, 'base64')),
        ...(a.contentType === undefined ? {} : { contentType: a.contentType }),
        ...(a.contentId === undefined ? {} : { contentId: a.contentId }),
      };
    }),
  };
}
