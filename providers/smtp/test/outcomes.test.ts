import { describe, expect, it } from 'vitest';
import { headersFromProperties, smtpAddress } from '../src/headers.js';
import { addressKey, classifySend, isTlsFailure, outcomeForReply, replyText } from '../src/outcomes.js';
import { makeRedactor } from '../src/status.js';

describe('classifySend (pure reply-code mapping)', () => {
  it('delivers accepted recipients and maps RCPT rejections per recipient', () => {
    const result = classifySend({
      ok: true,
      response: '250 OK',
      rejectedErrors: [
        { recipient: 'Gone@Example.com', responseCode: 550, response: '550 5.1.1 unknown' },
        { recipient: 'busy@example.com', responseCode: 452, response: '452 4.2.2 full' },
      ],
    });
    expect(result.kind).toBe('recipients');
    if (result.kind !== 'recipients') return;
    expect(result.fallback).toEqual({ status: 'delivered', detail: '250 OK' });
    expect(result.byAddress.get(addressKey('gone@example.com'))).toEqual({
      status: 'failed',
      reason: '550 5.1.1 unknown',
      code: '550',
    });
    expect(result.byAddress.get('busy@example.com')).toEqual({ status: 'retry', reason: '452 4.2.2 full' });
  });

  it.each([
    [
      { code: 'EAUTH', responseCode: 535, response: '535 nope', command: 'AUTH PLAIN' },
      'SPOOL_E_SMTP_AUTH',
      true,
    ],
    [
      { code: 'EAUTH', responseCode: 530, response: '530 auth required', command: 'MAIL FROM' },
      'SPOOL_E_SMTP_AUTH',
      true,
    ],
    [{ code: 'ETLS', command: 'STARTTLS', response: '502 no' }, 'SPOOL_E_SMTP_TLS', true],
    [{ code: 'ESOCKET', command: 'CONN', message: 'self-signed certificate' }, 'SPOOL_E_SMTP_TLS', true],
    [{ code: 'EPROTOCOL', responseCode: 421, response: '421 busy', command: 'CONN' }, 'SPOOL_E_BUSY', false],
    [
      { code: 'EENVELOPE', responseCode: 421, response: '421 closing', command: 'RCPT TO' },
      'SPOOL_E_BUSY',
      false,
    ],
    [
      { code: 'ESOCKET', command: 'CONN', message: 'connect ECONNREFUSED 127.0.0.1:1' },
      'SPOOL_E_NETWORK',
      false,
    ],
    [{ code: 'ETIMEDOUT', command: 'CONN', message: 'Greeting never received' }, 'SPOOL_E_NETWORK', false],
    // The provider's own connect timer (socket.ts) destroys the socket; nodemailer rewrites the code.
    [{ code: 'ESOCKET', command: 'CONN', message: 'Connection timeout' }, 'SPOOL_E_NETWORK', false],
    [
      { code: 'EENVELOPE', responseCode: 451, response: '451 later', command: 'MAIL FROM' },
      'SPOOL_E_BUSY',
      false,
    ],
    [{ message: 'Connection pool was closed' }, 'SPOOL_E_NETWORK', false],
  ])('defers %j with %s', (error, code, attention) => {
    expect(classifySend({ ok: false, error })).toMatchObject({ kind: 'defer', code, attention });
  });

  it('fails everyone on 5xx after MAIL FROM or DATA, and on a client-side size refusal', () => {
    for (const error of [
      { code: 'EENVELOPE', responseCode: 553, response: '553 sender', command: 'MAIL FROM' },
      { code: 'EENVELOPE', responseCode: 554, response: '554 no DATA', command: 'DATA' },
      { code: 'EMESSAGE', responseCode: 552, response: '552 too big', command: 'DATA' },
      { code: 'EMESSAGE', message: 'Message size larger than allowed 10', command: 'MAIL FROM' },
    ]) {
      const result = classifySend({ ok: false, error });
      expect(result.kind).toBe('recipients');
      if (result.kind === 'recipients') expect(result.fallback.status).toBe('failed');
    }
  });

  it('maps all-rejected RCPT errors per recipient, unknown ones retry', () => {
    const result = classifySend({
      ok: false,
      error: {
        code: 'EENVELOPE',
        command: 'RCPT TO',
        responseCode: 550,
        response: '550 x',
        rejectedErrors: [{ recipient: 'a@x', responseCode: 550, response: '550 x' }],
      },
    });
    expect(result).toMatchObject({ kind: 'recipients', fallback: { status: 'retry' } });
  });

  it('reply helpers', () => {
    expect(replyText({ response: '550-first\r\n550 second' })).toBe('550-first 550 second');
    expect(outcomeForReply({ responseCode: 421, response: '421 bye' }).status).toBe('retry');
    expect(isTlsFailure({ code: 'ECONNECTION', message: 'Connection closed unexpectedly' })).toBe(false);
    expect(addressKey(' <A@B.C> ')).toBe('a@b.c');
  });
});

describe('headersFromProperties', () => {
  it('takes x- properties and the headers object, never builder-owned headers, without line breaks', () => {
    expect(
      headersFromProperties({
        'x-one': 'a',
        'X-Two': 2,
        other: 'ignored',
        'x-obj': { nested: true },
        headers: {
          'List-Id': ['l1', 'l2'],
          Bcc: 'leak',
          'Content-Type': 'text/evil',
          'Bad Name': 'x',
          'X-Inj': 'a\r\nBcc: b',
        },
      }),
    ).toEqual([
      { key: 'List-Id', value: 'l1' },
      { key: 'List-Id', value: 'l2' },
      { key: 'X-Inj', value: 'a Bcc: b' },
      { key: 'x-one', value: 'a' },
      { key: 'X-Two', value: '2' },
    ]);
  });

  it('smtpAddress strips our type prefix and refuses other types', () => {
    expect(smtpAddress('SMTP:a@b.c', ['SMTP'])).toBe('a@b.c');
    expect(smtpAddress('smtp:a@b.c', ['SMTP'])).toBe('a@b.c');
    expect(smtpAddress('a@b.c', ['SMTP'])).toBe('a@b.c');
    expect(smtpAddress('FAX:+1555', ['SMTP'])).toBeUndefined();
    expect(smtpAddress(undefined, ['SMTP'])).toBeUndefined();
  });
});

describe('makeRedactor', () => {
  it('blanks secrets and their base64 forms', () => {
    const redact = makeRedactor(['s3cret!'], 'user');
    const plain = Buffer.from('\u0000user\u0000s3cret!').toString('base64');
    expect(redact(`x s3cret! ${Buffer.from('s3cret!').toString('base64')} ${plain}`)).toBe('x *** *** ***');
  });
});
