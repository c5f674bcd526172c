import type { OutboundMessage, OutboundRecipient } from '@spool/spi';
import { describe, expect, it } from 'vitest';
import { InProcessProviderPort } from '../../src/host/in-process-port.js';
import { ProviderHost } from '../../src/host/provider-host.js';
import { caught, fixtureProfile, memorySink } from '../helpers.js';

const recipient: OutboundRecipient = {
  id: 'r1',
  address: 'X:a',
  addressType: 'X',
  value: 'a',
  type: 'to',
  attempts: 0,
};
const message: OutboundMessage = {
  id: 'm1',
  messageId: '<m1@spool>',
  recipients: [recipient],
  subject: 's',
  attachments: [],
  messageClass: 'IPM.Note',
  properties: {},
  submittedAt: new Date(),
};

async function hostWith(fault: string, extra: Record<string, unknown> = {}) {
  const sink = memorySink();
  const profile = fixtureProfile({
    providers: [
      { provider: 'faulty', options: { fault, ...extra }, timeouts: { inactivity: 50, hardCap: 1000 } },
      'good',
    ],
  });
  return { host: await ProviderHost.start({ profile, logSink: sink }), sink };
}

// Calls reach a provider through the provider port (one per host), as the pipeline's do.
const ports = new WeakMap<ProviderHost, InProcessProviderPort>();
const submit = (host: ProviderHost, id: string) => {
  let port = ports.get(host);
  if (!port) {
    port = new InProcessProviderPort(host, () => Promise.reject(new Error('no inbound in this test')));
    ports.set(host, port);
  }
  return port.call(
    'submitMessage',
    id,
    { message, recipients: [recipient], preprocessRun: undefined },
    { messageId: 'm1' },
  );
};

describe('every provider call runs through one runner: timeout, attribution, containment', () => {
  it('a call that never settles times out, is attributed, marks its row failed, and the other provider works', async () => {
    const { host } = await hostWith('hang-submit');
    const error = await caught(() => submit(host, 'faulty/default'));
    expect(error.code).toBe('SPOOL_E_TIMEOUT');
    expect(error.details).toMatchObject({
      provider: 'spool-provider-faulty',
      version: '1.0.0',
      method: 'submitMessage',
      messageId: 'm1',
    });
    expect(error.message).toContain(
      '[spool-provider-faulty@1.0.0 submitMessage logon faulty/default message m1]',
    );
    expect(host.statusTable.get('faulty/default')).toMatchObject({
      failure: true,
      lastError: { code: 'SPOOL_E_TIMEOUT' },
    });
    await expect(submit(host, 'good/default')).resolves.toEqual({
      recipients: { r1: { status: 'delivered' } },
    });
    expect(host.statusTable.get('good/default')?.failure).toBe(false);
    await host.stop();
  });

  it('a throwing call is caught and attributed; the host carries on', async () => {
    const { host } = await hostWith('throw-submit');
    const error = await caught(() => submit(host, 'faulty/default'));
    expect(error.code).toBe('SPOOL_E_PROVIDER_FAILED');
    expect(error.message).toContain('undefined is not a function (provider bug)');
    expect(error.details).toMatchObject({ provider: 'spool-provider-faulty', method: 'submitMessage' });
    expect(host.statusTable.get('faulty/default')?.failure).toBe(true);
    await expect(submit(host, 'good/default')).resolves.toBeDefined();
    await host.stop();
  });

  it('a logon that hangs is timed out and recorded; the next entry still logs on', async () => {
    const { host } = await hostWith('hang-logon');
    expect(host.entries[0]?.status).toBe('failed');
    expect(host.entries[0]?.error?.code).toBe('SPOOL_E_TIMEOUT');
    expect(host.statusTable.get('faulty')).toMatchObject({ failure: true });
    expect(host.claimants('GOOD')).toHaveLength(1);
    await host.stop();
  });

  it('a result arriving after its timeout is discarded and logged', async () => {
    const { host, sink } = await hostWith('late-submit', { lateMs: 150 });
    expect((await caught(() => submit(host, 'faulty/default'))).code).toBe('SPOOL_E_TIMEOUT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sink.records.some((r) => r.message.includes('arrived after its call timed out'))).toBe(true);
    await host.stop();
  });
});
