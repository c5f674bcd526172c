// One spooler figure per process, printed as JSON: `node spooler-child.mjs <throughput|latency|drain|ceiling|fsync> [n]`.
// Runs against the built packages in a temporary profile directory with the real loopback provider.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { CORE_DIST, ROOT } from './lib.mjs';

const [figure, countText] = process.argv.slice(2);
const require = createRequire(join(ROOT, 'packages/cli/package.json'));
const loopbackDir = dirname(require.resolve('@spool/provider-loopback/package.json'));
const dir = mkdtempSync(join(tmpdir(), 'spool-bench-'));
const body = 'x'.repeat(2048); // ~2 KiB per message, as the targets are stated
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function spooler(options = {}) {
  const { createSpooler } = await import(pathToFileURL(CORE_DIST).href);
  return createSpooler({
    cwd: dir,
    profile: { providers: [{ provider: 'loopback', options: { maxInFlight: 256 } }] },
    builtins: { '@spool/provider-loopback': loopbackDir },
    logSink: () => {},
    ...options,
  });
}

/** Resolves when `n` messages finished and `n` copies were received. */
function drained(s, n) {
  return new Promise((resolve) => {
    const check = () => {
      const row = s.status().find((r) => r.id === 'spooler');
      if (row.counters.received >= n && row.counters.sent >= n) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
}

const figures = {
  // (a) + (f): end-to-end messages per second, 256 concurrent submitters, and commits per delivered message.
  async throughput(n = 20_000) {
    const s = await spooler();
    const commits0 = s.commits;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (next < n) {
          next++;
          await s.submit({ to: 'LOOP:bench', subject: 'bench', text: body });
        }
      }),
    );
    await drained(s, n);
    const seconds = (performance.now() - started) / 1000;
    const result = { messagesPerSecond: n / seconds, commitsPerMessage: (s.commits - commits0) / n, n };
    await s.stop();
    return result;
  },
  // (b): the raw ceiling: bare node:sqlite, same PRAGMAs and row size, 100 rows per transaction, insert → claim → mark sent.
  async ceiling(n = 50_000) {
    const db = new DatabaseSync(join(dir, 'raw.db'));
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    db.exec('CREATE TABLE q (id INTEGER PRIMARY KEY, body TEXT, state TEXT, lease TEXT)');
    db.exec("CREATE INDEX q_queued ON q (id) WHERE state = 'queued' AND lease IS NULL");
    db.exec('CREATE INDEX q_leased ON q (lease) WHERE lease IS NOT NULL');
    const insert = db.prepare("INSERT INTO q (body, state) VALUES (?, 'queued')");
    const claim = db.prepare(
      "UPDATE q SET lease = 'me' WHERE id IN (SELECT id FROM q WHERE state = 'queued' AND lease IS NULL ORDER BY id LIMIT 100)",
    );
    const sent = db.prepare("UPDATE q SET state = 'sent', lease = NULL WHERE lease = 'me'");
    const started = performance.now();
    for (let done = 0; done < n; done += 100) {
      db.exec('BEGIN');
      for (let i = 0; i < 100; i++) insert.run(body);
      db.exec('COMMIT');
      db.exec('BEGIN');
      claim.run();
      db.exec('COMMIT');
      db.exec('BEGIN');
      sent.run();
      db.exec('COMMIT');
    }
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return { messagesPerSecond: n / seconds, n };
  },
  // (d): submit → Sent latency of a lone message.
  async latency(n = 300) {
    const s = await spooler();
    const times = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      const done = new Promise((resolve) => {
        const off = s.on('finished', () => {
          off();
          resolve();
        });
      });
      await s.submit({ to: 'LOOP:bench', subject: 'lone', text: body });
      await done;
      times.push(performance.now() - started);
    }
    await s.stop();
    return { p50: percentile(times, 50), p99: percentile(times, 99), n };
  },
  // (e): peak RSS while draining a queue of n messages submitted beforehand.
  async drain(n = 100_000) {
    const submitter = await spooler({ autoStart: false });
    for (let i = 0; i < n; i += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, n - i) }, () =>
          submitter.submit({ to: 'LOOP:bench', subject: 'queued', text: body }),
        ),
      );
    }
    await submitter.stop();
    globalThis.gc?.();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    const started = performance.now();
    const s = await spooler();
    await drained(s, n);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await s.stop();
    return { peakRssMb: peak / 2 ** 20, messagesPerSecond: n / seconds, n };
  },
  // (g): the disk's fsync latency: 4 KiB write + fsync, median of n.
  async fsync(n = 200) {
    const fd = openSync(join(dir, 'fsync.bin'), 'w');
    const block = Buffer.alloc(4096, 1);
    const times = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      writeSync(fd, block, 0, block.length, 0);
      fsyncSync(fd);
      times.push(performance.now() - started);
    }
    closeSync(fd);
    return { p50: percentile(times, 50), p99: percentile(times, 99), n };
  },
};

try {
  const result = await figures[figure](countText ? Number(countText) : undefined);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
