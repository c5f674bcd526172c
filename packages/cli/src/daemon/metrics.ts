import type { BreakerTransition, HandOffSettled, StoredMessage } from '@spool/core';
import type { StatusRow } from '@spool/spi';

/** Upper bounds (seconds) of the hand-off latency histogram: from a fast local hand-off to an hour of retries. */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
] as const;

type Labels = Readonly<Record<string, string>>;

/** `{a="1",b="2"}` with Prometheus escaping (backslash, quote, newline). */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Prometheus numbers: integers as they are, +Inf spelled out. */
function num(value: number): string {
  return value === Number.POSITIVE_INFINITY ? '+Inf' : String(value);
}

interface Histogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** What a scrape reads besides the daemon's own counters: the live status table and the queue. */
export interface MetricsSnapshot {
  readonly rows: readonly StatusRow[];
  /** Recipients still pending (due now or deferred). */
  readonly queueDepth: number;
  /** Of those, the ones due now. */
  readonly queueDue: number;
  readonly uptimeSeconds: number;
}

/**
 * The daemon's metrics, kept across reloads (the status table's counters start again with every new
 * spooler, these do not). Rendered in the Prometheus text exposition format 0.0.4, no client library needed.
 */
export class DaemonMetrics {
  /** `provider|logon|outcome` → recipients finished with that outcome. */
  readonly #messages = new Map<string, { labels: Labels; value: number }>();
  /** `provider` → latency from submit to the message being finished. */
  readonly #latency = new Map<string, { labels: Labels; histogram: Histogram }>();
  /** `provider|logon|reason` → hand-offs that ended that way (from the spooler's `hand-off-settled` event). */
  readonly #handOffs = new Map<string, { labels: Labels; value: number }>();
  /** `provider|logon|state` → breaker transitions into that state (from the spooler's `breaker` event). */
  readonly #breakers = new Map<string, { labels: Labels; value: number }>();
  readonly #requests = new Map<string, { labels: Labels; value: number }>();
  readonly #reloads = new Map<string, { labels: Labels; value: number }>();

