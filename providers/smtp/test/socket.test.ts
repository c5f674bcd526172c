import { connect, createServer, type NetConnectOpts, type Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { noDelaySocket } from '../src/socket.js';
import { closedPort } from './support.js';

/** Calls the hook once and returns what nodemailer would get, plus the options the socket was opened with. */
function open(
  target: { host: string; port: number; timeoutMs: number },
  make: (options: NetConnectOpts) => Socket = connect,
): { socket: Socket; opened: NetConnectOpts } {
  let opened: NetConnectOpts | undefined;
  let socket: Socket | undefined;
  noDelaySocket(target, (options) => {
    opened = options;
    return make(options);
  })({}, (error, socketOptions) => {
    expect(error).toBeNull();
    socket = socketOptions?.connection;
  });
  if (socket === undefined || opened === undefined) throw new Error('the hook did not call back at once');
  return { socket, opened };
}

/** What a socket ends with: its first error, or 'connected'. */
function outcome(socket: Socket): Promise<Error | 'connected'> {
  return new Promise((resolve) => {
    const onConnect = () => {
      socket.removeListener('error', onError);
      resolve('connected');
    };
    const onError = (error: Error) => {
      socket.removeListener('connect', onConnect);
      resolve(error);
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

describe('noDelaySocket (the pool getSocket hook)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0))
      await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('opens the connection with TCP_NODELAY and keep-alive and leaves no listener behind', async () => {
    const server = createServer((peer) => peer.end());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    const { socket, opened } = open({ host: '127.0.0.1', port, timeoutMs: 5000 });
    expect(opened).toMatchObject({ host: '127.0.0.1', port, noDelay: true, keepAlive: true });
    expect(await outcome(socket)).toBe('connected');
    expect(socket.listenerCount('error')).toBe(0);
    expect(socket.listenerCount('close')).toBe(0);
    socket.destroy();
  });

  it('reports a refused connection on the socket, with the socket error code and a message', async () => {
    const port = await closedPort();
    const { socket } = open({ host: '127.0.0.1', port, timeoutMs: 5000 });
    const result = await outcome(socket);
    expect(result).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('gives up connecting after timeoutMs with a connection timeout error', async () => {
    // A socket that never connects stands in for a server that drops the SYN.
    const { socket } = open({ host: '192.0.2.1', port: 25, timeoutMs: 1 }, () => new Socket());
    const result = await outcome(socket);
    expect(result).toMatchObject({ code: 'ETIMEDOUT', message: 'Connection timeout' });
    expect(socket.destroyed).toBe(true);
  });

  it('gives an AggregateError without a message (happy eyeballs) a readable one', async () => {
    const fake = new Socket();
    const { socket } = open({ host: 'mail.example', port: 25, timeoutMs: 5000 }, () => fake);
    const error = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:25')], ''), {
      code: 'ECONNREFUSED',
    });
    const seen = outcome(socket);
    fake.destroy(error);
    expect(await seen).toMatchObject({ message: 'connect ECONNREFUSED ::1:25' });
  });
});
