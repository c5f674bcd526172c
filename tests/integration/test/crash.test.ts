import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOOPBACK_DIR, profileDir, spoolerIn } from './helpers.js';

const TOTAL = 2000;
const profile = { providers: [{ provider: 'loopback', options: { maxInFlight: 8 } }] };

function inboxCount(file: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Number(
      (db.prepare("SELECT count(*) AS n FROM messages WHERE folder = 'Inbox'").get() as { n: number }).n,
    );
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it('a spooler killed with SIGKILL while draining 2,000 messages loses none, and duplicates at most its in-flight maximum', async () => {
    const dir = profileDir();
    const file = join(dir, 'spool.db');
    const submitter = await spoolerIn(dir, profile);
    for (let batch = 0; batch < TOTAL / 100; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          submitter.submit({ to: 'LOOP:crash', subject: `m-${batch * 100 + i}`, text: 'x'.repeat(512) }),
        ),
      );
    }
    await submitter.stop();

    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./crash/drain-child.mjs', import.meta.url)), dir, LOOPBACK_DIR],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    const { maxInFlight } = JSON.parse(first.toString()) as { maxInFlight: number };
    // Kill it mid-drain: once a tenth has arrived (bounded wait).
    for (let i = 0; i < 1500 && inboxCount(file) < TOTAL / 10; i++)
      await new Promise((r) => setTimeout(r, 20));
    const killedAt = inboxCount(file);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(TOTAL);

    const restarted = await spoolerIn(dir, profile);
    for (let pass = 0; pass < 10; pass++) {
      await restarted.runOnce();
      if ((await restarted.list('Outbox')).length === 0) break;
    }
    expect(await restarted.list('Outbox')).toEqual([]);
    const db = new DatabaseSync(file, { readOnly: true });
    const rows = db
      .prepare("SELECT subject FROM messages WHERE folder = 'Inbox' AND message_class = 'IPM.Note'")
      .all() as { subject: string }[];
    const sent = Number(
      (db.prepare("SELECT count(*) AS n FROM messages WHERE folder = 'Sent'").get() as { n: number }).n,
    );
    db.close();
    const unique = new Set(rows.map((r) => r.subject));
    const missing = TOTAL - unique.size;
    const duplicates = rows.length - unique.size;
    console.log(
      `crash test: killed after ${killedAt} arrived; in-flight maximum ${maxInFlight}; missing ${missing}; duplicates ${duplicates}`,
    );
    expect(missing).toBe(0);
    expect(duplicates).toBeLessThanOrEqual(maxInFlight);
    expect(sent).toBe(TOTAL);
  });
});
