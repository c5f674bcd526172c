import assert from 'node:assert/strict';
import { ErrorCode } from '../../errors.js';
import type { NewMessage, StoredMessage } from '../types.js';
import type { CaseGroup } from './harness.js';
import { deliver, ids, inbound, must, outbound, rejectsWithCode } from './messages.js';

/** The fields a message keeps exactly as it was inserted. */
function assertSameContent(stored: StoredMessage, inserted: NewMessage): void {
  for (const key of [
    'id',
    'folder',
    'state',
    'messageId',
    'from',
    'subject',
    'text',
    'html',
    'messageClass',
    'deleteAfterSubmit',
    'idempotencyKey',
    'submittedAt',
  ] as const) {
    assert.equal(stored[key], inserted[key], `${inserted.id}: ${key} round-trips`);
  }
  assert.deepEqual(stored.properties, inserted.properties, `${inserted.id}: properties round-trip`);
  assert.deepEqual(stored.reports, inserted.reports, `${inserted.id}: reports round-trip`);
  assert.equal(typeof stored.cursor, 'string', `${inserted.id}: the cursor is a string`);
  assert.equal(stored.finishedAt, null, `${inserted.id}: not finished yet`);
  assert.equal(stored.recipients.length, inserted.recipients.length, `${inserted.id}: every recipient`);
  inserted.recipients.forEach((r, index) => {
    const got = stored.recipients[index]!;
    assert.equal(got.index, index, `${inserted.id}: recipient ${index} keeps its index`);
    for (const key of ['address', 'addressType', 'value', 'type'] as const) {
      assert.equal(got[key], r[key], `${inserted.id}: recipient ${index} ${key} round-trips`);
    }
  });
  assert.equal(stored.attachments.length, inserted.attachments.length, `${inserted.id}: every attachment`);
  inserted.attachments.forEach((a, index) => {
    const got = stored.attachments[index]!;
    assert.equal(got.filename, a.filename);
    assert.equal(got.contentType, a.contentType);
    assert.equal(got.contentId, a.contentId, `${inserted.id}: attachment ${index} contentId`);
    assert.ok(got.content instanceof Uint8Array, 'attachment content is bytes');
    assert.deepEqual(
      [...got.content],
      [...a.content],
      `${inserted.id}: attachment ${index} bytes round-trip`,
    );
  });
}

