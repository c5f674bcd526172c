import type { PassReport, PendingRecipient, Profile, StoredMessage } from '@spool/core';
import type { JsonValue } from '@spool/spi';
import { type Output, table } from './output.js';

/** A recipient in `--json` output. Times are ISO 8601 strings. */
export interface RecipientJson {
  readonly address: string;
  readonly type: 'to' | 'cc' | 'bcc';
  /** The logon it is routed to, once routed. */
  readonly route: string | null;
  readonly outcome: 'pending' | 'delivered' | 'failed' | 'cancelled';
  readonly attempts: number;
  /** When it is tried next (pending recipients only). */
  readonly nextAttemptAt: string | null;
  readonly lastError: string | null;
}

/** A message in `spool show --json` and `spool list --json`. Attachments without their content. */
export interface MessageJson {
  readonly id: string;
  readonly folder: string;
  readonly state: 'queued' | 'finished' | 'cancelled' | 'received';
  readonly messageId: string;
  readonly messageClass: string;
  readonly from: string | null;
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly submittedAt: string;
  readonly finishedAt: string | null;
  readonly deleteAfterSubmit: boolean;
  readonly properties: Readonly<Record<string, JsonValue>>;
  readonly recipients: readonly RecipientJson[];
  readonly attachments: readonly { filename: string; contentType: string; size: number }[];
}

/** A pending recipient in `spool queue --json` and in a pass report. */
export interface PendingJson {
  readonly id: string;
  readonly subject: string;
  readonly address: string;
  readonly route: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
}

/** What `spool run --once --json` prints (and `spool flush --json`, with its progress). */
export interface PassReportJson {
  readonly delivered: number;
  readonly failed: number;
  readonly deferred: number;
  readonly received: number;
  readonly pending: readonly PendingJson[];
}

/** Redacts secrets (from the profile's environment) out of text that came from providers. */
type Redact = (text: string) => string;

export const redactorOf =
  (profile: Profile): Redact =>
  (text) =>
    profile.redactor.text(text);

const iso = (ms: number) => new Date(ms).toISOString();

/** A time for people: UTC, to the second. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function messageJson(message: StoredMessage, redact: Redact): MessageJson {
  return {
    id: message.id,
    folder: message.folder,
    state: message.state,
    messageId: message.messageId,
    messageClass: message.messageClass,
    from: message.from,
    subject: message.subject,
    text: message.text,
    html: message.html,
    submittedAt: iso(message.submittedAt),
    finishedAt: message.finishedAt === null ? null : iso(message.finishedAt),
    deleteAfterSubmit: message.deleteAfterSubmit,
    properties: message.properties,
    recipients: message.recipients.map((r) => ({
      address: r.address,
      type: r.type,
      route: r.route,
      outcome: r.outcome,
      attempts: r.attempts,
      nextAttemptAt: r.outcome === 'pending' ? iso(r.nextAttemptAt) : null,
      lastError: r.lastError === null ? null : redact(r.lastError),
    })),
    attachments: message.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.content.byteLength,
    })),
  };
}

export function pendingJson(rows: readonly PendingRecipient[], redact: Redact): PendingJson[] {
  return rows.map((row) => ({
    id: row.id,
    subject: row.subject,
    address: row.address,
    route: row.route,
    attempts: row.attempts,
    nextAttemptAt: iso(row.nextAttemptAt),
    lastError: row.lastError === null ? null : redact(row.lastError),
  }));
}

export function passReportJson(report: PassReport, redact: Redact): PassReportJson {
  return {
    delivered: report.delivered,
    failed: report.failed,
    deferred: report.deferred,
    received: report.received,
    pending: pendingJson(report.pending, redact),
  };
}

/** `2 delivered, 1 failed`: the recipients' outcomes, counted. */
export function outcomeSummary(message: {
  readonly recipients: readonly { readonly outcome: string }[];
}): string {
  const counts = new Map<string, number>();
  for (const r of message.recipients) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  return (
    ['delivered', 'failed', 'pending', 'cancelled']
      .filter((outcome) => counts.has(outcome))
      .map((outcome) => `${counts.get(outcome)} ${outcome}`)
      .join(', ') || '-'
  );
}

/** Cuts text to `max` characters for a table cell. */
export function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Prints the pending recipients as a table (or a line saying there are none). */
export function printPending(out: Output, rows: readonly PendingJson[], title: string): void {
  if (rows.length === 0) {
    out.line('nothing queued');
    return;
  }
  out.line(title);
  const s = out.style;
  const lines = table([
    ['ID', 'ADDRESS', 'ROUTE', 'ATTEMPTS', 'NEXT ATTEMPT', 'SUBJECT', 'LAST ERROR'].map((h) => s.bold(h)),
    ...rows.map((row) => [
      row.id,
      row.address,
      row.route ?? '-',
      String(row.attempts),
      formatTime(Date.parse(row.nextAttemptAt)),
      clip(row.subject, 30),
      row.lastError ? s.yellow(row.lastError) : '-',
    ]),
  ]);
  for (const line of lines) out.line(line);
}

/** Prints a pass report for people: the counts, then what stays queued. */
export function printPassReport(out: Output, report: PassReportJson): void {
  const s = out.style;
  out.line(
    [
      s.green(`delivered ${report.delivered}`),
      report.failed > 0 ? s.red(`failed ${report.failed}`) : `failed ${report.failed}`,
      report.deferred > 0 ? s.yellow(`deferred ${report.deferred}`) : `deferred ${report.deferred}`,
      `received ${report.received}`,
    ].join(', '),
  );
  printPending(
    out,
    report.pending,
    `still queued (${report.pending.length} recipient${report.pending.length === 1 ? '' : 's'}):`,
  );
}

/** The store as output names it: the embedded store's file, or the store package the profile names. */
export function storeLabel(profile: Profile): string {
  return profile.store.kind === 'sqlite' ? profile.store.path : profile.store.spec;
}
