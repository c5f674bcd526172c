import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, requestLog, startDaemon } from './daemon-helpers.js';
import { type RunResult, spool, temporaryDir } from './helpers.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const kill of cleanup.splice(0)) kill();
});

function json<T = unknown>(result: RunResult): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** A profile directory with a loopback entry and the given options. */
function profileDir(options: Record<string, unknown> = {}): string {
  const dir = temporaryDir();
  writeFileSync(
    join(dir, 'spool.config.yaml'),
    `providers:\n  - provider: loopback\n    options: ${JSON.stringify(options)}\n`,
  );
  return dir;
}

function send(dir: string, to = 'LOOP:alice'): string {
  const result = spool(['send', '--from', 'LOOP:me', '--to', to, '--subject', 'Hi', '--body', 'Hello'], dir);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

interface Pending {
  id: string;
  attempts: number;
}

describe('spool run as a daemon', () => {
  it('send, cancel, flush and status go through its API; daemon.json is private and removed on exit', async () => {
    // Two hand-offs are deferred for an hour: the first message is cancelled, the second delivered by flush.
    const dir = profileDir({ failNext: 2, retryDelayMs: 3_600_000 });
    const daemon = await startDaemon(dir, [], cleanup);
    const info = daemon.info();
    expect(info).toMatchObject({ pid: daemon.child.pid, port: daemon.started.port });
    expect(statSync(join(dir, '.spool', 'daemon.json')).mode & 0o777).toBe(0o600);

    const status = json<{
      daemon: { pid: number; port: number; uptime: number } | null;
      rows: { id: string }[];
    }>(spool(['status', '--json'], dir));
    expect(status.daemon).toMatchObject({ pid: info.pid, port: info.port });
    expect(status.rows.map((row) => row.id)).toEqual(['spooler', 'loopback/default']);

    // send: the daemon stores it and hands it off at once (no run --once): the hand-off is deferred.
    const first = send(dir);
    const deferred = (id: string) =>
      json<Pending[]>(spool(['queue', '--json'], dir)).find((row) => row.id === id && row.attempts === 1);
    await eventually(() => deferred(first));

    const cancelled = json<{ id: string; state: string; folder: string }>(
      spool(['cancel', first, '--json'], dir),
    );
    expect(cancelled).toMatchObject({ id: first, state: 'cancelled', folder: 'Deleted' });

    const second = send(dir);
    await eventually(() => deferred(second));
    const flushed = json<{ delivered: number; pending: unknown[]; progress: { logonId: string }[] }>(
      spool(['flush', '--json'], dir),
    );
    expect(flushed).toMatchObject({ delivered: 1, pending: [] });
    expect(flushed.progress.map((p) => p.logonId)).toContain('loopback/default');
    expect(await daemon.until((event) => event.event === 'finished' && event.id === second)).toMatchObject({
      recipients: [{ address: 'LOOP:alice', outcome: 'delivered' }],
    });

    // The daemon's own log shows every request the commands made.
    const expected = [
      'GET /status 200',
      'POST /messages 201',
      `POST /messages/${first}/cancel 200`,
      'POST /flush 200',
    ];
    // The log arrives on a pipe: wait (bounded) until it has been read.
    await eventually(() => (expected.every((line) => requestLog(daemon).includes(line)) ? true : undefined));
    // A command error through the API keeps its code and exit status.
    const again = spool(['cancel', first], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^SPOOL_E_ALREADY_FINISHED: /);
    await eventually(() =>
      requestLog(daemon).includes(`POST /messages/${first}/cancel 409`) ? true : undefined,
    );

    daemon.child.kill('SIGTERM');
    expect(await daemon.until((event) => event.event === 'stopped')).toEqual({ event: 'stopped' });
    expect(await daemon.exited).toBe(0);
    expect(existsSync(join(dir, '.spool', 'daemon.json'))).toBe(false);
    expect(existsSync(join(dir, '.spool', 'daemon.lock'))).toBe(false);
    expect(daemon.logs().filter((record) => record.level === 'error')).toEqual([]);
    // The token is a secret: it is in no log line.
    expect(JSON.stringify(daemon.logs())).not.toContain(info.token);
    // Without a daemon the same commands work in-process.
    expect(json<{ daemon: unknown }>(spool(['status', '--json'], dir)).daemon).toBeNull();
  }, 60_000);

  it('refuses requests without the token (401, coded); /healthz is open; a second daemon hits the lock', async () => {
    const dir = profileDir();
    const daemon = await startDaemon(dir, [], cleanup);
    const { port, pid } = daemon.info();
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }];
    for (const headers of attempts) {
      const response = await fetch(`http://127.0.0.1:${port}/status`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = (await response.json()) as { error: { code: string; message: string; hint: string } };
      expect(body.error.code).toBe('SPOOL_E_UNAUTHORIZED');
      expect(body.error.hint).toContain('daemon.json');
    }
    const submit = await fetch(`http://127.0.0.1:${port}/messages`, {
      method: 'POST',
      body: JSON.stringify({ from: 'LOOP:me', to: 'LOOP:x', subject: 'no', text: 'no' }),
    });
    expect(submit.status).toBe(401);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', pid, failing: [] });
    expect(json<unknown[]>(spool(['list', 'outbox', '--json'], dir))).toEqual([]);

    const second = spool(['run'], dir);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`^SPOOL_E_DAEMON_RUNNING: a spool daemon \\(pid ${pid}\\) already runs`),
    );
    expect(second.stderr).toContain(`fix: Stop it first (kill ${pid})`);
    // The loser did not touch the winner's files.
    expect(daemon.info().pid).toBe(pid);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 30_000);

  it('--port: a taken port is a coded error that leaves no lock behind; --once takes no port', async () => {
    const dir = profileDir();
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const result = spool(['run', '--port', String(port)], dir);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`^SPOOL_E_PORT_IN_USE: port ${port} on 127\\.0\\.0\\.1 is in use`),
      );
      expect(existsSync(join(dir, '.spool', 'daemon.lock'))).toBe(false);
      expect(existsSync(join(dir, '.spool', 'daemon.json'))).toBe(false);
    } finally {
      taken.close();
    }
    expect(spool(['run', '--once', '--port', '1'], dir).code).toBe(2);
    expect(spool(['run', '--port', 'http'], dir).code).toBe(2);
  }, 30_000);

  it('takes over a stale lock left by a dead process', async () => {
    const dir = profileDir();
    // A pid far above any real one (pid_max is at most 2^22), so it cannot be alive.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, '.spool'));
    writeFileSync(join(dir, '.spool', 'daemon.lock'), '99999999\n');
    const daemon = await startDaemon(dir, [], cleanup);
    expect(daemon.info().pid).toBe(daemon.child.pid);
    daemon.child.kill('SIGINT');
    expect(await daemon.exited).toBe(0);
  }, 30_000);

  it('/metrics is Prometheus text with messages by outcome and provider, hand-offs by reason, queue depth and a latency histogram', async () => {
    const dir = profileDir({ rejectRecipients: ['bob'] });
    const daemon = await startDaemon(dir, [], cleanup);
    const ok = send(dir, 'LOOP:alice');
    const bad = send(dir, 'LOOP:bob');
    await daemon.until((event) => event.id === ok);
    await daemon.until((event) => event.id === bad);
    const response = await daemon.api('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await response.text());
    const provider = '@spool/provider-loopback';
    expect(
      samples.get(
        `spool_messages_total{provider="${provider}",logon="loopback/default",outcome="delivered"}`,
      ),
    ).toBe(1);
    expect(
      samples.get(`spool_messages_total{provider="${provider}",logon="loopback/default",outcome="failed"}`),
    ).toBe(1);
    // One hand-off per message, counted from the spooler's hand-off-settled event.
    expect(
      samples.get(`spool_handoffs_total{provider="${provider}",logon="loopback/default",reason="delivered"}`),
    ).toBe(1);
    expect(
      samples.get(`spool_handoffs_total{provider="${provider}",logon="loopback/default",reason="failed"}`),
    ).toBe(1);
    expect(samples.get('spool_queue_depth')).toBe(0);
    expect(samples.get(`spool_logon_up{provider="${provider}",logon="loopback/default"}`)).toBe(1);
    // A histogram: cumulative buckets, +Inf equal to the count, one observation per finished message.
    const buckets = [...samples].filter(([name]) => name.startsWith('spool_handoff_latency_seconds_bucket'));
    expect(buckets.length).toBeGreaterThan(5);
    const counts = buckets.map(([, value]) => value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(samples.get(`spool_handoff_latency_seconds_bucket{provider="${provider}",le="+Inf"}`)).toBe(2);
    expect(samples.get(`spool_handoff_latency_seconds_count{provider="${provider}"}`)).toBe(2);
    expect(samples.get('spool_http_requests_total{route="/messages",method="POST",status="201"}')).toBe(2);

    // status --watch, bounded: one JSON object per refresh, each from the daemon.
    const watch = spool(['status', '--watch', '--count', '2', '--interval', '100ms', '--json'], dir);
    expect(watch.code).toBe(0);
    const refreshes = watch.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { daemon: { pid: number } });
    expect(refreshes.map((r) => r.daemon.pid)).toEqual([daemon.child.pid, daemon.child.pid]);
    const text = spool(['status', '--watch', '--count', '2', '--interval', '0.1'], dir);
    expect(text.stdout.match(/^daemon: pid \d+, 127\.0\.0\.1:\d+/gm)).toHaveLength(2);
    expect(spool(['status', '--count', '2'], dir).code).toBe(2);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 30_000);

  it('a route whose breaker opens: /readyz is 503 with SPOOL_E_ROUTE_SUSPENDED, the row says suspended, /metrics counts the transition', async () => {
    const dir = temporaryDir();
    writeFileSync(
      join(dir, 'spool.config.yaml'),
      'providers:\n  - provider: loopback\n    options: { failNext: 100 }\n    breaker: { after: 1, coolDown: 10m }\n',
    );
    const daemon = await startDaemon(dir, [], cleanup);
    const { port } = daemon.info();
    const id = send(dir);
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    let suspended = await readyz();
    for (let i = 0; i < 100 && suspended.status !== 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      suspended = await readyz();
    }
    expect(suspended.status).toBe(503);
    expect(suspended.body).toEqual({
      ready: false,
      failing: [{ entry: 'loopback', code: 'SPOOL_E_ROUTE_SUSPENDED' }],
    });
    const rows = json<{ rows: { id: string; text: string }[] }>(spool(['status', '--json'], dir)).rows;
    expect(rows.find((row) => row.id === 'loopback/default')?.text).toMatch(/^suspended until /);
    const samples = parsePrometheus(await (await daemon.api('/metrics')).text());
    expect(
      samples.get(
        'spool_breaker_transitions_total{provider="@spool/provider-loopback",logon="loopback/default",state="open"}',
      ),
    ).toBe(1);
    // One attempt, then nothing: the message waits, no attempt is burned while the breaker is open.
    const queued = json<Pending[]>(spool(['queue', '--json'], dir)).find((row) => row.id === id);
    expect(queued?.attempts).toBe(1);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 30_000);

  it('keeps a secret from the profile out of its logs (debug level), its API answers and its metrics', async () => {
    const canary = 'canary-7f3a9c1e';
    const env = { SPOOL_TEST_CANARY: canary, SPOOL_LOG_LEVEL: 'debug' };
    const dir = temporaryDir();
    // The provider fails every hand-off with the secret as the reason: it reaches errors, rows and logs.
    writeFileSync(
      join(dir, 'spool.config.yaml'),
      'providers:\n  - provider: loopback\n    options: { failPermanently: "${SPOOL_TEST_CANARY}" }\n',
    );
    const daemon = await startDaemon(dir, [], cleanup, env);
    const sent = spool(
      ['send', '--from', 'LOOP:me', '--to', 'LOOP:x', '--subject', 'S', '--body', 'B'],
      dir,
      env,
    );
    expect(sent.code, sent.stderr).toBe(0);
    const id = sent.stdout.trim();
    expect(await daemon.until((event) => event.id === id)).toMatchObject({
      recipients: [{ address: 'LOOP:x', outcome: 'failed' }],
    });
    const shown = spool(['show', id, '--json'], dir, env);
    expect(JSON.parse(shown.stdout).recipients[0].lastError).toContain('***');
    const answers = [
      await (await daemon.api('/status')).text(),
      await (await daemon.api('/metrics')).text(),
      await (await daemon.api(`/messages/${id}/cancel`, { method: 'POST' })).text(),
      spool(['status', '--json'], dir, env).stdout,
      shown.stdout,
    ];
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.logs().length).toBeGreaterThan(3);
    for (const text of [...answers, JSON.stringify(daemon.logs())]) expect(text).not.toContain(canary);
  }, 30_000);

  it('SIGHUP reloads the profile: a new entry logs on and takes traffic; POST /reload removes it again', async () => {
    const dir = profileDir();
    const daemon = await startDaemon(dir, [], cleanup);
    writeFileSync(
      join(dir, 'spool.config.yaml'),
      'providers:\n  - provider: loopback\n    options: {}\n  - provider: loopback\n    id: echo\n    options: { addressTypes: [ECHO] }\n',
    );
    daemon.child.kill('SIGHUP');
    expect(await daemon.until((event) => event.event === 'reloaded')).toMatchObject({
      added: ['echo'],
      removed: [],
      changed: [],
      unchanged: ['loopback'],
      logons: ['loopback/default', 'echo/default'],
    });
    const id = send(dir, 'ECHO:bob');
    expect(await daemon.until((event) => event.id === id)).toMatchObject({
      recipients: [{ address: 'ECHO:bob', outcome: 'delivered' }],
    });
    const status = json<{ rows: { id: string }[] }>(spool(['status', '--json'], dir));
    expect(status.rows.map((row) => row.id)).toEqual(['spooler', 'loopback/default', 'echo/default']);

    writeFileSync(join(dir, 'spool.config.yaml'), 'providers:\n  - provider: loopback\n    options: {}\n');
    const reload = await daemon.api('/reload', { method: 'POST' });
    expect(reload.status).toBe(200);
    expect(await reload.json()).toMatchObject({ removed: ['echo'], logons: ['loopback/default'] });

    // A broken profile is refused with its code; the running spooler stays as it was.
    writeFileSync(join(dir, 'spool.config.yaml'), 'providers: 12\n');
    const broken = await daemon.api('/reload', { method: 'POST' });
    expect(broken.status).toBe(422);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('SPOOL_E_PROFILE_INVALID');
    // The CLI reads the profile too: put a good one back (without reloading); the daemon still delivers.
    writeFileSync(join(dir, 'spool.config.yaml'), 'providers:\n  - provider: loopback\n');
    const after = send(dir, 'LOOP:carol');
    await daemon.until((event) => event.id === after);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 60_000);

  it('a reload lets an in-flight hand-off finish on its old logon before the changed entry logs on again', async () => {
    const dir = profileDir({ latencyMs: 1_500 });
    const daemon = await startDaemon(dir, [], cleanup);
    const id = send(dir);
    const active = async () => {
      const status = (await (await daemon.api('/status')).json()) as {
        rows: { id: string; outbound: { active: boolean } }[];
      };
      return status.rows.find((row) => row.id === 'loopback/default')?.outbound.active === true;
    };
    for (let i = 0; i < 100 && !(await active()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await active()).toBe(true);
    writeFileSync(join(dir, 'spool.config.yaml'), 'providers:\n  - provider: loopback\n    options: {}\n');
    daemon.child.kill('SIGHUP');
    // Delivered (by the old logon) first, then the reload completes with the entry counted as changed.
    expect(await daemon.next()).toMatchObject({
      event: 'finished',
      id,
      recipients: [{ address: 'LOOP:alice', outcome: 'delivered' }],
    });
    expect(await daemon.next()).toMatchObject({
      event: 'reloaded',
      changed: ['loopback'],
      logons: ['loopback/default'],
    });
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(
      json<{ recipients: { attempts: number }[] }>(spool(['show', id, '--json'], dir)).recipients[0]
        ?.attempts,
    ).toBe(1);
  }, 30_000);

  it('a second SIGTERM hurries: a hanging hand-off is aborted and its message stays queued, untouched', async () => {
    const dir = profileDir({ latencyMs: 600_000 });
    const daemon = await startDaemon(dir, [], cleanup);
    const id = send(dir);
    interface Row {
      id: string;
      outbound: { active: boolean };
    }
    const active = async () => {
      const status = (await (await daemon.api('/status')).json()) as { rows: Row[] };
      return status.rows.find((row) => row.id === 'loopback/default')?.outbound.active === true;
    };
    for (let i = 0; i < 100 && !(await active()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await active()).toBe(true);
    daemon.child.kill('SIGTERM');
    expect(await daemon.until((event) => event.event === 'stopping')).toMatchObject({ mode: 'orderly' });
    // The orderly stop waits for the hand-off (up to 30 s); the second signal cuts that short.
    daemon.child.kill('SIGTERM');
    expect(await daemon.until((event) => event.event === 'stopping')).toMatchObject({ mode: 'hurry' });
    expect(await daemon.until((event) => event.event === 'stopped')).toEqual({ event: 'stopped' });
    expect(await daemon.exited).toBe(0);
    const [pending] = json<Pending[]>(spool(['queue', '--json'], dir));
    expect(pending).toMatchObject({ id, attempts: 0 });
  }, 60_000);

  it('SIGTERM during a drain of 500 messages loses nothing: after a restart with run --once all 500 are in Sent', async () => {
    // Slow hand-offs (50 ms, 2 at a time: at most 40 a second, over 12 s for all) so the signal lands
    // mid-drain even when submitting is slow on a busy machine.
    const dir = profileDir({ latencyMs: 50, maxInFlight: 2 });
    const daemon = await startDaemon(dir, [], cleanup);
    const ids = new Set<string>();
    for (let batch = 0; batch < 50; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const response = await daemon.api('/messages', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              from: 'LOOP:me',
              to: `LOOP:r${batch * 10 + i}`,
              subject: 'drain',
              text: 'x',
            }),
          });
          expect(response.status).toBe(201);
          return ((await response.json()) as { id: string }).id;
        }),
      );
      for (const id of answers) ids.add(id);
    }
    expect(ids.size).toBe(500);
    await daemon.until((event) => event.event === 'finished');
    daemon.child.kill('SIGTERM');
    let finished = 1;
    for (;;) {
      const event = await daemon.next();
      if (event.event === 'finished') finished++;
      if (event.event === 'stopped') break;
    }
    expect(await daemon.exited).toBe(0);
    // The signal came mid-drain: some messages were still queued when the daemon stopped.
    const queued = json<unknown[]>(spool(['list', 'outbox', '--json', '--limit', '1000'], dir)).length;
    expect(queued).toBeGreaterThan(0);
    expect(queued + finished).toBe(500);

    writeFileSync(join(dir, 'spool.config.yaml'), 'providers:\n  - provider: loopback\n');
    const pass = json<{ delivered: number; pending: unknown[] }>(spool(['run', '--once', '--json'], dir));
    expect(pass).toMatchObject({ delivered: queued, pending: [] });
    const sent = json<{ id: string }[]>(spool(['list', 'sent', '--json', '--limit', '1000'], dir));
    expect(new Set(sent.map((m) => m.id))).toEqual(ids);
    // Each message was delivered exactly once: loopback puts one copy per delivery into the Inbox.
    expect(json<unknown[]>(spool(['list', 'inbox', '--json', '--limit', '1000'], dir))).toHaveLength(500);
    expect(json<unknown[]>(spool(['list', 'outbox', '--json'], dir))).toEqual([]);
  }, 120_000);
});

/**
 * Parses the Prometheus text format strictly enough to catch mistakes: every line is a comment (`# HELP`,
 * `# TYPE` with a known type) or `name{labels} value`; every sample belongs to a declared family.
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const families = new Map<string, string>();
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      families.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(
        line,
      );
    if (!sample) throw new Error(`not a Prometheus sample line: ${line}`);
    const name = sample[1] ?? '';
    const family = [...families.keys()].find(
      (f) =>
        name === f || (families.get(f) === 'histogram' && /^_(bucket|sum|count)$/.test(name.slice(f.length))),
    );
    if (!family) throw new Error(`sample ${name} has no # TYPE`);
    samples.set(`${name}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return samples;
}
