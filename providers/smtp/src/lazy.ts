import type MailComposer from 'nodemailer/lib/mail-composer/index.js';

/**
 * The heavy libraries, loaded on first use only. A host logs on several providers at start-up and must do so
 * in a few milliseconds; importing nodemailer, smtp-server and mailparser eagerly costs far more than that,
 * and a send-only logon never needs the server side at all. Each promise is created once per process.
 */
let nodemailer: Promise<typeof import('nodemailer')> | undefined;
let composer: Promise<typeof MailComposer> | undefined;
let smtpServer: Promise<typeof import('smtp-server')> | undefined;
let mailparser: Promise<typeof import('mailparser')> | undefined;

/** nodemailer's main module (createTransport). */
export function loadNodemailer(): Promise<typeof import('nodemailer')> {
  nodemailer ??= import('nodemailer').then((module) => module.default ?? module);
  return nodemailer;
}

/** nodemailer's MIME builder; a deep import, so the `.js` path is spelled out for ESM resolution. */
export function loadMailComposer(): Promise<typeof MailComposer> {
  composer ??= import('nodemailer/lib/mail-composer/index.js').then((module) => module.default);
  return composer;
}

/** smtp-server's SMTPServer class. */
export function loadSmtpServer(): Promise<typeof import('smtp-server')> {
  smtpServer ??= import('smtp-server').then((module) => module.default ?? module);
  return smtpServer;
}

/** mailparser's simpleParser. */
export function loadMailparser(): Promise<typeof import('mailparser')> {
  mailparser ??= import('mailparser').then((module) => module.default ?? module);
  return mailparser;
}