export const mailbox: CaseGroup = {
  name: 'insert, get and the mailbox',
  cases: [
    {
      name: 'insert and get round-trip every field, attachment bytes included',
      async run(t) {
        const store = await t.open();
        const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
        const queued = outbound(t, {
          subject: 'Grüße, 你好 — "quoted" \'and\' %_\\',
          text: 'line one\r\nline two\u0000after a NUL',
          html: '<p>hello</p>',
          messageClass: 'IPM.Note.Custom',
          properties: { 'X-Trace': 'abc', nested: { list: [1, 'two', null, true], n: 1.5 } },
          reports: { delivery: true, nonDelivery: false },
          idempotencyKey: 'round-trip-key',
          submittedAt: t.clock.now() - 1234,
          recipients: [
            {
              address: 'SMTP:to@example.com',
              addressType: 'SMTP',
              value: 'to@example.com',
              type: 'to',
              route: 'r1',
            },
            { address: 'FAX:+1 555 0100', addressType: 'FAX', value: '+1 555 0100', type: 'cc' },
            {
              address: 'SMTP:hidden@example.com',
              addressType: 'SMTP',
              value: 'hidden@example.com',
              type: 'bcc',
            },
          ],
          attachments: [
            { filename: 'all-bytes.bin', contentType: 'application/octet-stream', content: bytes },
            {
              filename: 'logo.png',
              contentType: 'image/png',
              content: new Uint8Array([137, 80, 78, 71]),
              contentId: 'logo@x',
            },
            { filename: 'empty.txt', contentType: 'text/plain', content: new Uint8Array(0) },
          ],
        });
        const received = inbound(t, {
          folder: 'Receipts',
          from: null,
          text: null,
          html: null,
          deleteAfterSubmit: true,
          reports: { delivery: true, nonDelivery: true },
        });
        assert.deepEqual(await store.insert(queued), {
          id: queued.id,
          messageId: queued.messageId,
          duplicate: false,
        });
        assert.deepEqual(await store.insert(received), {
          id: received.id,
          messageId: received.messageId,
          duplicate: false,
        });
        const got = await must(store, queued.id);
        assertSameContent(got, queued);
        assertSameContent(await must(store, received.id), received);
        assert.deepEqual(
          got.recipients.map((r) => [r.route, r.tried, r.responsibility, r.outcome, r.attempts, r.lastError]),
          [
            ['r1', [], false, 'pending', 0, null],
            [null, [], false, 'pending', 0, null],
            [null, [], false, 'pending', 0, null],
          ],
          'a queued message starts with its recipients pending, untried, routed only where the submitter routed',
        );
        assert.equal(await store.get('no-such-id'), undefined, 'an unknown id is undefined');
      },
    },
    {
      name: 'search finds a subject, sender, recipient address or id, case-insensitively, in a folder if asked',
      async run(t) {
        const store = await t.open();
        const report = outbound(t, { id: 'msg-Quarterly-01', subject: 'Quarterly REPORT', routes: ['r1'] });
        const fromAlice = inbound(t, { from: 'SMTP:Alice@Example.com', subject: 'hello' });
        const toBob = inbound(t, {
          folder: 'Sent',
          subject: 'Quarterly numbers',
          recipients: [
            { address: 'SMTP:Bob@Example.org', addressType: 'SMTP', value: 'Bob@Example.org', type: 'to' },
          ],
        });
        const percent = inbound(t, { subject: '100% done' });
        const byId = inbound(t, { id: 'xyz-Needle-7', subject: 'plain' });
        for (const m of [report, fromAlice, toBob, percent, byId]) await store.insert(m);
        const found = async (text: string, folder?: string) =>
          ids(await store.search({ text, ...(folder === undefined ? {} : { folder }) })).sort();
        assert.deepEqual(await found('quarterly report'), [report.id], 'by subject, case-insensitive');
        assert.deepEqual(await found('alice@example'), [fromAlice.id], 'by sender');
        assert.deepEqual(await found('BOB@EXAMPLE.ORG'), [toBob.id], 'by a recipient address');
        assert.deepEqual(await found('needle'), [byId.id], 'by id');
        assert.deepEqual(await found('%'), [percent.id], 'the text is a substring, not a pattern');
        assert.deepEqual(await found('quarterly'), [report.id, toBob.id].sort(), 'in every folder');
        assert.deepEqual(await found('quarterly', 'Sent'), [toBob.id], 'only the folder asked for');
        assert.deepEqual(await found('nothing like this'), [], 'no match, nothing found');
        const inbox = await store.search({ text: 'example', folder: 'Inbox' });
        assert.deepEqual(ids(inbox), ids(await store.list('Inbox')), 'results come in cursor order');
      },
    },
    {
      name: 'move and delete refuse a queued message, and file or delete one that is not',
      async run(t) {
        const store = await t.open();
        const queued = outbound(t);
        await store.insert(queued);
        await rejectsWithCode(
          store.move(queued.id, 'Archive'),
          ErrorCode.BAD_FOLDER,
          'moving a queued message',
        );
        await rejectsWithCode(store.delete(queued.id), ErrorCode.BAD_FOLDER, 'deleting a queued message');
        const still = await must(store, queued.id);
        assert.deepEqual(
          [still.folder, still.state],
          ['Outbox', 'queued'],
          'the refused message stays queued',
        );

        const received = inbound(t);
        await store.insert(received);
        await store.move(received.id, 'Archive');
        assert.equal((await must(store, received.id)).folder, 'Archive');
        assert.deepEqual(ids(await store.list('Inbox')), [], 'moved out of the Inbox');
        assert.deepEqual(ids(await store.list('Archive')), [received.id], 'moved into Archive');
        await store.delete(received.id);
        assert.equal(await store.get(received.id), undefined, 'deleted');
        assert.deepEqual(ids(await store.list('Archive')), [], 'not listed once deleted');

        const { message: sent } = await deliver(t, store);
        await store.move(sent.id, 'Archive');
        assert.equal((await must(store, sent.id)).folder, 'Archive', 'a finished message can be moved');
        await store.delete(sent.id);
        assert.equal(await store.get(sent.id), undefined, 'and deleted');
      },
    },
  ],
};
