// One spooler figure per process, printed as JSON:
// `node spooler-child.mjs <throughput|latency|drain|drainEmbedded|pickup|ceiling|fsync> [n]`.
// Runs against the built packages in a temporary profile directory with the real loopback provider.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CORE_DIST, ROOT } from './lib.mjs';

const [figure, countText, fillDir] = process.argv.slice(2);
const require = createRequire(join(ROOT, 'packages/cli/package.json'));
const loopbackDir = dirname(require.resolve('@spool/provider-loopback/package.json'));
// `fill` and `submitter` work in the directory their parent figure gave them; every other figure in a fresh one.
const dir = fillDir ?? mkdtempSync(join(tmpdir(), 'spool-bench-'));
const body = 'x'.repeat(2048); // ~2 KiB per message, as the targets are stated
// Hand-offs in flight on the loopback logon, for every figure. 64 keeps a commit's batch large (f) while the
// in-flight messages stay few enough that V8's young generation does not balloon during a drain (e): 256
// measured ~25% more throughput on loopback but ~80 MB more RSS; real transports run 1 (fax) to ~10 (smtp).
const MAX_IN_FLIGHT = 64;
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** The profile of every figure: the loopback provider alone. */
const PROFILE = { providers: [{ provider: 'loopback', options: { maxInFlight: MAX_IN_FLIGHT } }] };
/** The `spool` command as users run it. */
const CLI_BIN = join(ROOT, 'packages/cli/bin/spool.js');

async function spooler(options = {}) {
  const { createSpooler } = await import(pathToFileURL(CORE_DIST).href);
  return createSpooler({
    cwd: dir,
    ...options,
    profile: PROFILE,
    builtins: { '@spool/provider-loopback': loopbackDir },
    logSink: () => {},
  });
}

/** The profile's embedded store (dir/spool.db), opened here so its admin counters can be read; the spooler closes it. */
async function embeddedStore() {
  const { openEmbeddedStore } = await import(pathToFileURL(CORE_DIST).href);
  return openEmbeddedStore(join(dir, 'spool.db'));
}

/** Commits made through a store so far (the embedded store's admin counters). */
const commitsOf = (store) => store.admin.counters().commits;

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

/** Fills the Outbox of the store in `dir` with n messages, in a `fill` child process. */
function fillQueue(n) {
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'fill', String(n), dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const figures = {
  // (a) + (f): end-to-end messages per second, 256 concurrent submitters, and commits per delivered message.
  async throughput(n = 20_000) {
    const store = await embeddedStore();
    const s = await spooler({ store });
    const commits0 = commitsOf(store);
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
    const result = {
      messagesPerSecond: n / seconds,
      commitsPerMessage: (commitsOf(store) - commits0) / n,
      n,
    };
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
  // Fills the Outbox of the store in `argv[4]` with n messages, then exits (the drain figure's first half).
  async fill(n = 100_000) {
    const submitter = await spooler({ autoStart: false });
    for (let i = 0; i < n; i += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, n - i) }, () =>
          submitter.submit({ to: 'LOOP:bench', subject: 'queued', text: body }),
        ),
      );
    }
    await submitter.stop();
    return { n };
  },
  // (e): peak RSS of `spool run --once` draining n queued messages: the process a user actually runs (it
  // restarts itself with --max-semi-space-size=16, see packages/cli/src/relaunch.ts). The queue is filled by
  // another process first, so the figure is the drain's own footprint, not what submitting n messages left
  // behind. The peak is the kernel's (getrusage maxRSS), written at exit by a probe loaded through
  // NODE_OPTIONS=--import, which measures and changes nothing else. The rate is n over the command's wall time
  // (its start-up and the restart included).
  async drain(n = 100_000) {
    fillQueue(n);
    // The fill's profile as the CLI's profile file in the same directory: the same store file (dir/spool.db).
    writeFileSync(join(dir, 'spool.config.json'), JSON.stringify(PROFILE));
    const probe = join(dir, 'bench-probe.mjs');
    const probeOut = join(dir, 'bench-probe.json');
    writeFileSync(
      probe,
      `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(${JSON.stringify(probeOut)}, JSON.stringify({ pid: process.pid, maxRssKiB: process.resourceUsage().maxRSS, execArgv: process.execArgv })));
`,
    );
    const env = { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(probe).href}`, NO_COLOR: '1' };
    for (const name of ['SPOOL_NODE_FLAGS', 'SPOOL_RELAUNCHED']) delete env[name];
    const started = performance.now();
    const result = spawnSync(process.execPath, [CLI_BIN, 'run', '--once', '--json'], {
      cwd: dir,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 28,
    });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 0) throw new Error(`spool run --once exited ${result.status}:\n${result.stdout}`);
    const report = JSON.parse(result.stdout);
    if (report.delivered !== n || report.failed !== 0 || report.pending.length !== 0 || report.error !== null)
      throw new Error(
        `spool run --once did not deliver all ${n} messages: delivered ${report.delivered}, failed ${report.failed}, pending ${report.pending.length}, error ${JSON.stringify(report.error)}`,
      );
    const probed = JSON.parse(readFileSync(probeOut, 'utf8'));
    return {
      peakRssMb: probed.maxRssKiB / 1024,
      messagesPerSecond: n / seconds,
      n,
      received: report.received,
      execArgv: probed.execArgv,
    };
  },
  // (e′): the same drain by the library embedded in this process, with Node's default young generation (no
  // flags): what a host application that embeds the spooler sees. Informational, no target. The peak is the
  // kernel's maxRSS, as for (e): this process does nothing else (the fill ran in a child).
  async drainEmbedded(n = 100_000) {
    fillQueue(n);
    const started = performance.now();
    const s = await spooler();
    await drained(s, n);
    const seconds = (performance.now() - started) / 1000;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    await s.stop();
    return { peakRssMb, messagesPerSecond: n / seconds, n, execArgv: process.execArgv };
  },
  // (h): a message submitted by another process (as `spool send` does, store only) is noticed through the
  // store's change counter: time from that process's returned submit() to the message finished here.
  async pickup(n = 30) {
    const s = await spooler();
    const finishedAt = new Map();
    s.on('finished', (message) => finishedAt.set(message.id, performance.timeOrigin + performance.now()));
    const output = await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [fileURLToPath(import.meta.url), 'submitter', String(n), dir],
        { maxBuffer: 1 << 20 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    const submitted = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    for (let i = 0; i < 500 && submitted.some(({ id }) => !finishedAt.has(id)); i++)
      await new Promise((r) => setTimeout(r, 10));
    await s.stop();
    const times = submitted.map(({ id, at }) => finishedAt.get(id) - at);
    return { p50: percentile(times, 50), p99: percentile(times, 99), n };
  },
  // The other process of (h): submits n messages one at a time at random intervals, printing when each returned.
  async submitter(n = 30) {
    const s = await spooler({ autoStart: false });
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 100));
      const { id } = await s.submit({ to: 'LOOP:bench', subject: 'from another process', text: body });
      process.stdout.write(`${JSON.stringify({ id, at: performance.timeOrigin + performance.now() })}\n`);
    }
    await s.stop();
    return null;
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
  if (result !== null) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  if (!fillDir) rmSync(dir, { recursive: true, force: true });
}
