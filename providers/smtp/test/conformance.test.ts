/**
 * The SPI conformance suite from @spool/testkit against the built package (dist/), delivering to a real
 * smtp-server on 127.0.0.1 and with the inbound listener on (port 0), plus the pack check.
 */
import { fileURLToPath } from 'node:url';
import { packCheck, runConformance } from '@spool/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

runConformance({
  packageDir,
  addresses: ['SMTP:alice@example.com', 'smtp:bob@example.org'],
  from: 'SMTP:conformance@example.net',
  // A function: the server's port is known only after beforeAll.
  options: () => ({
    host: '127.0.0.1',
    port: server.port,
    ignoreTLS: true,
    connectionTimeout: 5_000,
    listen: { host: '127.0.0.1', port: 0 },
  }),
  describe,
  it,
});

describe('the SMTP server behind the conformance suite', () => {
  it('received the sample messages the suite reported delivered', () => {
    // Runs after the suite's checks (vitest keeps file order): the deliveries really reached the server.
    const recipients = server.received.flatMap((m) => m.to);
    expect(recipients).toContain('alice@example.com');
    expect(recipients).toContain('bob@example.org');
  });
});

describe('the packed tarball', () => {
  it('installs into a scratch project and loads through the real loader', async () => {
    const report = await packCheck(packageDir);
    expect(report.files).toContain('dist/index.js');
    expect(report.meta).toMatchObject({ name: '@spool/provider-smtp', addressTypes: ['SMTP'] });
  }, 120_000);
});
