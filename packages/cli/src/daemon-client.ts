import type { Profile } from '@spool/core';
import { type DaemonInfo, isAlive, readDaemonInfo } from './daemon/files.js';
import { CliError, CliErrorCode } from './errors.js';

/** How long the liveness check may take before the CLI works in-process instead. */
const HEALTH_TIMEOUT_MS = 2_000;
/** How long one API request may take (flush streams, and is bounded by its own progress instead). */
const REQUEST_TIMEOUT_MS = 120_000;

/** A running daemon the CLI can talk to: what daemon.json says, checked alive. */
export interface DaemonClient {
  readonly info: DaemonInfo;
  /** Sends a request with the bearer token; resolves to the JSON answer or throws the daemon's coded error. */
  request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  /** Sends a request whose answer is NDJSON; calls `onLine` for each line, resolves when the stream ends. */
  stream(path: string, onLine: (line: unknown) => void): Promise<void>;
}

/**
 * The daemon serving this profile, or undefined when none does. A daemon counts when daemon.json exists in
 * `<profile dir>/.spool/`, names this profile file, its pid is alive, and `GET /healthz` on its port answers
 * with that pid (a stale file from a crash, or a reused port, is thereby ignored).
 */
export async function findDaemon(profile: Profile): Promise<DaemonClient | undefined> {
  const info = readDaemonInfo(profile.dir);
  if (!info || !isAlive(info.pid)) return undefined;
  if (info.profile !== null && profile.file !== undefined && info.profile !== profile.file) return undefined;
  const base = `http://127.0.0.1:${info.port}`;
  try {
    const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    const health = (await response.json()) as { pid?: unknown };
    if (!response.ok || health.pid !== info.pid) return undefined;
  } catch {
    return undefined;
  }
  const headers = { authorization: `Bearer ${info.token}` };
  const failed = (path: string, error: unknown) =>
    new CliError(
      CliErrorCode.DAEMON_FAILED,
      `the spool daemon (pid ${info.pid}, port ${info.port}) did not answer ${path}: ${(error as Error).message}`,
      {
        hint: "Check the daemon's log; if it hangs, stop it (kill the pid) and retry: the command then works without it.",
        details: { pid: info.pid, port: info.port },
      },
    );
  const send = async (method: string, path: string, body?: unknown): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw failed(path, error);
    }
    if (!response.ok) throw await errorOf(response, path, info);
    return response;
  };
  return {
    info,
    async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      const response = await send(method, path, body);
      try {
        return (await response.json()) as T;
      } catch (error) {
        throw failed(path, error);
      }
    },
    async stream(path: string, onLine: (line: unknown) => void): Promise<void> {
      const response = await send('POST', path);
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) onLine(JSON.parse(line));
            newline = buffered.indexOf('\n');
          }
        }
      } catch (error) {
        throw failed(path, error);
      }
      if (buffered.trim()) onLine(JSON.parse(buffered));
    },
  };
}

/** The daemon's coded error (`{ error: { code, message, hint } }`) as a CliError, so it prints and exits alike. */
async function errorOf(response: Response, path: string, info: DaemonInfo): Promise<CliError> {
  let body: { error?: { code?: unknown; message?: unknown; hint?: unknown } } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not our JSON: described below by the HTTP status.
  }
  const { code, message, hint } = body.error ?? {};
  if (typeof code === 'string' && typeof message === 'string')
    return new CliError(code, message, {
      ...(typeof hint === 'string' ? { hint } : {}),
      details: { status: response.status, daemon: info.pid },
    });
  return new CliError(
    CliErrorCode.DAEMON_FAILED,
    `the spool daemon (pid ${info.pid}) answered HTTP ${response.status} to ${path}`,
    { hint: "Check the daemon's log.", details: { status: response.status } },
  );
}

/**
 * Runs `work` through the daemon when one serves the profile; resolves to undefined when none does, or when
 * it is stopping (SPOOL_E_STOPPED), so the caller works in-process on the store instead.
 */
export async function viaDaemon<T>(
  profile: Profile,
  work: (daemon: DaemonClient) => Promise<T>,
): Promise<T | undefined> {
  const daemon = await findDaemon(profile);
  if (!daemon) return undefined;
  try {
    return await work(daemon);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SPOOL_E_STOPPED') return undefined;
    throw error;
  }
}