  /**
   * Counts a finished message: one sample per recipient (outcome by provider and logon), and one latency
   * observation per route. `providerOf` maps a logon id to its provider package.
   */
  observeFinished(message: StoredMessage, now: number, providerOf: (logon: string) => string): void {
    const routes = new Set<string>();
    for (const recipient of message.recipients) {
      const logon = recipient.route ?? 'none';
      const provider = recipient.route ? providerOf(recipient.route) : 'none';
      bump(this.#messages, { provider, logon, outcome: recipient.outcome });
      if (recipient.route) routes.add(recipient.route);
    }
    const seconds = Math.max(0, (now - message.submittedAt) / 1000);
    for (const route of routes) {
      const provider = providerOf(route);
      let entry = this.#latency.get(provider);
      if (!entry) {
        entry = {
          labels: { provider },
          histogram: { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 },
        };
        this.#latency.set(provider, entry);
      }
      const { histogram } = entry;
      LATENCY_BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) histogram.counts[i] = (histogram.counts[i] ?? 0) + 1;
      });
      histogram.sum += seconds;
      histogram.count += 1;
    }
  }

  /** Counts a settled hand-off by provider, logon and how it ended (delivered, failed, deferred, cancelled). */
  observeHandOff(settled: HandOffSettled, providerOf: (logon: string) => string): void {
    bump(this.#handOffs, {
      provider: providerOf(settled.logonId),
      logon: settled.logonId,
      reason: settled.reason,
    });
  }

  /** Counts a breaker transition (open, probing, closed) of a logon. */
  observeBreaker(transition: BreakerTransition, providerOf: (logon: string) => string): void {
    const { logonId, state } = transition;
    bump(this.#breakers, { provider: providerOf(logonId), logon: logonId, state });
  }

  /** Counts an API request by route (the pattern, not the raw path, so ids do not explode the series). */
  observeRequest(route: string, method: string, status: number): void {
    bump(this.#requests, { route, method, status: String(status) });
  }

  /** Counts a reload by result (`ok` or the error code). */
  observeReload(result: string): void {
    bump(this.#reloads, { result });
  }

  /** The exposition text for one scrape. */
  render(snapshot: MetricsSnapshot): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    family(
      'spool_messages_total',
      'counter',
      'Recipients of finished messages, by provider, logon and final outcome (delivered, failed, cancelled).',
    );
    for (const { labels, value } of this.#messages.values())
      lines.push(`spool_messages_total${labelText(labels)} ${value}`);

    family(
      'spool_handoffs_total',
      'counter',
      'Hand-offs to a logon that settled, by provider, logon and reason (delivered, failed, deferred, cancelled).',
    );
    for (const { labels, value } of this.#handOffs.values())
      lines.push(`spool_handoffs_total${labelText(labels)} ${value}`);

    family(
      'spool_breaker_transitions_total',
      'counter',
      "Breaker transitions of a logon's route, by the state entered: open (suspended), probing, closed.",
    );
    for (const { labels, value } of this.#breakers.values())
      lines.push(`spool_breaker_transitions_total${labelText(labels)} ${value}`);

    family(
      'spool_logon_recipients',
      'gauge',
      "The status table's counters of each logon since it logged on (sent, failed, deferred, received).",
    );
    for (const row of snapshot.rows) {
      if (row.kind !== 'logon') continue;
      const provider = row.provider?.name ?? 'unknown';
      for (const [counter, value] of Object.entries(row.counters))
        lines.push(`spool_logon_recipients${labelText({ provider, logon: row.id, counter })} ${value}`);
    }

    family('spool_logon_up', 'gauge', '1 when the logon is available for traffic, 0 otherwise.');
    for (const row of snapshot.rows) {
      if (row.kind !== 'logon') continue;
      const provider = row.provider?.name ?? 'unknown';
      lines.push(
        `spool_logon_up${labelText({ provider, logon: row.id })} ${row.available && !row.failure ? 1 : 0}`,
      );
    }

    family('spool_queue_depth', 'gauge', 'Recipients still pending in the Outbox (due now or deferred).');
    lines.push(`spool_queue_depth ${snapshot.queueDepth}`);
    family('spool_queue_due', 'gauge', 'Pending recipients that are due now.');
    lines.push(`spool_queue_due ${snapshot.queueDue}`);

    family(
      'spool_handoff_latency_seconds',
      'histogram',
      'Time from submit until the message was finished (handed off and filed), per provider that took part.',
    );
    for (const { labels, histogram } of this.#latency.values()) {
      LATENCY_BUCKETS.forEach((bound, i) => {
        lines.push(
          `spool_handoff_latency_seconds_bucket${labelText({ ...labels, le: num(bound) })} ${histogram.counts[i] ?? 0}`,
        );
      });
      lines.push(
        `spool_handoff_latency_seconds_bucket${labelText({ ...labels, le: '+Inf' })} ${histogram.count}`,
      );
      lines.push(`spool_handoff_latency_seconds_sum${labelText(labels)} ${histogram.sum}`);
      lines.push(`spool_handoff_latency_seconds_count${labelText(labels)} ${histogram.count}`);
    }

    family('spool_http_requests_total', 'counter', 'Daemon API requests by route, method and status.');
    for (const { labels, value } of this.#requests.values())
      lines.push(`spool_http_requests_total${labelText(labels)} ${value}`);

    family('spool_reloads_total', 'counter', 'Profile reloads by result (ok or the error code).');
    for (const { labels, value } of this.#reloads.values())
      lines.push(`spool_reloads_total${labelText(labels)} ${value}`);

    family('spool_daemon_uptime_seconds', 'gauge', 'Seconds since the daemon started.');
    lines.push(`spool_daemon_uptime_seconds ${snapshot.uptimeSeconds}`);
    return `${lines.join('\n')}\n`;
  }
}

function bump(map: Map<string, { labels: Labels; value: number }>, labels: Labels): void {
  const key = Object.values(labels).join('\u0000');
  const entry = map.get(key);
  if (entry) entry.value += 1;
  else map.set(key, { labels, value: 1 });
}
