import type {
  InboundSink,
  LogoffOptions,
  LogonSection,
  OperationContext,
  StartMessageResult,
  SubmitMessageResult,
  TransportLogon,
  TransportNotifyEvent,
  TransportSupport,
} from '@spool/spi';
import { InboundListener } from './inbound.js';
import { DEFAULTS, type SmtpOptions } from './options.js';
import { Outbound, outboundIdentity } from './outbound.js';
import { mimePreprocessor } from './preprocessor.js';
import { makeRedactor, StatusText } from './status.js';

/**
 * Opens an SMTP logon: registers the MIME preprocessor, reads the PEM files the options name, and creates
 * the status row. Nothing heavy happens here — no library import, no connection, no listener — so a host can
 * log on many accounts at start-up in milliseconds; the pool opens on the first hand-off and the listener on
 * `begin-inbound`.
 */
export async function openSmtpLogon(
  support: TransportSupport,
  section: LogonSection<SmtpOptions>,
): Promise<TransportLogon> {
  const options = section.options;
  const addressTypes = (options.addressTypes ?? ['SMTP']).map((type) => type.toUpperCase());
  const redact = makeRedactor(
    [options.auth?.pass, ...(options.listen?.users ?? []).map((user) => user.password)],
    options.auth?.user,
  );
  const status = new StatusText(support, redact);
  const outbound = new Outbound(options, section.profileDir, () => addressTypes, status, redact);
  await outbound.prepare();
  const listen = options.listen;
  const inbound =
    listen === undefined
      ? undefined
      : new InboundListener(listen, section.profileDir, () => support.notifyNewMail(), support.logger);

  support.registerPreprocessor(mimePreprocessor(() => addressTypes, options.from));
  support.modifyStatusRow({ identity: outboundIdentity(options), available: true });
  status.setInbound(listen === undefined ? 'off (no listen option)' : 'not listening yet');

  async function stopInbound(): Promise<void> {
    if (inbound === undefined) return;
    await inbound.stop();
    status.setInbound('stopped');
  }

  return {
    maxInFlight: options.maxConnections ?? DEFAULTS.maxConnections,
    addressTypes: () => addressTypes,

    async transportNotify(event: TransportNotifyEvent) {
      if (event.type === 'begin-inbound' && inbound !== undefined) {
        try {
          const address = await inbound.start();
          status.setInbound(`listening on ${address}`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          const code = (error as { code?: unknown }).code;
          status.setInbound(`not listening: ${message}`, {
            failure: true,
            lastError: { code: typeof code === 'string' ? code : 'SPOOL_E_SMTP_LISTEN', message },
          });
          throw error;
        }
      } else if (event.type === 'end-inbound') {
        await stopInbound();
      }
      // Outbound needs no switch: the pool opens on the first hand-off and the host stops calling submit.
    },

    submitMessage: (message, recipients, context): Promise<SubmitMessageResult> =>
      outbound.submit(message, recipients, context),

    async poll(): Promise<boolean> {
      return inbound?.hasWaiting() ?? false;
    },

    async startMessage(sink: InboundSink, context: OperationContext): Promise<StartMessageResult> {
      if (inbound === undefined) return { more: false };
      return inbound.startMessage(sink, context);
    },

    async transportLogoff(_options: LogoffOptions) {
      await Promise.all([outbound.close(), stopInbound()]);
      status.setOutbound('logged off', { available: false });
    },
  };
}
