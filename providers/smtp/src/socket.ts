import { type NetConnectOpts, connect as netConnect, type Socket } from 'node:net';

/** Where and how long: the outbound server and the `connectionTimeout` option. */
export interface SocketTarget {
  /** Server host name or address. */
  readonly host: string;
  /** Server port. */
  readonly port: number;
  /** Give up connecting (DNS included) after this many ms. */
  readonly timeoutMs: number;
}

/** nodemailer's pool `getSocket` hook: an error, or `{ connection }` with the socket to speak SMTP on. */
export type GetSocket = (
  options: unknown,
  callback: (error: Error | null, socketOptions?: { connection: Socket }) => void,
) => void;

/**
 * Opens the pool's TCP connections with TCP_NODELAY. nodemailer never sets it, and it writes a message body
 * and the terminating `\r\n.\r\n` as two writes: Nagle's algorithm then holds the 5-byte terminator until
 * the server ACKs the body, which a Linux server delays by 40 ms, so every message waited ~40 ms on every
 * connection. nodemailer's own `net.connect` options cannot be set, but a socket handed over through the
 * pool's `getSocket` hook is used as is, and nodemailer still does implicit TLS (`secure`) and STARTTLS on it.
 *
 * The socket is handed over at once, still connecting, rather than after 'connect': an error passed to the
 * `getSocket` callback leaves nodemailer's pool resource neither removed nor available (nodemailer 7.0.13),
 * so after `maxConnections` refused connections the pool would never send again. Handed over early, a failed
 * connect reaches nodemailer's own socket 'error' listener and takes its normal path (resource dropped,
 * message called back with `ESOCKET`/`CONN`, as without this hook). Nothing is written before the greeting,
 * and `tls.connect({ socket })` waits for a socket that is still connecting.
 *
 * `connect` is replaceable for tests only.
 */
export function noDelaySocket(
  target: SocketTarget,
  connect: (options: NetConnectOpts) => Socket = netConnect,
): GetSocket {
  return (_options, callback) => {
    const socket = connect({ host: target.host, port: target.port, noDelay: true, keepAlive: true });
    // nodemailer's connectionTimeout timer only runs until it has the socket, so the connect phase needs ours;
    // destroying with an error hands it to nodemailer's listener like any other connect failure.
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })),
      target.timeoutMs,
    );
    const done = (): void => {
      clearTimeout(timer);
      socket.removeListener('connect', done);
      socket.removeListener('error', onError);
      socket.removeListener('close', done);
    };
    // Registered before nodemailer's listener, so it runs first: with several addresses for one name (happy
    // eyeballs), Node reports an AggregateError without a message, which would make an empty deferral reason.
    const onError = (error: Error & { code?: string; errors?: unknown[] }): void => {
      if (error.message === '') {
        const first = error.errors?.[0];
        error.message =
          first instanceof Error && first.message !== ''
            ? first.message
            : `connect ${error.code ?? 'failed'} ${target.host}:${target.port}`;
      }
      done();
    };
    socket.once('connect', done);
    socket.once('error', onError);
    socket.once('close', done);
    callback(null, { connection: socket });
  };
}
